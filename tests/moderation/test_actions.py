"""Every action: its effect, its audit entry, its live events, its messages; and refusals that
change nothing (no row, no audit entry, no event)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from community import services as community_services
from community.models import PostRevision, PostState
from escalation.models import CrisisCase
from moderation import services
from moderation.models import (
    AuditEntry,
    Flag,
    FlagReason,
    MessageKind,
    ModerationMessage,
    Priority,
    ReasonSource,
    Redaction,
    ReviewItem,
    Sanction,
)
from tests.moderation.conftest import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(make_post, guide, django_capture_on_commit_callbacks):
    def make(body="Some words", source=ReasonSource.OTHER, hold=False):
        post = make_post(body=body)
        if hold:
            community_services.post_hold(post=post, reason="test")
        with django_capture_on_commit_callbacks(execute=True):
            item, _ = services.review_item_open_or_join(post=post, source=source)
            services.review_item_claim(item=item, actor=guide)
        item.refresh_from_db()
        return item

    return make


def queue_events(sent):
    return [(e, p) for e, p, g in sent if g == ["moderation.queue"]]


def test_open_join_and_priority(make_post, sent_events, django_capture_on_commit_callbacks):
    post = make_post()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        item, created = services.review_item_open_or_join(
            post=post, source=ReasonSource.WATCHED_WORD, now=now
        )
    assert created
    assert item.priority == Priority.OTHER
    assert item.due_at == now + timedelta(hours=4)
    with django_capture_on_commit_callbacks(execute=True):
        again, changed = services.review_item_open_or_join(
            post=post,
            source=ReasonSource.RISK_ASSESSMENT,
            priority=Priority.IMMINENT,
            detail={"assessment_id": 7},
            now=now + timedelta(minutes=1),
        )
        same, unchanged = services.review_item_open_or_join(
            post=post,
            source=ReasonSource.RISK_ASSESSMENT,
            priority=Priority.IMMINENT,
            detail={"assessment_id": 7},
        )
    assert again.pk == item.pk == same.pk
    assert changed
    assert not unchanged
    again.refresh_from_db()
    assert again.priority == Priority.IMMINENT
    assert again.due_at == now + timedelta(minutes=6)
    assert [r["source"] for r in again.reasons] == ["watched_word", "risk_assessment"]
    assert queue_events(sent_events) == [
        (
            "moderation.item_changed",
            {"item_id": item.pk, "status": "open", "priority": 4, "claimed_by_id": None},
        ),
        (
            "moderation.item_changed",
            {"item_id": item.pk, "status": "open", "priority": 0, "claimed_by_id": None},
        ),
    ]
    assert AuditEntry.objects.filter(object_id=str(item.pk)).count() == 2


def test_sla_is_configurable(settings, make_post):
    settings.MODERATION_SLA_SECONDS = {"flagged_risk": 60}
    now = timezone.now()
    item, _ = services.review_item_open_or_join(
        post=make_post(), source=ReasonSource.FLAG, priority=Priority.FLAGGED_RISK, now=now
    )
    assert item.due_at == now + timedelta(seconds=60)
    assert not item.is_past_due(now)
    assert item.is_past_due(now + timedelta(seconds=61))


def test_claim_then_approve_publishes_a_held_post(
    claimed, guide, sent_events, django_capture_on_commit_callbacks
):
    item = claimed(hold=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.review_item_approve(item=item, actor=guide) is True
    item.refresh_from_db()
    item.post.refresh_from_db()
    assert item.post.state == PostState.PUBLISHED
    assert (item.status, item.resolution, item.closed_by_id) == ("closed", "approved", guide.pk)
    assert item.first_action_at is not None
    assert item.claimed_by_id is None
    entry = AuditEntry.objects.get(action="moderation.post.approve")
    assert (entry.actor_id, entry.actor_role, entry.object_id) == (guide.pk, "guide", str(item.pk))
    assert ("post.published", {"thread_id": item.post.thread_id, "post_id": item.post_id}) in [
        (e, p) for e, p, _ in sent_events
    ]
    assert queue_events(sent_events)[-1][1]["status"] == "closed"


def test_acting_twice_is_refused_and_changes_nothing(
    claimed, guide, sent_events, django_capture_on_commit_callbacks
):
    item = claimed(hold=True)
    services.review_item_approve(item=item, actor=guide)
    before = snapshot()
    sent_events.clear()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(services.ItemClosed, match="already closed"),
    ):
        services.review_item_approve(item=item, actor=guide)
    assert snapshot() == before
    assert sent_events == []


def test_acting_without_a_claim_or_on_someone_elses_claim_or_expired(
    make_post, guide, other_guide, sent_events, django_capture_on_commit_callbacks
):
    item, _ = services.review_item_open_or_join(post=make_post(), source=ReasonSource.OTHER)
    before = snapshot()
    with pytest.raises(services.ClaimRequired):
        services.review_item_hide(item=item, actor=guide, reason_key="spam")
    services.review_item_claim(item=item, actor=other_guide)
    before = snapshot()
    sent_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(services.ClaimedByOther, match="GuideRowan is working on this item"):
            services.review_item_hide(item=item, actor=guide, reason_key="spam")
        with pytest.raises(services.ClaimedByOther):
            services.review_item_claim(item=item, actor=guide)
    assert snapshot() == before
    assert sent_events == []
    later = timezone.now() + timedelta(minutes=11)
    with pytest.raises(services.ClaimExpired):
        services.review_item_approve(item=item, actor=other_guide, now=later)
    assert snapshot() == before
    # Once it has expired another guide can take it over.
    assert services.review_item_claim(item=item, actor=guide, now=later) is True


def test_claiming_twice_is_idempotent(claimed, guide):
    item = claimed()
    before = snapshot()
    assert services.review_item_claim(item=item, actor=guide) is False
    assert snapshot() == before


def test_claim_next_takes_the_most_urgent(make_post, guide):
    low, _ = services.review_item_open_or_join(post=make_post(body="a"), source=ReasonSource.OTHER)
    high, _ = services.review_item_open_or_join(
        post=make_post(body="b"), source=ReasonSource.RISK_ASSESSMENT, priority=Priority.HIGH
    )
    assert services.review_item_claim_next(actor=guide).pk == high.pk
    assert services.review_item_claim_next(actor=guide).pk == low.pk
    assert services.review_item_claim_next(actor=guide) is None


def test_hide_sends_a_kind_message_and_tells_reporters_only_that_it_was_reviewed(
    make_post, member, guide, sent_events, django_capture_on_commit_callbacks
):
    post = make_post(body="buy cheap pills at example dot com")
    with django_capture_on_commit_callbacks(execute=True):
        services.flag_create(reporter=member, post=post, reason=FlagReason.SPAM)
    item = ReviewItem.objects.get(post=post)
    services.review_item_claim(item=item, actor=guide)
    sent_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.review_item_hide(item=item, actor=guide, reason_key="spam", note="Please don't advertise.")
    post.refresh_from_db()
    assert post.state == PostState.HIDDEN
    assert post.hidden_reason == "It looked like advertising or spam."
    to_author = ModerationMessage.objects.get(recipient=post.author)
    assert to_author.kind == MessageKind.POST_HIDDEN
    assert "A guide has hidden" not in to_author.body
    assert "A note from the guide: Please don't advertise." in to_author.body
    assert member.pseudonym not in to_author.body
    to_reporter = ModerationMessage.objects.get(recipient=member)
    assert to_reporter.kind == MessageKind.FLAG_REVIEWED
    assert "hidden" not in to_reporter.body.lower()
    assert Flag.objects.get(post=post).reviewed_at is not None
    messages = [(e, g) for e, p, g in sent_events if e == "moderation.message"]
    assert sorted(messages) == sorted(
        [("moderation.message", [f"user.{post.author_id}"]), ("moderation.message", [f"user.{member.pk}"])]
    )
    assert AuditEntry.objects.filter(action="moderation.post.hide", actor=guide).count() == 1


def test_hide_with_an_unknown_reason_changes_nothing(claimed, guide):
    item = claimed()
    before = snapshot()
    with pytest.raises(ValidationError):
        services.review_item_hide(item=item, actor=guide, reason_key="because")
    assert snapshot() == before


def test_redaction_keeps_the_original(claimed, guide):
    item = claimed(body="Find me at jo@example.org, I'm struggling", hold=False)
    post = item.post
    original = post.body
    services.review_item_approve_with_redaction(
        item=item, actor=guide, body="Find me at [removed], I'm struggling", reason="an email address"
    )
    post.refresh_from_db()
    assert post.body == "Find me at [removed], I'm struggling"
    assert post.state == PostState.PUBLISHED
    assert Redaction.objects.get(post=post).original_body == original
    assert PostRevision.objects.get(post=post).body == original
    assert ModerationMessage.objects.get(recipient=post.author).kind == MessageKind.POST_REDACTED
    assert AuditEntry.objects.filter(action="moderation.post.redact").count() == 1


def test_redaction_with_unchanged_text_is_refused(claimed, guide):
    item = claimed()
    before = snapshot()
    with pytest.raises(ValidationError, match="same as the original"):
        services.review_item_approve_with_redaction(item=item, actor=guide, body=item.post.body, reason="x")
    assert snapshot() == before
    assert Redaction.objects.count() == 0


def test_escalate_opens_a_crisis_case_once(claimed, guide):
    item = claimed(body="I don't think I can keep going")
    assert services.review_item_escalate(item=item, actor=guide, reason="Talks about not going on") is True
    case = CrisisCase.objects.get(member=item.post.author)
    assert case.is_active
    item.refresh_from_db()
    assert item.status == "open"
    assert item.first_action_at is not None
    assert AuditEntry.objects.get(action="moderation.post.escalate").data["case_id"] == case.pk
    before = snapshot()
    with pytest.raises(services.AlreadyDone):
        services.review_item_escalate(item=item, actor=guide, reason="again")
    assert snapshot() == before
    assert CrisisCase.objects.count() == 1


def test_dismiss_republishes_a_post_held_only_by_flags(make_post, guide, settings, member, other_member):
    settings.MODERATION_FLAG_THRESHOLD_NO_GUIDE = 2
    reporters = [member] + [
        type(member).objects.create_user(f"Reporter{i}", f"r{i}@example.org", "pw-long-enough-1")
        for i in range(2)
    ]
    post = make_post(body="An ordinary reply")
    for reporter in reporters[:2]:
        services.flag_create(reporter=reporter, post=post, reason=FlagReason.ABUSIVE)
    post.refresh_from_db()
    assert post.state == PostState.HELD  # no guide on shift: threshold 2
    item = ReviewItem.objects.get(post=post)
    assert ReasonSource.FLAG_THRESHOLD in item.sources
    threshold_reason = next(r for r in item.reasons if r["source"] == "flag_threshold")
    assert threshold_reason["detail"] == {
        "key": "threshold",
        "reporters": 2,
        "threshold": 2,
        "guide_on_shift": False,
    }
    services.review_item_claim(item=item, actor=guide)
    services.review_item_dismiss(item=item, actor=guide)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    assert ModerationMessage.objects.filter(kind=MessageKind.FLAG_REVIEWED).count() == 2


def test_flag_threshold_is_higher_with_a_guide_on_shift(make_post, guide, member, settings):
    guide.last_login = timezone.now()
    guide.save(update_fields=["last_login"])
    settings.MODERATION_FLAG_THRESHOLD = 2
    post = make_post()
    services.flag_create(reporter=member, post=post, reason=FlagReason.ABUSIVE)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    settings.MODERATION_FLAG_THRESHOLD = 1
    # A new reporter tips it over the (now lower) threshold.
    other = type(member).objects.create_user("Reporter9", "r9@example.org", "pw-long-enough-1")
    services.flag_create(reporter=other, post=post, reason=FlagReason.RISK_TO_AUTHOR)
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert ReviewItem.objects.get(post=post).priority == Priority.FLAGGED_RISK


def test_flag_bad_input_and_rules(make_post, member, other_member, commissioner, guide, settings):
    post = make_post()  # by other_member
    with pytest.raises(ValidationError):
        services.flag_create(reporter=member, post=post, reason="nonsense")
    with pytest.raises(ValidationError, match="a little about"):
        services.flag_create(reporter=member, post=post, reason=FlagReason.OTHER, note="  ")
    with pytest.raises(PermissionDenied):
        services.flag_create(reporter=other_member, post=post, reason=FlagReason.SPAM)
    with pytest.raises(PermissionDenied):
        services.flag_create(reporter=commissioner, post=post, reason=FlagReason.SPAM)
    assert Flag.objects.count() == 0
    assert ReviewItem.objects.count() == 0
    services.flag_create(reporter=member, post=post, reason=FlagReason.SPAM)
    with pytest.raises(ValidationError, match="already reported"):
        services.flag_create(reporter=member, post=post, reason=FlagReason.SPAM)
    settings.MODERATION_FLAGS_PER_HOUR = 1
    with pytest.raises(community_services.RateLimited):
        services.flag_create(reporter=member, post=make_post(body="another"), reason=FlagReason.SPAM)
    assert Flag.objects.count() == 1


def test_warn_suspend_ban_and_lift(member, guide):
    warning = services.member_warn(member=member, actor=guide, reason="Please be kinder to others.")
    assert warning.kind == "warning"
    suspension = services.member_suspend(member=member, actor=guide, reason="Repeated unkindness.", days=3)
    assert suspension.is_in_force()
    with pytest.raises(services.AlreadyDone):
        services.member_suspend(member=member, actor=guide, reason="Repeated unkindness.", days=2)
    services.member_ban(member=member, actor=guide, reason="Threats against another member.")
    with pytest.raises(services.AlreadyDone):
        services.member_ban(member=member, actor=guide, reason="Threats against another member.")
    kinds = list(
        ModerationMessage.objects.filter(recipient=member).values_list("kind", flat=True).order_by("pk")
    )
    assert kinds == ["warning", "suspension", "ban"]
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "moderation.member.warn",
        "moderation.member.suspend",
        "moderation.member.ban",
    ]
    ban = Sanction.objects.get(kind="ban")
    services.sanction_lift(sanction=ban, actor=guide, reason="Appeal accepted.")
    ban.refresh_from_db()
    assert ban.lifted_at is not None


@pytest.mark.parametrize("target", ["guide", "clinician", "admin_user", "commissioner"])
def test_staff_accounts_cannot_be_sanctioned(request, target, other_guide):
    user = request.getfixturevalue(target)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.member_suspend(member=user, actor=other_guide, reason="Testing refusals.", days=3)
    assert snapshot() == before
    assert Sanction.objects.count() == 0


def test_suspend_rejects_a_bad_period(member, guide):
    before = snapshot()
    for days in (0, -1, 400, "soon", None):
        with pytest.raises(ValidationError):
            services.member_suspend(member=member, actor=guide, reason="Repeated unkindness.", days=days)
    assert snapshot() == before


def test_members_cannot_act(claimed, member):
    item = claimed()
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.review_item_claim(item=item, actor=member)
    with pytest.raises(PermissionDenied):
        services.review_item_approve(item=item, actor=member)
    assert snapshot() == before


def test_restore_a_hidden_post(claimed, guide):
    item = claimed()
    services.review_item_hide(item=item, actor=guide, reason_key="guidelines")
    services.post_restore(post=item.post, actor=guide, reason="Looked again: it was fine.")
    item.post.refresh_from_db()
    assert item.post.state == PostState.PUBLISHED
    assert ModerationMessage.objects.filter(kind=MessageKind.POST_RESTORED).count() == 1
    with pytest.raises(services.AlreadyDone):
        services.post_restore(post=item.post, actor=guide, reason="again")
