"""The live WebSocket end to end: session auth, group joins by permission, exact events.

Every test runs on the in-memory channel layer and, when ``REDIS_URL`` is set, again on the
real Redis channel layer (``-m redis`` selects those). The full ASGI application of
``config.asgi`` (origin check, cookie/session auth, URL router) answers the socket; data is
committed (``transactional_db``) so on-commit events really fire, and writes go through
``community.services`` exactly as the pages do.
"""

from __future__ import annotations

import json
import os
import re
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from community import hooks, services
from community.consumers import CLOSE_NOT_AUTHENTICATED, MAX_WATCHED_THREADS
from community.models import PostState
from tests.community.conftest import make_post_in_state, make_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("REDIS_URL", "")
ORIGIN = (b"origin", b"http://localhost")
QUIET = 0.3  # seconds to wait when asserting that nothing arrives


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory"),
        pytest.param(
            "redis",
            id="redis",
            marks=[pytest.mark.redis, pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")],
        ),
    ]
)
def layer(request, settings):
    """The channel layer under test; a Redis one gets its own key prefix and is flushed after."""
    if request.param == "memory":
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    else:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [REDIS_URL], "prefix": f"kindred-test-{uuid.uuid4().hex[:10]}:"},
            }
        }
    yield request.param
    if request.param == "redis":
        async_to_sync(get_channel_layer().flush)()


@pytest.fixture
def application():
    """The project's ASGI application, exactly as served."""
    from config.asgi import application as project_application

    return project_application


def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return (b"cookie", f"{name}={client.cookies[name].value}".encode())


def headers_for(user=None) -> list[tuple[bytes, bytes]]:
    return [ORIGIN] + ([session_cookie(user)] if user is not None else [])


async def socket_for(application, user=None) -> WebsocketCommunicator:
    headers = await database_sync_to_async(headers_for)(user)
    return WebsocketCommunicator(application, "/ws/live/", headers=headers)


async def open_socket(application, user, *, watch: int | None = None) -> WebsocketCommunicator:
    socket = await socket_for(application, user)
    connected, _ = await socket.connect()
    assert connected
    if watch is not None:
        await socket.send_json_to({"action": "watch_thread", "thread_id": watch})
        assert await socket.receive_json_from() == {"event": "live.watching", "payload": {"thread_id": watch}}
    return socket


def run(scenario) -> None:
    async_to_sync(scenario)()


@pytest.fixture
def thread(member, space):
    return make_thread(author=member, space=space)


@pytest.fixture
def viewer():
    """A member who reads the thread but neither wrote nor follows it."""
    return UserFactory(pseudonym="ReadingWren")


@pytest.fixture
def hold_marked_posts():
    """Triage stand-in: hold any post whose text contains HOLD-ME."""

    def receiver(*, post, decision):
        if "HOLD-ME" in post.body:
            decision.hold(reason="test:hold")

    hooks.post_submitted.connect(receiver, dispatch_uid="test_ws_live.hold")
    yield
    hooks.post_submitted.disconnect(dispatch_uid="test_ws_live.hold")


reply = database_sync_to_async(services.post_create)


def test_anonymous_is_closed_with_4401(layer, application):
    async def scenario():
        socket = await socket_for(application)
        connected, _ = await socket.connect()
        assert connected  # accepted so that the browser can read the close code
        assert await socket.receive_output() == {"type": "websocket.close", "code": CLOSE_NOT_AUTHENTICATED}
        await socket.wait()

    run(scenario)


def test_foreign_origin_is_refused(layer, application, member):
    async def scenario():
        socket = WebsocketCommunicator(
            application,
            "/ws/live/",
            headers=[
                (b"origin", b"https://evil.example"),
                await database_sync_to_async(session_cookie)(member),
            ],
        )
        connected, _ = await socket.connect()
        assert not connected

    run(scenario)


def test_watcher_receives_exactly_the_reply_event(layer, application, thread, viewer, other_member):
    async def scenario():
        socket = await open_socket(application, viewer, watch=thread.pk)
        post = await reply(author=other_member, thread=thread, body="Sending a hug, you're not alone")
        assert await socket.receive_json_from(timeout=2) == {
            "event": "post.created",
            "payload": {"thread_id": thread.pk, "post_id": post.pk},
        }
        assert await socket.receive_nothing(timeout=QUIET)
        await socket.disconnect()

    run(scenario)


def test_thread_author_gets_the_reply_and_their_unread_count(
    layer, application, thread, member, other_member
):
    async def scenario():
        socket = await open_socket(application, member, watch=thread.pk)
        post = await reply(author=other_member, thread=thread, body="Thinking of you")
        assert await socket.receive_json_from(timeout=2) == {
            "event": "post.created",
            "payload": {"thread_id": thread.pk, "post_id": post.pk},
        }
        assert await socket.receive_json_from(timeout=2) == {
            "event": "notifications.changed",
            "payload": {"unread_count": 1},
        }
        assert await socket.receive_nothing(timeout=QUIET)
        await socket.disconnect()

    run(scenario)


