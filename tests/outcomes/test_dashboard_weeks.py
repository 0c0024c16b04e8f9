"""Dashboard ranges are whole, finished weeks (Monday to Sunday) on the page, in the CSV and API.

Without snapping, two ranges a day apart differ by that day's counts, and subtracting one
report from the other undoes small-count suppression. The page tests use real dates (the four
finished weeks before this one, as in ``test_dashboard``); the form tests fix "today" to every
day of one week, so each weekday is checked whatever day the tests run on.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from rest_framework.test import APIClient

from community.models import Space
from outcomes.commissioner_forms import DashboardForm
from outcomes.models import OrganisationDay, RollupRun, SpaceDay
from tests.outcomes.test_dashboard import (  # noqa: F401 (fixtures)
    CSV_URL,
    END,
    START,
    THIS_MONDAY,
    TODAY,
    URL,
    monday,
    read_csv,
    seeded,
    southgate,
    table_cells,
)

# ``seeded`` (rollup rows for Northfield and Southgate) comes from the page tests.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]

REPORT = reverse("outcomes-api:report")
DAY = datetime.timedelta(days=1)
NOT_A_WHOLE_WEEK = (
    "Choose a range that includes at least one finished week (Monday to Sunday); "
    "this week's figures appear after Sunday."
)


@pytest.fixture
def api(commissioner):
    client = APIClient()
    client.force_login(commissioner)
    return client


@pytest.fixture
def midweek_day(organisation):
    """Figures on the last finished week's Wednesday, large enough to show if a range cut it."""
    wednesday = END - 4 * DAY
    OrganisationDay.objects.create(
        organisation=organisation, day=wednesday, registrations=20, threads_started=30, replies=40
    )
    SpaceDay.objects.create(
        space=Space.objects.get(slug="anxiety"),
        organisation=organisation,
        day=wednesday,
        threads_started=30,
        replies=40,
        reactions=0,
    )
    return wednesday


def _params(organisation, start: datetime.date, end: datetime.date) -> dict:
    return {"organisation": organisation.pk, "start": start.isoformat(), "end": end.isoformat()}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # The end a day apart (Tuesday or Wednesday of the last finished week): the Wednesday's
        # figures would be the difference.
        ((START, END - 5 * DAY), (START, END - 4 * DAY)),
        # The start a day apart (Monday or Tuesday of the first week, whose Monday has figures).
        ((START, END), (START + DAY, END)),
    ],
    ids=["end", "start"],
)
def test_ranges_a_day_apart_in_the_same_weeks_show_the_same(
    client, api, commissioner, organisation, midweek_day, first, second
):
    client.force_login(commissioner)
    pages, exports, reports = [], [], []
    for start, end in [first, second]:
        params = _params(organisation, start, end)
        page = client.get(URL, params)
        assert page.status_code == 200
        pages.append(table_cells(page.content.decode()))
        export = client.get(CSV_URL, params)
        assert export.status_code == 200
        exports.append((export["Content-Disposition"], export.content))
        body = api.get(REPORT, params).json()
        reports.append({k: v for k, v in body.items() if k != "generated_at"})
    assert pages[0]
    assert pages[0] == pages[1]
    assert exports[0] == exports[1]
    assert reports[0] == reports[1]
    # Both include the whole last week, its Wednesday's 20 registrations among them.
    registrations = next(t for t in reports[0]["tables"] if t["key"] == "registrations")
    assert registrations["rows"][-1] == (END - 6 * DAY).isoformat()
    assert registrations["cells"][-1] == ["20"]


