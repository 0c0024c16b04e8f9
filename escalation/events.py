"""Live events escalation sends (through ``community.events``, the one real-time module).

Payloads carry ids and levels, never text anyone wrote. The WebSocket is a doorbell: alerts are
in the database first, and a clinician's client that (re)connects is sent every pending alert.

* ``crisis.alert``        to ``user.<recipient_id>``:
  {"alert_id", "case_id", "round", "level", "target", "created_at", "replay"}
* ``crisis.alert_closed`` to ``user.<recipient_id>``: {"alert_id", "case_id", "status"}
* ``crisis.case_changed`` to ``clinicians``: {"case_id", "status"}
* ``crisis.message``      to ``user.<member_id>``: {"message_id"}
"""

from __future__ import annotations

from community.events import send_event_on_commit, user_group
from escalation.models import Alert

CLINICIANS_GROUP = "clinicians"


def alert_payload(alert: Alert, *, replay: bool = False) -> dict:
    return {
        "alert_id": alert.pk,
        "case_id": alert.case_id,
        "round": alert.round,
        "level": alert.case.level,
        "target": alert.target,
        "created_at": alert.created_at.isoformat(),
        "replay": replay,
    }


def alert_on_commit(alert: Alert) -> None:
    send_event_on_commit("crisis.alert", alert_payload(alert), [user_group(alert.recipient_id)])


def alert_closed_on_commit(alert: Alert) -> None:
    send_event_on_commit(
        "crisis.alert_closed",
        {"alert_id": alert.pk, "case_id": alert.case_id, "status": alert.status},
        [user_group(alert.recipient_id)],
    )


def case_changed_on_commit(*, case_id: int, status: str) -> None:
    send_event_on_commit("crisis.case_changed", {"case_id": case_id, "status": status}, [CLINICIANS_GROUP])


def message_on_commit(*, message_id: int, member_id: int) -> None:
    send_event_on_commit("crisis.message", {"message_id": message_id}, [user_group(member_id)])
