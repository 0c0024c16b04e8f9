"""Check-in reminders: Kindred's own notifications, with a link and no actor, thread or post."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from community import selectors, services
from community.models import Notification, NotificationKind, Post
from tests.community.conftest import make_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINK = "/checkins/"


def test_reminder_appears_counts_and_opens_its_link(client, member):
    reminder = services.notification_create_reminder(recipient=member, link=LINK)
    assert (reminder.kind, reminder.link) == (NotificationKind.CHECKIN_REMINDER, LINK)
    assert (reminder.actor_id, reminder.thread_id, reminder.post_id) == (None, None, None)
    assert list(selectors.notifications_for(member)) == [reminder]
    assert selectors.notifications_unread_count(user=member) == 1
    assert selectors.notifications_unread_counts(user_ids=[member.pk]) == {member.pk: 1}

    client.force_login(member)
    page = client.get(reverse("community:notifications"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "since your last check-in" in html
    assert 'data-unread-count="1"' in html
    response = client.post(reverse("community:notification-open", args=[reminder.pk]))
    assert response.status_code == 302
    assert response.url == LINK
    reminder.refresh_from_db()
    assert reminder.read_at is not None
    assert selectors.notifications_unread_count(user=member) == 0


def test_reminders_sit_among_replies_for_members_in_an_organisation_and_staff(
    member, other_member, guide, space
):
    """Both shapes of the visibility filter (with and without an organisation, staff) keep them."""
    thread = make_thread(author=member, space=space)
    services.post_create(author=other_member, thread=thread, body="A reply for you.")
    services.notification_create_reminder(recipient=member, link=LINK)
    kinds = sorted(selectors.notifications_for(member).values_list("kind", flat=True))
    assert kinds == ["checkin_reminder", "reply"]
    assert member.organisation_id is not None
    assert selectors.notifications_unread_count(user=member) == 2
    services.notification_create_reminder(recipient=other_member, link=LINK)
    assert other_member.organisation_id is None
    assert selectors.notifications_unread_count(user=other_member) == 1
    services.notification_create_reminder(recipient=guide, link=LINK)
    assert selectors.notifications_unread_count(user=guide) == 1
    # Someone else's reminder is never yours.
    assert selectors.notifications_for(other_member).filter(recipient=member).count() == 0


@pytest.mark.parametrize(
    "link", ["https://elsewhere.example/", "//elsewhere.example/", "checkins/", "", "/\\elsewhere", "/a b"]
)
def test_links_off_this_site_are_refused_and_nothing_is_saved(member, link):
    with pytest.raises(ValidationError):
        services.notification_create_reminder(recipient=member, link=link)
    assert not Notification.objects.exists()


def test_database_keeps_forum_and_system_kinds_apart(member, other_member, space):
    thread = make_thread(author=member, space=space)
    post = Post.objects.filter(thread=thread).get()
    bad_rows = [
        # A reply must say who, where and what.
        {"kind": NotificationKind.REPLY, "thread": thread, "post": post},
        {"kind": NotificationKind.REACTION, "actor": other_member},
        # A reminder has no actor, thread or post, and must have a link on this site.
        {"kind": NotificationKind.CHECKIN_REMINDER, "link": ""},
        {"kind": NotificationKind.CHECKIN_REMINDER, "link": "//elsewhere.example/"},
        {"kind": NotificationKind.CHECKIN_REMINDER, "link": LINK, "post": post, "thread": thread},
        # A reply has no link.
        {
            "kind": NotificationKind.REPLY,
            "actor": other_member,
            "thread": thread,
            "post": post,
            "link": "/x/",
        },
    ]
    for fields in bad_rows:
        with pytest.raises(IntegrityError), transaction.atomic():
            Notification.objects.create(recipient=member, **fields)
    assert not Notification.objects.exists()


def test_api_lists_reminders_with_null_post_thread_and_actor(member, other_member, space):
    thread = make_thread(author=member, space=space)
    services.post_create(author=other_member, thread=thread, body="A reply for you.")
    reminder = services.notification_create_reminder(recipient=member, link=LINK)
    client = APIClient()
    client.force_authenticate(member)
    response = client.get("/api/v1/notifications/")
    assert response.status_code == 200
    body = response.json()
    assert body["unread_count"] == 2
    rows = {row["kind"]: row for row in body["results"]}
    assert rows["checkin_reminder"] == {
        "id": reminder.pk,
        "kind": "checkin_reminder",
        "actor": None,
        "thread": None,
        "post": None,
        "link": LINK,
        "reaction_kind": None,
        "created_at": rows["checkin_reminder"]["created_at"],
        "read_at": None,
        "is_read": False,
    }
    assert rows["reply"]["link"] is None
    assert rows["reply"]["thread"]["title"] == thread.title
    assert client.get("/api/v1/notifications/unread-count/").json()["unread_count"] == 2


def test_notifications_page_query_count_is_fixed_with_reminders(
    client, member, space, django_assert_num_queries
):
    thread = make_thread(author=member, space=space)
    client.force_login(member)
    for i in range(2):
        services.post_create(author=UserFactory(), thread=thread, body=f"reply {i}")
        services.notification_create_reminder(recipient=member, link=LINK)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("community:notifications")).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(13):
        services.post_create(author=UserFactory(), thread=thread, body=f"more {i}")
        services.notification_create_reminder(recipient=member, link=LINK)
    assert count() == small
    # session, user, notifications, unread count, unread badge, messages from the guides (moderation)
    with django_assert_num_queries(6):
        response = client.get(reverse("community:notifications"))
    assert len(response.context["page"].items) == 30


def test_digest_mentions_the_reminder_without_detail(member, mailoutbox):
    services.preference_update(user=member, email_digest=True)
    services.notification_create_reminder(recipient=member, link=LINK)
    assert services.digest_send(user_id=member.pk) is True
    assert "invitation to a check-in" in mailoutbox[0].body
