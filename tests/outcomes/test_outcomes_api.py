"""The outcomes API: the same disclosed report as the page, JSON errors, token and session auth."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organisation, Role
from tests.factories import UserFactory
from tests.outcomes.test_dashboard import END, START, query, seeded, southgate  # noqa: F401 (fixtures)

# ``seeded`` (rollup rows for Northfield and Southgate) comes from the page tests.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def southgate_org() -> Organisation:
    return Organisation.objects.get(slug="southgate")


REPORT = reverse("outcomes-api:report")
ORGANISATIONS = reverse("outcomes-api:organisation-list")


@pytest.fixture
def api():
    return APIClient()


def test_commissioner_gets_the_disclosed_report_with_a_token(api, commissioner, organisation):
    token = Token.objects.create(user=commissioner)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get(REPORT, query(organisation=organisation.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["organisation"] == {"id": organisation.pk, "name": "Northfield University"}
    assert body["start"] == START.isoformat()
    assert body["end"] == END.isoformat()
    assert body["disclosure"]["min_count"] == 8
    assert body["disclosure"]["round_to"] == 5
    registrations = next(t for t in body["tables"] if t["key"] == "registrations")
    assert [row[0] for row in registrations["cells"]][:3] == ["*", "*", "40"]
    assert registrations["column_totals"] == ["55"]
    assert registrations["suppressed_cells"] == 2
    for table in body["tables"]:
        for value in [v for row in table["cells"] for v in row] + (table["column_totals"] or []):
            assert isinstance(value, str)
            assert not (value.isdigit() and 0 < int(value) < 8)
    text = response.content.decode()
    for leaked in ["Southgate", "777", "333", "444"]:
        assert leaked not in text


def test_session_auth_works_too(api, admin_user):
    api.force_login(admin_user)
    response = api.get(REPORT, query(organisation=southgate_org().pk))
    assert response.status_code == 200
    assert response.json()["organisation"]["name"] == "Southgate College"
    response = api.get(REPORT, query(organisation="all"))
    assert response.json()["organisation"] == {"id": None, "name": "All organisations"}


def test_organisation_list_is_the_callers_own(api, commissioner, admin_user):
    api.force_login(commissioner)
    assert api.get(ORGANISATIONS).json() == [
        {"id": str(commissioner.commissioned_organisations.get().pk), "name": "Northfield University"}
    ]
    api.force_login(admin_user)
    names = [o["name"] for o in api.get(ORGANISATIONS).json()]
    assert names == ["All organisations", "Northfield University", "Southgate College"]


def test_another_organisation_is_refused_like_an_unknown_one(api, commissioner):
    api.force_login(commissioner)
    bodies = []
    for organisation_id in [southgate_org().pk, 999999, "all"]:
        response = api.get(REPORT, query(organisation=organisation_id))
        assert response.status_code == 400
        body = response.json()
        assert body["errors"] == {"organisation": ["Choose one of your organisations."]}
        assert "Southgate" not in response.content.decode()
        bodies.append(body)
    assert bodies[0] == bodies[1] == bodies[2]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-03-01", "end": "2026-02-01"}, "end", "The end date is before the start date."),
        (
            {"start": "2020-01-01", "end": "2024-01-01"},
            "end",
            "Choose a range of at most 731 days (this one is 1462).",
        ),
        ({"start": "soon"}, "start", "Enter a date."),
    ],
)
def test_bad_ranges_are_400_with_field_errors(api, commissioner, organisation, params, field, message):
    api.force_login(commissioner)
    response = api.get(REPORT, {"organisation": organisation.pk, **params})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["code"] == "invalid"
    assert body["errors"][field] == [message]
    assert body["detail"] == message


@pytest.mark.parametrize("role", [Role.MEMBER, Role.GUIDE, Role.CLINICIAN])
def test_other_roles_get_403(api, role):
    api.force_login(UserFactory(role=role))
    for url in [REPORT, ORGANISATIONS]:
        response = api.get(url)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


def test_anonymous_gets_401(api):
    response = api.get(REPORT)
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_the_api_is_in_the_openapi_schema(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    assert "/api/v1/outcomes/report/" in schema["paths"]
    assert "/api/v1/outcomes/organisations/" in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/outcomes/report/"]["get"]["parameters"]}
    assert {"organisation", "start", "end"} <= parameters
    assert "DisclosedReport" in schema["components"]["schemas"]
