"""Celery tasks for self-assessments: thin wrappers over services, safe to run twice."""

from celery import shared_task

from outcomes.measures import services


@shared_task(name="outcomes.send_retake_invitations")
def send_retake_invitations() -> int:
    """Invite members whose retake interval has passed (at most once per interval). Hourly."""
    return services.retake_invitations_send_due()


@shared_task(name="outcomes.redrive_measure_concerns")
def redrive_measure_concerns() -> int:
    """Hand to escalation any PHQ-9 item-9 concern whose first hand-off failed. Every minute."""
    return services.concerns_redrive()
