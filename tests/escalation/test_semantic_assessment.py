"""The full assessment in the worker: the rules' level raised, never lowered, by the semantic stage.

The real model (torch + the packaged MiniLM) reads real posts; these tests skip where it is not
installed (CI installs requirements-semantic.lock). The stage never runs inline in a request.
"""

from __future__ import annotations

import pytest
from django.core import checks
from django.test import override_settings

from community import services as community_services
from community.models import PostState
from escalation import engine, services
from escalation.models import CrisisCase, RiskAssessment

pytestmark = pytest.mark.django_db

needs_model = pytest.mark.skipif(not engine.semantic_installed(), reason="torch or the encoder not installed")

# The rules read no risk here (no method, no death word); the meaning is a plan for tonight.
VEILED = "my stash is finally big enough. when everyone's asleep tonight."


def reply(thread, author, body):
    return community_services.post_create(author=author, thread=thread, body=body)


@needs_model
@override_settings(ESCALATION_SEMANTIC_TRIAGE=True)
def test_a_veiled_plan_the_rules_miss_is_raised_held_and_opens_a_case(thread, other_member, rota):
    post = reply(thread, other_member, VEILED)
    assert post.state == PostState.PUBLISHED  # inline, the rules alone: nothing to hold
    assessment = services.post_assess(post_id=post.pk)
    assert assessment.level == "imminent"
    assert "+sem." in assessment.engine_version
    semantic = [rule for rule in assessment.rules if rule["rule_id"] == "semantic"]
    assert semantic
    assert semantic[0]["effect"] == "counted"
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert CrisisCase.objects.filter(member=other_member).exists()


@needs_model
@override_settings(ESCALATION_SEMANTIC_TRIAGE=True)
def test_the_semantic_stage_never_lowers_what_the_rules_read(thread, other_member):
    from tests.escalation.conftest import HIGH_TEXT

    assert engine.screen(HIGH_TEXT).level == "high"
    post = reply(thread, other_member, HIGH_TEXT)
    assessment = services.post_assess(post_id=post.pk)
    assert "+sem." in assessment.engine_version  # the stage read it
    assert assessment.level in ("high", "imminent")


@needs_model
@override_settings(ESCALATION_SEMANTIC_TRIAGE=True)
def test_where_the_rules_read_imminent_the_case_does_not_wait_for_the_stage(thread, other_member, rota):
    # The stage only raises; above imminent there is nothing to raise to, so it is not consulted.
    from tests.escalation.conftest import IMMINENT_TEXT

    post = reply(thread, other_member, IMMINENT_TEXT)
    assessment = services.post_assess(post_id=post.pk)
    assert assessment.level == "imminent"
    assert "+sem." not in assessment.engine_version
    assert not [rule for rule in assessment.rules if rule["rule_id"] == "semantic"]
    assert CrisisCase.objects.filter(member=other_member).exists()


def test_switched_off_the_rules_alone_assess(thread, other_member):
    post = reply(thread, other_member, VEILED)
    assessment = services.post_assess(post_id=post.pk)
    assert "+sem." not in assessment.engine_version
    assert not [rule for rule in assessment.rules if rule["rule_id"] == "semantic"]
    assert RiskAssessment.objects.filter(post=post).count() == 1


@override_settings(ESCALATION_SEMANTIC_TRIAGE=True)
def test_a_deployment_that_wants_the_stage_without_its_packages_is_warned(monkeypatch):
    monkeypatch.setattr(engine, "semantic_installed", lambda: False)
    ids = [message.id for message in checks.run_checks()]
    assert "escalation.W001" in ids


@override_settings(ESCALATION_SEMANTIC_TRIAGE=False)
def test_no_warning_when_the_stage_is_switched_off(monkeypatch):
    monkeypatch.setattr(engine, "semantic_installed", lambda: False)
    assert "escalation.W001" not in [message.id for message in checks.run_checks()]
