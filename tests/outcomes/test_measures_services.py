"""Measure services: saving responses, the PHQ-9 item-9 escalation path, check-ins, reminders,
retake invitations and the exit survey. Real database, real escalation and moderation services."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from escalation import services as escalation_services
from escalation.models import Alert, CrisisCase, MemberConcern, Shift
from moderation.models import ReviewItem
from outcomes.measures import selectors, services
from outcomes.models import (
    ExitSurveyAnswer,
    MeasureReminderPreference,
    MeasureResponse,
    MoodCheckIn,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CALM = [0, 1, 0, 1, 0, 1, 0, 1, 0]  # PHQ-9 total 4, item 9 = 0


def phq9(item9: int, rest: int = 1) -> list[int]:
    return [rest] * 8 + [item9]


# --- responses ---------------------------------------------------------------------------------


def test_a_response_is_scored_and_saved(member):
    response = services.response_submit(
        member=member, measure_key="phq9", answers=[2, 2, 2, 1, 1, 1, 1, 0, 0]
    )
    response.refresh_from_db()
    assert (response.total, response.band, response.is_case, response.safety_level) == (
        10,
        "moderate",
        True,
        "",
    )
    assert response.definition_version == "1"
    assert response.answers == [2, 2, 2, 1, 1, 1, 1, 0, 0]
    assert MemberConcern.objects.count() == 0


@pytest.mark.parametrize(
    "answers",
    [[0] * 8, [0] * 10, [0, 0, 0, 0, 0, 0, 0, 0, 4], [0, 0, 0, 0, None, 0, 0, 0, 0], "000000000"],
)
def test_bad_answers_save_nothing(member, answers):
    with pytest.raises(ValidationError):
        services.response_submit(member=member, measure_key="phq9", answers=answers)
    assert MeasureResponse.objects.count() == 0


def test_an_unknown_measure_saves_nothing(member):
    with pytest.raises(ValidationError, match="no such questionnaire"):
        services.response_submit(member=member, measure_key="nope", answers=CALM)
    assert MeasureResponse.objects.count() == 0


def test_only_members_take_measures(guide, commissioner):
    for user in (guide, commissioner):
        with pytest.raises(PermissionDenied):
            services.response_submit(member=user, measure_key="phq9", answers=CALM)
    assert MeasureResponse.objects.count() == 0


def test_a_response_is_never_edited(member):
    response = services.response_submit(member=member, measure_key="phq9", answers=CALM)
    response.total = 20
    with pytest.raises(ValueError, match="never edited"):
        response.save()
    response.refresh_from_db()
    assert response.total == 4


# --- PHQ-9 item 9: the escalation path ------------------------------------------------------------


@pytest.mark.parametrize(("item9", "level"), [(1, "moderate"), (2, "high")])
def test_item_9_raises_a_concern_and_a_review_item(member, item9, level, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = services.response_submit(member=member, measure_key="phq9", answers=phq9(item9))
    response.refresh_from_db()
    assert response.safety_level == level
    assert response.concern_raised_at is not None
    concern = MemberConcern.objects.get()
    assert (concern.member, concern.level, concern.source) == (member, level, "self_assessment")
    label = {1: "Several days", 2: "More than half the days"}[item9]
    assert concern.summary == f"PHQ-9 item 9: '{label}'"
    assert concern.detail["response_id"] == response.pk
    assert concern.detail["items"] == [{"item": 9, "answer": item9, "answer_label": label, "level": level}]
    assert ReviewItem.objects.filter(concern=concern, status="open").count() == 1
    assert concern.case_id is None
    assert CrisisCase.objects.count() == 0


def test_item_9_nearly_every_day_opens_a_case_and_alerts_the_clinician_on_duty(
    member, clinician, django_capture_on_commit_callbacks, settings
):
    settings.ESCALATION_ALERT_CHANNELS = ["inapp"]
    now = timezone.now()
    Shift.objects.create(
        clinician=clinician, tier="primary", start=now - timedelta(hours=1), end=now + timedelta(hours=8)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.response_submit(member=member, measure_key="phq9", answers=phq9(3))
    concern = MemberConcern.objects.get()
    assert concern.level == "imminent"
    case = CrisisCase.objects.get(member=member)
    assert concern.case_id == case.pk
    assert Alert.objects.filter(case=case, recipient=clinician).exists()
    assert ReviewItem.objects.filter(concern=concern).exists()


def test_item_9_at_zero_raises_nothing(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.response_submit(member=member, measure_key="phq9", answers=phq9(0, rest=3))
    assert MemberConcern.objects.count() == 0
    assert ReviewItem.objects.count() == 0


def test_if_escalation_fails_the_response_is_kept_and_redriven(member, monkeypatch, caplog):
    """Fail closed: the escalation call raising never loses the response; the re-drive records it."""
    real = escalation_services.member_concern_raise

    def broken(**kwargs):
        raise RuntimeError("escalation is down")

    monkeypatch.setattr(escalation_services, "member_concern_raise", broken)
    response = services.response_submit(member=member, measure_key="phq9", answers=phq9(2))
    response.refresh_from_db()
    assert response.safety_level == "high"
    assert response.concern_raised_at is None
    assert MemberConcern.objects.count() == 0
    assert any(r.levelname == "ERROR" and "will be retried" in r.getMessage() for r in caplog.records)

    # Still broken: the re-drive changes nothing and says so.
    later = timezone.now() + timedelta(minutes=1)
    assert services.concerns_redrive(now=later) == 0
    monkeypatch.setattr(escalation_services, "member_concern_raise", real)
    # Within the grace period nothing is re-driven; after it, exactly once.
    assert services.concerns_redrive(now=response.created_at + timedelta(seconds=5)) == 0
    assert services.concerns_redrive(now=later) == 1
    assert services.concerns_redrive(now=later) == 0
    response.refresh_from_db()
    assert response.concern_raised_at == later
    assert MemberConcern.objects.get().detail["response_id"] == response.pk


# --- mood check-ins ------------------------------------------------------------------------------


def test_mood_checkin(member):
    checkin = services.mood_checkin_record(member=member, mood=4, note="  A walk helped.  ")
    assert (checkin.mood, checkin.note) == (4, "A walk helped.")


@pytest.mark.parametrize(("mood", "note"), [(0, ""), (6, ""), ("3", ""), (True, ""), (3, "x" * 281)])
def test_bad_mood_checkin_saves_nothing(member, mood, note):
    with pytest.raises(ValidationError):
        services.mood_checkin_record(member=member, mood=mood, note=note)
    assert MoodCheckIn.objects.count() == 0


# --- reminders and retake invitations ------------------------------------------------------------


def test_reminder_preference_update(member):
    pref = services.reminder_preference_update(member=member, enabled=True, interval_days=28)
    assert (pref.enabled, pref.interval_days) == (True, 28)
    services.reminder_preference_update(member=member, enabled=False, interval_days=28)
    assert MeasureReminderPreference.objects.get(member=member).enabled is False
    with pytest.raises(ValidationError):
        services.reminder_preference_update(member=member, enabled=True, interval_days=3)
    assert MeasureReminderPreference.objects.get(member=member).interval_days == 28


def test_invitations_only_after_the_interval_and_at_most_once_per_interval(member, other_member):
    start = timezone.now() - timedelta(days=40)
    services.response_submit(member=member, measure_key="phq9", answers=CALM, now=start)
    never_taken = UserFactory(pseudonym="NewFern")  # no measure yet: nothing to retake

    day = lambda n: start + timedelta(days=n)  # noqa: E731
    assert services.retake_invitations_send_due(now=day(13)) == 0
    assert services.retake_invitations_send_due(now=day(14)) == 1
    pref = MeasureReminderPreference.objects.get(member=member)
    assert pref.last_invited_at == day(14)
    # Ignored: not asked again within the interval (no nagging), again after another interval.
    assert services.retake_invitations_send_due(now=day(20)) == 0
    assert services.retake_invitations_send_due(now=day(27)) == 0
    assert services.retake_invitations_send_due(now=day(28)) == 1
    # The member retakes; the next invitation waits a full interval after that.
    services.response_submit(member=member, measure_key="gad7", answers=[0] * 7, now=day(30))
    assert services.retake_invitations_send_due(now=day(43)) == 0
    assert services.retake_invitations_send_due(now=day(44)) == 1
    assert not MeasureReminderPreference.objects.filter(member__in=[other_member, never_taken]).exists()
    # One notification per invitation, for the invited member only.
    from community.models import Notification

    assert Notification.objects.filter(recipient=member, kind="checkin_reminder").count() == 3
    assert not Notification.objects.exclude(recipient=member).exists()


def test_invitations_follow_the_members_interval_and_respect_off(member, other_member):
    start = timezone.now() - timedelta(days=40)
    for person in (member, other_member):
        services.response_submit(member=person, measure_key="phq9", answers=CALM, now=start)
    services.reminder_preference_update(member=member, enabled=True, interval_days=7)
    services.reminder_preference_update(member=other_member, enabled=False, interval_days=14)
    assert services.retake_invitations_send_due(now=start + timedelta(days=7)) == 1
    assert MeasureReminderPreference.objects.get(member=member).last_invited_at is not None
    assert (
        services.retake_invitations_send_due(now=start + timedelta(days=30)) == 1
    )  # member again, 23 days on
    assert MeasureReminderPreference.objects.get(member=other_member).last_invited_at is None


def test_retake_invitation_is_idempotent(member):
    start = timezone.now() - timedelta(days=20)
    services.response_submit(member=member, measure_key="phq9", answers=CALM, now=start)
    now = start + timedelta(days=15)
    assert services.retake_invitation_send(member_id=member.pk, now=now) is True
    assert services.retake_invitation_send(member_id=member.pk, now=now) is False
    pref = selectors.reminder_preference_for(member=member)
    assert selectors.retake_invited(pref=pref, last_response_at=start) is True
    # The invitation is in the member's notifications, once, linking to their check-ins.
    from community import selectors as community_selectors

    (invitation,) = community_selectors.notifications_for(member)
    assert (invitation.kind, invitation.link, invitation.created_at) == (
        "checkin_reminder",
        reverse("outcomes:checkins"),
        now,
    )
    assert community_selectors.notifications_unread_count(user=member) == 1


# --- exit survey and the return prompt ----------------------------------------------------------


def test_exit_survey_on_deactivation(member):
    answer = services.exit_survey_answer(
        member=member, trigger="deactivation", answer="More replies at night.", choice="no_replies"
    )
    assert (answer.trigger, answer.answer, answer.choice, answer.skipped) == (
        "deactivation",
        "More replies at night.",
        "no_replies",
        False,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"trigger": "deactivation"},  # neither an answer nor a choice, not skipped
        {"trigger": "holiday", "answer": "x"},
        {"trigger": "deactivation", "choice": "bored"},
        {"trigger": "deactivation", "answer": "x" * 2001},
        {"trigger": "return", "answer": "x"},  # a return survey needs its break
    ],
)
def test_bad_exit_survey_input_saves_nothing(member, kwargs):
    with pytest.raises(ValidationError):
        services.exit_survey_answer(member=member, **kwargs)
    assert ExitSurveyAnswer.objects.count() == 0


def test_return_prompt_once_per_break(member):
    now = timezone.now()
    member.date_joined = now - timedelta(days=90)
    member.save(update_fields=["date_joined"])
    services.mood_checkin_record(member=member, mood=3, now=now - timedelta(days=45))
    last = MoodCheckIn.objects.get().created_at

    assert selectors.member_last_activity(member=member) == last
    assert selectors.return_prompt_absence(member=member, now=now) == last
    # 29 days after the last activity it is not a long break yet.
    assert selectors.return_prompt_absence(member=member, now=last + timedelta(days=29)) is None

    services.exit_survey_answer(
        member=member, trigger="return", skipped=True, answer="ignored", absent_since=last
    )
    assert selectors.return_prompt_absence(member=member, now=now) is None
    skipped = ExitSurveyAnswer.objects.get()
    assert (skipped.skipped, skipped.answer) == (True, "")
    # Answering for the same break again changes nothing.
    again = services.exit_survey_answer(member=member, trigger="return", answer="x", absent_since=last)
    assert again.pk == skipped.pk
    assert ExitSurveyAnswer.objects.count() == 1


def test_new_members_are_not_returning(member):
    assert selectors.return_prompt_absence(member=member) is None


# --- demo -----------------------------------------------------------------------------------------


def test_demo_seeding_is_idempotent_and_raises_no_concern(member):
    from outcomes.measures.demo import seed_measures_demo

    assert seed_measures_demo(member=member) == 10
    assert seed_measures_demo(member=member) == 0
    assert MeasureResponse.objects.filter(member=member, measure_key="phq9").count() == 5
    assert MoodCheckIn.objects.filter(member=member).count() == 7
    assert not MeasureResponse.objects.exclude(safety_level="").exists()
    first, last = (
        selectors.history(member=member, measure_key="phq9")[0],
        selectors.latest_by_measure(member=member)["phq9"][0],
    )
    assert (first.total, last.total) == (13, 4)


# --- private mood notes are read by triage ---------------------------------------------------------

HIGH_NOTE = "I keep thinking about killing myself lately."
SAFE_NOTE = "Made banana bread for the first time and it came out okay. Small wins!"


def test_a_safe_mood_note_raises_nothing(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        checkin = services.mood_checkin_record(member=member, mood=4, note=SAFE_NOTE)
    assert checkin.safety_level == ""
    assert MemberConcern.objects.count() == 0


def test_a_mood_note_read_as_high_risk_reaches_the_review_queue(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        checkin = services.mood_checkin_record(member=member, mood=1, note=HIGH_NOTE)
    checkin.refresh_from_db()
    assert checkin.safety_level == "high"
    assert checkin.concern_raised_at is not None
    concern = MemberConcern.objects.get()
    assert (concern.level, concern.source) == ("high", "mood_checkin")
    assert concern.detail == {"checkin_id": checkin.pk, "mood": 1, "note": HIGH_NOTE}
    assert ReviewItem.objects.filter(concern=concern).exists()


def test_a_mood_note_triage_cannot_read_fails_closed(member, monkeypatch):
    from escalation import engine

    def unavailable(text):
        raise engine.TriageUnavailable("engine down")

    monkeypatch.setattr(engine, "screen", unavailable)
    checkin = services.mood_checkin_record(member=member, mood=3, note=SAFE_NOTE)
    assert checkin.safety_level == "high"
    assert MemberConcern.objects.get().source == "mood_checkin"


def test_a_mood_note_concern_that_failed_is_redriven(member, monkeypatch):
    real = escalation_services.member_concern_raise

    def broken(**kwargs):
        raise RuntimeError("escalation is down")

    monkeypatch.setattr(escalation_services, "member_concern_raise", broken)
    checkin = services.mood_checkin_record(member=member, mood=1, note=HIGH_NOTE)
    assert MoodCheckIn.objects.get(pk=checkin.pk).concern_raised_at is None
    monkeypatch.setattr(escalation_services, "member_concern_raise", real)
    later = timezone.now() + timedelta(minutes=1)
    assert services.concerns_redrive(now=later) == 1
    assert services.concerns_redrive(now=later) == 0
    assert MoodCheckIn.objects.get(pk=checkin.pk).concern_raised_at == later
    assert MemberConcern.objects.get().detail["checkin_id"] == checkin.pk
