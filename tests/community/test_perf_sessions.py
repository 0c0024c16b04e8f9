"""Sessions in the cache (production with Redis): a page view reads no session row, and a logout
still ends the session everywhere.

Production settings choose ``cached_db`` only when Redis is configured (a per-process cache would
keep accepting a session that another worker process ended). The page tests switch the engine
on for one test and use the suite's cache: Redis when ``REDIS_URL`` is set, else local memory.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.community.conftest import make_thread

ROOT = Path(__file__).resolve().parents[2]
CACHED_DB = "django.contrib.sessions.backends.cached_db"


def production_session_engine(**env: str) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.SESSION_ENGINE)",
        ],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "kindred.example.org",
            "DATABASE_URL": "postgres://kindred:kindred@127.0.0.1:5432/kindred",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_reads_sessions_from_redis_only_when_redis_is_configured():
    assert production_session_engine(REDIS_URL="redis://127.0.0.1:6379/0") == CACHED_DB
    assert production_session_engine() == "django.contrib.sessions.backends.db"


def page_queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.django_db
def test_cached_sessions_save_the_session_query_on_a_thread_page(client, member, space, settings):
    thread = make_thread(author=member, space=space)
    url = reverse("community:thread-detail", args=[thread.pk])
    client.force_login(member)
    with_db = page_queries(client, url)
    assert any("django_session" in sql for sql in with_db)

    settings.SESSION_ENGINE = CACHED_DB
    cache.clear()
    cached_client = client.__class__()
    cached_client.force_login(member)  # written to the database and the cache
    page_queries(cached_client, url)  # warm
    with_cache = page_queries(cached_client, url)

    assert not any("django_session" in sql for sql in with_cache)
    assert len(with_cache) == len(with_db) - 1


@pytest.mark.django_db
def test_logout_ends_a_cached_session(client, member, space, settings):
    settings.SESSION_ENGINE = CACHED_DB
    cache.clear()
    thread = make_thread(author=member, space=space)
    url = reverse("community:thread-detail", args=[thread.pk])
    client.force_login(member)
    assert client.get(url).status_code == 200
    session_key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=session_key).exists()

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302

    # The old cookie, replayed, no longer signs anyone in: gone from the cache and the table.
    client.cookies["sessionid"] = session_key
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not Session.objects.filter(session_key=session_key).exists()
