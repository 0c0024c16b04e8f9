"""The escalation policy: the pure decision with a fake clock, and the database sweeper driving it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from escalation import services
from escalation.models import Alert, CaseStatus, CrisisCase, Hazard
from escalation.policy import FALLBACK_ALL, FALLBACK_LEADS, PolicyConfig, PolicyState, decide

CONFIG = PolicyConfig()
TICK = timedelta(seconds=10)
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
ALL_TIERS = frozenset({"primary", "backup", "duty_lead"})


def _apply(state: PolicyState, decision) -> PolicyState:
    return PolicyState(
        status=state.status,
        step=decision.step,
        last_alert_at=decision.last_alert_at,
        acknowledged_at=state.acknowledged_at,
        needs_reack=decision.needs_reack,
        staffed=state.staffed,
        has_duty_leads=state.has_duty_leads,
    )


def test_new_case_alerts_the_primary_then_walks_the_ladder_then_the_fallback_list():
    state = PolicyState(status=CaseStatus.OPEN, staffed=ALL_TIERS)
    now = T0
    targets = []
    for _ in range(3 * 3 + 3):
        decision = decide(state, now, CONFIG)
        targets += [a.target for a in decision.alerts]
        state = _apply(state, decision)
        now = decision.next_action_at
    ladder = ["primary", "backup", "duty_lead"] * 3  # the ladder, then 2 more loops
    assert targets == [*ladder, FALLBACK_LEADS, FALLBACK_ALL, FALLBACK_ALL]


def test_nobody_on_duty_goes_straight_to_the_fallback_list_as_a_hazard():
    decision = decide(PolicyState(status=CaseStatus.OPEN, staffed=frozenset()), T0, CONFIG)
    assert [a.target for a in decision.alerts] == [FALLBACK_LEADS]
    assert [a.hazard for a in decision.actions if a.kind == "hazard"] == ["nobody_on_duty"]
    no_leads = decide(PolicyState(status=CaseStatus.OPEN, has_duty_leads=False), T0, CONFIG)
    assert [a.target for a in no_leads.alerts] == [FALLBACK_ALL]


def test_unstaffed_tiers_are_skipped():
    decision = decide(PolicyState(status=CaseStatus.OPEN, staffed=frozenset({"backup"})), T0, CONFIG)
    assert [a.target for a in decision.alerts] == ["backup"]


def test_not_due_does_nothing_and_says_when():
    state = PolicyState(status=CaseStatus.OPEN, step=0, last_alert_at=T0, staffed=ALL_TIERS)
    decision = decide(state, T0 + timedelta(minutes=4, seconds=59), CONFIG)
    assert decision.actions == ()
    assert decision.next_action_at == T0 + CONFIG.t_ack


def test_acknowledged_then_unresolved_for_t_reack_re_alerts_the_assignee():
    state = PolicyState(
        status=CaseStatus.ACKNOWLEDGED, step=0, last_alert_at=T0, acknowledged_at=T0, staffed=ALL_TIERS
    )
    assert decide(state, T0 + timedelta(minutes=29), CONFIG).actions == ()
    decision = decide(state, T0 + CONFIG.t_reack, CONFIG)
    assert [a.target for a in decision.alerts] == ["assignee"]
    assert decision.needs_reack


def test_resolved_never_acts():
    state = PolicyState(status=CaseStatus.RESOLVED, step=3, last_alert_at=T0)
    decision = decide(state, T0 + timedelta(days=3), CONFIG)
    assert decision.actions == ()
    assert decision.next_action_at is None


class EscalationMachine(RuleBasedStateMachine):
    """A case driven by a sweeper that runs at most one tick after the due time."""

    def __init__(self):
        super().__init__()
        self.now = T0
        self.staffed = ALL_TIERS
        self.state = PolicyState(status=CaseStatus.OPEN, staffed=self.staffed)
        self.next_action_at: datetime | None = T0
        self.alerts_after_ack = 0
        self.alerts_after_resolve = 0
        self.sweep()

    def sweep(self):
        state = PolicyState(**{**self.state.__dict__, "staffed": self.staffed})
        decision = decide(state, self.now, CONFIG)
        if self.state.status == CaseStatus.RESOLVED:
            self.alerts_after_resolve += len(decision.alerts)
        elif not (self.state.status == CaseStatus.OPEN or self.state.needs_reack):
            acked_for = self.now - self.state.acknowledged_at
            if acked_for < CONFIG.t_reack:
                self.alerts_after_ack += len(decision.alerts)
        self.state = _apply(state, decision)
        self.next_action_at = decision.next_action_at

    @rule(seconds=st.integers(min_value=1, max_value=int(TICK.total_seconds())))
    def time_passes_and_the_sweeper_runs(self, seconds):
        self.now += timedelta(seconds=seconds)
        self.sweep()

    @rule(minutes=st.integers(min_value=1, max_value=40))
    def long_quiet_spell_swept_every_tick(self, minutes):
        end = self.now + timedelta(minutes=minutes)
        while self.now < end:
            self.now += TICK
            self.sweep()

    @rule(tiers=st.frozensets(st.sampled_from(["primary", "backup", "duty_lead"])))
    def rota_changes(self, tiers):
        self.staffed = tiers

    @precondition(lambda self: self.state.status != CaseStatus.RESOLVED)
    @rule()
    def acknowledge(self):
        if self.state.status == CaseStatus.OPEN or self.state.needs_reack:
            status = CaseStatus.ACKNOWLEDGED if self.state.status == CaseStatus.OPEN else self.state.status
            self.state = PolicyState(
                **{**self.state.__dict__, "status": status, "acknowledged_at": self.now, "needs_reack": False}
            )
            self.next_action_at = self.now + CONFIG.t_reack  # as services.case_acknowledge sets it

    @precondition(lambda self: self.state.status != CaseStatus.RESOLVED)
    @rule()
    def resolve(self):
        self.state = PolicyState(
            **{**self.state.__dict__, "status": CaseStatus.RESOLVED, "needs_reack": False}
        )
        self.next_action_at = None  # as services.case_resolve sets it

    @invariant()
    def never_unacknowledged_longer_than_t_ack_plus_a_tick_without_escalating(self):
        if self.state.status == CaseStatus.OPEN or self.state.needs_reack:
            assert self.state.last_alert_at is not None
            assert self.now - self.state.last_alert_at <= CONFIG.t_ack + TICK
            assert self.next_action_at == self.state.last_alert_at + CONFIG.t_ack

    @invariant()
    def acknowledgement_stops_escalation(self):
        assert self.alerts_after_ack == 0

    @invariant()
    def resolution_is_final(self):
        assert self.alerts_after_resolve == 0
        if self.state.status == CaseStatus.RESOLVED:
            assert self.next_action_at is None


EscalationMachine.TestCase.settings = hsettings(max_examples=150, stateful_step_count=40, deadline=None)
TestEscalationPolicy = EscalationMachine.TestCase


# The database sweeper with a fake clock.


@pytest.mark.django_db
def test_sweeper_escalates_from_primary_to_backup_after_t_ack(member, rota, primary, backup):
    from tests.escalation.test_cases import open_case

    case = open_case(member)
    start = case.last_alert_at
    assert services.cases_run_due(now=start + timedelta(minutes=4, seconds=59)) == 0
    services.cases_run_due(now=start + CONFIG.t_ack)
    assert list(
        Alert.objects.filter(case=case).order_by("round").values_list("recipient__pseudonym", "round")
    ) == [
        (primary.pseudonym, 1),
        (backup.pseudonym, 2),
    ]
    case.refresh_from_db()
    assert case.next_action_at == start + 2 * CONFIG.t_ack


@pytest.mark.django_db
def test_acknowledged_case_is_not_escalated_and_resolved_is_final(member, rota, primary):
    from tests.escalation.test_cases import open_case

    case = open_case(member)
    alert = Alert.objects.get(case=case)
    services.alert_acknowledge(alert=alert, actor=primary)
    case.refresh_from_db()
    assert services.cases_run_due(now=case.acknowledged_at + timedelta(minutes=29)) == 0
    services.case_resolve(case=case, actor=primary, outcome="safe")
    assert services.cases_run_due(now=case.acknowledged_at + timedelta(days=2)) == 0
    assert Alert.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_crisis_with_nobody_on_duty_goes_to_leads_and_is_a_hazard(member, lead, admin_user):
    from tests.escalation.test_cases import open_case

    case = open_case(member)
    assert [a.recipient for a in Alert.objects.filter(case=case)] == [lead]
    assert Hazard.objects.filter(case=case, kind="nobody_on_duty").exists()
    services.cases_run_due(now=case.last_alert_at + CONFIG.t_ack)
    assert set(Alert.objects.filter(case=case, round=2).values_list("recipient__pseudonym", flat=True)) == {
        lead.pseudonym,
        admin_user.pseudonym,
    }
    assert CrisisCase.objects.get().status == "open"
