"""The guides' live queue socket (``ws/guide/queue/``): a doorbell, never content.

It authenticates, checks the role (guide or admin) and TOTP, joins ``moderation.queue`` and
forwards ``moderation.item_changed`` as ``{"event", "payload"}``; the page then refetches its
list fragment over HTTP. On (re)connect it sends ``moderation.ready`` so a client that missed
events refetches at once.

Close codes: 4401 not signed in, 4403 not a guide/admin or no TOTP (the client stops retrying).
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from moderation import events, permissions
from moderation.mfa import needs_mfa

CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def _allowed(user) -> bool:
    return permissions.can_moderate(user) and not needs_mfa(user)


class QueueConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.joined = False
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        if not await _allowed(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(events.QUEUE_GROUP, self.channel_name)
        self.joined = True
        await self.send_json({"event": "moderation.ready", "payload": {}})

    async def disconnect(self, code: int) -> None:
        if getattr(self, "joined", False):
            await self.channel_layer.group_discard(events.QUEUE_GROUP, self.channel_name)
            self.joined = False

    async def receive_json(self, content, **kwargs) -> None:
        return  # actions are HTTP POSTs

    async def kindred_event(self, message: dict) -> None:
        event = message.get("event", "")
        if event.startswith("moderation."):
            await self.send_json({"event": event, "payload": message.get("payload", {})})
