"""Moderation settings, read on every call so tests (and operators) can change them.

MODERATION_SLA_SECONDS            time to first action per priority key
MODERATION_CLAIM_SECONDS          how long a claim lasts (default 10 minutes)
MODERATION_FLAG_THRESHOLD         distinct reporters that hide a post until reviewed (default 3)
MODERATION_FLAG_THRESHOLD_NO_GUIDE   the same when no guide is on shift (default 2)
MODERATION_GUIDE_ON_SHIFT_SECONDS a guide counts as on shift for this long after logging in or
                                  claiming an item (default 1 hour)
MODERATION_HOLD_NEW_MEMBERS_WITHOUT_GUIDE   hold new members' posts when no guide is on shift
                                  (default False: set it True in production, where guides log in)
MODERATION_FLAGS_PER_HOUR         how many posts one member may report in an hour (default 10)
MODERATION_STAFF_MFA_REQUIRED     staff need TOTP before staff pages (default True)
MODERATION_REGEX_TIMEOUT          seconds one watched regular expression may spend on one post
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from moderation.models import PRIORITY_KEYS, Priority

DEFAULT_SLA_SECONDS = {
    "imminent": 5 * 60,
    "high": 15 * 60,
    "flagged_risk": 30 * 60,
    "moderate": 4 * 3600,
    "other": 4 * 3600,
}


def sla_for(priority: int) -> timedelta:
    configured = {**DEFAULT_SLA_SECONDS, **getattr(settings, "MODERATION_SLA_SECONDS", {})}
    return timedelta(seconds=int(configured[PRIORITY_KEYS[Priority(priority)]]))


def claim_duration() -> timedelta:
    return timedelta(seconds=getattr(settings, "MODERATION_CLAIM_SECONDS", 600))


def flag_threshold(*, guide_on_shift: bool) -> int:
    if guide_on_shift:
        return max(1, int(getattr(settings, "MODERATION_FLAG_THRESHOLD", 3)))
    return max(1, int(getattr(settings, "MODERATION_FLAG_THRESHOLD_NO_GUIDE", 2)))


def guide_on_shift_window() -> timedelta:
    return timedelta(seconds=getattr(settings, "MODERATION_GUIDE_ON_SHIFT_SECONDS", 3600))


def hold_new_members_without_guide() -> bool:
    return bool(getattr(settings, "MODERATION_HOLD_NEW_MEMBERS_WITHOUT_GUIDE", False))


def flags_per_hour() -> int:
    return int(getattr(settings, "MODERATION_FLAGS_PER_HOUR", 10))


def staff_mfa_required() -> bool:
    return bool(getattr(settings, "MODERATION_STAFF_MFA_REQUIRED", True))


def regex_timeout() -> float:
    return float(getattr(settings, "MODERATION_REGEX_TIMEOUT", 0.05))
