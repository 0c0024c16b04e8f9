"""Concerns that are not posts (a PHQ-9 item 9 answer above 0): escalation records them, the
review queue gets moderate and above after commit, imminent opens a crisis case and alerts the
clinicians on duty, and a lost hand-off is re-driven by the safety sweeper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escalation import services as escalation_services
from escalation import tasks as escalation_tasks
from escalation.models import Alert, CaseEvent, CrisisCase, MemberConcern, Shift
from moderation import services
from moderation.models import (
    ActionKind,
    AuditEntry,
    ItemStatus,
    Priority,
    ReasonSource,
    Resolution,
    ReviewItem,
)
from tests.factories import TEST_PASSWORD, UserFactory
from tests.moderation.conftest import snapshot

pytestmark = pytest.mark.django_db

SUMMARY = "PHQ-9 item 9 (thoughts of being better off dead): 'nearly every day'"


@pytest.fixture(autouse=True)
def _alert_settings(settings):
    settings.ESCALATION_ALERT_CHANNELS = ["inapp"]
    settings.KINDRED_SITE_URL = "http://testserver"


@pytest.fixture
def on_duty(db):
    clinician = UserFactory(pseudonym="DrOnDuty", role="clinician")
    start = timezone.now() - timedelta(hours=1)
    Shift.objects.create(clinician=clinician, tier="primary", start=start, end=start + timedelta(hours=8))
    return clinician


def raise_concern(member, level, **extra):
    return escalation_services.member_concern_raise(
        member=member,
        level=level,
        source="self_assessment",
        summary=SUMMARY,
        detail={"instrument": "phq9", "item": 9, "answer": 3},
        **extra,
    )


def login(client, user):
    assert client.login(username=user.pseudonym, password=TEST_PASSWORD)
    return client


def test_moderate_concern_reaches_the_queue_after_commit(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        concern = raise_concern(member, "moderate")
        assert not ReviewItem.objects.exists()  # nothing before commit
    concern.refresh_from_db()
    item = ReviewItem.objects.get(concern=concern)
    assert item.post_id is None
    assert item.status == ItemStatus.OPEN
    assert item.priority == Priority.MODERATE
    assert item.sources == [ReasonSource.MEMBER_CONCERN]
    assert item.reasons[0]["detail"]["concern_id"] == concern.pk
    assert concern.handed_off_at is not None
    assert concern.case_id is None
    assert not CrisisCase.objects.exists()


def test_high_concern_is_queued_high_without_a_case_like_a_high_post(
    member, on_duty, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        concern = raise_concern(member, "high")
    assert ReviewItem.objects.get(concern=concern).priority == Priority.HIGH
    assert not CrisisCase.objects.exists()
    assert not Alert.objects.exists()


def test_imminent_concern_opens_a_case_in_the_callers_transaction_and_alerts_on_duty(
    member, on_duty, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        concern = raise_concern(member, "imminent")
        # The case is part of the caller's transaction: it exists before the commit.
        case = CrisisCase.objects.get(member=member)
    concern.refresh_from_db()
    assert concern.case_id == case.pk
    assert case.level == "imminent"
    assert case.status == "open"
    assert list(Alert.objects.filter(case=case).values_list("recipient__pseudonym", flat=True)) == [
        "DrOnDuty"
    ]
    opened = CaseEvent.objects.get(case=case, kind="opened")
    assert opened.text == SUMMARY
    assert opened.data == {"concern_id": concern.pk, "source": "self_assessment", "level": "imminent"}
    item = ReviewItem.objects.get(concern=concern)
    assert item.priority == Priority.IMMINENT
    assert item.reasons[0]["detail"]["case_id"] == case.pk
    assert concern.handed_off_at is not None


def test_second_imminent_concern_joins_the_open_case(member, on_duty, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = raise_concern(member, "imminent")
    with django_capture_on_commit_callbacks(execute=True):
        second = raise_concern(member, "imminent")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.case_id == second.case_id
    assert CrisisCase.objects.count() == 1
    assert list(CaseEvent.objects.filter(case_id=first.case_id).values_list("kind", flat=True)[:3]) == [
        "opened",
        "alert_round",
        "post_linked",
    ]
    # Each concern is its own review item (one open item per concern).
    assert ReviewItem.objects.filter(status="open").count() == 2


def test_low_concern_is_recorded_and_needs_no_hand_off(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        concern = raise_concern(member, "low")
    concern.refresh_from_db()
    assert concern.handed_off_at is not None
    assert not ReviewItem.objects.exists()


def test_a_rolled_back_caller_leaves_nothing(member, on_duty, django_capture_on_commit_callbacks):
    def failing_self_assessment():
        with transaction.atomic():
            raise_concern(member, "imminent")
            raise RuntimeError("the self-assessment failed to save")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_self_assessment()
    assert callbacks == []
    assert not MemberConcern.objects.exists()
    assert not CrisisCase.objects.exists()
    assert not Alert.objects.exists()
    assert not ReviewItem.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"level": "severe"},
        {"source": ""},
        {"source": "Self Assessment!"},
        {"summary": "   "},
        {"summary": "x" * 301},
        {"detail": ["not", "a", "dict"]},
    ],
)
def test_bad_input_records_nothing(member, bad, django_capture_on_commit_callbacks):
    arguments = {
        "member": member,
        "level": "moderate",
        "source": "self_assessment",
        "summary": SUMMARY,
        **bad,
    }
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        escalation_services.member_concern_raise(**arguments)
    assert not MemberConcern.objects.exists()
    assert not ReviewItem.objects.exists()


def test_failed_hand_off_is_left_for_the_sweeper_which_queues_it(
    member, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("moderation is down")

    with monkeypatch.context() as patched:
        patched.setattr(services, "concern_raised", broken)
        with django_capture_on_commit_callbacks(execute=True):
            concern = raise_concern(member, "high")
    concern.refresh_from_db()
    assert concern.handed_off_at is None
    assert not ReviewItem.objects.exists()

    # Within the grace period the sweeper leaves it to the hand-off in flight.
    assert escalation_services.concerns_sweep_unhanded() == 0
    # Later, the beat task that sweeps the safety path picks it up.
    MemberConcern.objects.filter(pk=concern.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    escalation_tasks.sweep_unscreened()
    concern.refresh_from_db()
    assert concern.handed_off_at is not None
    assert ReviewItem.objects.get(concern=concern).priority == Priority.HIGH
    # Idempotent: a second hand-off changes nothing.
    assert escalation_services.member_concern_hand_off(concern_id=concern.pk) is False
    assert ReviewItem.objects.count() == 1


def test_imminent_case_opened_by_the_sweeper_if_it_failed_inline(
    member, on_duty, monkeypatch, django_capture_on_commit_callbacks
):
    real = escalation_services._concern_open_case

    def broken(concern, *, now):
        raise RuntimeError("database hiccup")

    with monkeypatch.context() as patched:
        patched.setattr(escalation_services, "_concern_open_case", broken)
        with transaction.atomic():
            concern = raise_concern(member, "imminent")
    assert escalation_services._concern_open_case is real
    assert not CrisisCase.objects.exists()
    assert escalation_services.member_concern_hand_off(concern_id=concern.pk) is True
    concern.refresh_from_db()
    assert concern.case is not None
    assert concern.case.status == "open"
    assert Alert.objects.filter(case=concern.case, recipient=on_duty).exists()
    assert ReviewItem.objects.get(concern=concern).priority == Priority.IMMINENT


def test_no_receiver_connected_keeps_the_concern_waiting(member, django_capture_on_commit_callbacks):
    from escalation.hooks import concern_raised
    from moderation import receivers

    concern_raised.disconnect(dispatch_uid="moderation.queue_concern")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            concern = raise_concern(member, "moderate")
    finally:
        concern_raised.connect(receivers.on_concern_raised, dispatch_uid="moderation.queue_concern")
    concern.refresh_from_db()
    assert concern.handed_off_at is None
    assert escalation_services.member_concern_hand_off(concern_id=concern.pk) is True
    assert ReviewItem.objects.filter(concern=concern).exists()


def test_review_item_is_about_a_post_or_a_concern_and_one_open_per_concern(member):
    concern = raise_concern(member, "moderate")
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewItem.objects.create(priority=Priority.OTHER, due_at=now)  # neither
    services.review_item_open_or_join(concern=concern, source=ReasonSource.MEMBER_CONCERN)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewItem.objects.create(concern=concern, priority=Priority.OTHER, due_at=now)
    with pytest.raises(ValidationError):
        services.review_item_open_or_join(source=ReasonSource.MEMBER_CONCERN)


# --- the guide's side -------------------------------------------------------------------------


@pytest.fixture
def concern_item(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        concern = raise_concern(member, "high")
    return ReviewItem.objects.get(concern=concern)


def test_queue_and_item_pages_show_the_summary_and_a_link_to_standing(
    client, guide, member, concern_item, make_post
):
    services.review_item_open_or_join(post=make_post(body="An ordinary post"), source=ReasonSource.OTHER)
    login(client, guide)
    html = client.get(reverse("moderation:queue")).content.decode()
    assert f'id="item-{concern_item.pk}"' in html
    assert "PHQ-9 item 9" in html
    assert "not a post" in html
    page = client.get(reverse("moderation:item", args=[concern_item.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "The concern" in body
    assert reverse("moderation:member", args=[member.pk]) in body
    assert "Hide and tell the author" not in body


def test_queue_query_count_does_not_grow_with_concern_items(client, guide, member, make_post):
    login(client, guide)
    services.review_item_open_or_join(post=make_post(body="post 0"), source=ReasonSource.OTHER)
    services.review_item_open_or_join(concern=raise_concern(member, "moderate"), source="member_concern")
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("moderation:queue")).status_code == 200
    for i in range(10):
        services.review_item_open_or_join(post=make_post(body=f"more {i}"), source=ReasonSource.OTHER)
        services.review_item_open_or_join(concern=raise_concern(member, "moderate"), source="member_concern")
    with CaptureQueriesContext(connection) as large:
        assert client.get(reverse("moderation:queue")).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_guide_marks_a_concern_reviewed(guide, concern_item):
    services.review_item_claim(item=concern_item, actor=guide)
    assert services.review_item_approve(item=concern_item, actor=guide, note="Sent the member the help page")
    concern_item.refresh_from_db()
    assert concern_item.status == ItemStatus.CLOSED
    assert concern_item.resolution == Resolution.REVIEWED
    entry = AuditEntry.objects.get(action="moderation.concern.review")
    assert entry.data["concern_id"] == concern_item.concern_id
    assert entry.data["post_id"] is None


@pytest.mark.parametrize("action", ["hide", "redact", "dismiss"])
def test_post_only_actions_on_a_concern_are_refused_and_change_nothing(guide, concern_item, action):
    services.review_item_claim(item=concern_item, actor=guide)
    before = snapshot()
    call = {
        "hide": lambda: services.review_item_hide(item=concern_item, actor=guide, reason_key="guidelines"),
        "redact": lambda: services.review_item_approve_with_redaction(
            item=concern_item, actor=guide, body="x", reason="names"
        ),
        "dismiss": lambda: services.review_item_dismiss(item=concern_item, actor=guide),
    }[action]
    with pytest.raises(services.ModerationConflict):
        call()
    assert snapshot() == before


def test_hide_on_a_concern_page_gets_a_409(client, guide, concern_item):
    services.review_item_claim(item=concern_item, actor=guide)
    login(client, guide)
    response = client.post(
        reverse("moderation:item-action", args=[concern_item.pk, "hide"]), {"reason_key": "guidelines"}
    )
    assert response.status_code == 409
    assert "not a post" in response.content.decode()


def test_guide_escalates_a_concern_to_the_clinicians(guide, member, on_duty, concern_item):
    services.review_item_claim(item=concern_item, actor=guide)
    assert services.review_item_escalate(item=concern_item, actor=guide, reason="Said they have a plan")
    case = CrisisCase.objects.get(member=member)
    assert case.level == "high"
    opened = CaseEvent.objects.get(case=case, kind="opened")
    assert opened.actor == guide
    assert "Said they have a plan" in opened.text
    assert SUMMARY in opened.text
    assert opened.data["concern_id"] == concern_item.concern_id
    assert MemberConcern.objects.get(pk=concern_item.concern_id).case == case
    assert Alert.objects.filter(case=case, recipient=on_duty).exists()
    assert concern_item.actions.filter(kind=ActionKind.ESCALATE).count() == 1
    entry = AuditEntry.objects.get(action="moderation.concern.escalate")
    assert entry.data["case_id"] == case.pk
    assert entry.data["member_id"] == member.pk


def test_clinician_case_page_shows_a_concern_only_case(
    client, member, on_duty, django_capture_on_commit_callbacks
):
    from tests.moderation.conftest import enable_totp

    enable_totp(on_duty)
    with django_capture_on_commit_callbacks(execute=True):
        concern = raise_concern(member, "imminent")
    login(client, on_duty)
    response = client.get(reverse("escalation:case-detail", args=[concern.case_id]))
    assert response.status_code == 200
    assert SUMMARY.replace("'", "&#x27;") in response.content.decode()


def test_api_lists_a_concern_item_and_refuses_post_actions_with_409(guide, member, concern_item, make_post):
    from rest_framework.test import APIClient

    post_item, _ = services.review_item_open_or_join(post=make_post(body="A post"), source=ReasonSource.OTHER)
    client = APIClient()
    client.force_authenticate(guide)
    rows = {row["id"]: row for row in client.get(reverse("moderation-api:queue")).json()["items"]}
    row = rows[concern_item.pk]
    assert row["post_id"] is None
    assert row["thread_title"] is None
    assert row["concern_id"] == concern_item.concern_id
    assert row["concern_summary"] == SUMMARY
    assert row["author"] == member.pseudonym
    assert rows[post_item.pk]["concern_id"] is None
    assert client.post(reverse("moderation-api:item-claim", args=[concern_item.pk])).status_code == 200
    before = snapshot()
    response = client.post(
        reverse("moderation-api:item-hide", args=[concern_item.pk]), {"reason_key": "guidelines"}
    )
    assert response.status_code == 409
    assert "not a post" in response.json()["detail"]
    assert snapshot() == before
    response = client.post(reverse("moderation-api:item-approve", args=[concern_item.pk]), {})
    assert response.status_code == 200
    assert ReviewItem.objects.get(pk=concern_item.pk).resolution == Resolution.REVIEWED


def test_member_standing_lists_their_concerns_for_guides(client, guide, member, concern_item):
    escalation_services.member_concern_raise(
        member=member, level="low", source="self_assessment", summary="PHQ-9 total 8 (mild)"
    )
    login(client, guide)
    html = client.get(reverse("moderation:member", args=[member.pk])).content.decode()
    assert 'id="concerns"' in html
    assert "PHQ-9 item 9" in html
    assert "PHQ-9 total 8" not in html  # below moderate: never queued, not listed
    assert AuditEntry.objects.filter(
        action="moderation.member.history.view", object_id=str(member.pk)
    ).exists()
