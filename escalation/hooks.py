"""Named hooks escalation sends to the apps above it (moderation).

``risk_assessed`` -- a post version was assessed for the first time. Sent INSIDE the transaction
that records the assessment, each receiver in its own savepoint, so a review-queue entry is
created atomically with the assessment. Receiver signature (keyword-only)::

    def on_risk_assessed(*, assessment: RiskAssessment, needs_review: bool) -> None: ...

``needs_review`` is True for moderate, high and imminent: moderation puts those in the review
queue with a priority from ``assessment.level``. Until moderation connects, held posts stay held.

A receiver that fails is logged and does not undo the assessment (the post stays as triage left
it: held if high or imminent).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from escalation.models import RiskAssessment

logger = logging.getLogger(__name__)


class Hook:
    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: dict[str, Callable[..., object]] = {}

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {list(self._receivers)}>"

    def connect(self, receiver: Callable[..., object], *, dispatch_uid: str) -> None:
        self._receivers[dispatch_uid] = receiver

    def disconnect(self, *, dispatch_uid: str) -> None:
        self._receivers.pop(dispatch_uid, None)

    @property
    def receivers(self) -> dict[str, Callable[..., object]]:
        return dict(self._receivers)

    def send(self, **kwargs) -> list[str]:
        """Call every receiver in its own savepoint; return the uids that failed."""
        failed = []
        for uid, receiver in list(self._receivers.items()):
            try:
                with transaction.atomic():
                    receiver(**kwargs)
            except Exception:
                logger.exception("Hook %s receiver %s failed", self.name, uid)
                failed.append(uid)
        return failed


def send_risk_assessed(*, assessment: RiskAssessment, needs_review: bool) -> list[str]:
    return risk_assessed.send(assessment=assessment, needs_review=needs_review)


risk_assessed = Hook("risk_assessed")
