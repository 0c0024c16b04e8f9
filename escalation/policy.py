"""The escalation policy as a pure function: ``decide(state, now, config) -> Decision``.

No database, no clock: the beat sweeper (``services.case_run_policy``) builds a
:class:`PolicyState` from a case and the rota, asks :func:`decide`, and applies the actions.
That keeps every timing rule testable with a fake clock (tests/escalation/test_policy*.py).

The ladder, PagerDuty-like:

1. the on-duty tiers in order (primary, backup, duty lead), skipping tiers nobody is on;
   each step waits ``t_ack`` for an acknowledgement before moving on;
2. after the last tier, the ladder is walked again ``loops`` more times;
3. then the fallback list: duty leads (standing permission, on shift or not), then duty leads
   and admins together, re-alerted every ``t_ack`` until someone acknowledges. Never silent.

A crisis with nobody on duty goes straight to the fallback list and is logged as a hazard.
Acknowledged but unresolved after ``t_reack``: the acknowledging clinician is re-alerted and must
acknowledge again within ``t_ack``, or the ladder moves on from where it was.
Resolved cases produce no actions, ever (until explicitly reopened).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from escalation.models import TIER_ORDER, CaseStatus, HazardKind

FALLBACK_LEADS = "fallback_duty_leads"
FALLBACK_ALL = "fallback_leads_and_admins"
ASSIGNEE = "assignee"


@dataclass(frozen=True)
class PolicyConfig:
    t_ack: timedelta = timedelta(minutes=5)
    loops: int = 2
    t_reack: timedelta = timedelta(minutes=30)

    @classmethod
    def from_settings(cls) -> PolicyConfig:
        raw = getattr(settings, "ESCALATION_POLICY", {}) or {}
        return cls(
            t_ack=timedelta(seconds=raw.get("T_ACK_SECONDS", 300)),
            loops=int(raw.get("LOOPS", 2)),
            t_reack=timedelta(seconds=raw.get("T_REACK_SECONDS", 1800)),
        )

    @property
    def ladder_length(self) -> int:
        return len(TIER_ORDER) * (1 + self.loops)

    def target(self, step: int) -> str:
        """What a step alerts: a tier name, or one of the fallback targets."""
        if 0 <= step < self.ladder_length:
            return str(TIER_ORDER[step % len(TIER_ORDER)])
        if step == self.ladder_length:
            return FALLBACK_LEADS
        return FALLBACK_ALL


@dataclass(frozen=True)
class PolicyState:
    status: str
    step: int = -1
    last_alert_at: datetime | None = None
    acknowledged_at: datetime | None = None
    needs_reack: bool = False
    #: tiers with at least one clinician on duty now
    staffed: frozenset[str] = frozenset()
    #: whether anyone holds the standing duty-lead permission
    has_duty_leads: bool = True


@dataclass(frozen=True)
class Action:
    kind: str  # "alert" or "hazard"
    target: str = ""  # for alerts: a tier, FALLBACK_LEADS, FALLBACK_ALL or ASSIGNEE
    hazard: str = ""  # for hazards: a HazardKind
    detail: str = ""


@dataclass(frozen=True)
class Decision:
    step: int
    last_alert_at: datetime | None
    needs_reack: bool
    next_action_at: datetime | None
    actions: tuple[Action, ...] = field(default_factory=tuple)

    @property
    def alerts(self) -> list[Action]:
        return [a for a in self.actions if a.kind == "alert"]


def next_step(step: int, state: PolicyState, config: PolicyConfig) -> int:
    """The step after ``step``: the next staffed tier, else the fallback list."""
    final = config.ladder_length + 1
    candidate = step + 1
    while candidate < config.ladder_length:
        if config.target(candidate) in state.staffed:
            return candidate
        candidate += 1
    if candidate == config.ladder_length and not state.has_duty_leads:
        candidate += 1
    return min(max(candidate, config.ladder_length), final)


def _escalate(state: PolicyState, now: datetime, config: PolicyConfig, *, first: bool) -> Decision:
    step = next_step(state.step, state, config)
    actions: list[Action] = []
    entering_fallback = step >= config.ladder_length and state.step < config.ladder_length
    if entering_fallback:
        if first or not state.staffed:
            actions.append(
                Action(
                    kind="hazard", hazard=HazardKind.NOBODY_ON_DUTY, detail="Nobody on duty: fallback list."
                )
            )
        else:
            actions.append(
                Action(
                    kind="hazard",
                    hazard=HazardKind.FALLBACK,
                    detail="Nobody on the rota acknowledged; alerting the fallback list.",
                )
            )
    actions.append(Action(kind="alert", target=config.target(step)))
    return Decision(
        step=step,
        last_alert_at=now,
        needs_reack=state.needs_reack,
        next_action_at=now + config.t_ack,
        actions=tuple(actions),
    )


def decide(state: PolicyState, now: datetime, config: PolicyConfig) -> Decision:
    """What to do for one case at ``now``. Pure: same inputs, same answer."""
    if state.status == CaseStatus.RESOLVED:
        return Decision(
            step=state.step, last_alert_at=state.last_alert_at, needs_reack=False, next_action_at=None
        )

    if state.status == CaseStatus.OPEN and (state.step < 0 or state.last_alert_at is None):
        return _escalate(state, now, config, first=True)

    awaiting_ack = state.status == CaseStatus.OPEN or state.needs_reack
    if awaiting_ack:
        assert state.last_alert_at is not None
        due = state.last_alert_at + config.t_ack
        if now < due:
            return Decision(
                step=state.step,
                last_alert_at=state.last_alert_at,
                needs_reack=state.needs_reack,
                next_action_at=due,
            )
        return _escalate(state, now, config, first=False)

    # Acknowledged (or contacting the member) and not waiting for a re-acknowledgement.
    since = max(t for t in (state.acknowledged_at, state.last_alert_at) if t is not None)
    due = since + config.t_reack
    if now < due:
        return Decision(
            step=state.step, last_alert_at=state.last_alert_at, needs_reack=False, next_action_at=due
        )
    return Decision(
        step=state.step,
        last_alert_at=now,
        needs_reack=True,
        next_action_at=now + config.t_ack,
        actions=(
            Action(kind="alert", target=ASSIGNEE, detail="Still unresolved: please acknowledge again."),
        ),
    )
