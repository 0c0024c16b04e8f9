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
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import Organisation, Role
from outcomes.measures import definitions, scoring
from outcomes.models import (
    ActivePeriod,
    MeasureResponse,
    MemberDay,
    NetworkMonth,
    OrganisationDay,
    PeriodKind,
    SpaceDay,
    ThreadResponse,
)
from outcomes.report_types import CountKind, Report, Table
from outcomes.rollups import BREAK_DAYS, default_time_zone, month_start, rollup_through, week_start

RETENTION_WEEKS = (1, 4, 12)
#: Time to first reply buckets: (label, upper bound in seconds, exclusive).
REPLY_BUCKETS = (
    ("within 1 hour", 3600),
    ("1 to 6 hours", 6 * 3600),
    ("6 to 24 hours", 24 * 3600),
)
DAY_SECONDS = 24 * 3600

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
    through = rollup_through()
    report = Report(
        organisation_id=organisation_id,
        organisation_name=name,
        start=start,
        end=end,
        time_zone=zone,
        generated_at=timezone.now(),
        rollup_through=through,
    )
    days = _organisation_days(scope, start, end)
    report.tables += [
        _registrations(days, start, end),
        *_active_members(scope, start, end),
        _out_of_hours(days),
        _activity_by_space(scope, start, end),
        _safety(days),
        *_outcomes(organisation_id, zone, start, end),
        _retention(scope, days, start, end, through),
        *_engagement(scope, start, end, through),
        *_network(scope, start, end),
        _disengagement(scope, start, end, through),
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


# -- retention by signup cohort ------------------------------------------------------------------


def _retention(
    scope: Q, days: dict, start: datetime.date, end: datetime.date, through: datetime.date | None
) -> Table:
    """Members who joined in each week, and how many of them were active in their week 1, 4 and 12.

    Week k of a member's membership is days 7(k-1) to 7k-1 after the local day they joined. A
    cohort's week k is known once its last joiner's week k is over.
    """
    cohorts = [w for w in _weeks(start, end) if w >= week_start(start)]
    joined = defaultdict(int)
    for day, row in days.items():
        joined[week_start(day)] += row["registrations"] or 0
    active = {
        (w, k): n
        for w, k, n in MemberDay.objects.filter(
            scope,
            joined_week__gte=cohorts[0],
            joined_week__lte=cohorts[-1],
            week_of_membership__in=RETENTION_WEEKS,
        )
        .values("joined_week", "week_of_membership")
        .annotate(n=Count("member_id", distinct=True))
        .values_list("joined_week", "week_of_membership", "n")
    }

    def known(cohort: datetime.date, k: int) -> bool:
        last_day_of_week_k = cohort + datetime.timedelta(days=6 + 7 * k - 1)
        return through is not None and last_day_of_week_k <= through

    return Table(
        key="retention",
        title="Retention by signup week",
        rows=[w.isoformat() for w in cohorts],
        columns=["joined", *[f"active in week {k}" for k in RETENTION_WEEKS]],
        cells=[
            [joined[w], *[active.get((w, k), 0) if known(w, k) else 0 for k in RETENTION_WEEKS]]
            for w in cohorts
        ],
        kind=CountKind.PEOPLE,
        column_totals=None,
        denominators=[joined[w] for w in cohorts],
        unavailable=[[False, *[not known(w, k) for k in RETENTION_WEEKS]] for w in cohorts],
        description=(
            "Members who joined in each week (labelled by its Monday; days in the range only) and how "
            "many of them posted, replied or reacted in their first, fourth and twelfth week."
        ),
    )


# -- engagement: time to first reply ---------------------------------------------------------------


def _engagement(
    scope: Q, start: datetime.date, end: datetime.date, through: datetime.date | None
) -> list[Table]:
    """Threads members started, by how soon another member first replied.

    Only threads started at least a day before the rollups' last day count, so every thread has
    had 24 hours to be answered. The last row is the share unanswered after 24 hours (answered
    later, or not yet): one table, so that its disclosure control covers every figure shown
    (a second table of answered/unanswered would let a hidden row be worked out from it).
    """
    last = min(end, through - datetime.timedelta(days=1)) if through else start - datetime.timedelta(days=1)
    seconds = "first_reply_seconds"
    buckets = {}
    lower = 0
    for i, (_label, upper) in enumerate(REPLY_BUCKETS):
        buckets[f"b{i}"] = Count("id", filter=Q(**{f"{seconds}__gte": lower, f"{seconds}__lt": upper}))
        lower = upper
    counts = ThreadResponse.objects.filter(scope, day__gte=start, day__lte=last).aggregate(
        **buckets,
        late=Count("id", filter=Q(**{f"{seconds}__gte": DAY_SECONDS}) | Q(**{f"{seconds}__isnull": True})),
        total=Count("id"),
    )
    total = counts["total"]
    cells = [[counts[f"b{i}"]] for i in range(len(REPLY_BUCKETS))] + [[counts["late"]]]
    return [
        Table(
            key="first_reply",
            title="Time to first reply from another member",
            rows=[label for label, _ in REPLY_BUCKETS] + ["not answered within 24 hours"],
            columns=["threads"],
            cells=cells,
            kind=CountKind.EVENTS,
            column_totals=[total],
            grand_total=total,
            denominators=[total] * len(cells),
            description=(
                "Members' visible threads started in the period, by when another member first "
                "replied; the last row is the share still unanswered 24 hours after it began "
                "(answered later, or not yet)."
            ),
        )
    ]


# -- reply network ---------------------------------------------------------------------------------


def _network(scope: Q, start: datetime.date, end: datetime.date) -> list[Table]:
    """Who answers whom, month by month (whole months overlapping the range, all spaces)."""
    months = _months(start, end)
    rows = {
        r["month"]: r
        for r in NetworkMonth.objects.filter(
            scope, space__isnull=True, month__gte=months[0], month__lte=months[-1]
        )
        .values("month")
        .annotate(
            starters=Sum("thread_starters"),
            answered=Sum("starters_answered"),
            recipients=Sum("members_answered"),
            pairs_=Sum("pairs"),
            mutual=Sum("reciprocated_pairs"),
        )
    }
    empty = {"starters": 0, "answered": 0, "recipients": 0, "pairs_": 0, "mutual": 0}
    data = [rows.get(m, empty) for m in months]
    labels = [m.strftime("%Y-%m") for m in months]
    members = Table(
        key="network_members",
        title="Members who started threads: answered or never answered",
        rows=labels,
        columns=["answered by another member", "never answered"],
        cells=[[d["answered"], d["starters"] - d["answered"]] for d in data],
        kind=CountKind.PEOPLE,
        row_totals=[d["starters"] for d in data],
        denominators=[d["starters"] for d in data],
        description=(
            "Members who started a thread in each month, by whether any of those threads had a reply "
            "from another member."
        ),
    )
    pairs = Table(
        key="network_reciprocity",
        title="Reply pairs: reciprocated or one-way",
        rows=labels,
        columns=["reciprocated", "one-way"],
        cells=[[d["mutual"], d["pairs_"] - d["mutual"]] for d in data],
        kind=CountKind.PEOPLE,
        row_totals=[d["pairs_"] for d in data],
        denominators=[d["pairs_"] for d in data],
        description=(
            "Distinct pairs of members where one replied to the other's thread in the month; "
            "reciprocated when the other also replied to theirs."
        ),
    )
    return [members, pairs]


# -- disengagement ---------------------------------------------------------------------------------


def _disengagement(
    scope: Q, start: datetime.date, end: datetime.date, through: datetime.date | None
) -> Table:
    """Members whose 30th day without activity fell in the range, and members who came back."""
    gap = datetime.timedelta(days=BREAK_DAYS)
    last_known = min(end, through) if through else start - datetime.timedelta(days=1)
    breaks = Q(before_break=True, day__gte=start - gap, day__lte=last_known - gap) | Q(
        after_break=True, day__gte=start, day__lte=end
    )
    counts = (
        MemberDay.objects.filter(scope)
        .filter(breaks)
        .aggregate(
            lapsed=Count(
                "member_id",
                distinct=True,
                filter=Q(before_break=True, day__gte=start - gap, day__lte=last_known - gap),
            ),
            returned=Count(
                "member_id", distinct=True, filter=Q(after_break=True, day__gte=start, day__lte=end)
            ),
        )
    )
    return Table(
        key="disengagement",
        title="Disengagement",
        rows=[f"went quiet for {BREAK_DAYS} days", f"came back after {BREAK_DAYS} days or more"],
        columns=["members"],
        cells=[[counts["lapsed"]], [counts["returned"]]],
        kind=CountKind.PEOPLE,
        description=(
            f"Members with no post, reply or reaction for {BREAK_DAYS} days (counted on the day the "
            f"{BREAK_DAYS} days ran out), and members active again after such a break."
        ),
    )


# -- outcomes ---------------------------------------------------------------------------------------

OUTCOME_ROWS = (
    "members who completed it",
    "a case at their first measure",
    "with two or more measures",
    "reliable improvement",
    "reliable deterioration",
    "a case at first, with two or more measures",
    "recovered",
)


def _outcomes(
    organisation_id: int | None, zone_name: str, start: datetime.date, end: datetime.date
) -> list[Table]:
    """Measures completed, and NHS Talking Therapies outcomes over each member's measures in the range.

    A member's first and last measure are their first and last in the range. Reliable change and
    recovery are counted over members with two or more measures; recovery over those of them
    who were a case at first. Scoring is ``outcomes.measures.scoring``.

    Scoring runs once per distinct course -- (first score, last score, two or more) -- weighted by
    how many members had it, not once per member: a year of a large organisation is tens of
    thousands of members but a few hundred distinct courses.
    """
    zone = ZoneInfo(zone_name)
    first_instant = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    after = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    responses = MeasureResponse.objects.filter(
        created_at__gte=first_instant, created_at__lt=after, member__role=Role.MEMBER
    )
    if organisation_id is not None:
        responses = responses.filter(member__organisation_id=organisation_id)
    # Per measure and member: [first score, last score, how many].
    series: dict[str, dict[int, list]] = defaultdict(dict)
    for member_id, key, score in responses.order_by("created_at", "id").values_list(
        "member_id", "measure_key", "score"
    ):
        course = series[key].get(member_id)
        if course is None:
            series[key][member_id] = [score, score, 1]
        else:
            course[1] = score
            course[2] += 1
    courses: dict[str, Counter] = {
        key: Counter((first, last, n > 1) for first, last, n in by_member.values())
        for key, by_member in series.items()
    }
    measures = definitions.measures()
    depression, anxiety = measures.get("phq9"), measures.get("gad7")
    keys = [k for k in measures if k in series] + sorted(k for k in series if k not in measures)
    completed = [sum(n for _first, _last, n in series[k].values()) for k in keys]
    tables = [
        Table(
            key="measures_completed",
            title="Self-assessments completed",
            rows=[measures[k].name if k in measures else k for k in keys],
            columns=["completed"],
            cells=[[n] for n in completed],
            kind=CountKind.EVENTS,
            column_totals=[sum(completed)],
            grand_total=sum(completed),
            description="Self-assessments members completed in the period.",
        )
    ]
    for key in ("phq9", "gad7"):
        measure = measures.get(key)
        if measure is not None:
            tables.append(_measure_outcomes(measure, courses.get(key, Counter())))
    if depression is not None and anxiety is not None:
        tables.append(_paired_outcomes(depression, anxiety, series.get("phq9", {}), series.get("gad7", {})))
    return tables


def _outcome_table(key: str, title: str, counts: list[int], description: str) -> Table:
    members, _cases, repeated, _improved, _deteriorated, repeated_cases, _recovered = counts
    return Table(
        key=key,
        title=title,
        rows=list(OUTCOME_ROWS),
        columns=["members"],
        cells=[[n] for n in counts],
        kind=CountKind.PEOPLE,
        denominators=[members, members, members, repeated, repeated, repeated, repeated_cases],
        description=description,
    )


def _measure_outcomes(measure, courses: Counter) -> Table:
    """``courses``: how many members had each (first score, last score, two or more)."""
    counts = [0] * len(OUTCOME_ROWS)
    for (first, last, repeated), members in courses.items():
        case_first = bool(scoring.is_case(measure, first))
        counts[0] += members
        counts[1] += case_first * members
        if not repeated:
            continue
        change = scoring.reliable_change(measure, first, last)
        counts[2] += members
        counts[3] += (change == scoring.Change.IMPROVED) * members
        counts[4] += (change == scoring.Change.DETERIORATED) * members
        counts[5] += case_first * members
        counts[6] += scoring.recovered(measure, first, last) * members
    return _outcome_table(
        f"outcomes_{measure.key}",
        f"Outcomes on {measure.name}",
        counts,
        f"Members' first and last {measure.name} in the period: caseness, reliable change "
        f"({measure.reliable_change} points) and recovery.",
    )


def _course_class(measure, first, last) -> tuple:
    """What a paired outcome reads of one measure's course: caseness at first and last, and change."""
    return (
        scoring.is_case(measure, first),
        scoring.is_case(measure, last),
        scoring.reliable_change(measure, first, last),
    )


def _paired_outcomes(depression, anxiety, phq: dict[int, list], gad: dict[int, list]) -> Table:
    """Members with both measures. ``phq``/``gad``: member -> [first score, last score, how many].

    ``talking_therapies_outcome`` reads each measure's course only through caseness at its first
    and last score and its reliable change, so members are grouped by those (at most 12 kinds
    of course per measure) and the outcome is worked out once per pair of kinds, from one
    member's scores of each kind: tens of thousands of members, a few dozen calls.
    """
    kinds: Counter = Counter()
    example: dict[tuple, tuple] = {}
    classes: dict[tuple, tuple] = {}  # (measure key, first, last) -> its class: scored once each

    def course_class(measure, first, last) -> tuple:
        key = (measure.key, first, last)
        if key not in classes:
            classes[key] = _course_class(measure, first, last)
        return classes[key]

    for member in phq.keys() & gad.keys():
        (d_first, d_last, d_n), (a_first, a_last, a_n) = phq[member], gad[member]
        kind = (
            course_class(depression, d_first, d_last),
            d_n > 1,
            course_class(anxiety, a_first, a_last),
            a_n > 1,
        )
        kinds[kind] += 1
        example.setdefault(kind, (d_first, d_last, a_first, a_last))
    counts = [0] * len(OUTCOME_ROWS)
    for kind, members in kinds.items():
        (_d, d_repeated, _a, a_repeated), (d_first, d_last, a_first, a_last) = kind, example[kind]
        outcome = scoring.talking_therapies_outcome(
            depression=depression,
            anxiety=anxiety,
            first_depression=d_first,
            first_anxiety=a_first,
            last_depression=d_last,
            last_anxiety=a_last,
        )
        counts[0] += members
        counts[1] += outcome.case_at_first * members
        if not (d_repeated and a_repeated):
            continue
        counts[2] += members
        counts[3] += outcome.reliable_improvement * members
        counts[4] += outcome.reliable_deterioration * members
        counts[5] += outcome.case_at_first * members
        counts[6] += outcome.recovered * members
    return _outcome_table(
        "outcomes_talking_therapies",
        "Outcomes as NHS Talking Therapies counts them (PHQ-9 and GAD-7 together)",
        counts,
        "Members with both PHQ-9 and GAD-7 in the period: a case at first on either measure; reliable "
        "improvement, deterioration and recovery over those with two or more of each.",
    )
