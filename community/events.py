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

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

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
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:
            logger.exception("Could not send live event %s to %s", event, group)


def send_event_on_commit(event: str, payload: dict[str, Any], groups: list[str]) -> None:
    """Send ``event`` to ``groups`` once the current transaction commits (at once if none)."""
    groups = list(groups)
    payload = dict(payload)
    transaction.on_commit(lambda: send_event_now(event, payload, groups), robust=True)
