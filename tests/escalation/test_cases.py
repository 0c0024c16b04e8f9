"""Crisis cases: states, one open case per member, notes, messages, the sealed safety contact."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import SafetyContact
from community import services as community_services
from community.models import Space
from escalation import services
from escalation.models import CaseEvent, CaseMessage, CrisisCase, SafetyContactView
from tests.escalation.conftest import IMMINENT_TEXT

pytestmark = pytest.mark.django_db


def open_case(member) -> CrisisCase:
    space, _ = Space.objects.get_or_create(slug="cases", defaults={"name": "Cases"})
    thread = community_services.thread_create(author=member, space=space, title="Tonight", body=IMMINENT_TEXT)
    services.post_assess(post_id=thread.opening_post_id)
    return CrisisCase.objects.get(member=member, status__in=["open", "acknowledged", "contacting_member"])


def test_one_open_case_per_member_is_a_database_constraint(member):
    CrisisCase.objects.create(member=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        CrisisCase.objects.create(member=member)
    CrisisCase.objects.create(member=member, status="resolved", outcome="safe")  # resolved ones may pile up


def test_full_lifecycle_writes_a_timeline(member, rota, primary):
    case = open_case(member)
    services.case_acknowledge(case=case, actor=primary)
    services.case_start_contact(case=case, actor=primary)
    services.case_add_note(case=case, actor=primary, text="Called, no answer yet.")
    message = services.case_message_member(case=case, actor=primary)
    services.case_resolve(case=case, actor=primary, outcome="referred", note="Referred to GP")
    case.refresh_from_db()
    assert case.status == "resolved"
    assert case.outcome == "referred"
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["opened", "alert_round", "acknowledged", "status", "note", "message", "resolved"]
    assert message.recipient == member
    assert "check in" in message.body
    with pytest.raises(ValidationError):
        services.case_message_member(case=case, actor=primary, body="hello")
    assert services.case_reopen(case=case, actor=primary, reason="Member posted again")
    case.refresh_from_db()
    assert case.status == "acknowledged"
    assert case.assignee == primary
    assert case.outcome == ""


def test_resolve_needs_a_known_outcome_and_changes_nothing_otherwise(member, rota, primary):
    case = open_case(member)
    with pytest.raises(ValidationError):
        services.case_resolve(case=case, actor=primary, outcome="fine")
    case.refresh_from_db()
    assert case.status == "open"


def test_member_sees_the_check_in_message_on_their_messages_page(client, member, rota, primary):
    case = open_case(member)
    services.case_message_member(case=case, actor=primary, body="We'd like to check in with you.")
    client.force_login(member)
    page = client.get(reverse("escalation:member-messages")).content.decode()
    assert "We&#x27;d like to check in with you." in page
    assert CaseMessage.objects.get().read_at is not None


def test_safety_contact_is_revealed_only_with_a_reason_on_an_open_case_and_audited(
    client, member, rota, primary
):
    SafetyContact.objects.create(user=member, phone="+44 7700 900123", location="Leeds")
    case = open_case(member)
    url = reverse("escalation:case-detail", args=[case.pk])
    client.force_login(primary)
    assert "+44 7700 900123" not in client.get(url).content.decode()
    short = client.post(
        reverse("escalation:case-action", args=[case.pk, "safety-contact"]), {"reason": "need"}
    )
    assert short.status_code == 400
    assert not SafetyContactView.objects.exists()
    response = client.post(
        reverse("escalation:case-action", args=[case.pk, "safety-contact"]),
        {"reason": "No reply for 20 minutes; considering a welfare check."},
    )
    assert "+44 7700 900123" in response.content.decode()
    view = SafetyContactView.objects.get()
    assert (view.viewer, view.member, view.fields_shown) == (primary, member, ["phone", "location"])
    assert CaseEvent.objects.filter(case=case, kind="safety_contact_viewed").count() == 1
    services.case_resolve(case=case, actor=primary, outcome="safe")
    with pytest.raises(PermissionDenied):
        services.safety_contact_reveal(case=case, actor=primary, reason="Just checking after the case closed")


@pytest.mark.parametrize("who", ["admin_user", "guide"])
def test_only_clinicians_open_the_safety_contact(request, member, rota, who):
    case = open_case(member)
    with pytest.raises(PermissionDenied):
        services.safety_contact_reveal(
            case=case, actor=request.getfixturevalue(who), reason="A good long reason"
        )
    assert not SafetyContactView.objects.exists()


@pytest.mark.parametrize("who", ["member", "other_member", "guide", "commissioner"])
def test_members_guides_and_commissioners_cannot_see_cases(client, request, member, rota, who):
    case = open_case(member)
    client.force_login(request.getfixturevalue(who))
    for url in (
        reverse("escalation:dashboard"),
        reverse("escalation:case-detail", args=[case.pk]),
        reverse("escalation:alerts-pending"),
    ):
        assert client.get(url).status_code == 403
    before = CaseEvent.objects.count()
    response = client.post(reverse("escalation:case-action", args=[case.pk, "note"]), {"text": "hi"})
    assert response.status_code == 403
    assert CaseEvent.objects.count() == before


def test_clinician_dashboard_lists_alerts_cases_and_rota(client, member, rota, primary):
    case = open_case(member)
    client.force_login(primary)
    page = client.get(reverse("escalation:dashboard")).content.decode()
    assert f"Case {case.pk}" in page
    assert "DrPrimary" in page
    assert "DrBackup" in page
    assert "Rota hazards" not in page  # a plain clinician, not a duty lead


def test_duty_lead_sees_coverage_gaps(client, lead):
    from tests.escalation.conftest import make_shift

    make_shift(lead, "duty_lead", hours=2)
    client.force_login(lead)
    page = client.get(reverse("escalation:dashboard")).content.decode()
    assert "Rota hazards" in page
    assert "Nobody on duty" in page


def test_member_can_set_their_safety_contact(client, member):
    client.force_login(member)
    bad = client.post(reverse("safety_contact"), {"phone": "call me", "email": "", "location": ""})
    assert bad.status_code == 400
    assert not SafetyContact.objects.exists()
    client.post(reverse("safety_contact"), {"phone": "+44 7700 900123", "email": "", "location": "Leeds"})
    assert SafetyContact.objects.get(user=member).location == "Leeds"
