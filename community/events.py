"""The only way community (and apps above it) send live events.

``send_event_on_commit`` waits for the surrounding transaction to commit, then calls
``channel_layer.group_send`` for each group with::

    {"type": "kindred.event", "event": <event>, "payload": <payload>}

The WebSocket is a doorbell: payloads carry ids, never text a member wrote. A failure to send is
logged and never breaks the request; clients that miss an event fetch the state again.

Event types sent by community:

* ``post.created``   to ``thread.<thread_id>``: {"thread_id", "post_id"} -- a new visible reply
* ``post.published`` to ``thread.<thread_id>``: {"thread_id", "post_id"} -- a held post was approved
  (or staff restored a hidden/removed one)
* ``post.edited``    to ``thread.<thread_id>``: {"thread_id", "post_id"} -- a visible post's text changed
* ``post.withdrawn`` to ``thread.<thread_id>``: {"thread_id", "post_id"} -- a visible post was held,
  hidden or removed (clients drop it from the page)
* ``notifications.changed`` to ``user.<user_id>``: {"unread_count"}
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers, get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.db import transaction

logger = logging.getLogger(__name__)
SEND_TIMEOUT = 5.0


class _SenderLoop:
    """One event loop per process, in a daemon thread, for group sends from plain sync code.

    ``async_to_sync`` outside the ASGI server starts a thread and an event loop for every call,
    and channels_redis opens a new Redis connection for every loop: milliseconds per event on
    an idle machine, tens of milliseconds on a busy one -- in the worker, between a crisis
    assessment's commit and the clinician's doorbell. Here the loop and a channel layer of its
    own (so nobody else's loop ever touches its connections) live as long as the process; a
    forked child starts its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._layer = None
        self._source = None
        self._pid = 0

    def send(self, layer, groups: list[str], message: dict, *, timeout: float) -> None:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                self._source = None
                threading.Thread(target=self._loop.run_forever, name="live-events", daemon=True).start()
            if self._source is not layer:  # the configured layer changed (settings override)
                self._layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
                self._source = layer
            loop, own_layer = self._loop, self._layer
        asyncio.run_coroutine_threadsafe(_send_all(own_layer, groups, message), loop).result(timeout)


async def _send_all(layer, groups: list[str], message: dict) -> None:
    for group in groups:
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.exception("Could not send live event %s to %s", message["event"], group)


_sender_loop = _SenderLoop()

EVENT_MESSAGE_TYPE = "kindred.event"


def thread_group(thread_id: int) -> str:
    return f"thread.{thread_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def send_event_now(event: str, payload: dict[str, Any], groups: list[str]) -> None:
    message = {"type": EVENT_MESSAGE_TYPE, "event": event, "payload": payload}
    try:
        layer = get_channel_layer()
    except Exception:
        logger.exception("No channel layer; dropped live event %s", event)
        return
    if layer is None:
        return
    try:
        if isinstance(layer, RedisChannelLayer):
            _sender_loop.send(layer, groups, message, timeout=SEND_TIMEOUT)
        else:
            # The in-process layer (demo, tests) works only on the server's own loop, which
            # async_to_sync finds from a sync view's thread.
            async_to_sync(_send_all)(layer, groups, message)
    except Exception:
        logger.exception("Could not send live event %s", event)


def send_event_on_commit(event: str, payload: dict[str, Any], groups: list[str]) -> None:
    """Send ``event`` to ``groups`` once the current transaction commits (at once if none)."""
    groups = list(groups)
    payload = dict(payload)
    transaction.on_commit(lambda: send_event_now(event, payload, groups), robust=True)
