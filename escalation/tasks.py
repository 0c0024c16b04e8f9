"""Celery tasks: thin wrappers over services. Ids only, idempotent, acknowledged late.

Beat runs the two sweepers every 10 s (see CELERY_BEAT_SCHEDULE in the settings):
``escalation.sweep_unscreened`` and ``escalation.run_escalations``.

Queues (CELERY_TASK_ROUTES): the assessment and both sweepers go to ``triage`` -- database
work only, so a crisis post's assessment, and the clinician's in-app alert it sends on commit,
never wait behind an outside call. Each alert delivery (email, SMS, webhook) is its own
``deliver_alert`` task on ``alerts``, so one slow gateway delays neither another channel nor
the next assessment.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_process_init, worker_ready
from django.utils import timezone

from escalation import alerts, engine, health, services
from escalation.models import DeliveryStatus

logger = logging.getLogger(__name__)


@shared_task(name="escalation.assess_post", bind=True, acks_late=True, max_retries=5, ignore_result=True)
def assess_post(self, post_id: int) -> str | None:
    try:
        assessment = services.post_assess(post_id=post_id)
    except Exception as exc:
        health.record_failure(error=f"{type(exc).__name__}: {exc}")
        logger.exception("Risk assessment of post %s failed", post_id)
        if self.request.is_eager:
            return None  # in-process mode: the sweeper re-drives it
        # The sweeper also re-drives it; a bounded retry here just recovers faster.
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 30)) from exc
    return assessment.level if assessment else None


@shared_task(name="escalation.deliver_alert", bind=True, acks_late=True, max_retries=10, ignore_result=True)
def deliver_alert(self, delivery_id: int) -> str | None:
    delivery = alerts.delivery_send(delivery_id=delivery_id)
    if delivery is None:
        return None
    if delivery.status == DeliveryStatus.RETRYING and not self.request.is_eager:
        # Retry when the row says the next attempt is due: a duplicate message that found the
        # delivery not yet due lines up with the same time instead of starting its own backoff.
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds() if delivery.next_attempt_at else 0
        raise self.retry(countdown=max(wait, 0.5))
    return delivery.status


@shared_task(name="escalation.sweep_unscreened", acks_late=True, ignore_result=True)
def sweep_unscreened() -> int:
    return services.posts_sweep_unscreened()


@shared_task(name="escalation.run_escalations", acks_late=True, ignore_result=True)
def run_escalations() -> int:
    due = services.cases_run_due()
    alerts.deliveries_redrive()
    return due


@worker_ready.connect
@worker_process_init.connect
def warm_triage_engine(**kwargs) -> None:
    """Compile the triage engine when a worker (or a pool child) starts, not in the first
    crisis post's task (≈ 170 ms). A failure here is logged; the task builds it later."""
    try:
        engine.current_engine()
    except Exception:
        logger.exception("Could not build the triage engine at worker start")


@worker_process_init.connect
def warm_semantic_stage(**kwargs) -> None:
    """Load the semantic stage (about 5 s, ~500 MB) in each prefork child, where assessments run;
    not in the pool's parent nor in the threaded alerts worker, which never assess."""
    engine.semantic_model()
