"""Alert delivery on every channel (against local stub servers), retries, and acknowledgement links."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import signing
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from escalation import alerts, services, sms
from escalation.models import Alert, ClinicianContact, CrisisCase, DeliveryAttempt, Hazard
from tests.escalation.test_cases import open_case

pytestmark = pytest.mark.django_db
SECRET = "webhook-test-secret"


class StubServer:
    """A tiny HTTP server on 127.0.0.1 that records requests and answers with queued statuses."""

    def __init__(self, statuses=(200,), hold: threading.Event | None = None):
        self.requests: list[dict] = []
        self.statuses = list(statuses)
        self.hold = hold  # when given, every answer waits until it is set: a slow gateway
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                if outer.hold is not None:
                    outer.hold.wait(timeout=30)
                status = outer.statuses.pop(0) if len(outer.statuses) > 1 else outer.statuses[0]
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    server = StubServer()
    yield server
    server.close()


def test_webhook_is_signed_with_hmac_sha256_over_the_body(settings, stub, member, rota, primary):
    settings.ESCALATION_ALERT_CHANNELS = ["inapp", "webhook"]
    settings.ESCALATION_WEBHOOK_URL = stub.url
    settings.ESCALATION_WEBHOOK_SECRET = SECRET
    case = open_case(member)
    delivery = DeliveryAttempt.objects.get(channel="webhook")
    alerts.delivery_send(delivery_id=delivery.pk)
    [request] = stub.requests
    signature = request["headers"]["X-Kindred-Signature"]
    assert signature == alerts.sign_body(request["body"], SECRET)
    assert alerts.verify_signature(request["body"], SECRET, signature)
    assert not alerts.verify_signature(request["body"] + b" ", SECRET, signature)
    payload = json.loads(request["body"])
    assert payload["event"] == "crisis.alert"
    assert payload["case_id"] == case.pk
    assert payload["dedup_key"] == f"kindred-case-{case.pk}"
    assert payload["recipient"] == {"id": primary.pk, "pseudonym": primary.pseudonym}
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.attempts == 1
    alerts.delivery_send(delivery_id=delivery.pk)  # a duplicate task sends nothing
    assert len(stub.requests) == 1


def test_webhook_failures_back_off_then_give_up_with_a_hazard(settings, member, rota):
    server = StubServer(statuses=[500])
    settings.ESCALATION_ALERT_CHANNELS = ["webhook"]
    settings.ESCALATION_WEBHOOK_URL = server.url
    settings.ESCALATION_WEBHOOK_SECRET = SECRET
    settings.ESCALATION_DELIVERY_MAX_ATTEMPTS = 3
    try:
        open_case(member)
        delivery = DeliveryAttempt.objects.get()
        now = timezone.now()
        alerts.delivery_send(delivery_id=delivery.pk, now=now)
        delivery.refresh_from_db()
        assert delivery.status == "retrying"
        assert "500" in delivery.last_error
        assert delivery.next_attempt_at == now + timedelta(seconds=5)
        alerts.delivery_send(delivery_id=delivery.pk, now=now + timedelta(seconds=1))  # not due yet
        assert len(server.requests) == 1
        alerts.delivery_send(delivery_id=delivery.pk, now=now + timedelta(seconds=5))
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == now + timedelta(seconds=15)  # 5 s, then 10 s
        # The retry's message was lost and the alerts queue did not send it either: 90 s after it
        # was due the sweeper stops relying on the queue and sends it itself.
        assert alerts.deliveries_redrive(now=now + timedelta(seconds=15 + 91)) == 1
        delivery.refresh_from_db()
        assert delivery.status == "failed"
        assert delivery.attempts == 3
        assert len(delivery.errors) == 3
        assert Hazard.objects.filter(kind="delivery_failed").count() == 1
    finally:
        server.close()


def test_sweeper_requeues_a_lost_delivery_and_leaves_a_fresh_one(settings, stub, member, rota):
    settings.ESCALATION_ALERT_CHANNELS = ["webhook"]
    settings.ESCALATION_WEBHOOK_URL = stub.url
    settings.ESCALATION_WEBHOOK_SECRET = SECRET
    open_case(member)  # in the test transaction: the on-commit publish never happens (a lost task)
    delivery = DeliveryAttempt.objects.get()
    assert alerts.deliveries_redrive(now=delivery.next_attempt_at + timedelta(seconds=29)) == 0
    assert stub.requests == []
    DeliveryAttempt.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=45)
    )
    assert alerts.deliveries_redrive() == 1  # queued again; tasks run in-process here
    assert len(stub.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.attempts == 1
    assert alerts.deliveries_redrive() == 0


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (redis://127.0.0.1:6379/<n>)")
def test_sweeper_puts_a_lost_delivery_back_on_the_alerts_queue_without_calling_out(
    settings, stub, member, rota
):
    """The sweeper runs on the triage queue: a merely lost delivery goes back to ``alerts``."""
    import redis

    from config.celery_app import app

    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    broker.delete("alerts")
    settings.ESCALATION_ALERT_CHANNELS = ["webhook"]
    settings.ESCALATION_WEBHOOK_URL = stub.url
    settings.ESCALATION_WEBHOOK_SECRET = SECRET
    open_case(member)
    delivery = DeliveryAttempt.objects.get()
    DeliveryAttempt.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=45)
    )
    saved, app.conf.task_always_eager = app.conf.task_always_eager, False
    try:
        assert alerts.deliveries_redrive() == 1
        [raw] = broker.lrange("alerts", 0, -1)
    finally:
        app.conf.task_always_eager = saved
        broker.delete("alerts")
    message = json.loads(raw)
    assert message["headers"]["task"] == "escalation.deliver_alert"
    assert message["headers"]["argsrepr"] == f"({delivery.pk},)"
    assert stub.requests == []
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.attempts == 0


@pytest.fixture
def alerts_queue(settings):
    """Publish to the real ``alerts`` queue on Redis (no worker consumes it); yields a reader."""
    import redis

    from config.celery_app import app

    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL (redis://127.0.0.1:6379/<n>)")
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    broker.delete("alerts")
    saved, app.conf.task_always_eager = app.conf.task_always_eager, False
    try:
        yield lambda: [json.loads(raw)["headers"]["argsrepr"] for raw in broker.lrange("alerts", 0, -1)]
    finally:
        app.conf.task_always_eager = saved
        broker.delete("alerts")


def _lost_webhook_delivery(settings, stub, member) -> DeliveryAttempt:
    settings.ESCALATION_ALERT_CHANNELS = ["webhook"]
    settings.ESCALATION_WEBHOOK_URL = stub.url
    settings.ESCALATION_WEBHOOK_SECRET = SECRET
    open_case(member)  # in the test transaction: the on-commit publish never happens (a lost task)
    return DeliveryAttempt.objects.get()


@pytest.mark.redis
def test_sweeper_requeues_a_lost_delivery_once_per_lease(settings, stub, member, rota, alerts_queue):
    """A backlogged alerts worker: the delivery is re-queued once per lease, not on every tick."""
    delivery = _lost_webhook_delivery(settings, stub, member)
    due = delivery.next_attempt_at
    first = due + timedelta(seconds=45)
    assert alerts.deliveries_redrive(now=first) == 1
    assert alerts_queue() == [f"({delivery.pk},)"]
    delivery.refresh_from_db()
    assert delivery.requeued_at == first
    assert delivery.next_attempt_at == due  # the due time is kept: it still strands at 90 s
    assert delivery.status == "pending"
    # The next tick, 10 s later, and the last one inside the lease add nothing.
    assert alerts.deliveries_redrive(now=first + timedelta(seconds=10)) == 0
    assert alerts.deliveries_redrive(now=first + timedelta(seconds=29)) == 0
    assert alerts_queue() == [f"({delivery.pk},)"]
    # Once the lease has run out it is queued again (still short of the inline 90 s).
    assert alerts.deliveries_redrive(now=first + timedelta(seconds=30)) == 1
    assert alerts_queue() == [f"({delivery.pk},)"] * 2
    delivery.refresh_from_db()
    assert delivery.requeued_at == first + timedelta(seconds=30)
    assert delivery.next_attempt_at == due
    assert stub.requests == []  # the sweeper itself never called out


@pytest.mark.redis
def test_a_requeued_delivery_never_sent_is_sent_inline_90s_after_it_was_due(
    settings, stub, member, rota, alerts_queue
):
    delivery = _lost_webhook_delivery(settings, stub, member)
    due = delivery.next_attempt_at
    assert alerts.deliveries_redrive(now=due + timedelta(seconds=75)) == 1  # re-queued: a lease
    assert stub.requests == []
    # Nobody consumes the alerts queue. 90 s after it was due the lease does not hold it back.
    assert alerts.deliveries_redrive(now=due + timedelta(seconds=91)) == 1
    assert len(stub.requests) == 1
    assert alerts_queue() == [f"({delivery.pk},)"]  # not queued a second time either
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.attempts == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("overdue", [45, 120], ids=["lost: re-queued", "stranded: sent inline"])
def test_sweeper_skips_a_delivery_the_alerts_worker_is_sending_right_now(
    settings, member, rota, primary, overdue
):
    """The worker holds the row lock while its gateway is slow: the sweeper neither waits for
    it (it runs on the triage worker), nor takes a lease on it, nor sends it a second time --
    whether it is due for a re-queue or overdue enough to be sent from the sweeper itself."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks (SQLite locks the whole database)")
    hold = threading.Event()
    server = StubServer(hold=hold)
    settings.ESCALATION_ALERT_CHANNELS = ["webhook"]
    settings.ESCALATION_WEBHOOK_URL = server.url
    settings.ESCALATION_WEBHOOK_SECRET = SECRET
    case = CrisisCase.objects.create(member=member)
    alert = Alert.objects.create(case=case, recipient=primary, round=1, target="primary")
    delivery = DeliveryAttempt.objects.create(
        alert=alert, channel="webhook", next_attempt_at=timezone.now() - timedelta(seconds=overdue)
    )

    def alerts_worker():
        try:
            alerts.delivery_send(delivery_id=delivery.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=alerts_worker)
    worker.start()
    safety = threading.Timer(5, hold.set)  # a sweeper that waits for the lock fails, not hangs
    try:
        deadline = time.monotonic() + 10
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(server.requests) == 1  # the worker is inside the gateway call, row locked
        safety.start()
        started = time.monotonic()
        assert alerts.deliveries_redrive() == 0
        elapsed = time.monotonic() - started
    finally:
        hold.set()
        worker.join(timeout=30)
        safety.cancel()
        server.close()
    assert elapsed < 2
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.requeued_at is None
    assert len(server.requests) == 1


