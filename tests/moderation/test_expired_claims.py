"""Claims that ran out: shown as expired in the queue, released by a guide's button or by the
beat task, each release attributed and audited; live claims are never touched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation import services
from moderation.models import ActionKind, AuditEntry, ReasonSource, ReviewItem
from moderation.tasks import release_expired_claims
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.pseudonym, password=TEST_PASSWORD)
    return client


@pytest.fixture
def items(make_post, guide, other_guide):
    expired, live, free = (
        services.review_item_open_or_join(post=make_post(body=f"post {i}"), source=ReasonSource.OTHER)[0]
        for i in range(3)
    )
    services.review_item_claim(item=expired, actor=guide, now=timezone.now() - timedelta(hours=2))
    services.review_item_claim(item=live, actor=other_guide)
    return expired, live, free


def test_beat_task_releases_only_expired_claims(
    items, guide, other_guide, sent_events, django_capture_on_commit_callbacks
):
    expired, live, _free = items
    with django_capture_on_commit_callbacks(execute=True):
        assert release_expired_claims() == 1
    assert sent_events == [
        (
            "moderation.item_changed",
            {"item_id": expired.pk, "status": "open", "priority": expired.priority, "claimed_by_id": None},
            ["moderation.queue"],
        )
    ]
    expired.refresh_from_db()
    live.refresh_from_db()
    assert expired.claimed_by_id is None
    assert expired.claim_expires_at is None
    assert live.claimed_by == other_guide
    action = expired.actions.get(kind=ActionKind.RELEASE)
    assert action.actor is None
    assert action.data == {"expired": True, "previous_claimant_id": guide.pk}
    entry = AuditEntry.objects.get(action="moderation.item.release_expired")
    assert entry.object_id == str(expired.pk)
    assert entry.actor is None
    assert release_expired_claims() == 0  # idempotent


def test_the_old_claimant_must_claim_again(items, guide):
    expired, _, _ = items
    release_expired_claims()
    with pytest.raises(services.ClaimRequired):
        services.review_item_approve(item=expired, actor=guide)


def test_queue_marks_expired_claims_and_the_button_releases_them(client, items, guide, other_guide):
    expired, live, _ = items
    login(client, other_guide)
    html = client.get(reverse("moderation:queue")).content.decode()
    assert f"claim by {guide.pseudonym} expired" in html
    assert f"claimed by {other_guide.pseudonym}" in html
    assert "Release 1 expired claim<" in html
    response = client.post(reverse("moderation:release-expired"), follow=True)
    assert response.status_code == 200
    assert "Released 1 expired claim." in response.content.decode()
    expired.refresh_from_db()
    assert expired.claimed_by_id is None
    assert expired.actions.get(kind=ActionKind.RELEASE).actor == other_guide
    assert AuditEntry.objects.get(action="moderation.item.release_expired").actor == other_guide
    assert ReviewItem.objects.get(pk=live.pk).claimed_by == other_guide
    assert "expired claim" not in client.get(reverse("moderation:queue")).content.decode()


def test_members_cannot_release_claims(client, items, member):
    login(client, member)
    assert client.post(reverse("moderation:release-expired")).status_code == 403
    assert ReviewItem.objects.filter(claimed_by__isnull=False).count() == 2
    assert not AuditEntry.objects.filter(action="moderation.item.release_expired").exists()
