"""The rollup SQL on PostgreSQL (time zone conversion, ISO weekdays, week/month truncation, partial
unique constraints, upserts): the known-answer populations of the SQLite tests, run again here.
Run with DATABASE_URL pointing at PostgreSQL; skipped on SQLite."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from outcomes.models import OrganisationDay
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