def test_start_snaps_to_its_monday_and_end_to_the_last_finished_sunday(
    client, api, commissioner, organisation
):
    client.force_login(commissioner)
    thursday = START + 3 * DAY
    params = _params(organisation, thursday, TODAY)

    page = client.get(URL, params)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="start" value="{START.isoformat()}"' in html  # the inputs show the snapped range
    assert f'name="end" value="{END.isoformat()}"' in html
    assert f"Monday {START:%-d %b %Y} to Sunday {END:%-d %b %Y}, whole weeks" in html
    assert "Ranges are whole weeks, Monday to Sunday" in html
    assert "cannot be subtracted" in html

    export = client.get(CSV_URL, params)
    assert export["Content-Disposition"] == (
        f'attachment; filename="kindred-northfield-{START.isoformat()}-{END.isoformat()}.csv"'
    )
    rows = read_csv(export)
    assert ["From", START.isoformat()] in rows
    assert ["To", END.isoformat()] in rows

    body = api.get(REPORT, params).json()
    assert (body["start"], body["end"]) == (START.isoformat(), END.isoformat())
    # An end in a past week moves forward to that week's Sunday.
    body = api.get(REPORT, _params(organisation, thursday, END - 10 * DAY)).json()
    assert (body["start"], body["end"]) == (START.isoformat(), (END - 7 * DAY).isoformat())


@pytest.mark.parametrize("start", [THIS_MONDAY, TODAY], ids=["this-monday", "today"])
def test_a_range_inside_this_week_is_refused_with_no_figures(client, api, commissioner, organisation, start):
    client.force_login(commissioner)
    params = _params(organisation, start, TODAY)
    page = client.get(URL, params)
    assert page.status_code == 400
    html = page.content.decode()
    assert escape(NOT_A_WHOLE_WEEK) in html
    assert "<svg" not in html
    assert 'class="dash-table"' not in html
    assert client.get(CSV_URL, params).status_code == 400
    response = api.get(REPORT, params)
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {"end": [NOT_A_WHOLE_WEEK]}
    assert body["detail"] == NOT_A_WHOLE_WEEK
    assert "tables" not in body


def test_a_week_whose_sunday_is_not_rolled_up_yet_is_left_out(api, organisation):
    """The night after a Sunday rolls it up; until then that week would show without it, and
    the two versions would differ by the Sunday's counts."""
    RollupRun.objects.all().delete()
    RollupRun.objects.create(
        first_day=START, last_day=END - DAY, started_at=timezone.now(), finished_at=timezone.now(), rows=1
    )
    body = api.get(REPORT, _params(organisation, START, TODAY)).json()
    assert (body["start"], body["end"]) == (START.isoformat(), (END - 7 * DAY).isoformat())


def test_a_range_the_rollups_have_not_reached_says_how_far_they_are(api, organisation):
    RollupRun.objects.all().delete()
    through = START - 10 * DAY
    RollupRun.objects.create(
        first_day=through, last_day=through, started_at=timezone.now(), finished_at=timezone.now(), rows=1
    )
    response = api.get(REPORT, _params(organisation, START, END))
    assert response.status_code == 400
    assert response.json()["errors"]["end"] == [
        f"Figures are ready up to {through:%-d %b %Y}; choose a range that includes a whole week "
        "(Monday to Sunday) up to then."
    ]
    assert "tables" not in response.json()


def test_the_default_range_is_whole_weeks(client, api, commissioner, organisation):
    first = monday(TODAY - datetime.timedelta(days=364))
    body = api.get(REPORT).json()
    assert (body["start"], body["end"]) == (first.isoformat(), END.isoformat())
    client.force_login(commissioner)
    html = client.get(URL).content.decode()
    assert f'name="start" value="{first.isoformat()}"' in html
    assert f'name="end" value="{END.isoformat()}"' in html


# -- the form itself, for "today" on each day of one week ----------------------------------------

A_MONDAY = datetime.date(2026, 11, 2)
WEEK = [A_MONDAY + i * DAY for i in range(7)]
SUNDAY_BEFORE = A_MONDAY - DAY


def _form(user, today: datetime.date, **data) -> DashboardForm:
    return DashboardForm(data, user=user, today=today)


