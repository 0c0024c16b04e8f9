"""Celery tasks: thin wrappers over services, ids only, safe to run twice."""

from celery import shared_task

from community import services


@shared_task(name="community.send_digests")
def send_digests() -> int:
    """Send pending notification digests (schedule daily with Celery beat)."""
    return services.digests_send_all()


@shared_task(name="community.send_digest")
def send_digest(user_id: int) -> bool:
    return services.digest_send(user_id=user_id)
