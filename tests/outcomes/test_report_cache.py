"""The disclosed-report cache: reused within a rollup generation, fresh after a rollup run,
never shared between organisations or ranges, and skipped (not fatal) when the cache fails."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from outcomes.disclosure import disclosed_organisation_report
from outcomes.rollups import rollup_days
from tests.factories import OrganisationFactory
from tests.outcomes.test_rollups_activity import at, make_member, make_thread

pytestmark = pytest.mark.django_db

MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))


@pytest.fixture
def cached():
    cache.clear()
    with override_settings(OUTCOMES_REPORT_CACHE_SECONDS=60):
        yield
    cache.clear()


def _threads(org, count: int, day: int) -> None:
    member = make_member(f"M{org.pk}x{day}", org)
    for i in range(count):
        make_thread(member, at(2026, 3, day, 9) + datetime.timedelta(minutes=i))


def _report(org):
    return disclosed_organisation_report(organisation_id=org.pk, start=MARCH[0], end=MARCH[1])


def test_a_report_is_reused_within_a_rollup_generation(cached):
    org = OrganisationFactory(slug="north")
    _threads(org, 12, 2)
    rollup_days(start=MARCH[0], end=MARCH[1])
    first = _report(org)

    with CaptureQueriesContext(connection) as queries:
        again = _report(org)

    assert len(queries) == 1  # which rollup generation is current; nothing else
    assert again.tables == first.tables
    assert again.generated_at == first.generated_at


def test_a_rollup_run_makes_the_next_report_fresh(cached):
    org = OrganisationFactory(slug="north")
    _threads(org, 12, 2)
    rollup_days(start=MARCH[0], end=MARCH[1])
    before = _report(org)
    _threads(org, 20, 3)

    assert _report(org).tables == before.tables  # same generation: the cached report
    rollup_days(start=MARCH[0], end=MARCH[1])
    after = _report(org)

    assert after.tables != before.tables
    assert after.generated_at > before.generated_at


def test_organisations_and_ranges_never_share_a_report(cached):
    north, south = OrganisationFactory(slug="north"), OrganisationFactory(slug="south")
    _threads(north, 12, 2)
    _threads(south, 30, 2)
    rollup_days(start=MARCH[0], end=MARCH[1])

    north_report, south_report = _report(north), _report(south)
    shorter = disclosed_organisation_report(
        organisation_id=north.pk, start=MARCH[0], end=datetime.date(2026, 3, 1)
    )

    assert north_report.organisation_id == north.pk
    assert south_report.organisation_id == south.pk
    assert north_report.tables != south_report.tables
    assert shorter.end == datetime.date(2026, 3, 1)
    assert shorter.tables != north_report.tables


@override_settings(
    OUTCOMES_REPORT_CACHE_SECONDS=60,
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens here: every call fails
        }
    },
)
def test_a_failing_cache_is_logged_and_the_report_still_worked_out(caplog):
    org = OrganisationFactory(slug="north")
    _threads(org, 12, 2)
    rollup_days(start=MARCH[0], end=MARCH[1])

    with caplog.at_level(logging.WARNING, logger="outcomes.disclosure"):
        report = _report(org)

    assert report.organisation_id == org.pk
    assert "Report cache unavailable" in caplog.text
