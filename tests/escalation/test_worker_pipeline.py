"""Post -> assessment -> case -> alerts through a real Celery worker on Redis (skipped without REDIS_URL)."""

from __future__ import annotations

import os
import time

import pytest

from community import services as community_services
from escalation.models import Alert, CrisisCase, DeliveryAttempt, RiskAssessment
from tests.escalation.conftest import IMMINENT_TEXT

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (e.g. redis://127.0.0.1:6379/5)"
    ),
]


@pytest.mark.django_db(transaction=True)
def test_pipeline_through_a_real_worker(member, thread, rota, primary):
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    app.conf.task_always_eager = False
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        post = community_services.post_create(author=member, thread=thread, body=IMMINENT_TEXT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if DeliveryAttempt.objects.filter(channel="email", status="sent").exists():
                break
            time.sleep(0.1)
    assert RiskAssessment.objects.get(post=post).level == "imminent"
    case = CrisisCase.objects.get(member=member)
    assert [a.recipient for a in Alert.objects.filter(case=case)] == [primary]
    assert DeliveryAttempt.objects.get(channel="email").status == "sent"