@pytest.mark.parametrize("today", WEEK, ids=lambda d: f"{d:%A}")
def test_the_form_ends_on_the_last_sunday_that_is_over(commissioner, organisation, today):
    # A Sunday that is today is not over: its week's figures are still coming in.
    form = _form(commissioner, today, start=(A_MONDAY - 17 * DAY).isoformat(), end=today.isoformat())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["start"] == A_MONDAY - 21 * DAY  # that Friday's Monday
    assert form.cleaned_data["end"] == SUNDAY_BEFORE
    assert f"start={A_MONDAY - 21 * DAY}&end={SUNDAY_BEFORE}" in form.query_string()


@pytest.mark.parametrize("today", WEEK, ids=lambda d: f"{d:%A}")
def test_the_form_default_is_whole_finished_weeks(commissioner, organisation, today):
    form = _form(commissioner, today)
    assert form.is_valid(), form.errors
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    assert (start, end) == (monday(today - 364 * DAY), SUNDAY_BEFORE)
    assert start.weekday() == 0
    assert end.weekday() == 6


@pytest.mark.parametrize("today", WEEK, ids=lambda d: f"{d:%A}")
def test_the_form_refuses_a_range_with_no_finished_week(commissioner, organisation, today):
    form = _form(commissioner, today, start=A_MONDAY.isoformat(), end=today.isoformat())
    assert not form.is_valid()
    assert form.errors == {"end": [NOT_A_WHOLE_WEEK]}


def test_a_past_day_is_its_whole_week(commissioner, organisation):
    wednesday = A_MONDAY - 5 * DAY
    form = _form(commissioner, A_MONDAY, start=wednesday.isoformat(), end=wednesday.isoformat())
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["start"], form.cleaned_data["end"]) == (A_MONDAY - 7 * DAY, SUNDAY_BEFORE)


# -- "today" is the organisation's own ------------------------------------------------------------

# Sunday 8 November 2026, 12:00 UTC: still Sunday in London, already Monday 01:00 in Auckland.
NOON_SUNDAY_UTC = datetime.datetime(2026, 11, 8, 12, 0, tzinfo=datetime.UTC)
THAT_SUNDAY = datetime.date(2026, 11, 8)


@pytest.fixture
def at_noon_sunday_utc(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOON_SUNDAY_UTC)


@pytest.mark.usefixtures("at_noon_sunday_utc")
def test_a_week_is_over_when_it_is_over_in_the_organisations_time_zone(commissioner, organisation):
    organisation.time_zone = "Pacific/Auckland"
    organisation.save(update_fields=["time_zone"])
    ask = {"organisation": str(organisation.pk), "start": "2026-10-05"}
    form = DashboardForm({**ask, "end": "2026-11-09"}, user=commissioner)  # Auckland's today
    assert form.is_valid(), form.errors
    assert form.cleaned_data["end"] == THAT_SUNDAY  # over in Auckland, though not yet in London

    organisation.time_zone = "Europe/London"
    organisation.save(update_fields=["time_zone"])
    form = DashboardForm({**ask, "end": "2026-11-09"}, user=commissioner)
    assert not form.is_valid()
    assert "in the future" in form.errors["end"][0]
    form = DashboardForm({**ask, "end": THAT_SUNDAY.isoformat()}, user=commissioner)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["end"] == THAT_SUNDAY - 7 * DAY  # London's Sunday is not over


@pytest.mark.usefixtures("at_noon_sunday_utc")
def test_for_all_organisations_a_day_is_over_only_when_it_is_over_everywhere(admin_user, organisation):
    organisation.time_zone = "Pacific/Auckland"
    organisation.save(update_fields=["time_zone"])
    form = DashboardForm({"organisation": "all", "start": "2026-10-05", "end": "2026-11-08"}, user=admin_user)
    assert form.today == THAT_SUNDAY  # London's (the unaffiliated members' zone) is the earliest
    assert form.is_valid(), form.errors
    assert form.cleaned_data["end"] == THAT_SUNDAY - 7 * DAY
