"""Pages: who gets in, the queue in order, acting from the item page, query budgets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.models import PostState
from moderation import services
from moderation.models import FlagReason, ModerationMessage, Priority, ReasonSource, ReviewItem
from tests.factories import TEST_PASSWORD, UserFactory
from tests.moderation.conftest import enable_totp

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.pseudonym, password=TEST_PASSWORD)
    return client


@pytest.mark.parametrize("name", ["moderation:queue", "moderation:dashboard", "moderation:watched-words"])
def test_members_and_commissioners_cannot_reach_staff_pages(client, member, commissioner, name):
    for user in (member, commissioner):
        login(client, user)
        assert client.get(reverse(name)).status_code == 403


def test_clinician_cannot_see_the_queue(client, clinician):
    enable_totp(clinician)
    login(client, clinician)
    assert client.get(reverse("moderation:queue")).status_code == 403


def test_guide_without_totp_is_sent_to_set_it_up(client, db):
    guide = UserFactory(pseudonym="NewGuide", role="guide", totp=False)
    login(client, guide)
    response = client.get(reverse("moderation:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    enable_totp(guide)
    assert client.get(reverse("moderation:queue")).status_code == 200


def test_audit_log_is_for_admins_only(client, guide, admin_user):
    login(client, guide)
    assert client.get(reverse("moderation:audit-log")).status_code == 403
    login(client, admin_user)
    assert client.get(reverse("moderation:audit-log")).status_code == 200


def test_queue_lists_by_priority_then_age_and_marks_past_due(client, guide, make_post):
    now = timezone.now()
    old_other = make_post(body="one")
    moderate = make_post(body="two")
    imminent = make_post(body="three")
    services.review_item_open_or_join(post=old_other, source=ReasonSource.OTHER, now=now - timedelta(hours=5))
    services.review_item_open_or_join(
        post=moderate, source=ReasonSource.RISK_ASSESSMENT, priority=Priority.MODERATE
    )
    services.review_item_open_or_join(
        post=imminent, source=ReasonSource.RISK_ASSESSMENT, priority=Priority.IMMINENT
    )
    login(client, guide)
    html = client.get(reverse("moderation:queue")).content.decode()
    order = [ReviewItem.objects.get(post=p).pk for p in (imminent, moderate, old_other)]
    positions = [html.index(f'id="item-{pk}"') for pk in order]
    assert positions == sorted(positions)
    old_item = ReviewItem.objects.get(post=old_other)
    assert f'queue-item--p4 past-due" id="item-{old_item.pk}"' in html
    assert html.count('past-due"') == 1


def test_queue_page_query_count_is_fixed(client, guide, make_post, django_assert_max_num_queries):
    login(client, guide)
    for i in range(3):
        services.review_item_open_or_join(post=make_post(body=f"post {i}"), source=ReasonSource.OTHER)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("moderation:queue")).status_code == 200
    for i in range(25):
        post = make_post(body=f"more {i}")
        services.review_item_open_or_join(post=post, source=ReasonSource.OTHER)
    with CaptureQueriesContext(connection) as large:
        assert client.get(reverse("moderation:queue")).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_member_reports_guide_hides_author_reads_message(client, member, other_member, guide, make_post):
    post = make_post(body="You are all pathetic.")  # written by other_member
    login(client, member)
    response = client.post(reverse("moderation:flag-post", args=[post.pk]), {"reason": FlagReason.ABUSIVE})
    assert response.status_code == 302
    item = ReviewItem.objects.get(post=post)
    login(client, guide)
    assert client.post(reverse("moderation:item-action", args=[item.pk, "claim"])).status_code == 302
    response = client.post(
        reverse("moderation:item-action", args=[item.pk, "hide"]), {"reason_key": "abusive"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.state == PostState.HIDDEN
    login(client, other_member)
    page = client.get(reverse("moderation:messages")).content.decode()
    assert "because it was unkind to another member" in page
    assert member.pseudonym not in page  # the reporter is never named
    assert ModerationMessage.objects.get(recipient=other_member).read_at is not None
    login(client, member)
    assert "A guide has reviewed this." in client.get(reverse("moderation:my-reports")).content.decode()


def test_acting_on_an_item_another_guide_holds_is_refused(client, guide, other_guide, make_post):
    item, _ = services.review_item_open_or_join(post=make_post(), source=ReasonSource.OTHER)
    services.review_item_claim(item=item, actor=other_guide)
    login(client, guide)
    response = client.post(reverse("moderation:item-action", args=[item.pk, "approve"]))
    assert response.status_code == 409
    assert "GuideRowan is working on this item" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "open"


def test_item_page_highlights_identifying_details(client, guide, make_post):
    post = make_post(body="Text me on 07700 900123 any time")
    item = ReviewItem.objects.get(post=post)
    assert ReasonSource.IDENTIFYING_INFO in item.sources
    login(client, guide)
    html = client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert '<mark title="phone identifying">07700 900123</mark>' in html


def test_queue_page_query_budget_is_exact(client, guide, member, make_post, django_assert_num_queries):
    """session, user, TOTP check, items (with post, thread, space, author, concern, claimant),
    flags, assessments, counts, triage banner (2)."""
    from escalation import services as escalation_services

    login(client, guide)
    for i in range(5):
        services.review_item_open_or_join(post=make_post(body=f"post {i}"), source=ReasonSource.OTHER)
    concern = escalation_services.member_concern_raise(
        member=member, level="moderate", source="self_assessment", summary="PHQ-9 item 9: several days"
    )
    services.review_item_open_or_join(concern=concern, source=ReasonSource.MEMBER_CONCERN)
    with django_assert_num_queries(9):
        response = client.get(reverse("moderation:queue"))
    assert response.content.decode().count("data-item-id=") == 6
