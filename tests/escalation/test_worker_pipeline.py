"""Post -> assessment -> case -> alerts through real Celery workers on Redis, queue by queue.

The assessment runs on the ``triage`` queue and sends the clinician's in-app alert itself, on
commit; every other channel is its own ``deliver_alert`` task on the ``alerts`` queue. So the
in-app alert never waits for the alerts queue, one slow gateway never holds up another channel,
and every queue a task can be routed to has a worker in the deployment (checked here against
docker-compose.yml, and against live workers).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection

from community import services as community_services
from config.celery_app import (
    app,
    declared_queues,
    live_unconsumed_queues,
    routed_queues,
    unconsumed_queues,
    worker_command_queues,
)
from escalation.models import Alert, CrisisCase, DeliveryAttempt, RiskAssessment
from escalation.routing import websocket_urlpatterns
from tests.escalation.conftest import IMMINENT_TEXT


def needs_redis(test):
    """Real workers on Redis (skipped without REDIS_URL); the marks the suite selects on."""
    skip = pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (e.g. redis://127.0.0.1:6379/5)"
    )
    return pytest.mark.redis(skip(pytest.mark.django_db(transaction=True)(test)))


ROOT = Path(settings.BASE_DIR)


def _wait_for(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@pytest.fixture
def broker():
    import redis

    r = redis.Redis.from_url(os.environ["REDIS_URL"])
    queues = ("triage", "alerts", "celery", "unacked", "unacked_index")
    r.delete(*queues)
    app.conf.task_always_eager = False
    yield r
    r.delete(*queues)


@contextmanager
def _worker(name: str, *, queues: list[str] | None = None, **kwargs):
    """An embedded worker consuming ``queues`` (default: all declared); two may run at once."""
    from celery.contrib.testing.worker import start_worker

    # The embedded worker selects its queues on the app's shared queue table; name them every
    # time, and put every declared queue back after, so one test's selection never leaks.
    everything = sorted(declared_queues())
    try:
        with start_worker(
            app,
            perform_ping_check=False,
            shutdown_timeout=10,
            hostname=f"{name}@test",
            queues=queues or everything,
            **kwargs,
        ) as worker:
            yield worker
    finally:
        app.amqp.queues.select(everything)


# --- routing: every queue has a worker --------------------------------------------------------


def test_tasks_are_routed_to_their_queues():
    router = app.amqp.router
    queue = {name: router.route({}, name)["queue"].name for name in app.conf.task_routes}
    assert queue == {
        "escalation.assess_post": "triage",
        "escalation.sweep_unscreened": "triage",
        "escalation.run_escalations": "triage",
        "escalation.deliver_alert": "alerts",
    }
    assert router.route({}, "community.send_digests")["queue"].name == "celery"
    assert routed_queues() == {"triage", "alerts", "celery"}


def test_worker_command_lines_are_read_like_celery_reads_them():
    assert worker_command_queues(["worker"]) == {"triage", "alerts", "celery"}  # no -Q: all declared
    assert worker_command_queues(["worker", "-Q", "triage"]) == {"triage"}
    assert worker_command_queues(["worker", "-Qalerts,celery"]) == {"alerts", "celery"}
    assert worker_command_queues(["worker", "--queues=alerts", "--queues", "celery"]) == {"alerts", "celery"}
    assert worker_command_queues(["worker", "-X", "celery"]) == {"triage", "alerts"}
    assert unconsumed_queues({"triage", "celery"}) == {"alerts"}
    assert unconsumed_queues({"triage", "alerts", "celery", "extra"}) == set()


def _compose_worker_commands() -> dict[str, list[str]]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    commands = {}
    for name, service in compose["services"].items():
        command = service.get("command") or []
        if isinstance(command, str):
            command = command.split()
        if "celery" in command and "worker" in command:
            commands[name] = command[command.index("worker") + 1 :]
    return commands


def test_every_routed_queue_is_consumed_by_a_worker_in_docker_compose():
    """A task routed to a queue no worker reads waits there forever, silently."""
    commands = _compose_worker_commands()
    assert commands, "docker-compose.yml starts no Celery worker"
    consumed = set().union(*(worker_command_queues(argv) for argv in commands.values()))
    assert unconsumed_queues(consumed) == set(), commands
    # A worker told to read a queue that is not declared reads nothing anyone sends to.
    assert consumed <= routed_queues(), commands


# --- real workers --------------------------------------------------------------------------------


def _clinician_socket(user) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/clinician/")
    comm.scope["user"] = user
    return comm


async def _next_live_alert(comm: WebsocketCommunicator, timeout: float) -> dict:
    while True:
        message = await comm.receive_json_from(timeout=timeout)
        if message["event"] == "crisis.alert" and not message["payload"]["replay"]:
            return message["payload"]


@needs_redis
def test_pipeline_through_a_real_worker(broker, member, thread, rota, primary):
    with _worker("all", pool="solo"):  # no -Q: every declared queue, like the demo-less single worker
        post = community_services.post_create(author=member, thread=thread, body=IMMINENT_TEXT)
        _wait_for(
            lambda: DeliveryAttempt.objects.filter(channel="email", status="sent").exists(),
            timeout=20,
            what="the email alert",
        )
    assert RiskAssessment.objects.get(post=post).level == "imminent"
    case = CrisisCase.objects.get(member=member)
    assert [a.recipient for a in Alert.objects.filter(case=case)] == [primary]
    assert DeliveryAttempt.objects.get(channel="email").status == "sent"


@needs_redis
def test_in_app_alert_does_not_wait_for_the_alerts_queue(broker, member, thread, rota, primary):
    """Only a triage worker runs: the clinician's socket still rings; the email waits its turn."""
    async_to_sync(_in_app_alert_from_triage_alone)(broker, member, thread, primary)
    with _worker("alerts", pool="solo", queues=["alerts"]):
        _wait_for(
            lambda: DeliveryAttempt.objects.filter(channel="email", status="sent").exists(),
            timeout=20,
            what="the alerts worker to send the email",
        )
    assert broker.llen("alerts") == 0


