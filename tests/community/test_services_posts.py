"""Threads and posts through services: validation, history, states, counters."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from community import services
from community.models import Post, PostRevision, PostState, Thread
from tests.community.conftest import make_post_in_state, make_thread

pytestmark = pytest.mark.django_db


def test_thread_create_makes_thread_opening_post_and_subscription(member, space):
    thread = make_thread(author=member, space=space, title="  Hello, anyone here?  ", body="**Hi** all")
    assert thread.title == "Hello, anyone here?"
    opening = thread.opening_post
    assert opening.is_opening
    assert opening.state == PostState.PUBLISHED
    assert opening.body == "**Hi** all"
    assert opening.body_html == "<p><strong>Hi</strong> all</p>\n"
    assert opening.screened_at is None
    assert opening.screening_level is None
    assert thread.subscriptions.filter(user=member).exists()
    assert thread.reply_count == 0


@pytest.mark.parametrize(
    ("title", "body", "field", "message"),
    [
        ("Hey", "Body", "title", "at least 5 characters"),
        ("    Hi      ", "Body", "title", "at least 5 characters"),
        ("x" * 151, "Body", "title", "at most 150 characters"),
        ("A good title", "", "body", "Please write something"),
        ("A good title", "   \n\t  ", "body", "Please write something"),
        ("A good title", "x" * 10_001, "body", "at most 10,000 characters"),
    ],
)
def test_thread_create_rejects_bad_input_and_saves_nothing(member, space, title, body, field, message):
    with pytest.raises(ValidationError) as excinfo:
        services.thread_create(author=member, space=space, title=title, body=body)
    assert message in " ".join(excinfo.value.message_dict[field])
    assert Thread.objects.count() == 0
    assert Post.objects.count() == 0


def test_limits_are_inclusive(member, space):
    thread = services.thread_create(author=member, space=space, title="x" * 150, body="y" * 10_000)
    assert len(thread.title) == 150
    assert services.post_create(author=member, thread=thread, body="z").body == "z"
    assert make_thread(author=member, space=space, title="12345").title == "12345"


def test_post_create_rejects_empty_and_oversized(member, other_member, space):
    thread = make_thread(author=member, space=space)
    for body in ("", "  ", "x" * 10_001):
        with pytest.raises(ValidationError):
            services.post_create(author=other_member, thread=thread, body=body)
    assert Post.objects.count() == 1
    thread.refresh_from_db()
    assert thread.reply_count == 0


def test_restricted_space_refuses_outsiders(outsider, member, org_space):
    with pytest.raises(PermissionDenied):
        services.thread_create(author=outsider, space=org_space, title="Let me in", body="hello")
    thread = make_thread(author=member, space=org_space)
    with pytest.raises(PermissionDenied):
        services.post_create(author=outsider, thread=thread, body="hello")
    assert Post.objects.count() == 1


def test_commissioner_cannot_post(commissioner, space, member):
    with pytest.raises(PermissionDenied, match="aggregate"):
        services.thread_create(author=commissioner, space=space, title="Just looking", body="hi")
    assert Thread.objects.count() == 0


def test_edit_keeps_history_and_rerenders(member, space):
    thread = make_thread(author=member, space=space, title="First title", body="first")
    post = thread.opening_post
    services.post_edit(actor=member, post=post, body="*second*", title="Second title")
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.body == "*second*"
    assert post.body_html == "<p><em>second</em></p>\n"
    assert post.edited_at is not None
    assert thread.title == "Second title"
    revision = PostRevision.objects.get(post=post)
    assert revision.body == "first"
    assert revision.title == "First title"
    assert revision.editor == member


def test_edit_with_same_text_makes_no_revision(member, space):
    post = make_thread(author=member, space=space, body="same").opening_post
    services.post_edit(actor=member, post=post, body="same  ")
    assert PostRevision.objects.count() == 0


def test_editing_someone_elses_post_is_refused_and_changes_nothing(member, other_member, space):
    post = make_thread(author=member, space=space, body="mine").opening_post
    with pytest.raises(PermissionDenied, match="your own"):
        services.post_edit(actor=other_member, post=post, body="hacked")
    post.refresh_from_db()
    assert post.body == "mine"
    assert PostRevision.objects.count() == 0


def test_edit_rejects_bad_body(member, space):
    post = make_thread(author=member, space=space, body="mine").opening_post
    with pytest.raises(ValidationError):
        services.post_edit(actor=member, post=post, body="   ")
    post.refresh_from_db()
    assert post.body == "mine"
    assert PostRevision.objects.count() == 0


def test_deleting_someone_elses_post_is_refused(member, other_member, space):
    post = make_thread(author=member, space=space).opening_post
    with pytest.raises(PermissionDenied):
        services.post_remove(post=post, actor=other_member)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED


def test_author_delete_keeps_the_row(member, other_member, space):
    thread = make_thread(author=member, space=space)
    reply = services.post_create(author=other_member, thread=thread, body="reply")
    assert services.post_remove(post=reply, actor=other_member) is True
    assert services.post_remove(post=reply, actor=other_member) is False
    reply.refresh_from_db()
    assert reply.state == PostState.REMOVED
    assert reply.body == "reply"
    thread.refresh_from_db()
    assert thread.reply_count == 0
    assert thread.first_response_at is None


def test_state_services_are_idempotent_and_report_change(member, other_member, guide, space):
    thread = make_thread(author=member, space=space)
    post = services.post_create(author=other_member, thread=thread, body="reply")
    assert services.post_hold(post=post, reason="triage") is True
    assert services.post_hold(post=post, reason="triage") is False
    assert services.post_publish(post=post, actor=guide) is True
    assert services.post_publish(post=post, actor=guide) is False
    assert services.post_hide(post=post, actor=guide, reason="Names a real person") is True
    assert services.post_hide(post=post, actor=guide, reason="Again") is False
    post.refresh_from_db()
    assert post.hidden_reason == "Names a real person"
    assert post.state_changed_by == guide
    assert services.post_restore(post=post, actor=guide) is True
    assert services.post_restore(post=post, actor=guide) is False
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED


def test_members_cannot_moderate(member, other_member, space):
    post = make_thread(author=member, space=space).opening_post
    with pytest.raises(PermissionDenied):
        services.post_hide(post=post, actor=other_member, reason="I don't like it")
    with pytest.raises(PermissionDenied):
        services.post_hold(post=post, actor=other_member)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED


def test_hide_needs_a_reason(member, guide, space):
    post = make_thread(author=member, space=space).opening_post
    with pytest.raises(ValidationError):
        services.post_hide(post=post, actor=guide, reason="  ")
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED


def test_state_check_constraint(member, space):
    from django.db import IntegrityError, transaction

    post = make_thread(author=member, space=space).opening_post
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.filter(pk=post.pk).update(state="deleted")


def test_counters_follow_visible_replies(member, other_member, guide, space):
    thread = make_thread(author=member, space=space)
    own = services.post_create(author=member, thread=thread, body="bump")
    thread.refresh_from_db()
    assert thread.reply_count == 1
    assert thread.first_response_at is None  # the author's own reply is not an answer
    assert thread.last_activity_at == own.created_at
    reply = services.post_create(author=other_member, thread=thread, body="I hear you")
    thread.refresh_from_db()
    assert thread.reply_count == 2
    assert thread.first_response_at == reply.created_at
    assert thread.last_activity_at == reply.created_at
    services.post_hide(post=reply, actor=guide, reason="test")
    thread.refresh_from_db()
    assert thread.reply_count == 1
    assert thread.first_response_at is None
    assert thread.last_activity_at == own.created_at


def test_held_reply_does_not_count(member, other_member, space):
    thread = make_thread(author=member, space=space)
    make_post_in_state(author=other_member, thread=thread, state=PostState.HELD)
    thread.refresh_from_db()
    assert thread.reply_count == 0
    assert thread.first_response_at is None


def test_replies_need_a_visible_opening_post(member, other_member, guide, space):
    thread = make_thread(author=member, space=space)
    services.post_hold(post=thread.opening_post, reason="triage")
    with pytest.raises(PermissionDenied):
        services.post_create(author=other_member, thread=thread, body="hello")
    assert Post.objects.count() == 1


def test_nul_bytes_are_stripped(member, space):
    thread = make_thread(author=member, space=space, title="Nul\x00 title", body="a\x00b")
    assert thread.title == "Nul title"
    assert thread.opening_post.body == "ab"
