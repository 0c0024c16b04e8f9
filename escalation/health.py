"""Is the asynchronous triage keeping up? The answer drives the "triage degraded" banner and
makes every new post wait for a human while it is not.

Triage is *degraded* when either
* it has been failing for more than ``ESCALATION_TRIAGE_DEGRADED_AFTER`` seconds (default 60):
  the heartbeat's ``failing_since`` is older than that; or
* it is absent: a post (not removed by its author) has waited unscreened for longer than that
  and nothing has been screened successfully for that long either (broker down, no worker,
  beat stopped). A dead worker cannot hide: it records nothing, so its silence is the signal.
  (One post that keeps failing while others are screened shows as a failure, not an outage.)

It recovers by itself: the first success clears ``failing_since`` and the sweeper screens the
backlog.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from community.models import Post, PostState
from escalation.models import TriageHeartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_PK = 1


def degraded_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "ESCALATION_TRIAGE_DEGRADED_AFTER", 60))


@dataclass(frozen=True)
class TriageStatus:
    degraded: bool
    reason: str
    last_success_at: datetime | None
    oldest_unscreened_at: datetime | None


def unscreened_posts() -> Post:
    """Posts whose current text has not been screened, oldest first (partial index post_unscreened)."""
    return (
        Post.objects.filter(screened_at__isnull=True)
        .exclude(state=PostState.REMOVED)
        .annotate(submitted_at=Coalesce("edited_at", "created_at"))
        .order_by("submitted_at", "id")
    )


def record_success(*, now: datetime | None = None) -> None:
    now = now or timezone.now()
    updated = TriageHeartbeat.objects.filter(pk=HEARTBEAT_PK).update(last_success_at=now, failing_since=None)
    if not updated:
        TriageHeartbeat.objects.get_or_create(pk=HEARTBEAT_PK, defaults={"last_success_at": now})


def record_failure(*, error: str, now: datetime | None = None) -> None:
    """Called outside the failed transaction, so the record survives its rollback."""
    now = now or timezone.now()
    try:
        _heartbeat, _ = TriageHeartbeat.objects.get_or_create(pk=HEARTBEAT_PK)
        TriageHeartbeat.objects.filter(pk=HEARTBEAT_PK, failing_since__isnull=True).update(failing_since=now)
        TriageHeartbeat.objects.filter(pk=HEARTBEAT_PK).update(last_failure_at=now, last_error=error[:500])
    except Exception:
        logger.exception("Could not record a triage failure")


def triage_status(*, now: datetime | None = None) -> TriageStatus:
    now = now or timezone.now()
    limit = degraded_after()
    heartbeat = TriageHeartbeat.objects.filter(pk=HEARTBEAT_PK).first()
    last_success = heartbeat.last_success_at if heartbeat else None
    oldest = (
        Post.objects.filter(screened_at__isnull=True)
        .exclude(state=PostState.REMOVED)
        .filter(Q(edited_at__lt=now - limit) | Q(edited_at__isnull=True, created_at__lt=now - limit))
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if heartbeat and heartbeat.failing_since and now - heartbeat.failing_since > limit:
        return TriageStatus(True, "Risk triage has been failing", last_success, oldest)
    stale = last_success is None or now - last_success > limit
    if oldest is not None and stale:
        return TriageStatus(True, "Posts are waiting unscreened", last_success, oldest)
    return TriageStatus(False, "", last_success, None)


def triage_degraded(*, now: datetime | None = None) -> bool:
    try:
        return triage_status(now=now).degraded
    except Exception:
        logger.exception("Could not read triage health; treating it as degraded")
        return True
