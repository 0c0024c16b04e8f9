"""Named hooks escalation sends to the apps above it (moderation).

``risk_assessed`` -- a post version was assessed for the first time. Sent INSIDE the transaction
that records the assessment, each receiver in its own savepoint, so a review-queue entry is
created atomically with the assessment. Receiver signature (keyword-only)::

    def on_risk_assessed(*, assessment: RiskAssessment, needs_review: bool) -> None: ...

``needs_review`` is True for moderate, high and imminent: moderation puts those in the review
queue with a priority from ``assessment.level``. Until moderation connects, held posts stay held.

A receiver that fails is logged and does not undo the assessment (the post stays as triage left
it: held if high or imminent).

``concern_raised`` -- a member concern that is not a post (a self-assessment answer) reached
moderate or above. Sent AFTER the commit that recorded it, from ``member_concern_hand_off``,
each receiver in its own savepoint. Receiver signature (keyword-only)::

    def on_concern_raised(*, concern: MemberConcern) -> None: ...

Receivers must be idempotent: the concern is marked handed off only when every receiver
succeeded (and at least one is connected); otherwise the safety sweeper sends it again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction

from community import hooks as community_hooks

if TYPE_CHECKING:
    from escalation.models import MemberConcern, RiskAssessment

logger = logging.getLogger(__name__)


class Hook(community_hooks.Hook):
    """community's hook registry (connect, disconnect, receivers), with a generic ``send``.

    community's own ``run`` is specific to a submitted post (it returns a ``PostDecision`` and
    holds the post when a receiver fails); escalation's hooks pass other objects, so they add
    ``send`` and keep everything else.
    """

    def send(self, **kwargs) -> list[str]:
        """Call every receiver in its own savepoint; return the uids that failed."""
        failed = []
        for uid, receiver in self.receivers.items():
            try:
                with transaction.atomic():
                    receiver(**kwargs)
            except Exception:
                logger.exception("Hook %s receiver %s failed", self.name, uid)
                failed.append(uid)
        return failed


def send_risk_assessed(*, assessment: RiskAssessment, needs_review: bool) -> list[str]:
    return risk_assessed.send(assessment=assessment, needs_review=needs_review)


def send_concern_raised(*, concern: MemberConcern) -> list[str]:
    return concern_raised.send(concern=concern)


risk_assessed = Hook("risk_assessed")
concern_raised = Hook("concern_raised")
