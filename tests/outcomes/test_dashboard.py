"""Commissioner dashboard pages and their CSV: access, bad input, disclosure, query budget.

The dashboards read only the daily rollup tables, so these tests write rollup rows directly
(what ``outcomes.rollups`` would have written); the rollups' own correctness is tested with them.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from community.models import Space
from outcomes.models import ActivePeriod, OrganisationDay, PeriodKind, RollupRun, SpaceDay
from outcomes.reporting import organisation_report
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("outcomes:commissioner-dashboard")
CSV_URL = reverse("outcomes:commissioner-dashboard-csv")


def monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


# Ranges are snapped to whole, finished weeks, so the tests use four of them: the same range and
# the same expectations whatever day of the week the tests run on.
TODAY = timezone.localdate()
THIS_MONDAY = monday(TODAY)
START = THIS_MONDAY - datetime.timedelta(weeks=4)  # a Monday
END = THIS_MONDAY - datetime.timedelta(days=1)  # the last Sunday that is over


def seed(
    organisation, *, weeks: list[int], spaces: list[tuple[str, int, int, int]], active: int, first=START
) -> None:
    """Registrations per week (one day each), activity per space, weekly active members."""
    for index, registrations in enumerate(weeks):
        day = first + datetime.timedelta(days=7 * index)
        OrganisationDay.objects.create(
            organisation=organisation,
            day=day,
            registrations=registrations,
            threads_started=sum(s[1] for s in spaces) if index == 0 else 0,
            replies=sum(s[2] for s in spaces) if index == 0 else 0,
            reactions=sum(s[3] for s in spaces) if index == 0 else 0,
            out_of_hours=3 if index == 0 else 0,
            flags=2 if index == 0 else 0,
            review_items=9 if index == 0 else 0,
            crisis_cases=1 if index == 0 else 0,
        )
        ActivePeriod.objects.create(
            organisation=organisation, kind=PeriodKind.WEEK, start=monday(day), active_members=active
        )
    for position, (name, threads, replies, reactions) in enumerate(spaces):
        space, _ = Space.objects.get_or_create(slug=name.lower().replace(" ", "-"), defaults={"name": name})
        space.position = position
        space.save()
        SpaceDay.objects.create(
            space=space,
            organisation=organisation,
            day=first,
            threads_started=threads,
            replies=replies,
            reactions=reactions,
        )


@pytest.fixture
def southgate():
    return OrganisationFactory(name="Southgate College", slug="southgate")


@pytest.fixture
def seeded(organisation, southgate):
    seed(
        organisation,
        weeks=[3, 13, 40, 0],
        spaces=[("Anxiety", 3, 30, 52), ("Low mood", 12, 44, 61)],
        active=21,
    )
    # Southgate's figures are distinctive, so a leak would show.
    seed(southgate, weeks=[777, 0, 0, 0], spaces=[("Anxiety", 333, 0, 0)], active=444)
    RollupRun.objects.create(
        first_day=START, last_day=TODAY, started_at=timezone.now(), finished_at=timezone.now(), rows=1
    )


def query(**params) -> dict:
    return {"start": START.isoformat(), "end": END.isoformat(), **params}


def table_cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


def test_commissioner_sees_their_organisation_disclosed(client, commissioner, organisation, seeded):
    client.force_login(commissioner)
    response = client.get(URL, query(organisation=organisation.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Northfield University</h1>" in html
    for title in ["Registrations by week", "Weekly active members", "Activity by space", "Safety activity"]:
        assert title in html
    assert html.count("<svg") >= 4
    cells = table_cells(html)
    assert cells, "the numbers are in tables beneath the charts"
    assert not [c for c in cells if c.isdigit() and 0 < int(c) < 8]
    # Registrations 3, 13, 40, 0: the 3 is hidden, and so is the 13 (else 56 - 40 - 13 = 3).
    registrations = html.split('id="registrations-table"')[1].split("</table>")[0]
    shown = table_cells(registrations)
    assert shown[:3] == ["*", "*", "40"]
    assert set(shown[3:-1]) == {"0"}
    assert shown[-1] == "55"
    assert "fewer than 8" in html  # the legend
    assert "Southgate" not in html
    for leaked in ["777", "333", "444"]:
        assert leaked not in html


def test_commissioner_asking_for_another_organisation_gets_nothing_of_it(
    client, commissioner, southgate, seeded
):
    client.force_login(commissioner)
    for params in [query(organisation=southgate.pk), query(organisation=999999), query(organisation="all")]:
        response = client.get(URL, params)
        assert response.status_code == 400
        html = response.content.decode()
        assert "Choose one of your organisations." in html
        assert "Southgate" not in html
        assert "<svg" not in html
        for leaked in ["777", "333", "444"]:
            assert leaked not in html
        csv_response = client.get(CSV_URL, params)
        assert csv_response.status_code == 400
        assert csv_response["Content-Type"].startswith("text/html")
        assert "Southgate" not in csv_response.content.decode()


@pytest.mark.parametrize("fixture_name", ["member", "guide", "clinician"])
def test_other_roles_are_refused(client, request, fixture_name, seeded):
    client.force_login(request.getfixturevalue(fixture_name))
    assert client.get(URL).status_code == 403
    assert client.get(CSV_URL).status_code == 403


def test_anonymous_is_sent_to_login(client, seeded):
    for url in [URL, CSV_URL]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_admin_sees_every_organisation_and_all_together(client, admin_user, organisation, southgate, seeded):
    client.force_login(admin_user)
    html = client.get(URL).content.decode()
    assert "All organisations" in html  # the default choice for admins
    assert "Southgate College" in html
    assert "Northfield University" in html
    response = client.get(URL, query(organisation=southgate.pk))
    assert response.status_code == 200
    assert "<h1>Southgate College</h1>" in response.content.decode()
    response = client.get(URL, query(organisation="all"))
    assert response.status_code == 200
    assert "<h1>All organisations</h1>" in response.content.decode()


def test_a_commissioner_without_organisations_is_told_so(client, seeded):
    lonely = UserFactory(role=Role.COMMISSIONER)
    client.force_login(lonely)
    response = client.get(URL)
    assert response.status_code == 200
    assert "not linked to any organisation" in response.content.decode()
    assert client.get(CSV_URL).status_code == 400


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-03-01", "end": "2026-02-01"}, "The end date is before the start date."),
        ({"start": "2020-01-01", "end": "2024-01-01"}, "Choose a range of at most 731 days"),
        (
            {"start": (TODAY + datetime.timedelta(days=3)).isoformat(), "end": TODAY.isoformat()},
            "The start date is in the future",
        ),
        (
            {"start": "2026-02-01", "end": (TODAY + datetime.timedelta(days=1)).isoformat()},
            "The end date is in the future",
        ),
        ({"start": "yesterday"}, "Enter a date."),
        ({"start": "2026-02-30"}, "Enter a date."),
    ],
)
def test_bad_ranges_get_a_clear_form_error(client, commissioner, organisation, seeded, params, message):
    client.force_login(commissioner)
    runs = RollupRun.objects.count()
    response = client.get(URL, {"organisation": organisation.pk, **params})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "<svg" not in html
    assert 'class="dash-table"' not in html
    assert RollupRun.objects.count() == runs  # nothing was recomputed or written


@override_settings(OUTCOMES_DASHBOARD_MAX_RANGE_DAYS=30)
def test_the_longest_range_is_configurable(client, commissioner, organisation, seeded):
    client.force_login(commissioner)
    response = client.get(URL, {"organisation": organisation.pk, "start": "2026-01-01", "end": "2026-03-01"})
    assert response.status_code == 400
    assert "Choose a range of at most 30 days (this one is 60)." in response.content.decode()


def test_defaults_are_the_first_organisation_and_the_last_year(client, commissioner, organisation, seeded):
    client.force_login(commissioner)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Northfield University</h1>" in html
    # The last year, snapped to whole weeks: from the Monday of the week a year ago (364 days
    # before today, both ends counted) to the last Sunday that is over.
    assert f'value="{monday(TODAY - datetime.timedelta(days=364)).isoformat()}"' in html
    assert f'value="{END.isoformat()}"' in html


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_holds_only_disclosed_values(client, commissioner, organisation, seeded):
    client.force_login(commissioner)
    response = client.get(CSV_URL, query(organisation=organisation.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="kindred-northfield-{START.isoformat()}-{END.isoformat()}.csv"'
    )
    rows = read_csv(response)
    assert rows[0] == ["Organisation", "Northfield University"]
    values = [v for row in rows for v in row]
    assert "*" in values
    small = [v for v in values if v.isdigit() and 0 < int(v) < 8]
    assert small == []
    # The exact figures of the seeded data that are not multiples of 5 never appear.
    for exact in ["13", "21", "52", "61", "44", "12", "56", "113", "117", "202", "199", "74"]:
        assert exact not in values
    # Same figures as the page.
    html = client.get(URL, query(organisation=organisation.pk)).content.decode()
    registrations = table_cells(html.split('id="registrations-table"')[1].split("</table>")[0])
    start = rows.index(["Registrations by week"])
    assert [row[1] for row in rows[start + 2 : start + 2 + len(registrations)]] == registrations


def test_csv_of_one_table(client, commissioner, organisation, seeded):
    client.force_login(commissioner)
    response = client.get(CSV_URL, query(organisation=organisation.pk, table="safety"))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-safety.csv"')
    rows = read_csv(response)
    assert ["Safety activity"] in rows
    assert ["Registrations by week"] not in rows
    # Flags 2 and crisis cases 1 are hidden; 9 review items round to 10.
    assert ["posts flagged by members", "*"] in rows
    assert ["crisis cases opened", "*"] in rows
    assert ["posts put in the review queue", "10"] in rows
    assert client.get(CSV_URL, query(organisation=organisation.pk, table="nope")).status_code == 404


def _count_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params).status_code == 200
    return len(queries)


def test_page_queries_do_not_grow_with_the_data(client, commissioner, organisation, seeded):
    client.force_login(commissioner)
    small = _count_queries(client, query(organisation=organisation.pk))
    more_spaces = [(f"Space {i}", i, 2 * i, 3 * i) for i in range(20)]
    seed(
        organisation,
        weeks=[50, 60, 70, 80],
        spaces=more_spaces,
        active=90,
        first=START - datetime.timedelta(days=100),
    )
    long_range = {
        "organisation": organisation.pk,
        "start": (TODAY - datetime.timedelta(days=700)).isoformat(),
        "end": TODAY.isoformat(),
    }
    assert _count_queries(client, long_range) == small
    # The page adds four queries to the report's own fixed set: the session, the user, the
    # viewer's organisations (the form's choices) and how far the rollups reach (the form's last
    # finished week). Nothing per table, row or organisation.
    with CaptureQueriesContext(connection) as report_queries:
        organisation_report(organisation_id=organisation.pk, start=START, end=END)
    assert small == len(report_queries) + 4
