"""Commissioner reports from the rollup tables: exact counts, not yet fit to show.

``organisation_report`` reads only the tables ``outcomes.rollups`` fills (and, for outcomes,
the measure responses), with a fixed number of aggregate queries whatever the date range or the
size of the organisation. It never reads posts. ``outcomes.disclosure`` turns the ``Report``
into what a commissioner may see; nothing here may reach a page directly.

Weeks run Monday to Sunday and are labelled by their Monday; months by their first day. Days
are local days in the organisation's time zone (see ``outcomes.rollups``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import Organisation
from outcomes.models import ActivePeriod, OrganisationDay, PeriodKind, SpaceDay
from outcomes.report_types import CountKind, Report, Table
from outcomes.rollups import default_time_zone, month_start, rollup_through, week_start

ALL_ORGANISATIONS = "All organisations"


def _scope(organisation_id: int | None) -> Q:
    return Q(organisation_id=organisation_id) if organisation_id is not None else Q()


def _weeks(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    weeks, week = [], week_start(start)
    while week <= end:
        weeks.append(week)
        week += datetime.timedelta(days=7)
    return weeks


def _months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return months


def _column(
    key: str,
    title: str,
    labels: list[str],
    values: list[int],
    *,
    kind: CountKind,
    summable: bool,
    column: str,
    description: str = "",
) -> Table:
    total = sum(values)
    return Table(
        key=key,
        title=title,
        rows=labels,
        columns=[column],
        cells=[[v] for v in values],
        kind=kind,
        row_totals=None,
        column_totals=[total] if summable else None,
        grand_total=total if summable else None,
        description=description,
    )


def organisation_report(*, organisation_id: int | None, start: datetime.date, end: datetime.date) -> Report:
    """Every table of one organisation's dashboard (``organisation_id`` None: all organisations).

    Raises ``Organisation.DoesNotExist`` for an unknown organisation and ``ValueError`` for a
    reversed range; callers check permissions and range length first.
    """
    if end < start:
        raise ValueError("The end of the range is before its start.")
    if organisation_id is not None:
        organisation = Organisation.objects.values("name", "time_zone").get(pk=organisation_id)
        name, zone = organisation["name"], organisation["time_zone"]
    else:
        name, zone = ALL_ORGANISATIONS, default_time_zone()
    scope = _scope(organisation_id)
    report = Report(
        organisation_id=organisation_id,
        organisation_name=name,
        start=start,
        end=end,
        time_zone=zone,
        generated_at=timezone.now(),
        rollup_through=rollup_through(),
    )
    days = _organisation_days(scope, start, end)
    report.tables += [
        _registrations(days, start, end),
        *_active_members(scope, start, end),
        _out_of_hours(days),
        _activity_by_space(scope, start, end),
        _safety(days),
    ]
    return report


# -- organisation days --------------------------------------------------------------------------

_DAY_FIELDS = (
    "registrations",
    "active_members",
    "threads_started",
    "replies",
    "reactions",
    "out_of_hours",
    "flags",
    "review_items",
    "crisis_cases",
    "returned_members",
)


def _organisation_days(scope: Q, start: datetime.date, end: datetime.date) -> dict[datetime.date, dict]:
    """Each day's sums over the scope (all organisations: every organisation's row, and none)."""
    rows = (
        OrganisationDay.objects.filter(scope, day__gte=start, day__lte=end)
        .values("day")
        .annotate(**{f: Sum(f) for f in _DAY_FIELDS})
        .order_by("day")
    )
    return {r["day"]: r for r in rows}


def _totals(days: dict[datetime.date, dict]) -> dict[str, int]:
    totals = defaultdict(int)
    for row in days.values():
        for f in _DAY_FIELDS:
            totals[f] += row[f] or 0
    return totals


def _registrations(days: dict, start: datetime.date, end: datetime.date) -> Table:
    weeks = _weeks(start, end)
    by_week = defaultdict(int)
    for day, row in days.items():
        by_week[week_start(day)] += row["registrations"] or 0
    return _column(
        "registrations",
        "Registrations by week",
        [w.isoformat() for w in weeks],
        [by_week[w] for w in weeks],
        kind=CountKind.PEOPLE,
        summable=True,
        column="registrations",
        description="Members who joined in each week (labelled by its Monday; days in the range only).",
    )


def _active_members(scope: Q, start: datetime.date, end: datetime.date) -> list[Table]:
    weeks, months = _weeks(start, end), _months(start, end)
    counts = {
        (kind, period_start): n
        for kind, period_start, n in ActivePeriod.objects.filter(scope)
        .filter(
            Q(kind=PeriodKind.WEEK, start__gte=weeks[0], start__lte=weeks[-1])
            | Q(kind=PeriodKind.MONTH, start__gte=months[0], start__lte=months[-1])
        )
        .values("kind", "start")
        .annotate(n=Sum("active_members"))
        .values_list("kind", "start", "n")
    }
    weekly = _column(
        "weekly_active",
        "Weekly active members",
        [w.isoformat() for w in weeks],
        [counts.get((PeriodKind.WEEK, w), 0) for w in weeks],
        kind=CountKind.PEOPLE,
        summable=False,
        column="active members",
        description="Distinct members who posted, replied or reacted in each whole week (Monday to Sunday).",
    )
    monthly = _column(
        "monthly_active",
        "Monthly active members",
        [m.strftime("%Y-%m") for m in months],
        [counts.get((PeriodKind.MONTH, m), 0) for m in months],
        kind=CountKind.PEOPLE,
        summable=False,
        column="active members",
        description="Distinct members who posted, replied or reacted in each whole calendar month.",
    )
    return [weekly, monthly]


def _out_of_hours(days: dict) -> Table:
    totals = _totals(days)
    actions = totals["threads_started"] + totals["replies"] + totals["reactions"]
    outside = totals["out_of_hours"]
    return Table(
        key="out_of_hours",
        title="Activity outside Monday to Friday, 09:00 to 17:00",
        rows=["outside working hours", "within working hours"],
        columns=["actions"],
        cells=[[outside], [actions - outside]],
        kind=CountKind.EVENTS,
        column_totals=[actions],
        grand_total=actions,
        denominators=[actions, actions],
        description=(
            "Threads started, replies and reactions by members, by local time in the organisation's "
            "time zone; the share outside working hours is taken over all of them."
        ),
    )


def _activity_by_space(scope: Q, start: datetime.date, end: datetime.date) -> Table:
    rows = (
        SpaceDay.objects.filter(scope, day__gte=start, day__lte=end)
        .values("space_id", "space__name", "space__position")
        .annotate(t=Sum("threads_started"), r=Sum("replies"), x=Sum("reactions"))
        .order_by("space__position", "space__name", "space_id")
    )
    rows = list(rows)
    cells = [[r["t"], r["r"], r["x"]] for r in rows]
    column_totals = [sum(c[i] for c in cells) for i in range(3)]
    return Table(
        key="activity_by_space",
        title="Activity by space",
        rows=[r["space__name"] for r in rows],
        columns=["threads started", "replies", "reactions"],
        cells=cells,
        kind=CountKind.EVENTS,
        row_totals=[sum(c) for c in cells],
        column_totals=column_totals,
        grand_total=sum(column_totals),
        description="What members did in each space over the period.",
    )


def _safety(days: dict) -> Table:
    totals = _totals(days)
    return Table(
        key="safety",
        title="Safety activity",
        rows=["posts flagged by members", "posts put in the review queue", "crisis cases opened"],
        columns=["count"],
        cells=[[totals["flags"]], [totals["review_items"]], [totals["crisis_cases"]]],
        kind=CountKind.EVENTS,
        description="Counts concerning the organisation's members' posts and the members themselves.",
    )