def test_unread_count_reaches_the_author_on_any_page(layer, application, thread, member, other_member):
    """Connected but watching no thread (e.g. on the spaces page): only the badge event arrives."""

    async def scenario():
        socket = await open_socket(application, member)
        await reply(author=other_member, thread=thread, body="Here for you")
        await reply(author=other_member, thread=thread, body="And again")
        assert await socket.receive_json_from(timeout=2) == {
            "event": "notifications.changed",
            "payload": {"unread_count": 1},
        }
        # The second reply by the same member is a new notification too.
        assert await socket.receive_json_from(timeout=2) == {
            "event": "notifications.changed",
            "payload": {"unread_count": 2},
        }
        assert await socket.receive_nothing(timeout=QUIET)
        await socket.disconnect()

    run(scenario)


def test_payloads_never_carry_text(layer, application, thread, member, other_member):
    async def scenario():
        socket = await open_socket(application, member, watch=thread.pk)
        await reply(author=other_member, thread=thread, body="my very private words")
        frames = [await socket.receive_from(timeout=2), await socket.receive_from(timeout=2)]
        for frame in frames:
            assert "private" not in frame
            assert thread.title not in frame
            assert other_member.pseudonym not in frame
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("case", ["restricted_space", "held_opening_post", "unknown_thread", "commissioner"])
def test_cannot_watch_a_thread_one_may_not_see(
    layer, application, case, member, org_space, outsider, space, commissioner, guide
):
    watcher = outsider
    if case == "restricted_space":
        thread = make_thread(author=member, space=org_space)
    elif case == "held_opening_post":
        thread = make_thread(author=member, space=space)
        services.post_hold(post=thread.opening_post, reason="test")
    elif case == "unknown_thread":
        thread = None
    else:
        thread = make_thread(author=member, space=space)
        watcher = commissioner
    thread_id = thread.pk if thread else 987_654

    async def scenario():
        socket = await open_socket(application, watcher)
        await socket.send_json_to({"action": "watch_thread", "thread_id": thread_id})
        assert await socket.receive_json_from() == {
            "event": "live.error",
            "payload": {
                "code": "not_available",
                "message": "This thread is not available.",
                "thread_id": thread_id,
            },
        }
        if thread is not None:
            # A guide replies (they may, in any of these threads): nothing reaches the refused socket.
            await reply(author=guide, thread=thread, body="Still here")
        assert await socket.receive_nothing(timeout=QUIET)
        await socket.disconnect()

    run(scenario)


def test_held_reply_sends_no_thread_event(
    layer, application, thread, viewer, other_member, hold_marked_posts
):
    async def scenario():
        socket = await open_socket(application, viewer, watch=thread.pk)
        held = await reply(author=other_member, thread=thread, body="HOLD-ME please")
        visible = await reply(author=other_member, thread=thread, body="A visible reply")
        # The first thing to arrive is the visible post: nothing was sent for the held one.
        assert await socket.receive_json_from(timeout=2) == {
            "event": "post.created",
            "payload": {"thread_id": thread.pk, "post_id": visible.pk},
        }
        assert await socket.receive_nothing(timeout=QUIET)
        await database_sync_to_async(held.refresh_from_db)()
        assert held.state == PostState.HELD
        await socket.disconnect()

    run(scenario)


def test_held_reply_announced_when_a_guide_publishes_it(
    layer, application, thread, viewer, other_member, guide, hold_marked_posts
):
    async def scenario():
        socket = await open_socket(application, viewer, watch=thread.pk)
        held = await reply(author=other_member, thread=thread, body="HOLD-ME please")
        assert await socket.receive_nothing(timeout=QUIET)
        await database_sync_to_async(services.post_publish)(post=held, actor=guide)
        assert await socket.receive_json_from(timeout=2) == {
            "event": "post.published",
            "payload": {"thread_id": thread.pk, "post_id": held.pk},
        }
        await socket.disconnect()

    run(scenario)


def test_unwatch_stops_thread_events_but_not_the_users_own(layer, application, thread, member, other_member):
    async def scenario():
        socket = await open_socket(application, member, watch=thread.pk)
        await socket.send_json_to({"action": "unwatch_thread", "thread_id": thread.pk})
        assert await socket.receive_json_from() == {
            "event": "live.unwatched",
            "payload": {"thread_id": thread.pk},
        }
        await reply(author=other_member, thread=thread, body="Hello again")
        assert await socket.receive_json_from(timeout=2) == {
            "event": "notifications.changed",
            "payload": {"unread_count": 1},
        }
        assert await socket.receive_nothing(timeout=QUIET)
        await socket.disconnect()

    run(scenario)


