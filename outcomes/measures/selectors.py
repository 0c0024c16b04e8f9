"""Reads for the member's self-assessments, check-ins, reminders and return prompt.

Everything here is about one member and is only ever shown to that member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from community.models import Post, Reaction
from outcomes.measures import definitions, scoring
from outcomes.measures.definitions import Measure
from outcomes.models import (
    ExitSurveyAnswer,
    ExitSurveyTrigger,
    MeasureReminderPreference,
    MeasureResponse,
    MoodCheckIn,
)

#: A member counts as returning after this long without posting, reacting or checking in.
ABSENCE = timedelta(days=30)
#: How much of a member's history one page reads (two years of fortnightly measures, twice over).
HISTORY_LIMIT = 104


def format_score(score: Decimal) -> str:
    """12 for whole scores, 21.54 for converted ones."""
    return f"{score:.0f}" if score == score.to_integral_value() else f"{score:.2f}"


@dataclass(frozen=True)
class ResultView:
    """One response with everything a page says about it, read against its measure."""

    response: MeasureResponse
    measure: Measure
    band_label: str
    band_message: str
    previous: MeasureResponse | None
    change: scoring.Change | None

    @property
    def score_display(self) -> str:
        return format_score(self.response.score)

    @property
    def previous_display(self) -> str:
        return format_score(self.previous.score) if self.previous is not None else ""

    @property
    def max_display(self) -> str:
        return format_score(self.measure.max_score)

    @property
    def change_amount(self) -> str:
        if self.previous is None:
            return ""
        delta = self.response.score - self.previous.score
        return f"{delta:+.0f}" if delta == delta.to_integral_value() else f"{delta:+.2f}"


def result_view(
    *, response: MeasureResponse, measure: Measure, previous: MeasureResponse | None
) -> ResultView:
    band = measure.band(response.band)
    change = (
        scoring.reliable_change(measure, previous.score, response.score) if previous is not None else None
    )
    return ResultView(
        response=response,
        measure=measure,
        band_label=band.label if band else response.band,
        band_message=band.message if band else "",
        previous=previous,
        change=change,
    )


def response_for_member(*, member, response_id: int) -> MeasureResponse | None:
    """The member's own response, or None (never another member's)."""
    return MeasureResponse.objects.filter(member=member, pk=response_id).first()


def response_previous(*, response: MeasureResponse) -> MeasureResponse | None:
    return (
        MeasureResponse.objects.filter(
            member_id=response.member_id,
            measure_key=response.measure_key,
            created_at__lte=response.created_at,
        )
        .exclude(pk=response.pk)
        .exclude(created_at=response.created_at, pk__gt=response.pk)
        .order_by("-created_at", "-id")
        .first()
    )


def history(*, member, measure_key: str, limit: int = HISTORY_LIMIT) -> list[MeasureResponse]:
    """The member's responses to one measure, oldest first (the latest ``limit``)."""
    latest = list(
        MeasureResponse.objects.filter(member=member, measure_key=measure_key).order_by("-created_at", "-id")[
            :limit
        ]
    )
    latest.reverse()
    return latest


def latest_by_measure(*, member) -> dict[str, tuple[MeasureResponse, MeasureResponse | None]]:
    """For each measure the member has taken: (latest response, the one before it). One query."""
    found: dict[str, list[MeasureResponse]] = {}
    rows = MeasureResponse.objects.filter(member=member).order_by("-created_at", "-id")[: HISTORY_LIMIT * 2]
    for response in rows:
        pair = found.setdefault(response.measure_key, [])
        if len(pair) < 2:
            pair.append(response)
    return {key: (pair[0], pair[1] if len(pair) > 1 else None) for key, pair in found.items()}


def mood_checkin_for_member(*, member, checkin_id: int) -> MoodCheckIn | None:
    return MoodCheckIn.objects.filter(member=member, pk=checkin_id).first()


def mood_checkins_recent(*, member, limit: int = 14) -> list[MoodCheckIn]:
    return list(MoodCheckIn.objects.filter(member=member).order_by("-created_at", "-id")[:limit])


def reminder_preference_for(*, member) -> MeasureReminderPreference:
    """The member's preference, or the unsaved default (every 14 days)."""
    pref = MeasureReminderPreference.objects.filter(member=member).first()
    return pref or MeasureReminderPreference(member=member)


def retake_due(
    *, pref: MeasureReminderPreference, last_response_at: datetime | None, now: datetime | None = None
) -> bool:
    """Is an invitation to retake due? Only after a first measure, once its interval has passed,
    and at most once per interval (an unanswered invitation is not repeated within the interval)."""
    now = now or timezone.now()
    if not pref.enabled or last_response_at is None:
        return False
    interval = timedelta(days=pref.interval_days)
    if now - last_response_at < interval:
        return False
    return pref.last_invited_at is None or now - pref.last_invited_at >= interval


def retake_invited(*, pref: MeasureReminderPreference, last_response_at: datetime | None) -> bool:
    """Has the member an invitation they have not acted on yet (shown on their check-ins page)?"""
    return (
        pref.enabled
        and pref.last_invited_at is not None
        and last_response_at is not None
        and pref.last_invited_at > last_response_at
    )


def member_last_activity(*, member) -> datetime | None:
    """The last time the member posted, reacted, took a measure or checked in. One query."""
    from accounts.models import User

    def latest(queryset, field: str):
        return Subquery(queryset.order_by().values(field).annotate(last=Max("created_at")).values("last")[:1])

    row = (
        User.objects.filter(pk=member.pk)
        .annotate(
            last_post=latest(Post.objects.filter(author_id=OuterRef("pk")), "author_id"),
            last_reaction=latest(Reaction.objects.filter(user_id=OuterRef("pk")), "user_id"),
            last_measure=latest(MeasureResponse.objects.filter(member_id=OuterRef("pk")), "member_id"),
            last_mood=latest(MoodCheckIn.objects.filter(member_id=OuterRef("pk")), "member_id"),
        )
        .values("last_post", "last_reaction", "last_measure", "last_mood")
        .first()
    )
    if row is None:
        return None
    moments = [moment for moment in row.values() if moment is not None]
    return max(moments) if moments else None


def return_prompt_absence(*, member, now: datetime | None = None) -> datetime | None:
    """If the member is back after 30 days or more without activity and has not yet been asked
    about this break, when the break began; otherwise None. Two queries."""
    now = now or timezone.now()
    if not getattr(member, "is_member", False) or now - member.date_joined < ABSENCE:
        return None
    absent_since = member_last_activity(member=member) or member.date_joined
    if now - absent_since < ABSENCE:
        return None
    asked = ExitSurveyAnswer.objects.filter(
        member=member, trigger=ExitSurveyTrigger.RETURN, absent_since=absent_since
    ).exists()
    return None if asked else absent_since


def measures_offered() -> list[Measure]:
    return list(definitions.measures().values())
