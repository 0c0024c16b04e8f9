"""The clinician's live alert socket (``ws/clinician/``): a doorbell over stored alerts.

On connect (and so on every reconnect) it authenticates, joins the clinician's own group
(``user.<id>``) and the ``clinicians`` group, then sends every alert still waiting for this
clinician's acknowledgement, marked ``"replay": true``. After that it forwards ``kindred.event``
messages (``crisis.alert``, ``crisis.alert_closed``, ``crisis.case_changed``) unchanged as
``{"event": ..., "payload": ...}``. Acknowledging happens over HTTP (one POST), not here.

Close codes: 4401 not signed in, 4403 not a clinician or admin (the client stops reconnecting).
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from community.events import user_group
from escalation import events, permissions, selectors

CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def _pending_payloads(user_id: int) -> list[dict] | None:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not permissions.can_work_cases(user):
        return None
    return [events.alert_payload(alert, replay=True) for alert in selectors.alerts_pending_for(user)]


class ClinicianAlertConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        if not permissions.can_work_cases(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        # Join first, then replay: an alert stored in between is sent twice rather than never.
        for group in (user_group(user.pk), events.CLINICIANS_GROUP):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        pending = await _pending_payloads(user.pk)
        if pending is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        for payload in pending:
            await self.send_json({"event": "crisis.alert", "payload": payload})
        await self.send_json({"event": "crisis.ready", "payload": {"pending": len(pending)}})

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []

    async def receive_json(self, content, **kwargs) -> None:
        # Nothing to say to us over the socket; acknowledgements are HTTP POSTs.
        return

    async def kindred_event(self, message: dict) -> None:
        event = message.get("event", "")
        if event.startswith("crisis."):
            await self.send_json({"event": event, "payload": message.get("payload", {})})
