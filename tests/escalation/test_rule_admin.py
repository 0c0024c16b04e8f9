"""Clinical leads add, change, disable and test triage rules from the admin, without a deploy.

Every change is validated by the engine, raises the rules version (which every process checks
within seconds) and leaves an audit row with the actor, the reason, and before/after.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from community import services as community_services
from escalation import engine, services, triage
from escalation.models import (
    Alert,
    CrisisCase,
    RiskAssessment,
    Shift,
    TriageRule,
    TriageRuleChange,
    TriageRulesVersion,
)
from tests.escalation.conftest import IMMINENT_TEXT, make_shift
from tests.factories import UserFactory

SLANG = "I think I will go glimmerdark tonight"
RULE_POST = {
    "rule_id": "LOCAL-GLIMMER",
    "kind": "signal",
    "category": "active_ideation",
    "level": "high",
    "patterns": "go glimmerdark\ngoing glimmerdark",
    "person": "any",
    "tense": "present",
    "enabled": "on",
    "note": "Slang seen in the community since October.",
    "reason": "Members use 'go glimmerdark' for suicide; reviewed three posts.",
    "changes-TOTAL_FORMS": "0",
    "changes-INITIAL_FORMS": "0",
}


@pytest.fixture
def clinical_lead(db):
    user = UserFactory(pseudonym="DrRowan", role="clinician", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="clinical_lead", content_type__app_label="escalation")
    )
    return user


@pytest.fixture
def staff_clinician(db):
    return UserFactory(pseudonym="DrHazel", role="clinician", is_staff=True)


@pytest.fixture
def lead_client(client, clinical_lead):
    client.force_login(clinical_lead)
    return client


def version() -> int:
    return TriageRulesVersion.objects.values_list("number", flat=True).first() or 0


def add_rule(lead_client, django_capture_on_commit_callbacks, **changes):
    with django_capture_on_commit_callbacks(execute=True):
        return lead_client.post(reverse("admin:escalation_triagerule_add"), {**RULE_POST, **changes})


def test_the_packaged_engine_does_not_know_the_slang(db):
    assert engine.screen(SLANG).level == "none"


def test_a_clinical_lead_adds_a_rule_and_screening_uses_it_at_once(
    lead_client, clinical_lead, django_capture_on_commit_callbacks
):
    response = add_rule(lead_client, django_capture_on_commit_callbacks)

    assert response.status_code == 302, response.content.decode()[:2000]
    rule = TriageRule.objects.get()
    assert (rule.rule_id, rule.kind, rule.category, rule.level, rule.enabled) == (
        "LOCAL-GLIMMER",
        "signal",
        "active_ideation",
        "high",
        True,
    )
    assert rule.data["patterns"] == ["go glimmerdark", "going glimmerdark"]
    assert rule.created_by == clinical_lead
    change = TriageRuleChange.objects.get()
    assert change.action == "created"
    assert change.before is None
    assert change.after["patterns"] == ["go glimmerdark", "going glimmerdark"]
    assert change.after["enabled"] is True
    assert (change.actor, change.actor_name) == (clinical_lead, "DrRowan")
    assert change.reason == RULE_POST["reason"]
    assert change.rules_version == version() == 1
    assert cache.get(engine.VERSION_CACHE_KEY) == 1

    screening = engine.screen(SLANG)
    assert screening.level in ("high", "imminent")
    assert "LOCAL-GLIMMER" in [r["rule_id"] for r in screening.rules]
    assert screening.engine_version.endswith("+local.1")


def test_a_post_is_held_and_its_assessment_names_the_rules_version(
    lead_client, member, thread, django_capture_on_commit_callbacks
):
    add_rule(lead_client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        post = community_services.post_create(author=member, thread=thread, body=SLANG)
    post.refresh_from_db()
    assert post.state == "held"
    assert post.screening_level in ("high", "imminent")
    assessment = RiskAssessment.objects.get(post=post)
    assert "+local.1" in assessment.engine_version
    assert "LOCAL-GLIMMER" in [r["rule_id"] for r in assessment.rules]


def test_a_change_without_a_reason_is_refused_and_changes_nothing(
    lead_client, django_capture_on_commit_callbacks
):
    response = add_rule(lead_client, django_capture_on_commit_callbacks, reason="")
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not TriageRule.objects.exists()
    assert not TriageRuleChange.objects.exists()
    assert version() == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"patterns": "  \n "}, "This field is required"),
        ({"rule_id": "bad id!"}, "Use letters, digits"),
        ({"category": "not_a_category"}, "Select a valid choice"),
    ],
)
def test_a_rule_the_engine_cannot_read_is_a_form_error(
    lead_client, django_capture_on_commit_callbacks, changes, message
):
    response = add_rule(lead_client, django_capture_on_commit_callbacks, **changes)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TriageRule.objects.exists()
    assert version() == 0


def test_a_duplicate_rule_id_is_refused(lead_client, clinical_lead, django_capture_on_commit_callbacks):
    add_rule(lead_client, django_capture_on_commit_callbacks)
    with pytest.raises(Exception, match="already exists"):
        services.triage_rule_create(
            actor=clinical_lead,
            rule_id="LOCAL-GLIMMER",
            kind="signal",
            category="active_ideation",
            level="moderate",
            data={"patterns": ["x y"]},
            reason="duplicate",
        )
    assert TriageRule.objects.count() == 1
    assert version() == 1


def test_disable_and_enable_from_the_admin_with_a_reason(
    lead_client, clinical_lead, django_capture_on_commit_callbacks
):
    add_rule(lead_client, django_capture_on_commit_callbacks)
    rule = TriageRule.objects.get()
    switch = reverse("admin:escalation_triagerule_switch", args=[rule.pk])

    page = lead_client.get(switch)
    assert page.status_code == 200
    assert "Disable LOCAL-GLIMMER" in page.content.decode()
    refused = lead_client.post(switch, {"reason": ""})
    assert refused.status_code == 200
    rule.refresh_from_db()
    assert rule.enabled

    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(switch, {"reason": "Too many false alarms on gaming posts."})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert not rule.enabled
    change = TriageRuleChange.objects.order_by("-id").first()
    assert (change.action, change.before["enabled"], change.after["enabled"]) == ("disabled", True, False)
    assert change.reason == "Too many false alarms on gaming posts."
    assert version() == 2
    assert engine.screen(SLANG).level == "none"

    with django_capture_on_commit_callbacks(execute=True):
        lead_client.post(switch, {"reason": "Back on: the gaming posts were a different word."})
    rule.refresh_from_db()
    assert rule.enabled
    assert list(TriageRuleChange.objects.order_by("id").values_list("action", flat=True)) == [
        "created",
        "disabled",
        "enabled",
    ]
    assert engine.screen(SLANG).level in ("high", "imminent")


def test_editing_a_rule_records_before_and_after(
    lead_client, clinical_lead, django_capture_on_commit_callbacks
):
    add_rule(lead_client, django_capture_on_commit_callbacks)
    rule = TriageRule.objects.get()
    url = reverse("admin:escalation_triagerule_change", args=[rule.pk])
    edit = {**RULE_POST, "level": "moderate", "reason": "Lower until we know more."}
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(url, edit)
    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert rule.level == "moderate"
    change = TriageRuleChange.objects.order_by("-id").first()
    assert (change.action, change.before["level"], change.after["level"]) == ("updated", "high", "moderate")
    assert version() == 2
    assert engine.screen("I might go glimmerdark").level == "moderate"

    # Saving the same values again is not a change: no version, no audit row.
    with django_capture_on_commit_callbacks(execute=True):
        lead_client.post(url, {**edit, "reason": "No change."})
    assert TriageRuleChange.objects.count() == 2
    assert version() == 2


def test_disabling_a_packaged_rule_through_a_copy(clinical_lead, django_capture_on_commit_callbacks):
    before = engine.screen(IMMINENT_TEXT)
    assert "MM-002" in [r["rule_id"] for r in before.rules]
    with django_capture_on_commit_callbacks(execute=True):
        services.triage_rule_create(
            actor=clinical_lead,
            rule_id="MM-002",
            kind="signal",
            category="method_means",
            level="imminent",
            data={"patterns": ["placeholder words"]},
            enabled=False,
            reason="Checking how much the pills rule carries.",
        )
    after = engine.screen(IMMINENT_TEXT)
    assert "MM-002" not in [r["rule_id"] for r in after.rules]
    assert "+disabled." in after.engine_version


def test_the_packaged_rules_page_links_to_a_prefilled_copy(lead_client):
    page = lead_client.get(reverse("admin:escalation_triagerule_packaged"))
    assert page.status_code == 200
    assert "MM-002" in page.content.decode()
    add = lead_client.get(reverse("admin:escalation_triagerule_add") + "?copy=MM-002")
    assert add.status_code == 200
    assert add.context["adminform"].form.initial["rule_id"] == "MM-002"
    packaged = {rule.id: rule for rule in triage.RuleSet.default().rules}["MM-002"]
    assert add.context["adminform"].form.initial["level"] == packaged.level
    assert add.context["adminform"].form.initial["patterns"] == "\n".join(packaged.patterns)


def test_testing_a_draft_rule_shows_level_and_highlights_and_saves_nothing(lead_client):
    response = lead_client.post(
        reverse("admin:escalation_triagerule_test"),
        {
            "sample-text": SLANG,
            "rule-rule_id": "DRAFT-1",
            "rule-kind": "signal",
            "rule-category": "active_ideation",
            "rule-level": "high",
            "rule-patterns": "go glimmerdark",
            "rule-person": "any",
            "rule-tense": "present",
        },
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert result["rule_matched"]
    assert result["with_rule"]["level"] in ("high", "imminent")
    assert result["live"]["level"] == "none"
    html = response.content.decode()
    assert "<mark" in html
    assert "go glimmerdark</mark>" in html
    assert not TriageRule.objects.exists()
    assert version() == 0


def test_testing_a_saved_disabled_rule_runs_it_switched_on(
    lead_client, clinical_lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rule = services.triage_rule_create(
            actor=clinical_lead,
            rule_id="LOCAL-GLIMMER",
            kind="signal",
            category="active_ideation",
            level="high",
            data={"patterns": ["go glimmerdark"]},
            enabled=False,
            reason="Drafted, off until tested.",
        )
    url = reverse("admin:escalation_triagerule_test_rule", args=[rule.pk])
    page = lead_client.get(url)
    assert page.context["rule_form"].initial["patterns"] == "go glimmerdark"
    data = {f"rule-{k}": v for k, v in page.context["rule_form"].initial.items()}
    data.update({"rule-person": "any", "rule-tense": "present"})
    response = lead_client.post(url, {**data, "sample-text": "She said she might go glimmerdark & I laughed"})
    assert response.status_code == 200
    assert response.context["result"]["rule_matched"]
    assert response.context["result"]["live"]["level"] == "none"


def test_other_processes_pick_up_a_change_within_the_check_interval(db, clinical_lead, monkeypatch):
    """A worker that compiled its engine before the change rebuilds once it sees the new version."""
    old = engine.current_engine()
    assert engine.screen(SLANG).level == "none"
    # Another process commits a rule: the row, the version, the shared cache; not our local state.
    TriageRule.objects.create(
        rule_id="LOCAL-GLIMMER",
        category="active_ideation",
        level="high",
        data={"patterns": ["go glimmerdark"]},
    )
    TriageRulesVersion.objects.create(number=1)
    cache.set(engine.VERSION_CACHE_KEY, 1)

    assert engine.current_engine() is old  # inside the check interval: no cache round trip
    monkeypatch.setattr(engine, "VERSION_CHECK_SECONDS", 0.0)
    assert engine.current_engine() is not old
    assert engine.screen(SLANG).level in ("high", "imminent")


def test_a_missing_cache_entry_is_read_from_the_database(db):
    TriageRulesVersion.objects.create(number=7)
    assert engine.rules_version() == 7
    assert cache.get(engine.VERSION_CACHE_KEY) == 7


def test_a_clinician_without_the_permission_cannot_change_or_test_rules(
    client, staff_clinician, django_capture_on_commit_callbacks
):
    client.force_login(staff_clinician)
    for url in (
        reverse("admin:escalation_triagerule_changelist"),
        reverse("admin:escalation_triagerule_add"),
        reverse("admin:escalation_triagerule_test"),
        reverse("admin:escalation_triagerule_packaged"),
    ):
        assert client.get(url).status_code == 403, url
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:escalation_triagerule_add"), RULE_POST)
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.triage_rule_create(
            actor=staff_clinician,
            rule_id="X-1",
            kind="signal",
            category="active_ideation",
            level="high",
            data={"patterns": ["go glimmerdark"]},
            reason="Trying",
        )
    assert not TriageRule.objects.exists()
    assert version() == 0


def test_rules_are_never_deleted(lead_client, clinical_lead, django_capture_on_commit_callbacks):
    add_rule(lead_client, django_capture_on_commit_callbacks)
    rule = TriageRule.objects.get()
    response = lead_client.post(
        reverse("admin:escalation_triagerule_delete", args=[rule.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert TriageRule.objects.filter(pk=rule.pk).exists()


# --- the rota and the read-only crisis views --------------------------------------------------


def test_a_duty_lead_manages_the_rota_in_the_admin(client, lead, primary):
    lead.is_staff = True
    lead.save(update_fields=["is_staff"])
    client.force_login(lead)
    start = timezone.now() + timedelta(days=1)
    response = client.post(
        reverse("admin:escalation_shift_add"),
        {
            "clinician": primary.pk,
            "tier": "primary",
            "start_0": start.strftime("%Y-%m-%d"),
            "start_1": start.strftime("%H:%M:%S"),
            "end_0": (start + timedelta(hours=8)).strftime("%Y-%m-%d"),
            "end_1": (start + timedelta(hours=8)).strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Shift.objects.get().clinician == primary


def test_a_shift_for_a_member_or_ending_before_it_starts_is_refused(client, lead, member, primary):
    lead.is_staff = True
    lead.save(update_fields=["is_staff"])
    client.force_login(lead)
    start = timezone.now() + timedelta(days=1)
    common = {"tier": "primary", "start_0": start.strftime("%Y-%m-%d"), "start_1": "09:00:00"}
    bad_member = client.post(
        reverse("admin:escalation_shift_add"),
        {**common, "clinician": member.pk, "end_0": start.strftime("%Y-%m-%d"), "end_1": "17:00:00"},
    )
    assert "Only clinicians can be put on the rota" in bad_member.content.decode()
    backwards = client.post(
        reverse("admin:escalation_shift_add"),
        {**common, "clinician": primary.pk, "end_0": start.strftime("%Y-%m-%d"), "end_1": "08:00:00"},
    )
    assert "A shift must end after it starts" in backwards.content.decode()
    assert not Shift.objects.exists()


def test_a_clinician_sees_the_rota_but_cannot_change_it(client, staff_clinician, primary):
    shift = make_shift(primary)
    client.force_login(staff_clinician)
    assert client.get(reverse("admin:escalation_shift_changelist")).status_code == 200
    assert client.get(reverse("admin:escalation_shift_add")).status_code == 403
    response = client.post(reverse("admin:escalation_shift_delete", args=[shift.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Shift.objects.filter(pk=shift.pk).exists()


def test_cases_and_alerts_are_read_only_in_the_admin(
    admin_client, member, thread, rota, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        community_services.post_create(author=member, thread=thread, body=IMMINENT_TEXT)
    case = CrisisCase.objects.get(member=member)
    alert = Alert.objects.filter(case=case).first()
    assert admin_client.get(reverse("admin:escalation_crisiscase_change", args=[case.pk])).status_code == 200
    assert admin_client.get(reverse("admin:escalation_alert_change", args=[alert.pk])).status_code == 200
    response = admin_client.post(
        reverse("admin:escalation_crisiscase_change", args=[case.pk]), {"status": "resolved"}
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "open"
    assert admin_client.get(reverse("admin:escalation_crisiscase_add")).status_code == 403


def test_screening_goes_on_when_the_cache_is_down(db, monkeypatch):
    """Redis down must not hold every post: the rules version is read from the database."""

    def broken(*args, **kwargs):
        raise ConnectionError("Redis is down")

    TriageRulesVersion.objects.create(number=3)
    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "add", broken)
    assert engine.rules_version() == 3
    assert engine.screen(SLANG).level == "none"
    assert engine.screen(IMMINENT_TEXT).level == "imminent"


def test_a_starting_worker_compiles_the_engine_with_the_current_rules(
    clinical_lead, django_capture_on_commit_callbacks
):
    from escalation import tasks

    with django_capture_on_commit_callbacks(execute=True):
        services.triage_rule_create(
            actor=clinical_lead,
            rule_id="LOCAL-GLIMMER",
            kind="signal",
            category="active_ideation",
            level="high",
            data={"patterns": ["go glimmerdark"]},
            reason="Slang seen in the community.",
        )
    assert engine._compiled.engine is None
    tasks.warm_triage_engine()
    assert engine._compiled.version == 1
    assert "LOCAL-GLIMMER" in {rule.id for rule in engine._compiled.engine.rules}