def test_a_closed_socket_leaves_its_groups(layer, application, thread, viewer, other_member):
    async def scenario():
        first = await open_socket(application, viewer, watch=thread.pk)
        second = await open_socket(application, viewer, watch=thread.pk)
        await first.disconnect()
        post = await reply(author=other_member, thread=thread, body="Anyone?")
        assert await second.receive_json_from(timeout=2) == {
            "event": "post.created",
            "payload": {"thread_id": thread.pk, "post_id": post.pk},
        }
        await second.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("frame", "payload"),
    [
        ("not json", {"code": "invalid", "message": "Send a small JSON object."}),
        ("[1, 2]", {"code": "invalid", "message": "Send a small JSON object."}),
        ('{"action": "shout"}', {"code": "unknown_action", "message": "Unknown action.", "action": "shout"}),
        (
            '{"action": "watch_thread", "thread_id": "7"}',
            {"code": "invalid", "message": "thread_id must be a positive integer.", "action": "watch_thread"},
        ),
        (
            '{"action": "watch_thread", "thread_id": true}',
            {"code": "invalid", "message": "thread_id must be a positive integer.", "action": "watch_thread"},
        ),
        (
            json.dumps({"action": "watch_thread", "pad": "x" * 2000}),
            {"code": "invalid", "message": "Send a small JSON object."},
        ),
    ],
)
def test_bad_messages_get_an_error_and_the_socket_stays_open(
    layer, application, thread, viewer, frame, payload
):
    async def scenario():
        socket = await open_socket(application, viewer)
        await socket.send_to(text_data=frame)
        assert await socket.receive_json_from() == {"event": "live.error", "payload": payload}
        # Still usable.
        await socket.send_json_to({"action": "watch_thread", "thread_id": thread.pk})
        assert await socket.receive_json_from() == {
            "event": "live.watching",
            "payload": {"thread_id": thread.pk},
        }
        await socket.disconnect()

    run(scenario)


def test_watch_limit_per_connection(layer, application, member, space):
    threads = [
        make_thread(author=member, space=space, title=f"Thread number {n}")
        for n in range(MAX_WATCHED_THREADS + 1)
    ]

    async def scenario():
        socket = await open_socket(application, member)
        for thread in threads[:MAX_WATCHED_THREADS]:
            await socket.send_json_to({"action": "watch_thread", "thread_id": thread.pk})
            assert (await socket.receive_json_from())["event"] == "live.watching"
        extra = threads[-1].pk
        await socket.send_json_to({"action": "watch_thread", "thread_id": extra})
        assert await socket.receive_json_from() == {
            "event": "live.error",
            "payload": {
                "code": "too_many",
                "message": "Too many threads watched on one connection.",
                "thread_id": extra,
            },
        }
        await socket.disconnect()

    run(scenario)


def test_suspended_member_cannot_start_watching(layer, application, thread, viewer):
    async def scenario():
        socket = await open_socket(application, viewer)
        await database_sync_to_async(type(viewer).objects.filter(pk=viewer.pk).update)(is_active=False)
        await socket.send_json_to({"action": "watch_thread", "thread_id": thread.pk})
        assert (await socket.receive_json_from())["payload"]["code"] == "not_available"
        await socket.disconnect()

    run(scenario)


def test_reconnecting_client_catches_up_from_the_database(
    layer, application, thread, viewer, other_member, guide, hold_marked_posts
):
    """Offline while replies come in: after reconnecting, the fragment has exactly the visible ones."""
    seen_last = thread.opening_post_id

    async def scenario():
        socket = await open_socket(application, viewer, watch=thread.pk)
        await socket.disconnect()

        published = await reply(author=other_member, thread=thread, body="While you were away")
        await reply(author=other_member, thread=thread, body="HOLD-ME held words")
        hidden = await reply(author=other_member, thread=thread, body="soon hidden words")
        await database_sync_to_async(services.post_hide)(post=hidden, actor=guide, reason="Personal details")
        latest = await reply(author=other_member, thread=thread, body="And one more")

        socket = await open_socket(application, viewer, watch=thread.pk)
        assert await socket.receive_nothing(timeout=QUIET)  # nothing replayed: the page fetches

        client = Client()
        await database_sync_to_async(client.force_login)(viewer)
        response = await database_sync_to_async(client.get)(
            reverse("live:thread-posts", args=[thread.pk]), {"after_post": seen_last}
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert [int(pk) for pk in _article_ids(html)] == [published.pk, latest.pk]
        assert "held words" not in html
        assert "hidden words" not in html
        assert "While you were away" in html
        await socket.disconnect()

    run(scenario)


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")
@pytest.mark.parametrize("layer", ["redis"], indirect=True)
def test_redis_layer_really_is_redis(layer):
    assert type(get_channel_layer()).__module__ == "channels_redis.core"


def _article_ids(html: str) -> list[str]:
    return re.findall(r'<article class="card post post--\w+" id="post-(\d+)"', html)


def test_reply_hidden_by_a_guide_is_withdrawn_live(layer, application, thread, viewer, other_member, guide):
    async def scenario():
        socket = await open_socket(application, viewer, watch=thread.pk)
        post = await database_sync_to_async(make_post_in_state)(
            author=other_member, thread=thread, state=PostState.HIDDEN, actor=guide
        )
        assert await socket.receive_json_from(timeout=2) == {
            "event": "post.created",
            "payload": {"thread_id": thread.pk, "post_id": post.pk},
        }
        assert await socket.receive_json_from(timeout=2) == {
            "event": "post.withdrawn",
            "payload": {"thread_id": thread.pk, "post_id": post.pk},
        }
        assert await socket.receive_nothing(timeout=QUIET)
        await socket.disconnect()

    run(scenario)
