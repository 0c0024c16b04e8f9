"""Reads for the crisis workflow: the rota, open cases, unacknowledged alerts, member messages."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from accounts.models import Role
from escalation.models import (
    TIER_ORDER,
    Alert,
    AlertStatus,
    CaseMessage,
    CrisisCase,
    Shift,
)
from escalation.permissions import cases_visible_to


def shifts_between(start: datetime, end: datetime) -> QuerySet:
    return (
        Shift.objects.filter(
            start__lt=end, end__gt=start, clinician__is_active=True, clinician__role=Role.CLINICIAN
        )
        .select_related("clinician")
        .order_by("start", "tier", "id")
    )


def on_duty(now: datetime) -> dict[str, list]:
    """Clinicians on shift at ``now``, by tier (every tier present, possibly empty)."""
    by_tier: dict[str, list] = {tier: [] for tier in TIER_ORDER}
    seen: set[tuple[str, int]] = set()
    for shift in shifts_between(now, now + timedelta(microseconds=1)):
        key = (shift.tier, shift.clinician_id)
        if key not in seen:
            seen.add(key)
            by_tier[shift.tier].append(shift.clinician)
    return by_tier


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime
    tiers: tuple[str, ...]  # which tiers the gap is about; all tiers = nobody on duty

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def coverage_gaps(start: datetime, end: datetime, *, tiers: tuple[str, ...] = tuple(TIER_ORDER)) -> list[Gap]:
    """Intervals in [start, end) when no clinician of ``tiers`` is on shift."""
    intervals = sorted(
        (max(s.start, start), min(s.end, end)) for s in shifts_between(start, end) if s.tier in tiers
    )
    gaps: list[Gap] = []
    cursor = start
    for s, e in intervals:
        if s > cursor:
            gaps.append(Gap(start=cursor, end=s, tiers=tiers))
        cursor = max(cursor, e)
    if cursor < end:
        gaps.append(Gap(start=cursor, end=end, tiers=tiers))
    return gaps


def rota_hazards(now: datetime, *, hours: int = 24) -> dict[str, list[Gap]]:
    """Gaps in the next ``hours``: nobody on duty at all, and no primary clinician."""
    end = now + timedelta(hours=hours)
    return {
        "nobody": coverage_gaps(now, end),
        "no_primary": coverage_gaps(now, end, tiers=("primary",)),
    }


def rota_by_day(now: datetime, *, days: int = 2) -> dict:
    out: dict = defaultdict(list)
    for shift in shifts_between(now - timedelta(hours=12), now + timedelta(days=days)):
        out[shift.start.date()].append(shift)
    return dict(out)


def cases_active_for(actor) -> QuerySet:
    return (
        cases_visible_to(actor)
        .exclude(status="resolved")
        .select_related("member", "assignee")
        .order_by("opened_at", "id")
    )


def cases_recent_resolved_for(actor, *, limit: int = 20) -> QuerySet:
    return (
        cases_visible_to(actor)
        .filter(status="resolved")
        .select_related("member", "assignee", "resolved_by")
        .order_by("-resolved_at", "-id")[:limit]
    )


def alerts_pending_for(user) -> QuerySet:
    """Alerts waiting for this person's acknowledgement (what a reconnecting client replays)."""
    return (
        Alert.objects.filter(recipient=user, status=AlertStatus.PENDING)
        .exclude(case__status="resolved")
        .select_related("case", "case__member")
        .order_by("created_at", "id")
    )


def case_detail(case_id: int, actor) -> CrisisCase:
    return (
        cases_visible_to(actor)
        .select_related("member", "assignee", "resolved_by")
        .prefetch_related("assessments__post__thread")
        .get(pk=case_id)
    )


def case_messages_for_member(member) -> QuerySet:
    return (
        CaseMessage.objects.filter(recipient=member).select_related("sender").order_by("-created_at", "-id")
    )


def active_clinicians() -> QuerySet:
    return get_user_model().objects.filter(role=Role.CLINICIAN, is_active=True)


def all_cases(actor) -> QuerySet:
    return cases_visible_to(actor)


def case_for_update(case_id: int) -> CrisisCase:
    return CrisisCase.objects.select_for_update().get(pk=case_id)
