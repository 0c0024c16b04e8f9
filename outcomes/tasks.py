"""Celery tasks of the outcomes app: thin wrappers over services, safe to run twice.

``outcomes.rollup_recent`` runs nightly from beat (see CELERY_BEAT_SCHEDULE) and recomputes
the last two complete days of every rollup table; recomputing replaces, so a retry or a second
run changes nothing.
"""

import datetime

from celery import shared_task

from outcomes import rollups
from outcomes.measures.tasks import redrive_measure_concerns, send_retake_invitations  # noqa: F401


@shared_task(name="outcomes.rollup_recent", acks_late=True, ignore_result=True)
def rollup_recent(days: int = 2) -> int:
    """Recompute the rollups for the last ``days`` complete days; returns the rows written."""
    return rollups.rollup_recent(days=days).rows


@shared_task(name="outcomes.rollup_days", acks_late=True, ignore_result=True)
def rollup_days(start: str, end: str) -> int:
    """Recompute the rollups for ``start..end`` (ISO dates), e.g. after a backfill."""
    return rollups.rollup_days(
        start=datetime.date.fromisoformat(start), end=datetime.date.fromisoformat(end)
    ).rows
