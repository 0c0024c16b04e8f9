"""Property, end to end: for generated populations, the dashboard page, its CSV and the API show
no count from 1 to 7, show the same values, and no hidden value can be worked out from the others.

Populations are generated as the rollup rows they would produce (registrations per week,
activity per space, weekly active members, safety counts), mostly small numbers.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accounts.privacy import disclosure_rules
from community.models import Space
from outcomes.disclosure import DisclosedTable
from outcomes.models import ActivePeriod, OrganisationDay, PeriodKind, SpaceDay
from tests.outcomes.test_disclosure_checker import recover, visible_small_counts

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# Five whole, finished weeks (ranges are snapped to them): Monday to the last Sunday that is over.
START = TODAY - datetime.timedelta(days=TODAY.weekday(), weeks=5)
END = START + datetime.timedelta(days=34)
small = st.one_of(st.integers(0, 9), st.integers(0, 9), st.integers(0, 60))


@st.composite
def populations(draw) -> dict:
    return {
        "days": draw(
            st.lists(
                st.tuples(st.integers(0, 34), small, small, small, small, small, small, small),
                max_size=8,
                unique_by=lambda d: d[0],
            )
        ),
        "spaces": draw(st.lists(st.tuples(small, small, small), min_size=1, max_size=4)),
        "weekly_active": draw(st.lists(small, min_size=5, max_size=5)),
    }


def write_population(organisation, population: dict) -> None:
    OrganisationDay.objects.all().delete()
    SpaceDay.objects.all().delete()
    ActivePeriod.objects.all().delete()
    for offset, registrations, threads, replies, reactions, flags, reviews, cases in population["days"]:
        actions = threads + replies + reactions
        OrganisationDay.objects.create(
            organisation=organisation,
            day=START + datetime.timedelta(days=offset),
            registrations=registrations,
            threads_started=threads,
            replies=replies,
            reactions=reactions,
            out_of_hours=actions // 3,
            flags=flags,
            review_items=reviews,
            crisis_cases=cases,
        )
    for index, (threads, replies, reactions) in enumerate(population["spaces"]):
        space, _ = Space.objects.get_or_create(slug=f"space-{index}", defaults={"name": f"Space {index}"})
        SpaceDay.objects.create(
            space=space,
            organisation=organisation,
            day=START,
            threads_started=threads,
            replies=replies,
            reactions=reactions,
        )
    for week, active in enumerate(population["weekly_active"]):
        ActivePeriod.objects.create(
            organisation=organisation,
            kind=PeriodKind.WEEK,
            start=START + datetime.timedelta(days=7 * week),
            active_members=active,
        )


def html_tables(html: str) -> dict[str, list[str]]:
    """Every count cell of every table on the page, by table id."""
    tables = {}
    for table_id, body in re.findall(r'<table class="dash-table" id="([^"]+)">(.*?)</table>', html, re.S):
        tables[table_id] = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
        ]
    return tables


def as_disclosed(table: dict) -> DisclosedTable:
    fields = {k: table[k] for k in DisclosedTable.__dataclass_fields__}
    return DisclosedTable(**fields)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(population=populations())
def test_no_output_shows_or_leaks_a_small_count(client, commissioner, organisation, population):
    rules = disclosure_rules()
    write_population(organisation, population)
    params = {"organisation": organisation.pk, "start": START.isoformat(), "end": END.isoformat()}
    client.force_login(commissioner)

    page = client.get(reverse("outcomes:commissioner-dashboard"), params)
    assert page.status_code == 200
    page_tables = html_tables(page.content.decode())
    for cells in page_tables.values():
        assert visible_small_counts(cells, rules) == []

    export = client.get(reverse("outcomes:commissioner-dashboard-csv"), params)
    assert export.status_code == 200
    csv_values = [v for row in csv.reader(io.StringIO(export.content.decode())) for v in row]
    assert visible_small_counts(csv_values, rules) == []

    api = APIClient()
    api.force_login(commissioner)
    body = api.get(reverse("outcomes-api:report"), params).json()
    for table in body["tables"]:
        disclosed = as_disclosed(table)
        json_values = [v for row in disclosed.as_rows()[1:] for v in row[1:]]
        json_values += [v for row in disclosed.percentages or [] for v in row]
        assert visible_small_counts(json_values, rules) == []
        assert recover(disclosed, rules) == {}
        # The page shows exactly what the API returns, and so does the CSV.
        page_values = page_tables[f"{disclosed.key}-table"]
        assert page_values == json_values[: len(page_values)]
        assert all(v in csv_values for v in page_values)
