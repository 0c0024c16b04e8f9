"""Live events moderation sends (through ``community.events``, the one real-time module).

Payloads carry ids only, never text a member wrote; the queue page refetches its list.

* ``moderation.item_changed`` to ``moderation.queue``:
  {"item_id", "status", "priority", "claimed_by_id"} -- an item was opened, joined, claimed,
  released, acted on or closed
* ``moderation.message`` to ``user.<recipient_id>``: {"message_id", "unread_count"} -- the guides
  sent the member a message about their content or account
"""

from __future__ import annotations

from community.events import send_event_on_commit, user_group

QUEUE_GROUP = "moderation.queue"


def item_changed_on_commit(item) -> None:
    send_event_on_commit(
        "moderation.item_changed",
        {
            "item_id": item.pk,
            "status": item.status,
            "priority": int(item.priority),
            "claimed_by_id": item.claimed_by_id,
        },
        [QUEUE_GROUP],
    )


def message_on_commit(*, message_id: int, recipient_id: int, unread_count: int) -> None:
    send_event_on_commit(
        "moderation.message",
        {"message_id": message_id, "unread_count": unread_count},
        [user_group(recipient_id)],
    )
