"""Celery tasks: thin wrappers over services.

Beat runs ``moderation.release_expired_claims`` every minute (CELERY_BEAT_SCHEDULE in the
settings): items whose claim ran out show as free in every guide's queue.
"""

from __future__ import annotations

from celery import shared_task

from moderation import services


@shared_task(name="moderation.release_expired_claims", acks_late=True, ignore_result=True)
def release_expired_claims() -> int:
    return services.claims_release_expired()
