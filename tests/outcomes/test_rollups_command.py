"""The ``outcomes_rollup`` command and the nightly task."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from outcomes import rollups, tasks
from outcomes.models import MemberDay, OrganisationDay, RollupRun
from tests.factories import OrganisationFactory
from tests.outcomes.test_rollups_activity import make_member, make_reply, make_thread

pytestmark = pytest.mark.django_db


def test_command_rolls_up_a_range(capsys):
    org = OrganisationFactory(slug="north")
    ada = make_member("Ada", org)
    thread = make_thread(ada, datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC))
    make_reply(ada, thread, datetime.datetime(2026, 3, 20, 12, tzinfo=datetime.UTC))

    call_command("outcomes_rollup", "--since", "2026-03-01", "--until", "2026-03-10")

    assert list(MemberDay.objects.values_list("day", flat=True)) == [datetime.date(2026, 3, 2)]
    run = RollupRun.objects.get()
    assert (run.first_day, run.last_day) == (datetime.date(2026, 3, 1), datetime.date(2026, 3, 10))
    assert "Rolled up 2026-03-01..2026-03-10" in capsys.readouterr().out


def test_a_run_reaching_today_recomputes_it_but_claims_only_complete_days():
    org = OrganisationFactory(slug="north")
    ada = make_member("Ada", org)
    make_thread(ada, timezone.now())
    today = timezone.localdate(timezone=rollups.ZoneInfo(rollups.default_time_zone()))

    call_command("outcomes_rollup", "--since", str(today - datetime.timedelta(days=3)), "--until", str(today))

    assert MemberDay.objects.filter(member=ada).exists()  # today's partial rows are there
    run = RollupRun.objects.get()
    assert run.last_day <= today - datetime.timedelta(days=1)
    assert rollups.rollup_through() == run.last_day


def test_a_run_of_days_not_yet_over_records_no_covered_day():
    call_command("outcomes_rollup", "--since", "2999-01-01", "--until", "2999-01-02")
    assert not RollupRun.objects.exists()
    assert rollups.rollup_through() is None


def test_the_last_complete_day_is_the_earliest_over_every_time_zone():
    OrganisationFactory(slug="west", time_zone="America/Los_Angeles")
    OrganisationFactory(slug="east", time_zone="Pacific/Auckland")
    groups = rollups.zone_groups()
    # 02:00 UTC on 10 March: 15:00 on the 10th in Auckland, 02:00 in London, 18:00 on the 9th in LA.
    now = datetime.datetime(2026, 3, 10, 2, tzinfo=datetime.UTC)
    assert rollups.last_complete_day(groups, now) == datetime.date(2026, 3, 8)
    assert rollups.last_complete_day(groups, now + datetime.timedelta(hours=8)) == datetime.date(2026, 3, 9)


def test_nightly_task_covers_yesterday_and_the_day_before():
    org = OrganisationFactory(slug="north")
    ada = make_member("Ada", org)
    now = timezone.now()
    make_thread(ada, now - datetime.timedelta(days=1))
    make_thread(ada, now - datetime.timedelta(days=5))

    rows = tasks.rollup_recent.apply().get()  # in-process, as a worker would run it

    run = RollupRun.objects.get()
    assert run.last_day - run.first_day == datetime.timedelta(days=1)
    assert rows == run.rows
    assert MemberDay.objects.count() == 1  # the thread five days ago is outside the range
    assert OrganisationDay.objects.filter(day__lt=run.first_day).count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "at least 1"),
        (["--since", "2026-03-10", "--until", "2026-03-01"], "before --since"),
        (["--days", "3", "--since", "2026-03-01"], "not both"),
        (["--since", "March"], "not a date"),
        (["--since", "2000-01-01", "--until", "2026-03-01"], "At most"),
    ],
)
def test_bad_arguments_change_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("outcomes_rollup", *args)
    assert not RollupRun.objects.exists()
