"""What members see of moderation on the forum pages: "Report" on others' posts, messages from
the guides on the notifications page, and links to their messages and reports."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from moderation import services
from moderation.models import FlagReason, MessageKind, ModerationMessage, ReviewItem
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.pseudonym, password=TEST_PASSWORD)
    return client


def test_report_link_on_other_members_posts_only(client, member, thread, make_post):
    reply = make_post(body="A reply from someone else.")  # by other_member
    login(client, member)
    html = client.get(reverse("community:thread-detail", args=[thread.pk])).content.decode()
    report_url = reverse("moderation:flag-post", args=[reply.pk])
    assert f'href="{report_url}"' in html
    # Not on the member's own opening post.
    assert reverse("moderation:flag-post", args=[thread.opening_post_id]) not in html


def test_no_report_link_for_staff(client, guide, thread, make_post):
    make_post(body="A reply.")
    login(client, guide)
    html = client.get(reverse("community:thread-detail", args=[thread.pk])).content.decode()
    assert "flag-link" not in html


def test_report_link_adds_no_queries_to_the_thread_page(client, member, thread, make_post):
    make_post(body="first")
    login(client, member)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("community:thread-detail", args=[thread.pk]))
    for i in range(20):
        make_post(body=f"reply {i}")
    with CaptureQueriesContext(connection) as large:
        html = client.get(reverse("community:thread-detail", args=[thread.pk])).content.decode()
    assert html.count("flag-link") == 21
    assert len(large.captured_queries) == len(small.captured_queries)


def test_hidden_post_message_shows_on_the_notifications_page(client, member, other_member, guide, make_post):
    post = make_post(body="You are all pathetic.")
    services.flag_create(reporter=member, post=post, reason=FlagReason.ABUSIVE)
    item = ReviewItem.objects.get(post=post)
    services.review_item_claim(item=item, actor=guide)
    services.review_item_hide(item=item, actor=guide, reason_key="abusive", note="Please be kind.")
    login(client, other_member)
    html = client.get(reverse("community:notifications")).content.decode()
    assert 'id="moderation-messages-panel"' in html
    assert "Your post was hidden" in html
    assert "1 unread" in html
    assert "Please be kind." in html
    assert reverse("moderation:messages") in html
    assert reverse("community:post-jump", args=[post.pk]) in html
    # The reporter learns only that a guide has reviewed it, on their reports page.
    client.logout()
    login(client, member)
    notifications = client.get(reverse("community:notifications")).content.decode()
    assert "A guide has reviewed a post you reported" in notifications
    assert "pathetic" not in notifications
    reports = client.get(reverse("moderation:my-reports")).content.decode()
    assert "A guide has reviewed this." in reports
    assert reverse("moderation:my-reports") in reports or reverse("moderation:my-reports") in notifications


def test_messages_panel_is_one_query_whatever_the_number_of_messages(client, member):
    login(client, member)
    with CaptureQueriesContext(connection) as none:
        client.get(reverse("community:notifications"))
    ModerationMessage.objects.bulk_create(
        [
            ModerationMessage(recipient=member, kind=MessageKind.WARNING, body=f"warning {i}")
            for i in range(12)
        ]
    )
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("community:notifications")).content.decode()
    assert len(many.captured_queries) == len(none.captured_queries)
    assert "12 unread" in html
    assert html.count("A warning from the guides") == 3


def test_nav_links_to_messages_and_reports_for_members(client, member, space):
    login(client, member)
    html = client.get(reverse("community:notifications")).content.decode()
    assert reverse("moderation:my-reports") in html
    assert reverse("moderation:messages") in html


def test_other_members_never_see_the_panel_of_someone_else(client, member, other_member):
    ModerationMessage.objects.create(recipient=other_member, kind=MessageKind.WARNING, body="private words")
    login(client, member)
    html = client.get(reverse("community:notifications")).content.decode()
    assert "private words" not in html
