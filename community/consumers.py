"""The live-update WebSocket: a doorbell, not a data channel.

``LiveConsumer`` (``ws/live/``) authenticates the connection, joins the member's own group
(``user.<id>``) and, on request, the group of a thread the member may see (``thread.<id>``).
It forwards every ``kindred.event`` group message sent by ``community.events`` unchanged as
``{"event": ..., "payload": ...}``. Payloads carry ids only; the page then fetches what changed
over HTTP (``community.live_views``), where the usual visibility rules apply again. So a member
whose access changes after they started watching learns only that *something* happened.

Client -> server messages::

    {"action": "watch_thread", "thread_id": 12}
        -> {"event": "live.watching", "payload": {"thread_id": 12}}
    {"action": "unwatch_thread", "thread_id": 12}
        -> {"event": "live.unwatched", "payload": {"thread_id": 12}}

Anything refused or malformed gets ``{"event": "live.error", "payload": {"code", "message", ...}}``
and changes nothing. Close codes: 4401 not signed in (the client stops reconnecting).
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from community import selectors
from community.events import thread_group, user_group
from community.models import Thread

CLOSE_NOT_AUTHENTICATED = 4401
MAX_WATCHED_THREADS = 10
MAX_MESSAGE_BYTES = 1024


@database_sync_to_async
def _thread_visible(*, user_id: int, thread_id: int) -> bool:
    """Re-read the user: a socket lives long and the account may have been suspended since."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    try:
        selectors.thread_get(actor=user, pk=thread_id)
    except (Thread.DoesNotExist, PermissionDenied):
        return False
    return True


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.watched: set[int] = set()
        self.groups_joined: set[str] = set()
        # Accept before closing so the browser receives the close code (a refused handshake
        # reaches JavaScript as 1006, indistinguishable from a network failure).
        await self.accept()
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        await self._join(user_group(self.user.pk))

    async def disconnect(self, code: int) -> None:
        for group in list(getattr(self, "groups_joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = set()

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    async def _leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.discard(group)

    # Client messages.

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.groups_joined:  # closed for want of a user; ignore stragglers
            return
        if text_data is None or len(text_data) > MAX_MESSAGE_BYTES:
            await self._error("invalid", "Send a small JSON object.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self._error("invalid", "Send a small JSON object.")
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self._error("invalid", "Send a small JSON object.")
            return
        action = content.get("action")
        thread_id = content.get("thread_id")
        if action not in ("watch_thread", "unwatch_thread"):
            await self._error("unknown_action", "Unknown action.", action=str(action)[:40])
            return
        if type(thread_id) is not int or thread_id <= 0:
            await self._error("invalid", "thread_id must be a positive integer.", action=action)
            return
        if action == "watch_thread":
            await self._watch(thread_id)
        else:
            await self._unwatch(thread_id)

    async def _watch(self, thread_id: int) -> None:
        if thread_id not in self.watched:
            if len(self.watched) >= MAX_WATCHED_THREADS:
                await self._error(
                    "too_many", "Too many threads watched on one connection.", thread_id=thread_id
                )
                return
            if not await _thread_visible(user_id=self.user.pk, thread_id=thread_id):
                await self._error("not_available", "This thread is not available.", thread_id=thread_id)
                return
            await self._join(thread_group(thread_id))
            self.watched.add(thread_id)
        await self.send_json({"event": "live.watching", "payload": {"thread_id": thread_id}})

    async def _unwatch(self, thread_id: int) -> None:
        if thread_id in self.watched:
            await self._leave(thread_group(thread_id))
            self.watched.discard(thread_id)
        await self.send_json({"event": "live.unwatched", "payload": {"thread_id": thread_id}})

    async def _error(self, code: str, message: str, **extra: Any) -> None:
        await self.send_json({"event": "live.error", "payload": {"code": code, "message": message, **extra}})

    # Group messages from community.events (type "kindred.event").

    async def kindred_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"event": message["event"], "payload": message["payload"]})
