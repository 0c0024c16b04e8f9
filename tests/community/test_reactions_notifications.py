"""Reactions, following, notifications, blocking and the email digest."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from community import hooks, selectors, services
from community.models import MemberControlKind, Notification, NotificationKind, PostState, Reaction
from tests.community.conftest import make_post_in_state, make_thread

pytestmark = pytest.mark.django_db


def test_reaction_add_and_notify(member, other_member, space):
    post = make_thread(author=member, space=space).opening_post
    reaction = services.reaction_add(user=other_member, post=post, kind="support")
    assert reaction.kind == "support"
    notification = Notification.objects.get()
    assert notification.recipient == member
    assert notification.actor == other_member
    assert notification.kind == NotificationKind.REACTION
    assert notification.reaction_kind == "support"
    assert selectors.notifications_unread_count(user=member) == 1


def test_reacting_twice_is_a_clear_error_and_changes_nothing(member, other_member, space):
    post = make_thread(author=member, space=space).opening_post
    services.reaction_add(user=other_member, post=post, kind="me_too")
    with pytest.raises(ValidationError, match="already reacted with “Me too”"):
        services.reaction_add(user=other_member, post=post, kind="me_too")
    assert Reaction.objects.count() == 1
    assert Notification.objects.count() == 1


def test_different_kinds_are_allowed_and_removal_works(member, other_member, space):
    post = make_thread(author=member, space=space).opening_post
    services.reaction_add(user=other_member, post=post, kind="support")
    services.reaction_add(user=other_member, post=post, kind="thank_you")
    assert services.reaction_remove(user=other_member, post=post, kind="support") is True
    assert services.reaction_remove(user=other_member, post=post, kind="support") is False
    assert list(Reaction.objects.values_list("kind", flat=True)) == ["thank_you"]


def test_unknown_reaction_kind_and_downvotes_are_refused(member, other_member, space):
    post = make_thread(author=member, space=space).opening_post
    for kind in ("downvote", "like", ""):
        with pytest.raises(ValidationError):
            services.reaction_add(user=other_member, post=post, kind=kind)
    assert Reaction.objects.count() == 0


def test_cannot_react_to_own_or_invisible_posts(member, other_member, guide, space):
    thread = make_thread(author=member, space=space)
    with pytest.raises(PermissionDenied):
        services.reaction_add(user=member, post=thread.opening_post, kind="support")
    held = make_post_in_state(author=other_member, thread=thread, state=PostState.HELD)
    with pytest.raises(PermissionDenied):
        services.reaction_add(user=member, post=held, kind="support")
    assert Reaction.objects.count() == 0


def test_reply_notifies_followers_but_not_the_author(member, other_member, guide, space):
    thread = make_thread(author=member, space=space)
    services.subscription_follow(user=guide, thread=thread)
    services.post_create(author=other_member, thread=thread, body="You're not alone")
    assert sorted(Notification.objects.values_list("recipient__pseudonym", flat=True)) == [
        "GentleOtter",
        "GuideWillow",
    ]
    services.post_create(author=member, thread=thread, body="Thank you")
    assert Notification.objects.filter(recipient=member).count() == 1


def test_unfollow_stops_notifications(member, other_member, space):
    thread = make_thread(author=member, space=space)
    assert services.subscription_unfollow(user=member, thread=thread) is True
    assert services.subscription_unfollow(user=member, thread=thread) is False
    services.post_create(author=other_member, thread=thread, body="hello")
    assert Notification.objects.count() == 0
    assert services.subscription_follow(user=member, thread=thread) is True
    assert services.subscription_follow(user=member, thread=thread) is False


def test_held_reply_notifies_nobody_until_published_and_only_once(member, other_member, guide, space):
    thread = make_thread(author=member, space=space)
    hooks.post_submitted.connect(lambda *, post, decision: decision.hold(reason="triage"), dispatch_uid="t")
    try:
        post = services.post_create(author=other_member, thread=thread, body="held words")
    finally:
        hooks.post_submitted.disconnect(dispatch_uid="t")
    assert post.state == PostState.HELD
    assert Notification.objects.count() == 0
    services.post_publish(post=post, actor=guide)
    assert Notification.objects.count() == 1
    services.post_hide(post=post, actor=guide, reason="x")
    services.post_restore(post=post, actor=guide)
    assert Notification.objects.count() == 1


def test_post_held_after_publication_vanishes_from_notifications(member, other_member, guide, space):
    thread = make_thread(author=member, space=space)
    make_post_in_state(author=other_member, thread=thread, state=PostState.HELD)
    assert Notification.objects.count() == 1  # sent while it was visible
    assert selectors.notifications_unread_count(user=member) == 0
    assert selectors.notifications_page(user=member).items == []


def test_hidden_post_disappears_from_notifications(member, other_member, guide, space, client):
    thread = make_thread(author=member, space=space, title="Hard times")
    post = services.post_create(author=other_member, thread=thread, body="something")
    assert selectors.notifications_unread_count(user=member) == 1
    services.post_hide(post=post, actor=guide, reason="x")
    assert selectors.notifications_unread_count(user=member) == 0
    assert selectors.notifications_page(user=member).items == []


def test_hidden_thread_hides_reaction_and_reply_notifications_from_others(member, other_member, guide, space):
    thread = make_thread(author=member, space=space)
    reply = services.post_create(author=other_member, thread=thread, body="reply")
    services.reaction_add(user=member, post=reply, kind="thank_you")
    services.subscription_follow(user=guide, thread=thread)
    assert selectors.notifications_unread_count(user=other_member) == 1
    services.post_hide(post=thread.opening_post, actor=guide, reason="x")
    assert selectors.notifications_unread_count(user=other_member) == 0


def test_block_stops_notifications(member, other_member, space):
    thread = make_thread(author=member, space=space)
    services.member_control_set(owner=member, target=other_member, kind=MemberControlKind.BLOCK, enabled=True)
    reply = services.post_create(author=other_member, thread=thread, body="reply")
    services.reaction_add(user=other_member, post=thread.opening_post, kind="support")
    assert Notification.objects.filter(recipient=member).count() == 0
    services.reaction_add(user=member, post=reply, kind="support")  # the blocker can still react
    assert Notification.objects.filter(recipient=other_member).count() == 1


def test_block_after_the_fact_hides_existing_notifications(member, other_member, space):
    thread = make_thread(author=member, space=space)
    services.post_create(author=other_member, thread=thread, body="reply")
    assert selectors.notifications_unread_count(user=member) == 1
    services.member_control_set(owner=member, target=other_member, kind=MemberControlKind.BLOCK, enabled=True)
    assert selectors.notifications_unread_count(user=member) == 0


def test_cannot_mute_self_or_staff(member, guide):
    with pytest.raises(PermissionDenied):
        services.member_control_set(owner=member, target=member, kind=MemberControlKind.MUTE, enabled=True)
    with pytest.raises(PermissionDenied):
        services.member_control_set(owner=member, target=guide, kind=MemberControlKind.BLOCK, enabled=True)


def test_mark_read(member, other_member, space):
    thread = make_thread(author=member, space=space)
    services.post_create(author=other_member, thread=thread, body="one")
    services.post_create(author=other_member, thread=thread, body="two")
    first = Notification.objects.order_by("id").first()
    assert services.notifications_mark_read(user=member, notification_ids=[first.pk]) == 1
    assert selectors.notifications_unread_count(user=member) == 1
    assert services.notifications_mark_read(user=other_member) == 0  # not theirs
    assert services.notifications_mark_read(user=member) == 1
    assert services.notifications_mark_read(user=member) == 0


def test_digest_is_off_by_default(member, other_member, space):
    thread = make_thread(author=member, space=space)
    services.post_create(author=other_member, thread=thread, body="reply")
    call_command("send_digests")
    assert mail.outbox == []


def test_digest_sends_counts_only_once(member, other_member, space):
    services.preference_update(user=member, email_digest=True)
    thread = make_thread(author=member, space=space, title="Very private title")
    services.post_create(author=other_member, thread=thread, body="secret reply words")
    services.reaction_add(user=other_member, post=thread.opening_post, kind="support")
    call_command("send_digests")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [member.email]
    assert "1 new reply in threads you follow" in message.body
    assert "1 person reacted to your posts" in message.body
    assert "secret reply words" not in message.body
    assert "Very private title" not in message.body
    assert "BraveHeron" not in message.body
    call_command("send_digests")
    assert len(mail.outbox) == 1


def test_digest_skips_held_and_hidden(member, other_member, guide, space):
    services.preference_update(user=member, email_digest=True)
    thread = make_thread(author=member, space=space)
    make_post_in_state(author=other_member, thread=thread, state=PostState.HELD)
    post = services.post_create(author=other_member, thread=thread, body="later hidden")
    services.post_hide(post=post, actor=guide, reason="x")
    assert services.digest_send(user_id=member.pk) is False
    assert mail.outbox == []
