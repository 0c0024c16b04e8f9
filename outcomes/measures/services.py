"""Every write for the member's self-assessments, check-ins, reminders and exit surveys.

Keyword-only arguments, one transaction each, the member's role checked inside.

The safety hand-off: when a measure's safety item is answered above 0 (PHQ-9 item 9), the
response is saved and, in the same transaction, handed to the escalation path through
``escalation.services.member_concern_raise`` (review item for moderate and above, a crisis case
and on-duty alerts for imminent). The hand-off runs in a savepoint: if it fails, the response
is still saved (the member still sees crisis resources), the failure is logged as an error, and
``concerns_redrive`` (a beat task) tries again until the concern is recorded. A response is
never lost, and a concern is never silently dropped.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.permissions import check_role
from escalation.models import HOLD_LEVELS, REVIEW_LEVELS
from outcomes.measures import definitions, scoring, selectors
from outcomes.models import (
    ExitSurveyAnswer,
    ExitSurveyChoice,
    ExitSurveyTrigger,
    MeasureReminderPreference,
    MeasureResponse,
    MoodCheckIn,
)

logger = logging.getLogger(__name__)

CONCERN_SOURCE = "self_assessment"
#: A response whose concern is still unrecorded this long after it was saved is re-driven.
CONCERN_REDRIVE_GRACE = timedelta(seconds=30)
REMINDER_INTERVAL_CHOICES = (7, 14, 28, 56)
NOTE_MAX = 280
ANSWER_MAX = 2000


# --- self-assessments ---------------------------------------------------------------------------


@transaction.atomic
def response_submit(
    *, member, measure_key: str, answers: list[int], now: datetime | None = None
) -> MeasureResponse:
    """Score and save one completed measure; hand a safety answer to the escalation path.

    Bad answers (missing, out of range, unknown measure) raise ``ValidationError`` and save
    nothing.
    """
    now = now or timezone.now()
    check_role(member, Role.MEMBER)
    measure = definitions.get(measure_key)
    if measure is None:
        raise ValidationError({"measure": "There is no such questionnaire."}, code="unknown")
    try:
        scored = scoring.score(measure, answers)
    except scoring.AnswerError as error:
        raise ValidationError({"answers": str(error)}, code="invalid") from error
    response = MeasureResponse.objects.create(
        member=member,
        measure_key=measure.key,
        definition_version=measure.version,
        answers=list(answers),
        total=scored.total,
        score=scored.score,
        band=scored.band.key,
        is_case=bool(scored.is_case),
        safety_level=scored.safety_level,
        created_at=now,
    )
    if scored.safety_level:
        _concern_raise(response=response, measure=measure, now=now)
    return response


def _concern_summary(measure: definitions.Measure, answers: list[int]) -> tuple[str, dict]:
    parts, hits = [], []
    for item_number, value, level in scoring.safety_hits(measure, answers):
        item = measure.items[item_number - 1]
        label = item.label_for(value)
        parts.append(f"{measure.name} item {item_number}: '{label}'")
        hits.append({"item": item_number, "answer": value, "answer_label": label, "level": level})
    return "; ".join(parts), {"items": hits}


def partial_safety_answers_raise(
    *, member: User, measure_key: str, partial: dict[int, int], now: datetime | None = None
) -> str:
    """A form sent back incomplete still carries its safety answers: raise them now, since a member
    who answered PHQ-9 item 9 above 0 may never come back to finish. Returns the highest level
    ("" when no safety item was answered above 0). Nothing else is saved: the response is not
    complete, so it has no score. A failure is logged; the caller shows crisis resources anyway.
    """
    measure = definitions.get(measure_key)
    hits = [
        (safety.item, partial[safety.item], safety.levels[partial[safety.item]])
        for safety in measure.safety_items
        if partial.get(safety.item) in safety.levels
    ]
    if not hits:
        return ""
    level = scoring.highest_level([hit[2] for hit in hits])
    summary = "; ".join(
        f"{measure.name} item {number}: '{measure.items[number - 1].label_for(value)}' (form not finished)"
        for number, value, _ in hits
    )
    detail = {
        "measure": measure.key,
        "incomplete": True,
        "items": [{"item": number, "answer": value, "level": lvl} for number, value, lvl in hits],
    }
    try:
        with transaction.atomic():
            from escalation import services as escalation_services

            escalation_services.member_concern_raise(
                member=member,
                level=level,
                source=CONCERN_SOURCE,
                summary=summary[:300],
                detail=detail,
                now=now or timezone.now(),
            )
    except Exception:
        logger.exception("Could not raise the safety answers of an unfinished %s form", measure.key)
    return level


def _concern_raise(*, response: MeasureResponse, measure: definitions.Measure, now: datetime) -> bool:
    """Hand the response to escalation in a savepoint. Returns whether the concern was recorded.

    Fails closed: any error (the escalation service missing, a bug, the database refusing) is
    logged as an error and leaves ``concern_raised_at`` empty for ``concerns_redrive``.
    """
    summary, detail = _concern_summary(measure, response.answers)
    detail.update(
        {
            "measure": measure.key,
            "definition_version": response.definition_version,
            "response_id": response.pk,
            "total": response.total,
            "band": response.band,
        }
    )
    try:
        with transaction.atomic():
            from escalation import services as escalation_services

            escalation_services.member_concern_raise(
                member=response.member,
                level=response.safety_level,
                source=CONCERN_SOURCE,
                summary=summary,
                detail=detail,
                now=now,
            )
            response.concern_raised_at = now
            response.save(update_fields=["concern_raised_at"])
    except Exception:
        logger.exception(
            "Could not hand self-assessment %s (%s, level %s) to escalation; it will be retried",
            response.pk,
            measure.key,
            response.safety_level,
        )
        return False
    return True


def concerns_redrive(*, now: datetime | None = None, limit: int = 100) -> int:
    """Retry the escalation hand-off of responses (and mood notes) whose concern was never
    recorded. Idempotent."""
    now = now or timezone.now()
    ids = list(
        MeasureResponse.objects.filter(
            concern_raised_at__isnull=True, created_at__lt=now - CONCERN_REDRIVE_GRACE
        )
        .exclude(safety_level="")
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for response_id in ids:
        with transaction.atomic():
            response = (
                MeasureResponse.objects.select_for_update()
                .select_related("member")
                .filter(pk=response_id, concern_raised_at__isnull=True)
                .first()
            )
            if response is None:
                continue
            measure = definitions.get(response.measure_key)
            if measure is None:
                logger.error(
                    "Self-assessment %s: measure %s is gone; cannot re-drive",
                    response.pk,
                    response.measure_key,
                )
                continue
            done += _concern_raise(response=response, measure=measure, now=now)
    checkin_ids = list(
        MoodCheckIn.objects.filter(
            safety_level__in=NOTE_CONCERN_LEVELS,
            concern_raised_at__isnull=True,
            created_at__lt=now - CONCERN_REDRIVE_GRACE,
        )
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for checkin_id in checkin_ids:
        with transaction.atomic():
            checkin = (
                MoodCheckIn.objects.select_for_update()
                .select_related("member")
                .filter(pk=checkin_id, concern_raised_at__isnull=True)
                .first()
            )
            if checkin is not None:
                done += _note_concern_raise(checkin=checkin, now=now)
    return done


# --- mood check-ins -----------------------------------------------------------------------------


#: Levels at which a private mood note is handed to the escalation path (a human must see it):
#: those at which a post is held.
NOTE_CONCERN_LEVELS = HOLD_LEVELS
#: Levels at which the member is shown crisis resources after checking in: those a post is
#: reviewed at.
NOTE_SIGNPOST_LEVELS = REVIEW_LEVELS


def _screen_note(note: str) -> str:
    """The triage engine's reading of a mood note; "high" when the engine fails (fail closed:
    the member sees crisis resources and a human looks)."""
    from escalation import engine

    try:
        return engine.screen(note).level
    except engine.TriageUnavailable:
        logger.exception("Triage could not read a mood check-in note; treating it as high")
        return "high"


@transaction.atomic
def mood_checkin_record(*, member, mood: int, note: str = "", now: datetime | None = None) -> MoodCheckIn:
    """Record a mood check-in. The optional note is private, but it is read by the same triage
    engine as posts: moderate and above, the member is shown crisis resources
    (``checkin.safety_level``); high and imminent, it is handed to the escalation path like a
    PHQ-9 item-9 answer, so a person in danger is never left with only a private note."""
    now = now or timezone.now()
    check_role(member, Role.MEMBER)
    note = (note or "").replace("\x00", "").strip()
    errors = {}
    if isinstance(mood, bool) or not isinstance(mood, int) or not 1 <= mood <= 5:
        errors["mood"] = "Choose how you are feeling, from 1 to 5."
    if len(note) > NOTE_MAX:
        errors["note"] = f"Keep the note to {NOTE_MAX} characters or fewer."
    if errors:
        raise ValidationError(errors)
    level = _screen_note(note) if note else ""
    checkin = MoodCheckIn.objects.create(
        member=member,
        mood=mood,
        note=note,
        safety_level=level if level in NOTE_SIGNPOST_LEVELS else "",
        created_at=now,
    )
    if checkin.safety_level in NOTE_CONCERN_LEVELS:
        _note_concern_raise(checkin=checkin, now=now)
    return checkin


def _note_concern_raise(*, checkin: MoodCheckIn, now: datetime) -> bool:
    """Like ``_concern_raise`` for a mood note: a savepoint, errors logged, re-driven later."""
    try:
        with transaction.atomic():
            from escalation import services as escalation_services

            escalation_services.member_concern_raise(
                member=checkin.member,
                level=checkin.safety_level,
                source="mood_checkin",
                summary=f"Mood check-in note read as {checkin.safety_level} risk (mood {checkin.mood} of 5)",
                detail={"checkin_id": checkin.pk, "mood": checkin.mood, "note": checkin.note},
                now=now,
            )
            checkin.concern_raised_at = now
            checkin.save(update_fields=["concern_raised_at"])
    except Exception:
        logger.exception("Could not hand mood check-in %s to escalation; it will be retried", checkin.pk)
        return False
    return True


# --- reminders ----------------------------------------------------------------------------------


@transaction.atomic
def reminder_preference_update(
    *, member, enabled: bool, interval_days: int, now: datetime | None = None
) -> MeasureReminderPreference:
    check_role(member, Role.MEMBER)
    if interval_days not in REMINDER_INTERVAL_CHOICES:
        raise ValidationError({"interval_days": "Choose one of the offered intervals."})
    pref, _ = MeasureReminderPreference.objects.select_for_update().get_or_create(member=member)
    if pref.enabled != enabled or pref.interval_days != interval_days:
        pref.enabled, pref.interval_days, pref.updated_at = enabled, interval_days, now or timezone.now()
        pref.save(update_fields=["enabled", "interval_days", "updated_at"])
    return pref


def _deliver_in_app(*, member, now: datetime) -> None:
    """Put the invitation in the member's notifications (community's check-in reminder kind),
    linking to their check-ins page. Called at most once per interval (``retake_invitation_send``
    decides), so community does not de-duplicate."""
    from community import services as community_services

    community_services.notification_create_reminder(
        recipient=member, link=reverse("outcomes:checkins"), now=now
    )


@transaction.atomic
def retake_invitation_send(*, member_id: int, now: datetime | None = None) -> bool:
    """Invite one member to retake their measures if it is due. Idempotent: at most once per interval."""
    now = now or timezone.now()
    member = User.objects.filter(pk=member_id, role=Role.MEMBER, is_active=True).first()
    if member is None:
        return False
    pref, _ = MeasureReminderPreference.objects.select_for_update().get_or_create(member=member)
    last = (
        MeasureResponse.objects.filter(member=member)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if not selectors.retake_due(pref=pref, last_response_at=last, now=now):
        return False
    pref.last_invited_at = now
    pref.save(update_fields=["last_invited_at"])
    _deliver_in_app(member=member, now=now)
    return True


def retake_invitations_send_due(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Invite every member whose interval has passed. Each invitation is its own transaction."""
    from django.db.models import Max, Q

    now = now or timezone.now()
    default = MeasureReminderPreference.DEFAULT_INTERVAL_DAYS
    intervals = set(
        MeasureReminderPreference.objects.filter(enabled=True)
        .values_list("interval_days", flat=True)
        .distinct()
    ) | {default}
    candidates: list[int] = []
    for days in sorted(intervals):
        cutoff = now - timedelta(days=days)
        has_pref = Q(
            measure_reminder_preference__enabled=True, measure_reminder_preference__interval_days=days
        )
        if days == default:
            has_pref |= Q(measure_reminder_preference__isnull=True)
        not_invited = Q(measure_reminder_preference__last_invited_at__isnull=True) | Q(
            measure_reminder_preference__last_invited_at__lte=cutoff
        )
        candidates += list(
            User.objects.filter(has_pref, not_invited, role=Role.MEMBER, is_active=True)
            .annotate(last_response=Max("measure_responses__created_at"))
            .filter(last_response__lte=cutoff)
            .values_list("pk", flat=True)[:limit]
        )
    sent = 0
    for member_id in candidates:
        try:
            sent += retake_invitation_send(member_id=member_id, now=now)
        except Exception:
            logger.exception("Retake invitation for member %s failed", member_id)
    return sent


