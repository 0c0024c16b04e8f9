"""Delivering stored alerts on every configured channel, and the signed links that acknowledge them.

An :class:`~escalation.models.Alert` and one :class:`~escalation.models.DeliveryAttempt` per
channel are written in the transaction that decides to alert; only after commit does anything
leave the building (``tasks.deliver_alert``). Each delivery is sent under a row lock and checked
"already sent?" first, so a duplicated task never sends twice. Failures are recorded on the row
with exponential backoff; the beat sweeper re-drives any retry whose message was lost.

Channels (``ESCALATION_ALERT_CHANNELS``; default: in-app and email, plus SMS when
``ESCALATION_SMS_BACKEND`` is set and the webhook when ``ESCALATION_WEBHOOK_URL`` is set):

* ``inapp``   -- the alert row itself plus a WebSocket doorbell (sent on commit);
* ``email``   -- Django mail to the clinician, with a signed, expiring acknowledgement link;
* ``sms``     -- through the pluggable backend in ``escalation.sms``, same link;
* ``webhook`` -- JSON POSTed to ``ESCALATION_WEBHOOK_URL`` with
  ``X-Kindred-Signature: sha256=<HMAC-SHA256 of the raw body with ESCALATION_WEBHOOK_SECRET>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from escalation import sms
from escalation.models import (
    Alert,
    AlertChannel,
    CaseEvent,
    CaseEventKind,
    ClinicianContact,
    DeliveryAttempt,
    DeliveryStatus,
    Hazard,
    HazardKind,
)

logger = logging.getLogger(__name__)

ACK_SALT = "escalation.alert-ack"
SIGNATURE_HEADER = "X-Kindred-Signature"


class DeliveryError(RuntimeError):
    pass


# Settings, read on every call so tests can override them.


def configured_channels() -> list[str]:
    explicit = getattr(settings, "ESCALATION_ALERT_CHANNELS", None)
    if explicit is not None:
        return [c for c in explicit if c in AlertChannel.values]
    channels = [AlertChannel.INAPP, AlertChannel.EMAIL]
    if sms.backend_path():
        channels.append(AlertChannel.SMS)
    if getattr(settings, "ESCALATION_WEBHOOK_URL", ""):
        channels.append(AlertChannel.WEBHOOK)
    return channels


def max_attempts() -> int:
    return int(getattr(settings, "ESCALATION_DELIVERY_MAX_ATTEMPTS", 6))


def backoff(attempt: int) -> timedelta:
    """Wait before try ``attempt + 1``: 5 s, 10 s, 20 s ... capped well below the visibility timeout."""
    base = float(getattr(settings, "ESCALATION_DELIVERY_BACKOFF_SECONDS", 5))
    return timedelta(seconds=min(base * (2 ** max(attempt - 1, 0)), 120))


def email_timeout() -> float:
    """The shorter of EMAIL_TIMEOUT and the webhook and SMS gateway timeout (ESCALATION_HTTP_TIMEOUT, 5 s)."""
    # An unset EMAIL_TIMEOUT makes Django's SMTP backend wait forever: one silent mail server
    # would hold the alerts worker, or the sweeper sending inline on the triage worker. An alert
    # that cannot go now is retried with backoff, so it waits no longer than the gateways.
    gateway = getattr(settings, "ESCALATION_HTTP_TIMEOUT", 5)
    mail = getattr(settings, "EMAIL_TIMEOUT", None)
    return min(mail, gateway) if mail else gateway


def ack_link_max_age() -> int:
    return int(getattr(settings, "ESCALATION_ACK_LINK_MAX_AGE", 3600))


def site_url() -> str:
    return getattr(settings, "KINDRED_SITE_URL", "http://localhost:8000").rstrip("/")


# Acknowledgement links.


def ack_token(alert: Alert) -> str:
    return signing.TimestampSigner(salt=ACK_SALT).sign(f"{alert.pk}:{alert.recipient_id}")


def read_ack_token(token: str) -> tuple[int, int]:
    """Return (alert_id, recipient_id). Raises ``signing.SignatureExpired`` / ``BadSignature``."""
    value = signing.TimestampSigner(salt=ACK_SALT).unsign(token, max_age=ack_link_max_age())
    alert_id, _, recipient_id = value.partition(":")
    try:
        return int(alert_id), int(recipient_id)
    except ValueError as exc:
        raise signing.BadSignature("malformed acknowledgement token") from exc


def ack_url(alert: Alert) -> str:
    return site_url() + reverse("escalation:alert-ack-link", args=[ack_token(alert)])


def case_url(case_id: int) -> str:
    return site_url() + reverse("escalation:case-detail", args=[case_id])


# Webhook signing.


def sign_body(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, secret: str, header: str) -> bool:
    return hmac.compare_digest(sign_body(body, secret), header or "")


# Creating deliveries (inside the alerting transaction).


def deliveries_create(*, alert: Alert, now: datetime) -> list[DeliveryAttempt]:
    """One row per configured channel; in-app is delivered by the doorbell on commit."""
    from escalation import events

    rows = []
    for channel in configured_channels():
        status, delivered_at = DeliveryStatus.PENDING, None
        if channel == AlertChannel.INAPP:
            status, delivered_at = DeliveryStatus.SENT, now
        rows.append(
            DeliveryAttempt(
                alert=alert,
                channel=channel,
                status=status,
                delivered_at=delivered_at,
                next_attempt_at=None if delivered_at else now,
                created_at=now,
            )
        )
    created = DeliveryAttempt.objects.bulk_create(rows, ignore_conflicts=True)
    if AlertChannel.INAPP in configured_channels():
        events.alert_on_commit(alert)
    pending_ids = list(
        DeliveryAttempt.objects.filter(alert=alert, status=DeliveryStatus.PENDING).values_list(
            "pk", flat=True
        )
    )
    transaction.on_commit(lambda: queue_deliveries(pending_ids), robust=True)
    return created


def queue_deliveries(delivery_ids: list[int]) -> None:
    """Publish one task per delivery. A broker failure is logged; the sweeper re-drives."""
    from escalation import tasks

    for delivery_id in delivery_ids:
        try:
            tasks.deliver_alert.delay(delivery_id)
        except Exception:
            logger.exception("Could not queue delivery %s; the sweeper will send it", delivery_id)


# Sending.


def _alert_text(alert: Alert) -> str:
    return (
        f"Kindred crisis alert: case {alert.case_id} ({alert.case.level}), round {alert.round}. "
        f"Acknowledge: {ack_url(alert)}"
    )


def _send_email(alert: Alert) -> bool:
    recipient = alert.recipient
    contact = ClinicianContact.objects.filter(user=recipient).first()
    if not recipient.email or (contact is not None and not contact.email_alerts):
        return False
    body = "\n".join(
        [
            f"Hello {recipient.pseudonym},",
            "",
            f"A member may be at imminent risk (crisis case {alert.case_id}, level {alert.case.level}).",
            f"You are alerted as: {alert.target.replace('_', ' ')} (round {alert.round}).",
            "",
            f"Acknowledge with one click (link valid for {ack_link_max_age() // 60} minutes):",
            ack_url(alert),
            "",
            f"Open the case: {case_url(alert.case_id)}",
            "",
            "If nobody acknowledges, the alert escalates to the next clinician on the rota.",
        ]
    )
    send_mail(
        f"[Kindred] Crisis alert: case {alert.case_id}",
        body,
        None,
        [recipient.email],
        fail_silently=False,
        connection=get_connection(timeout=email_timeout()),
    )
    return True


def _send_sms(alert: Alert) -> bool:
    contact = ClinicianContact.objects.filter(user=alert.recipient).first()
    if contact is None or not contact.sms_number:
        return False
    sms.send_sms(to=contact.sms_number, body=_alert_text(alert), reference=f"alert-{alert.pk}")
    return True


def webhook_payload(alert: Alert) -> dict:
    case = alert.case
    return {
        "event": "crisis.alert",
        "dedup_key": f"kindred-case-{case.pk}",
        "alert_id": alert.pk,
        "case_id": case.pk,
        "round": alert.round,
        "target": alert.target,
        "level": case.level,
        "case_status": case.status,
        "recipient": {"id": alert.recipient_id, "pseudonym": alert.recipient.pseudonym},
        "opened_at": case.opened_at.isoformat(),
        "created_at": alert.created_at.isoformat(),
        "case_url": case_url(case.pk),
    }


def _send_webhook(alert: Alert, delivery: DeliveryAttempt) -> bool:
    url = getattr(settings, "ESCALATION_WEBHOOK_URL", "")
    secret = getattr(settings, "ESCALATION_WEBHOOK_SECRET", "")
    if not url.startswith(("http://", "https://")) or not secret:
        raise ImproperlyConfigured("ESCALATION_WEBHOOK_URL and ESCALATION_WEBHOOK_SECRET must both be set")
    body = json.dumps(webhook_payload(alert), separators=(",", ":"), sort_keys=True).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Kindred-alerts/1",
        SIGNATURE_HEADER: sign_body(body, secret),
        "X-Kindred-Event": "crisis.alert",
        "X-Kindred-Delivery": str(delivery.pk),
    }
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=getattr(settings, "ESCALATION_HTTP_TIMEOUT", 5)
        ) as response:
            if not 200 <= response.status < 300:
                raise DeliveryError(f"webhook answered {response.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook answered {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"webhook unreachable: {exc}") from exc
    return True


def _send(delivery: DeliveryAttempt) -> bool:
    alert = delivery.alert
    if delivery.channel == AlertChannel.EMAIL:
        return _send_email(alert)
    if delivery.channel == AlertChannel.SMS:
        return _send_sms(alert)
    if delivery.channel == AlertChannel.WEBHOOK:
        return _send_webhook(alert, delivery)
    return True  # in-app: the doorbell went on commit


def delivery_send(
    *, delivery_id: int, now: datetime | None = None, force: bool = False, skip_locked: bool = False
) -> DeliveryAttempt | None:
    """Send one delivery if it is still due. Idempotent; records success or the failure.

    ``skip_locked``: if another process holds the row (it is sending it right now), return None at
    once instead of waiting for it -- for the sweeper, which must not stall behind a gateway.
    Returns the row (None if it does not exist, or is skipped). A failure leaves it ``retrying``
    with ``next_attempt_at`` set (the caller schedules the retry) or ``failed`` after the last
    attempt (a hazard is logged).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the delivery row only (of="self"): the joined case and clinician rows stay free, or
        # a gateway that hangs would block every new alert to that clinician -- and the triage
        # worker writing it -- for as long as the call takes.
        delivery = (
            DeliveryAttempt.objects.select_for_update(of=("self",), skip_locked=skip_locked)
            .select_related("alert__case", "alert__recipient")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in (
            DeliveryStatus.SENT,
            DeliveryStatus.FAILED,
            DeliveryStatus.SKIPPED,
        ):
            return delivery
        if not force and delivery.next_attempt_at and delivery.next_attempt_at > now:
            return delivery  # a retry is already scheduled for later
        delivery.attempts += 1
        try:
            sent = _send(delivery)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            logger.warning("Alert delivery %s (%s) failed: %s", delivery.pk, delivery.channel, error)
            delivery.last_error = error
            delivery.errors = [*delivery.errors, {"at": now.isoformat(), "error": error}][-20:]
            if delivery.attempts >= max_attempts():
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
                detail = f"{delivery.channel} delivery of alert {delivery.alert_id} failed: {error}"[:500]
                Hazard.objects.create(
                    kind=HazardKind.DELIVERY_FAILED, case=delivery.alert.case, detail=detail
                )
                CaseEvent.objects.create(
                    case=delivery.alert.case,
                    kind=CaseEventKind.DELIVERY_FAILED,
                    data={"alert_id": delivery.alert_id, "channel": delivery.channel, "error": error},
                )
            else:
                delivery.status = DeliveryStatus.RETRYING
                delivery.next_attempt_at = now + backoff(delivery.attempts)
        else:
            delivery.status = DeliveryStatus.SENT if sent else DeliveryStatus.SKIPPED
            delivery.delivered_at = now if sent else None
            delivery.next_attempt_at = None
            delivery.last_error = "" if sent else "no address for this channel"
        delivery.save()
        return delivery


REDRIVE_GRACE = timedelta(seconds=30)
# A delivery the sweeper re-queued is not re-queued again for this long: while the alerts worker
# is backlogged, every 10 s tick would otherwise add one more message for the same delivery. It
# is no longer than REDRIVE_GRACE: a retry scheduled after a re-queue is due later than that
# re-queue, so by the time the retry counts as lost (REDRIVE_GRACE past due) the lease has run out.
REQUEUE_LEASE = timedelta(seconds=30)
SEND_INLINE_AFTER = timedelta(seconds=90)
# The sweeper runs on the triage worker: inline sending stops starting new sends once this much
# of a tick is spent (one send that began in time may still take up to its gateway timeout,
# ESCALATION_HTTP_TIMEOUT), so stranded alerts never hold post screening up for long.
INLINE_SEND_BUDGET = timedelta(seconds=5)
_clock = time.monotonic


def deliveries_redrive(
    *,
    now: datetime | None = None,
    grace: timedelta = REDRIVE_GRACE,
    lease: timedelta = REQUEUE_LEASE,
    inline_after: timedelta = SEND_INLINE_AFTER,
    inline_budget: timedelta = INLINE_SEND_BUDGET,
    limit: int = 200,
    inline_limit: int = 20,
) -> int:
    """Re-drive deliveries whose task was lost (due for longer than ``grace``). Runs every beat tick.

    A lost delivery is queued again on the ``alerts`` queue, so a slow gateway never holds up
    the sweeper, and ``requeued_at`` takes a lease on it: it is not queued again within ``lease``.
    One that is still unsent ``inline_after`` its due time -- the alerts queue has no worker, or
    the broker keeps losing it -- is sent here and now, most overdue first, at most
    ``inline_limit`` per tick and no new send once ``inline_budget`` is spent: a stranded alert
    is a silent safety failure, but so is a triage worker blocked on gateways. What is left is
    sent on the next tick. Returns how many deliveries were tried inline or queued.
    """
    now = now or timezone.now()
    due = DeliveryAttempt.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now - grace
    )
    # Stranded ones are sent whatever their lease says: the re-queue evidently did not work.
    # next_attempt_at stays the original due time through re-queues, so this clock keeps running.
    stranded = list(
        due.filter(next_attempt_at__lte=now - inline_after)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:inline_limit]
    )
    with transaction.atomic():
        # Claim the lease under a row lock, skipping locked rows: a concurrent tick has them, or
        # the alerts worker is sending one right now (delivery_send holds its lock while it sends).
        lost = list(
            due.filter(next_attempt_at__gt=now - inline_after)
            .filter(Q(requeued_at__isnull=True) | Q(requeued_at__lte=now - lease))
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:limit]
        )
        DeliveryAttempt.objects.filter(pk__in=lost).update(requeued_at=now)
    # Published after the lease is committed. Should publishing fail, the delivery waits one
    # lease for the next try, or is sent inline once stranded; it is never dropped.
    queue_deliveries(lost)
    if stranded:
        logger.error(
            "%d alert deliveries unsent %ds after they were due (is a worker consuming the alerts "
            "queue?); sending them from the sweeper",
            len(stranded),
            inline_after.total_seconds(),
        )
    started, sent_inline = _clock(), 0
    for delivery_id in stranded:
        # Checked between sends, not before the first: every tick makes progress.
        if sent_inline and _clock() - started >= inline_budget.total_seconds():
            logger.error(
                "Inline alert sending stopped after %.1fs (budget %ds); %d stranded deliveries "
                "wait for the next tick",
                _clock() - started,
                inline_budget.total_seconds(),
                len(stranded) - sent_inline,
            )
            break
        try:
            # Skip one the alerts worker is sending right now (its row is locked): waiting would
            # hold this tick up to a gateway timeout, and the worker records how it went.
            if delivery_send(delivery_id=delivery_id, now=now, skip_locked=True) is None:
                continue
        except Exception:
            logger.exception("Re-driving delivery %s failed", delivery_id)
        sent_inline += 1
    return sent_inline + len(lost)
