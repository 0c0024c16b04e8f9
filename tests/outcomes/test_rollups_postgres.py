"""The rollup SQL on PostgreSQL (time zone conversion, ISO weekdays, week/month truncation, partial
unique constraints, upserts): the known-answer populations of the SQLite tests, run again here.
Run with DATABASE_URL pointing at PostgreSQL; skipped on SQLite."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from outcomes.models import OrganisationDay
from tests.factories import OrganisationFactory
from tests.outcomes import test_engagement_replies as engagement
from tests.outcomes import test_reporting_report as reporting
from tests.outcomes import test_rollups_activity as activity

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def test_distinct_weekly_and_monthly_actives():
    activity.test_weekly_and_monthly_actives_are_distinct_members_not_sums_of_days()


def test_out_of_hours_across_dst_in_three_time_zones():
    activity.test_out_of_hours_in_the_organisations_time_zone_across_dst_changes()


def test_registrations_by_local_day():
    activity.test_registrations_by_local_day()


def test_idempotent_reruns():
    activity.test_running_twice_gives_the_same_rows_and_a_narrower_rerun_replaces_only_its_days()


def test_breaks():
    activity.test_breaks_mark_members_who_went_quiet_and_came_back()


def test_first_reply_and_unanswered():
    engagement.test_first_reply_from_another_member_and_unanswered_after_24_hours()


def test_reply_network():
    engagement.test_reply_network_pairs_reciprocity_and_members_never_answered()


def test_retention_cohorts():
    reporting.test_retention_cohorts_and_weeks_not_yet_known()


def test_figures_equal_raw_computation():
    reporting.test_rollup_figures_equal_the_same_figures_computed_from_raw_rows()


def test_one_row_per_day_without_an_organisation():
    """The partial unique constraint holds where a plain one would let NULL organisations repeat."""
    day = datetime.date(2026, 3, 2)
    OrganisationDay.objects.create(organisation=None, day=day)
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationDay.objects.create(organisation=None, day=day)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_wait_for_each_other():
    """The nightly task and an on-demand command overlapping: the advisory lock serialises them."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from outcomes.models import MemberDay
    from outcomes.rollups import rollup_days

    org = OrganisationFactory(slug="north")
    members = [activity.make_member(f"M{i}", org) for i in range(6)]
    for day in range(1, 20):
        thread = activity.make_thread(members[day % 6], activity.at(2026, 3, day, 10))
        activity.make_reply(members[(day + 1) % 6], thread, activity.at(2026, 3, day, 12))
    march = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))

    def run(_):
        try:
            return rollup_days(start=march[0], end=march[1]).rows
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, range(2)))

    assert results[0] == results[1] > 0
    assert MemberDay.objects.count() == 38
