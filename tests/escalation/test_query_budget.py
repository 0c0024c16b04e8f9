"""Query budgets: the clinician pages run a fixed number of queries, however many cases,
alerts, shifts, events and deliveries there are (STYLE.md 12)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community import services as community_services
from escalation import services
from escalation.models import Alert, CrisisCase
from tests.escalation.conftest import IMMINENT_TEXT, make_shift
from tests.factories import UserFactory


def open_cases(thread, how_many: int, capture) -> list[CrisisCase]:
    cases = []
    for _ in range(how_many):
        member = UserFactory(role="member")
        with capture(execute=True):
            community_services.post_create(author=member, thread=thread, body=IMMINENT_TEXT)
        cases.append(CrisisCase.objects.get(member=member))
    return cases


def queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.fixture
def on_duty(client, rota, primary, backup, lead):
    client.force_login(lead)  # a duty lead also sees the rota hazards and the hazard log
    return client


def grow(thread, primary, backup, lead, cases: list[CrisisCase], capture) -> None:
    """More of everything the pages list: cases, pending and acknowledged alerts, shifts, events."""
    cases += open_cases(thread, 4, capture)
    services.case_acknowledge(case=cases[-1], actor=primary)
    services.case_add_note(case=cases[-1], actor=primary, text="Called, no answer yet.")
    services.case_message_member(case=cases[-2], actor=primary)
    services.case_resolve(case=cases[-3], actor=primary, outcome="safe", note="Spoke to them; safe tonight.")
    for clinician in (primary, backup, lead):
        make_shift(clinician, "backup", hours=4)


@pytest.mark.django_db
def test_dashboard_queries_do_not_grow_with_cases_alerts_or_shifts(
    on_duty, thread, primary, backup, lead, django_capture_on_commit_callbacks
):
    url = reverse("escalation:dashboard")
    cases = open_cases(thread, 1, django_capture_on_commit_callbacks)
    few = queries(on_duty, url)
    with django_capture_on_commit_callbacks(execute=True):
        grow(thread, primary, backup, lead, cases, django_capture_on_commit_callbacks)
    assert Alert.objects.count() >= 5
    many = queries(on_duty, url)
    assert many == few, (few, many)


@pytest.mark.django_db
def test_pending_alerts_json_queries_do_not_grow(
    client, thread, rota, primary, backup, lead, django_capture_on_commit_callbacks
):
    client.force_login(primary)
    url = reverse("escalation:alerts-pending")
    cases = open_cases(thread, 1, django_capture_on_commit_callbacks)
    few = queries(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        grow(thread, primary, backup, lead, cases, django_capture_on_commit_callbacks)
    assert len(client.get(url).json()["alerts"]) >= 2
    assert queries(client, url) == few


@pytest.mark.django_db
def test_case_page_queries_do_not_grow_with_its_timeline(
    client, thread, rota, primary, backup, lead, django_capture_on_commit_callbacks
):
    client.force_login(primary)
    case = open_cases(thread, 1, django_capture_on_commit_callbacks)[0]
    url = reverse("escalation:case-detail", args=[case.pk])
    few = queries(client, url)
    with django_capture_on_commit_callbacks(execute=True):
        member = case.member
        for text in ("Still here.", "Tonight is bad.", "I have the pills ready and I'm doing it tonight."):
            community_services.post_create(author=member, thread=thread, body=text)
        services.case_acknowledge(case=case, actor=primary)
        for n in range(3):
            services.case_add_note(case=case, actor=primary, text=f"Note {n}")
        services.case_message_member(case=case, actor=primary)
    case.refresh_from_db()
    assert case.events.count() >= 6
    assert queries(client, url) == few
