"""End-to-end browser tests: the real ASGI application, served by daphne, driven by Chromium.

Why not pytest-django's ``live_server``
    It serves Django's WSGI handler, and Kindred is an ASGI application: live pages open
    WebSockets, which only the ASGI router (``config.asgi``) answers.

Why not ``channels.testing.ChannelsLiveServerTestCase``
    It is unittest-style and forks daphne into a child process, which refuses the in-memory
    SQLite database that the suite uses by default (a forked child cannot see it).

What this does instead
    ``asgi_live_server`` (session-scoped) runs daphne's ``Server`` in a background thread of the
    test process, on a free loopback port, serving ``config.asgi.application`` wrapped in
    Django's ``ASGIStaticFilesHandler`` (static files from the finders, no collectstatic
    needed). Being in-process, the server uses exactly the settings pytest-django has pointed
    at the test database, on PostgreSQL and on SQLite alike: Django names the in-memory SQLite
    test database in shared-cache mode, so the server's request threads open connections to
    the same database. Twisted's reactor cannot be restarted, hence one server per session,
    stopped at the end of it.

    ``live_url`` (per test) requests ``transactional_db``: data a test creates is committed,
    so the server's own connections see it, and the tables are flushed afterwards. Browser
    tests must therefore create their data with factories inside the test, never rely on the
    rollback of ``db``.

Playwright
    ``page`` gives a fresh browser context per test in Debian's Chromium at /usr/bin/chromium
    (never a downloaded browser). Without that binary, or without the playwright package,
    every test here is skipped with the reason (CI sets ``KINDRED_REQUIRE_BROWSER=1`` to make
    that an error instead). ``tests.browser.helpers.shot(page, name)``
    saves ``artifacts/screenshots/<test>-<name>.png``. The browser is package-scoped: it is
    closed when the run leaves tests/browser/, so its event loop never leaks into other tests.

    The sync Playwright API keeps an asyncio loop registered on the test thread, which makes
    Django's async-safety guard reject ordinary ORM calls in the test body; the guard is
    relaxed only for the duration of each browser test (``DJANGO_ALLOW_ASYNC_UNSAFE``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("KINDRED_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SERVER_START_TIMEOUT = 15.0

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the playwright package (pip install -e '.[dev]')"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    if reason and os.environ.get("KINDRED_REQUIRE_BROWSER") == "1":
        # CI installs Chromium; there, a browser test that cannot run is a failure.
        raise pytest.UsageError(f"KINDRED_REQUIRE_BROWSER=1 but {reason}")
    here = Path(__file__).parent
    for item in items:
        if here not in Path(str(item.fspath)).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


class AsgiLiveServer:
    """daphne serving the project's ASGI application from a background thread."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port: int | None = None
        self._server = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def start(self) -> None:
        # Importing daphne.server installs Twisted's asyncio reactor; it must come before any
        # other Twisted import, which is why it is imported here and not at module level.
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        from config.asgi import application

        self._server = Server(
            application=ASGIStaticFilesHandler(application),
            endpoints=build_endpoint_description_strings(host=self.host, port=0),
            signal_handlers=False,
            verbosity=0,
            application_close_timeout=5,
        )
        self._thread = threading.Thread(target=self._run, name="asgi-live-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not self._server.listening_addresses:
            if self._error is not None:
                raise RuntimeError(f"daphne failed to start: {self._error!r}") from self._error
            if not self._thread.is_alive():
                raise RuntimeError("daphne stopped before listening")
            if time.monotonic() > deadline:
                raise RuntimeError(f"daphne did not listen within {SERVER_START_TIMEOUT}s")
            time.sleep(0.02)
        self.port = self._server.listening_addresses[0][1]

    def _run(self) -> None:
        try:
            self._server.run()
        except BaseException as error:  # reported to the thread that waits for the port
            self._error = error

    def stop(self) -> None:
        from twisted.internet import reactor

        if self._thread is not None and self._thread.is_alive():
            reactor.callFromThread(self._server.stop)
            self._thread.join(timeout=10)


@pytest.fixture(scope="session")
def asgi_live_server(django_db_setup, django_db_blocker) -> Iterator[AsgiLiveServer]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    server = AsgiLiveServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_url(asgi_live_server: AsgiLiveServer, transactional_db, settings) -> str:
    """The server's base URL; the test's data is committed so the server can read it."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, asgi_live_server.host]
    return asgi_live_server.url


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="package")
def chromium_browser():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser, live_url: str):
    """A fresh browser context (no cookies) whose relative URLs resolve against the server."""
    context = chromium_browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    browser_page = context.new_page()
    yield browser_page
    context.close()