# --- exit survey --------------------------------------------------------------------------------


@transaction.atomic
def exit_survey_answer(
    *,
    member,
    trigger: str,
    answer: str = "",
    choice: str = "",
    skipped: bool = False,
    absent_since: datetime | None = None,
    now: datetime | None = None,
) -> ExitSurveyAnswer:
    """Record the answer to "what would have helped?" (or that the member skipped it).

    For a return after a break, ``absent_since`` names the break: the prompt is offered once per
    break, so answering or skipping twice for the same break changes nothing and returns the
    first record.
    """
    check_role(member, Role.MEMBER)
    answer = (answer or "").replace("\x00", "").strip()
    errors = {}
    if trigger not in ExitSurveyTrigger.values:
        errors["trigger"] = "Unknown survey."
    if choice and choice not in ExitSurveyChoice.values:
        errors["choice"] = "Choose one of the options, or none."
    if len(answer) > ANSWER_MAX:
        errors["answer"] = f"Please keep it to {ANSWER_MAX} characters or fewer."
    if trigger == ExitSurveyTrigger.RETURN and absent_since is None:
        errors["absent_since"] = "A return survey belongs to a break."
    if not skipped and not answer and not choice:
        errors["answer"] = "Write a few words or choose an option, or skip the question."
    if errors:
        raise ValidationError(errors)
    if skipped:
        answer, choice = "", ""
    if trigger == ExitSurveyTrigger.RETURN:
        existing = ExitSurveyAnswer.objects.filter(
            member=member, trigger=trigger, absent_since=absent_since
        ).first()
        if existing is not None:
            return existing
    else:
        absent_since = None
    return ExitSurveyAnswer.objects.create(
        member=member,
        trigger=trigger,
        answer=answer,
        choice=choice,
        skipped=skipped,
        absent_since=absent_since,
        created_at=now or timezone.now(),
    )


__all__ = [
    "PermissionDenied",
    "ValidationError",
    "concerns_redrive",
    "exit_survey_answer",
    "mood_checkin_record",
    "reminder_preference_update",
    "response_submit",
    "retake_invitation_send",
    "retake_invitations_send_due",
]
