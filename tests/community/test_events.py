"""Live events: exactly what is sent, to whom, and only after commit."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer

from community import events, hooks, services
from tests.community.conftest import make_thread

pytestmark = pytest.mark.django_db


def test_reply_sends_thread_and_user_events_on_commit(
    member, other_member, space, sent_events, django_capture_on_commit_callbacks
):
    thread = make_thread(author=member, space=space)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post = services.post_create(author=other_member, thread=thread, body="Sending a hug")
    assert sent_events == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert sent_events == [
        ("post.created", {"thread_id": thread.pk, "post_id": post.pk}, [f"thread.{thread.pk}"]),
        ("notifications.changed", {"unread_count": 1}, [f"user.{member.pk}"]),
    ]


def test_opening_post_sends_no_thread_event(member, space, sent_events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_thread(author=member, space=space)
    assert sent_events == []


def test_held_post_sends_nothing_until_published(
    member, other_member, guide, space, sent_events, django_capture_on_commit_callbacks
):
    thread = make_thread(author=member, space=space)
    hooks.post_submitted.connect(lambda *, post, decision: decision.hold(reason="x"), dispatch_uid="t")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            post = services.post_create(author=other_member, thread=thread, body="held text")
    finally:
        hooks.post_submitted.disconnect(dispatch_uid="t")
    assert sent_events == []
    with django_capture_on_commit_callbacks(execute=True):
        services.post_publish(post=post, actor=guide)
    assert sent_events == [
        ("post.published", {"thread_id": thread.pk, "post_id": post.pk}, [f"thread.{thread.pk}"]),
        ("notifications.changed", {"unread_count": 1}, [f"user.{member.pk}"]),
    ]


def test_payloads_carry_no_text(member, other_member, space, sent_events, django_capture_on_commit_callbacks):
    thread = make_thread(author=member, space=space, title="Secret title here")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_create(author=other_member, thread=thread, body="private words")
    text = repr(sent_events)
    assert "private words" not in text
    assert "Secret title" not in text


def test_rolled_back_transaction_sends_nothing(member, other_member, space, sent_events):
    from django.db import transaction

    thread = make_thread(author=member, space=space)

    def post_then_fail():
        with transaction.atomic():
            services.post_create(author=other_member, thread=thread, body="never committed")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        post_then_fail()
    assert sent_events == []


def test_send_event_uses_the_channel_layer(settings, django_capture_on_commit_callbacks):
    from asgiref.sync import async_to_sync

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("thread.42", channel)
    with django_capture_on_commit_callbacks(execute=True):
        events.send_event_on_commit("post.created", {"thread_id": 42, "post_id": 7}, ["thread.42"])
    message = async_to_sync(layer.receive)(channel)
    assert message == {
        "type": "kindred.event",
        "event": "post.created",
        "payload": {"thread_id": 42, "post_id": 7},
    }


def test_channel_layer_failure_is_logged_not_raised(monkeypatch, caplog, django_capture_on_commit_callbacks):
    class BrokenLayer:
        async def group_send(self, group, message):
            raise ConnectionError("redis down")

    monkeypatch.setattr(events, "get_channel_layer", lambda: BrokenLayer())
    with django_capture_on_commit_callbacks(execute=True):
        events.send_event_on_commit("post.created", {"thread_id": 1, "post_id": 2}, ["thread.1", "user.3"])
    assert caplog.text.count("Could not send live event post.created") == 2


def test_withdrawing_a_visible_post_tells_the_thread(
    member, other_member, guide, space, sent_events, django_capture_on_commit_callbacks
):
    thread = make_thread(author=member, space=space)
    post = services.post_create(author=other_member, thread=thread, body="visible for a while")
    expected = ("post.withdrawn", {"thread_id": thread.pk, "post_id": post.pk}, [f"thread.{thread.pk}"])
    with django_capture_on_commit_callbacks(execute=True):
        services.post_hold(post=post, reason="late triage")
    assert sent_events == [expected]
    with django_capture_on_commit_callbacks(execute=True):
        services.post_hide(post=post, actor=guide, reason="x")  # held -> hidden: nobody saw it
    assert sent_events == [expected]


def test_post_edit_event(member, space, sent_events, django_capture_on_commit_callbacks):
    thread = make_thread(author=member, space=space)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_edit(actor=member, post=thread.opening_post, body="new words")
    assert sent_events == [
        ("post.edited", {"thread_id": thread.pk, "post_id": thread.opening_post_id}, [f"thread.{thread.pk}"])
    ]
