"""Fault: the worker is killed (SIGKILL) in the middle of the risk assessment.

A real worker in a subprocess takes the task from Redis and is killed inside the transaction
that has written the assessment, the crisis case and its alerts. Nothing of that survives
(the transaction dies with the process), the post is still unscreened, and the sweeper
re-drives it from the database while a new worker takes over; the unacknowledged message is
redelivered too. The result is exactly one assessment, one case and one set of alerts.

Needs PostgreSQL (a second process must share the test database) and Redis.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from community import services as community_services
from community.models import Post
from escalation import services
from escalation.models import Alert, CaseEvent, CrisisCase, DeliveryAttempt, RiskAssessment
from tests.escalation.conftest import IMMINENT_TEXT

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (redis://127.0.0.1:6379/<n>)"
    ),
]

ROOT = Path(settings.BASE_DIR)
QUEUE = "triage"  # where escalation.assess_post is routed
BROKER_KEYS = ("triage", "alerts", "celery", "unacked", "unacked_index", "unacked_mutex")


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _redis():
    import redis

    return redis.Redis.from_url(os.environ["REDIS_URL"])


def _start_worker(tmp_path: Path, name: str, **env) -> subprocess.Popen:
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "tests.escalation.stall_worker"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "KINDRED_WORKER_NAME": name,
            **env,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _wait_for(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@pytest.fixture
def clean_broker():
    r = _redis()
    r.delete(*BROKER_KEYS)
    yield r
    r.delete(*BROKER_KEYS)


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_assessment_gives_one_assessment_and_one_alert_set(
    clean_broker, member, thread, rota, primary, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker subprocess shares the test database")
    from config.celery_app import app

    app.conf.task_always_eager = False
    marker = tmp_path / "stalled"
    first = _start_worker(tmp_path, "first", KINDRED_STALL_MARKER=str(marker), KINDRED_VISIBILITY_TIMEOUT="2")
    second = None
    try:
        post = community_services.post_create(author=member, thread=thread, body=IMMINENT_TEXT)
        # The worker has written the assessment, case and alerts, and stalls before committing.
        _wait_for(marker.exists, timeout=60, what="the worker to reach the middle of the task")
        assert marker.read_text() == f"{first.pid} {post.pk}"

        assert clean_broker.hlen("unacked") == 1  # taken, not acknowledged (acks_late)
        [(_tag, unacked)] = clean_broker.hgetall("unacked").items()
        _message, _exchange, routing_key = json.loads(unacked)
        assert routing_key == QUEUE  # taken from the triage queue, and goes back there
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)

        # Nothing the killed worker wrote survives; the post is still unscreened.
        post.refresh_from_db()
        assert post.screened_at is None
        assert not RiskAssessment.objects.filter(post=post).exists()
        assert not CrisisCase.objects.exists()
        assert not Alert.objects.exists()

        second = _start_worker(tmp_path, "second", KINDRED_VISIBILITY_TIMEOUT="2")
        # Beat's sweeper tick, once the post has been unscreened for longer than the grace period.
        assert services.posts_sweep_unscreened(now=timezone.now() + timedelta(seconds=31)) == 1
        # The new worker also gets the killed worker's message back; running it again is a no-op.
        _wait_for(
            lambda: clean_broker.hlen("unacked") == 0 and clean_broker.llen(QUEUE) == 0,
            # kombu restores unacked messages on its own schedule; on a loaded 2-core CI machine
            # that has taken over a minute. The sweeper has already screened the post by then.
            timeout=180,
            what="the unacknowledged message to be redelivered and acknowledged",
        )
        _wait_for(
            lambda: DeliveryAttempt.objects.filter(channel="email", status="sent").exists(),
            timeout=30,
            what="the email alert to be delivered by the new worker",
        )
    finally:
        _stop(first)
        if second is not None:
            _stop(second)

    log = (tmp_path / "second.log").read_text(errors="replace")
    assert "escalation.assess_post" in log, log[-3000:]  # the redelivered message ran again

    post = Post.objects.get(pk=post.pk)
    assert post.screened_at is not None
    assessment = RiskAssessment.objects.get(post=post)
    assert assessment.level == "imminent"
    case = CrisisCase.objects.get(member=member)
    assert case.status == "open"
    alerts = list(Alert.objects.filter(case=case))
    assert [(a.recipient, a.round) for a in alerts] == [(primary, 1)]
    assert sorted(
        DeliveryAttempt.objects.filter(alert=alerts[0]).values_list("channel", flat=True)
    ) == sorted(settings.ESCALATION_ALERT_CHANNELS)
    assert DeliveryAttempt.objects.count() == len(settings.ESCALATION_ALERT_CHANNELS)
    assert CaseEvent.objects.filter(case=case, kind="opened").count() == 1
    assert CaseEvent.objects.filter(case=case, kind="alert_round").count() == 1
