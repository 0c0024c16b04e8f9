"""Pluggable SMS backends, chosen by the ``ESCALATION_SMS_BACKEND`` setting (a dotted path).

* ``escalation.sms.ConsoleBackend`` -- logs the message (development)
* ``escalation.sms.FileBackend``    -- appends JSON lines to ``ESCALATION_SMS_FILE_PATH``
* ``escalation.sms.LocmemBackend``  -- keeps messages in ``escalation.sms.outbox`` (tests)
* ``escalation.sms.HttpGatewayBackend`` -- POSTs ``{"to", "body", "reference"}`` as JSON to
  ``ESCALATION_SMS_GATEWAY_URL`` with ``Authorization: Bearer ESCALATION_SMS_GATEWAY_TOKEN``;
  any non-2xx answer or network error raises :class:`SmsError`.

Empty setting: SMS is not a configured channel.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(RuntimeError):
    """The message was not accepted; the caller records it and retries."""


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str
    reference: str


outbox: list[SmsMessage] = []


class BaseBackend:
    def send(self, message: SmsMessage) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send(self, message: SmsMessage) -> None:
        logger.warning("SMS to %s (%s): %s", message.to, message.reference, message.body)


class LocmemBackend(BaseBackend):
    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


class FileBackend(BaseBackend):
    def send(self, message: SmsMessage) -> None:
        path = getattr(settings, "ESCALATION_SMS_FILE_PATH", "")
        if not path:
            raise ImproperlyConfigured("ESCALATION_SMS_FILE_PATH is not set")
        line = json.dumps(
            {
                "to": message.to,
                "body": message.body,
                "reference": message.reference,
                "at": timezone.now().isoformat(),
            }
        )
        with Path(path).open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class HttpGatewayBackend(BaseBackend):
    def send(self, message: SmsMessage) -> None:
        url = getattr(settings, "ESCALATION_SMS_GATEWAY_URL", "")
        if not url.startswith(("http://", "https://")):
            raise ImproperlyConfigured("ESCALATION_SMS_GATEWAY_URL must be an http(s) URL")
        body = json.dumps({"to": message.to, "body": message.body, "reference": message.reference}).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "Kindred-alerts/1"}
        token = getattr(settings, "ESCALATION_SMS_GATEWAY_TOKEN", "")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        timeout = getattr(settings, "ESCALATION_HTTP_TIMEOUT", 5)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise SmsError(f"gateway answered {response.status}")
        except urllib.error.HTTPError as exc:
            raise SmsError(f"gateway answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SmsError(f"gateway unreachable: {exc}") from exc


def backend_path() -> str:
    return getattr(settings, "ESCALATION_SMS_BACKEND", "") or ""


def get_backend() -> BaseBackend:
    path = backend_path()
    if not path:
        raise ImproperlyConfigured("SMS is not configured (ESCALATION_SMS_BACKEND is empty)")
    return import_string(path)()


def send_sms(*, to: str, body: str, reference: str) -> None:
    get_backend().send(SmsMessage(to=to, body=body, reference=reference))
