"""The append-only audit log: one function writes it, nothing updates or deletes it.

The request id comes from the ``X-Request-ID`` header (set by a proxy) or is made up per
request by ``RequestIdMiddleware`` / the staff page decorators, and travels in a context variable
so services need not be handed the request.
"""

from __future__ import annotations

import contextvars
import uuid
from typing import Any

from moderation.models import AuditEntry

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("kindred_request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str) -> contextvars.Token:
    return _request_id.set((value or "")[:64])


def request_id_for(request) -> str:
    existing = getattr(request, "request_id", "")
    if existing:
        return existing
    header = (request.headers.get("X-Request-ID") or "").strip()
    value = header[:64] if header else uuid.uuid4().hex
    request.request_id = value
    return value


class RequestIdMiddleware:
    """Give every request an id for the audit log (optional: the staff decorators do it too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_request_id(request_id_for(request))
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response.headers.setdefault("X-Request-ID", request.request_id)
        return response


def audit_record(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: Any,
    reason: str = "",
    data: dict | None = None,
) -> AuditEntry:
    """Append one entry. Call inside the service's transaction so it commits with the change."""
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=getattr(actor, "pseudonym", "") if actor is not None else "",
        actor_role=getattr(actor, "role", "") if actor is not None else "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        reason=(reason or "")[:5000],
        data=data or {},
        request_id=current_request_id(),
    )