class ClockedSmsBackend(sms.LocmemBackend):
    """A slow SMS gateway: every message takes 2 s of the fake clock (``clock[0]``)."""

    clock = [0.0]

    def send(self, message):
        super().send(message)
        ClockedSmsBackend.clock[0] += 2.0


def test_inline_sending_stops_at_the_time_budget_and_the_rest_go_next_tick(
    settings, monkeypatch, caplog, member, rota, primary
):
    settings.ESCALATION_ALERT_CHANNELS = ["sms"]
    settings.ESCALATION_SMS_BACKEND = "tests.escalation.test_alerts.ClockedSmsBackend"
    ClinicianContact.objects.create(user=primary, sms_number="+447700900123")
    ClockedSmsBackend.clock[0] = 0.0
    monkeypatch.setattr(alerts, "_clock", lambda: ClockedSmsBackend.clock[0])
    case = open_case(member)
    now = timezone.now()
    DeliveryAttempt.objects.update(next_attempt_at=now - timedelta(seconds=100))
    for round_ in range(2, 8):  # six more stranded deliveries, each more overdue than the last
        alert = Alert.objects.create(case=case, recipient=primary, round=round_, target="primary")
        DeliveryAttempt.objects.create(
            alert=alert, channel="sms", next_attempt_at=now - timedelta(seconds=100 + round_)
        )
    most_overdue_first = [
        f"alert-{pk}"
        for pk in DeliveryAttempt.objects.order_by("next_attempt_at").values_list("alert_id", flat=True)
    ]
    assert len(most_overdue_first) == 7
    assert alerts.INLINE_SEND_BUDGET.total_seconds() == 5

    # 2 s a message and a 5 s budget: sends at 0, 2 and 4 s, none started at 6 s.
    assert alerts.deliveries_redrive(now=now) == 3
    assert [m.reference for m in sms.outbox] == most_overdue_first[:3]
    assert DeliveryAttempt.objects.filter(status="pending").count() == 4
    assert "is a worker consuming the alerts queue?" in caplog.text
    assert "wait for the next tick" in caplog.text

    assert alerts.deliveries_redrive(now=now + timedelta(seconds=10)) == 3
    assert alerts.deliveries_redrive(now=now + timedelta(seconds=20)) == 1
    assert alerts.deliveries_redrive(now=now + timedelta(seconds=30)) == 0
    assert [m.reference for m in sms.outbox] == most_overdue_first  # each once, in order
    assert set(DeliveryAttempt.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_sms_goes_through_the_http_gateway(settings, stub, member, rota, primary):
    settings.ESCALATION_ALERT_CHANNELS = ["sms"]
    settings.ESCALATION_SMS_BACKEND = "escalation.sms.HttpGatewayBackend"
    settings.ESCALATION_SMS_GATEWAY_URL = stub.url
    settings.ESCALATION_SMS_GATEWAY_TOKEN = "gw-token"
    ClinicianContact.objects.create(user=primary, sms_number="+447700900123")
    case = open_case(member)
    alerts.delivery_send(delivery_id=DeliveryAttempt.objects.get().pk)
    [request] = stub.requests
    body = json.loads(request["body"])
    assert body["to"] == "+447700900123"
    assert f"case {case.pk}" in body["body"]
    assert "/clinician/ack/" in body["body"]
    assert request["headers"]["Authorization"] == "Bearer gw-token"
    assert DeliveryAttempt.objects.get().status == "sent"


def test_sms_without_a_number_is_skipped_not_failed(settings, member, rota):
    settings.ESCALATION_ALERT_CHANNELS = ["sms"]
    open_case(member)
    delivery = alerts.delivery_send(delivery_id=DeliveryAttempt.objects.get().pk)
    assert delivery.status == "skipped"
    assert sms.outbox == []


def test_unreachable_sms_gateway_is_recorded_for_retry(settings, member, rota, primary):
    settings.ESCALATION_ALERT_CHANNELS = ["sms"]
    settings.ESCALATION_SMS_BACKEND = "escalation.sms.HttpGatewayBackend"
    settings.ESCALATION_SMS_GATEWAY_URL = "http://127.0.0.1:9/nothing-listens-here"
    ClinicianContact.objects.create(user=primary, sms_number="+447700900123")
    open_case(member)
    delivery = alerts.delivery_send(delivery_id=DeliveryAttempt.objects.get().pk)
    assert delivery.status == "retrying"
    assert "unreachable" in delivery.last_error


def test_ack_link_valid_expired_and_tampered(client, settings, member, rota, primary):
    open_case(member)
    alert = Alert.objects.get()
    url = reverse("escalation:alert-ack-link", args=[alerts.ack_token(alert)])
    page = client.get(url)
    assert page.status_code == 200
    assert CrisisCase.objects.get().status == "open"  # GET never acknowledges (link scanners)
    tampered = url.replace(f"/{alert.pk}:", f"/{alert.pk + 1}:")
    assert client.post(tampered).status_code == 400
    settings.ESCALATION_ACK_LINK_MAX_AGE = -1
    assert client.post(url).status_code == 410
    assert CrisisCase.objects.get().status == "open"
    settings.ESCALATION_ACK_LINK_MAX_AGE = 3600
    response = client.post(url)
    assert response.status_code == 200
    case = CrisisCase.objects.get()
    assert case.status == "acknowledged"
    assert case.assignee == primary
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    assert alert.acknowledged_via == "link"


def test_ack_token_is_bound_to_the_recipient(member, rota):
    open_case(member)
    alert = Alert.objects.get()
    forged = signing.TimestampSigner(salt="another-salt").sign(f"{alert.pk}:{alert.recipient_id}")
    with pytest.raises(signing.BadSignature):
        alerts.read_ack_token(forged)


def test_one_click_acknowledge_from_the_dashboard(client, member, rota, primary, backup):
    open_case(member)
    alert = Alert.objects.get()
    client.force_login(backup)  # any clinician may take it
    response = client.post(reverse("escalation:alert-ack", args=[alert.pk]), HTTP_ACCEPT="application/json")
    assert response.json() == {"case_id": alert.case_id, "acknowledged": True, "changed": True}
    alert.refresh_from_db()
    assert alert.status == "superseded"
    assert CrisisCase.objects.get().assignee == backup
    again = client.post(reverse("escalation:alert-ack", args=[alert.pk]), HTTP_ACCEPT="application/json")
    assert again.json()["changed"] is False


def test_email_to_a_silent_mail_server_times_out_and_is_retried(settings, member, rota):
    """SMTP waits forever by default; an alert email gives up after the gateway timeout."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    accepted, done = [], threading.Event()

    def silent_server():  # accepts, never says hello, hangs up after 5 s (so a bug fails, not hangs)
        conn, _ = listener.accept()
        accepted.append(conn)
        done.wait(timeout=5)
        conn.close()

    server = threading.Thread(target=silent_server, daemon=True)
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.getsockname()[1]
    settings.EMAIL_TIMEOUT = None
    settings.ESCALATION_HTTP_TIMEOUT = 0.5
    try:
        open_case(member)
        started = time.monotonic()
        delivery = alerts.delivery_send(delivery_id=DeliveryAttempt.objects.get(channel="email").pk)
        elapsed = time.monotonic() - started
    finally:
        done.set()
        server.join(timeout=10)
        listener.close()
    assert len(accepted) == 1
    assert elapsed < 3
    assert delivery.status == "retrying"
    assert "timed out" in delivery.last_error


def test_email_alert_can_be_switched_off_by_the_clinician(member, rota, primary):
    from django.core import mail

    ClinicianContact.objects.create(user=primary, email_alerts=False)
    open_case(member)
    delivery = alerts.delivery_send(delivery_id=DeliveryAttempt.objects.get(channel="email").pk)
    assert delivery.status == "skipped"
    assert mail.outbox == []


def test_reack_round_re_alerts_the_assignee(member, rota, primary):
    case = open_case(member)
    services.case_acknowledge(case=case, actor=primary)
    case.refresh_from_db()
    services.cases_run_due(now=case.acknowledged_at + timedelta(minutes=30))
    case.refresh_from_db()
    assert case.needs_reack
    assert list(Alert.objects.filter(round=2).values_list("recipient", "target")) == [
        (primary.pk, "assignee")
    ]