async def _in_app_alert_from_triage_alone(broker, member, thread, primary):
    comm = _clinician_socket(primary)
    connected, _ = await comm.connect()
    assert connected
    assert (await comm.receive_json_from(timeout=5))["event"] == "crisis.ready"
    with _worker("triage", pool="solo", queues=["triage"]):
        post = await sync_to_async(community_services.post_create)(
            author=member, thread=thread, body=IMMINENT_TEXT
        )
        payload = await _next_live_alert(comm, timeout=20)
    alert = await sync_to_async(Alert.objects.select_related("case").get)()
    assert payload["alert_id"] == alert.pk
    assert alert.case.member_id == member.pk
    assessment = await sync_to_async(RiskAssessment.objects.get)(post=post)
    assert assessment.case_id == alert.case_id
    email = await sync_to_async(DeliveryAttempt.objects.get)(alert=alert, channel="email")
    assert email.status == "pending"  # its task sits in the alerts queue, which nobody read yet
    assert broker.llen("alerts") == 1
    assert broker.llen("triage") == 0
    await comm.disconnect()


class HeldGateway:
    """A local HTTP endpoint that answers only when the test lets it (a gateway hanging)."""

    def __init__(self):
        self.release = threading.Event()
        self.arrived = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.arrived.set()
                outer.release.wait(30)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@contextmanager
def _worker_process(log: Path, *argv: str, **env: str):
    """``celery -A config worker <argv>`` as its own process, on the test database."""
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", *argv, "-l", "INFO"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "DATABASE_URL": _database_url(),
                **env,
            },
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@needs_redis
def test_a_hanging_webhook_holds_up_neither_the_email_nor_the_next_assessment(
    broker, settings, member, other_member, thread, rota, primary, tmp_path
):
    """The triage worker is a process of its own (the deployment's ``-Q triage`` command); the
    alerts worker has two threads, one of them stuck on a webhook that does not answer."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a second process shares the test database")
    gateway = HeldGateway()
    settings.ESCALATION_WEBHOOK_URL = gateway.url
    settings.ESCALATION_WEBHOOK_SECRET = "pipeline-secret"
    settings.ESCALATION_HTTP_TIMEOUT = 30
    triage_env = {"ESCALATION_WEBHOOK_URL": gateway.url, "ESCALATION_WEBHOOK_SECRET": "pipeline-secret"}
    try:
        with (
            _worker_process(tmp_path / "triage.log", "-Q", "triage", "--pool", "solo", **triage_env),
            _worker("alerts", pool="threads", concurrency=2, queues=["alerts"]),
        ):
            community_services.post_create(author=member, thread=thread, body=IMMINENT_TEXT)
            assert gateway.arrived.wait(60), (tmp_path / "triage.log").read_text()[-3000:]
            _wait_for(
                lambda: DeliveryAttempt.objects.filter(channel="email", status="sent").count() == 1,
                timeout=20,
                what="the email while the webhook hangs",
            )
            webhook = DeliveryAttempt.objects.get(channel="webhook")
            assert webhook.status == "pending"  # still in flight, under its row lock
            assert webhook.attempts == 0

            # Another member's crisis is assessed, and its clinician alerted, meanwhile.
            second = community_services.post_create(author=other_member, thread=thread, body=IMMINENT_TEXT)
            _wait_for(
                lambda: RiskAssessment.objects.filter(post=second).exists() and Alert.objects.count() == 2,
                timeout=20,
                what="the second assessment while the webhook hangs",
            )
            gateway.release.set()
            _wait_for(
                lambda: DeliveryAttempt.objects.filter(status="sent").count() == 6,
                timeout=30,
                what="every delivery once the gateway answers",
            )
    finally:
        gateway.close()
    assert sorted(DeliveryAttempt.objects.values_list("channel", "attempts")) == [
        ("email", 1),
        ("email", 1),
        ("inapp", 0),
        ("inapp", 0),
        ("webhook", 1),
        ("webhook", 1),
    ]


@needs_redis
def test_live_check_names_a_queue_no_running_worker_consumes(broker):
    # A worker that does not answer in time counts as absent (fail closed): on a busy machine a
    # just-started worker can miss the first broadcast, so ask until it answers.
    with _worker("partial", pool="solo", queues=["triage", "celery"]):
        _wait_for(
            lambda: live_unconsumed_queues(timeout=2) == {"alerts"}, timeout=30, what="the partial worker"
        )
    with _worker("all", pool="solo"):
        _wait_for(lambda: live_unconsumed_queues(timeout=2) == set(), timeout=30, what="the full worker")
    assert live_unconsumed_queues(timeout=1) == {"triage", "alerts", "celery"}  # nobody left
