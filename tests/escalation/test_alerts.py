"""Alert delivery on every channel (against local stub servers), retries, and acknowledgement links."""

from __future__ import annotations

import json
import os
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from escalation import alerts, services, sms
from escalation.models import Alert, ClinicianContact, CrisisCase, DeliveryAttempt, Hazard
from tests.escalation.test_cases import open_case

pytestmark = pytest.mark.django_db
SECRET = "webhook-test-secret"


class StubServer:
    """A tiny HTTP server on 127.0.0.1 that records requests and answers with queued statuses."""

    def __init__(self, statuses=(200,)):
        self.requests: list[dict] = []
        self.statuses = list(statuses)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
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
