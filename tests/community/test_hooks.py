"""post_submitted / post_edited: higher apps screen a post before anyone else can see it."""

from __future__ import annotations

import pytest
from django.db import connection

from community import hooks, services
from community.models import Notification, Post, PostState, Subscription, Thread
from tests.community.conftest import make_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def connect():
    connected: list[tuple[hooks.Hook, str]] = []

    def _connect(hook: hooks.Hook, receiver, uid: str = "test.receiver"):
        hook.connect(receiver, dispatch_uid=uid)
        connected.append((hook, uid))

    yield _connect
    for hook, uid in connected:
        hook.disconnect(dispatch_uid=uid)


def test_hooks_are_named_and_listed():
    assert hooks.post_submitted.name == "post_submitted"
    assert hooks.post_edited.name == "post_edited"


def test_receiver_runs_inside_the_transaction_before_publication(member, space, connect):
    seen = {}

    def receiver(*, post, decision):
        seen["in_atomic"] = connection.in_atomic_block
        seen["body"] = post.body
        seen["state"] = Post.objects.get(pk=post.pk).state

    connect(hooks.post_submitted, receiver)
    make_thread(author=member, space=space, body="screen me")
    assert seen == {"in_atomic": True, "body": "screen me", "state": PostState.PUBLISHED}


def test_receiver_that_holds_keeps_the_post_from_others(
    member, other_member, space, connect, sent_events, django_capture_on_commit_callbacks
):
    thread = make_thread(author=member, space=space)

    def receiver(*, post, decision):
        if "hopeless" in post.body:
            decision.hold(reason="risk:high", author_notice="You can call Samaritans on 116 123.")

    connect(hooks.post_submitted, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_create(author=other_member, thread=thread, body="I feel hopeless")
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert post.hold_reason == "risk:high"
    assert post.author_notice == "You can call Samaritans on 116 123."
    assert Notification.objects.count() == 0
    assert sent_events == []
    thread.refresh_from_db()
    assert thread.reply_count == 0


def test_receiver_may_call_post_hold_itself(member, space, connect):
    def receiver(*, post, decision):
        services.post_hold(post=post, reason="escalation", author_notice="Help is here.")

    connect(hooks.post_submitted, receiver)
    thread = make_thread(author=member, space=space)
    assert thread.opening_post.state == PostState.HELD
    assert thread.opening_post.author_notice == "Help is here."


def test_receiver_that_raises_holds_the_post_and_logs(member, space, connect, caplog, sent_events):
    def receiver(*, post, decision):
        raise RuntimeError("triage engine exploded")

    connect(hooks.post_submitted, receiver, uid="escalation.triage")
    thread = make_thread(author=member, space=space, body="text")
    post = thread.opening_post
    assert post.state == PostState.HELD
    assert post.hold_reason == "hook-failed:escalation.triage"
    assert Thread.objects.count() == 1  # not lost
    assert "triage engine exploded" in caplog.text


def test_receiver_database_error_does_not_poison_the_transaction(member, space, connect):
    def receiver(*, post, decision):
        # Violates a unique constraint inside the receiver's savepoint.
        Subscription.objects.create(thread=post.thread, user=post.author)

    connect(hooks.post_submitted, receiver)
    thread = make_thread(author=member, space=space)
    assert thread.opening_post.state == PostState.HELD
    assert Subscription.objects.filter(thread=thread).count() == 1


def test_one_failing_receiver_does_not_skip_the_others(member, space, connect):
    calls = []

    def failing(*, post, decision):
        calls.append("failing")
        raise ValueError("boom")

    def holding(*, post, decision):
        calls.append("holding")
        decision.hold(reason="second", author_notice="notice")

    connect(hooks.post_submitted, failing, uid="a")
    connect(hooks.post_submitted, holding, uid="b")
    post = make_thread(author=member, space=space).opening_post
    assert calls == ["failing", "holding"]
    assert post.state == PostState.HELD
    assert post.hold_reason == "hook-failed:a; second"


def test_edit_hook_can_hold_an_edited_post(member, other_member, space, connect):
    thread = make_thread(author=member, space=space)
    post = services.post_create(author=other_member, thread=thread, body="fine")

    def receiver(*, post, decision):
        decision.hold(reason="edited-risk", author_notice="We're here.")

    connect(hooks.post_edited, receiver)
    services.post_edit(actor=other_member, post=post, body="not fine any more")
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert post.screened_at is None
    thread.refresh_from_db()
    assert thread.reply_count == 0


def test_edit_hook_failure_holds(member, space, connect):
    post = make_thread(author=member, space=space).opening_post

    def receiver(*, post, decision):
        raise RuntimeError("down")

    connect(hooks.post_edited, receiver)
    services.post_edit(actor=member, post=post, body="changed")
    post.refresh_from_db()
    assert post.state == PostState.HELD


def test_submitted_hook_does_not_fire_on_edit(member, space, connect):
    calls = []
    connect(hooks.post_submitted, lambda *, post, decision: calls.append(post.pk))
    post = make_thread(author=member, space=space).opening_post
    services.post_edit(actor=member, post=post, body="changed")
    assert calls == [post.pk]


def test_premoderated_space_holds_new_members(member, space):
    space.premoderate_new_members = True
    space.save()
    post = make_thread(author=member, space=space).opening_post
    assert post.state == PostState.HELD
    assert post.hold_reason == "premoderation:new-member"


@pytest.mark.django_db(transaction=True)
def test_posting_check_in_autocommit_skips_the_savepoint_and_survives_a_failing_receiver(member):
    """A page view runs in autocommit: no BEGIN/SAVEPOINT round trips for the check, and a receiver
    whose query fails is ignored without breaking the connection for the rest of the page."""
    from django.test.utils import CaptureQueriesContext

    def broken(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_for_this_test")

    seen_atomic = []

    def suspended(**kwargs):
        seen_atomic.append(connection.in_atomic_block)
        return "You can read the forums, but you cannot post until Monday."

    saved = dict(hooks.posting_check._receivers)
    hooks.posting_check._receivers.clear()
    try:
        hooks.posting_check.connect(broken, dispatch_uid="test-broken")
        hooks.posting_check.connect(suspended, dispatch_uid="test-suspended")
        assert not connection.in_atomic_block
        with CaptureQueriesContext(connection) as ctx:
            answer = hooks.posting_check.first_answer(user=member)
        assert answer == "You can read the forums, but you cannot post until Monday."
        assert seen_atomic == [False]  # no transaction opened around the check
        assert not any("SAVEPOINT" in q["sql"].upper() for q in ctx.captured_queries)
        assert Post.objects.count() >= 0  # the connection still works
    finally:
        hooks.posting_check._receivers.clear()
        hooks.posting_check._receivers.update(saved)
