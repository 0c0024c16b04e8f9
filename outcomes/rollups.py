"""Daily rollups: condense raw activity into the tables commissioner reports read.

``rollup_days(start=..., end=...)`` recomputes every rollup table for the local days
``start..end`` (inclusive) and replaces what was there, so it can run any number of times and
for any range (the nightly task, the ``outcomes_rollup`` command, the demo seeder).

How it stays cheap: raw rows (posts, reactions, sign-ups, flags, review items, crisis cases)
are only ever read through aggregate queries (GROUP BY member, space, local day), one per
source and per time zone in use; the rows those return are already condensed (at most one per
member, space and day) and are combined in Python into ``MemberDay`` and ``SpaceDay``. Every
later table (organisation days, weekly/monthly distinct actives, breaks) is computed from
``MemberDay`` with SQL aggregates. Writes are one DELETE per table and range plus batched
INSERTs, in one transaction.

Local days: each organisation's own ``time_zone``; members without an organisation use
``settings.OUTCOMES_DEFAULT_TIME_ZONE`` (default Europe/London). "Out of hours" is anything
outside Monday-Friday 09:00-17:00 local time.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from accounts.models import Organisation, Role, User
from community.models import Post, PostState, Reaction, Thread
from escalation.models import CrisisCase
from moderation.models import Flag, ReviewItem
from outcomes.models import (
    ActivePeriod,
    MemberDay,
    NetworkMonth,
    OrganisationDay,
    PeriodKind,
    ReplyPair,
    RollupRun,
    SpaceDay,
    ThreadResponse,
)

logger = logging.getLogger(__name__)

BREAK_DAYS = 30  # no activity for this many days: disengaged
#: Threads started this many days before a range are re-read, so a late first reply is counted.
REPLY_LOOKBACK_DAYS = 30
WORKDAY_START_HOUR = 9
WORKDAY_END_HOUR = 17
BATCH_SIZE = 2000


def default_time_zone() -> str:
    return getattr(settings, "OUTCOMES_DEFAULT_TIME_ZONE", "Europe/London")


@dataclass(frozen=True)
class ZoneGroup:
    """Organisations sharing a time zone (``include_unaffiliated``: also members without one)."""

    zone: ZoneInfo
    organisation_ids: tuple[int, ...]
    include_unaffiliated: bool

    def members_q(self, path: str = "") -> Q:
        """Members of this group's organisations; ``path`` leads to the user (e.g. "author", "" for User)."""
        prefix = f"{path}__" if path else ""
        q = Q(**{f"{prefix}organisation_id__in": self.organisation_ids})
        if self.include_unaffiliated:
            q |= Q(**{f"{prefix}organisation__isnull": True})
        return q & Q(**{f"{prefix}role": Role.MEMBER})

    def window(self, start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
        """The instants from local midnight of ``start`` to local midnight after ``end``."""
        first = datetime.datetime.combine(start, datetime.time.min, tzinfo=self.zone)
        after = datetime.datetime.combine(
            end + datetime.timedelta(days=1), datetime.time.min, tzinfo=self.zone
        )
        return first, after


def zone_groups() -> list[ZoneGroup]:
    by_zone: dict[str, list[int]] = defaultdict(list)
    for org_id, zone in Organisation.objects.values_list("id", "time_zone"):
        by_zone[zone or default_time_zone()].append(org_id)
    unaffiliated_zone = default_time_zone()
    by_zone.setdefault(unaffiliated_zone, [])
    return [
        ZoneGroup(ZoneInfo(zone), tuple(ids), include_unaffiliated=zone == unaffiliated_zone)
        for zone, ids in sorted(by_zone.items())
    ]


def _local(qs: QuerySet, field: str, zone: ZoneInfo) -> QuerySet:
    """Annotate ``day`` (the local date of ``field``) and ``ooh`` (1 when outside working hours)."""
    return qs.annotate(
        day=TruncDate(field, tzinfo=zone),
        ooh=Case(
            When(
                Q(_weekday__gte=6) | Q(_hour__lt=WORKDAY_START_HOUR) | Q(_hour__gte=WORKDAY_END_HOUR),
                then=Value(1),
            ),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )


def _with_clock(qs: QuerySet, field: str, zone: ZoneInfo) -> QuerySet:
    return _local(
        qs.annotate(_weekday=ExtractIsoWeekDay(field, tzinfo=zone), _hour=ExtractHour(field, tzinfo=zone)),
        field,
        zone,
    )


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


@dataclass
class RollupResult:
    start: datetime.date
    end: datetime.date
    rows: int
    seconds: float


@dataclass
class _Activity:
    organisation_id: int | None
    threads_started: int = 0
    replies: int = 0
    reactions: int = 0
    out_of_hours: int = 0


def rollup_days(*, start: datetime.date, end: datetime.date) -> RollupResult:
    """Recompute every rollup for local days ``start..end`` (inclusive), replacing existing rows."""
    if end < start:
        raise ValueError("end is before start")
    began = time.monotonic()
    started_at = timezone.now()
    groups = zone_groups()
    thread_start = min(start - datetime.timedelta(days=REPLY_LOOKBACK_DAYS), month_start(start))
    stages = [
        ("member and space days", lambda: _member_and_space_days(groups, start, end)),
        ("organisation days", lambda: _organisation_days(groups, start, end)),
        ("weekly and monthly actives", lambda: _active_periods(start, end)),
        ("first replies", lambda: _thread_responses(groups, thread_start, end)),
        ("reply network", lambda: _reply_network(groups, month_start(start), end)),
    ]
    rows = 0
    with transaction.atomic():
        _lock()
        for name, stage in stages:
            stage_began = time.monotonic()
            rows += stage()
            logger.debug("rollup %s..%s: %s in %.2f s", start, end, name, time.monotonic() - stage_began)
        # Reports say "figures up to" the run's last day: only a day already over in every
        # organisation's time zone when the run began counts; a run that reaches today (the
        # demo's, or --until today) recomputes today's rows but does not claim to cover it.
        covered = min(end, last_complete_day(groups, started_at))
        if covered >= start:
            RollupRun.objects.create(
                first_day=start,
                last_day=covered,
                started_at=started_at,
                finished_at=timezone.now(),
                rows=rows,
            )
    seconds = time.monotonic() - began
    logger.info("Rolled up %s..%s: %s rows in %.1f s", start, end, rows, seconds)
    return RollupResult(start=start, end=end, rows=rows, seconds=seconds)


#: Key of the PostgreSQL advisory lock that serialises rollup runs (nightly and on-demand).
ROLLUP_LOCK_KEY = 0x6B696E6472656401  # "kindred" + 1


def _lock() -> None:
    """Wait for any other rollup run to commit first: two runs deleting and inserting the same
    days at once would collide. SQLite already serialises writing transactions."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK_KEY])


def rollup_recent(*, days: int = 2, today: datetime.date | None = None) -> RollupResult:
    """The nightly job: the last ``days`` complete days (yesterday and before)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    today = today or timezone.localdate(timezone=ZoneInfo(default_time_zone()))
    end = today - datetime.timedelta(days=1)
    return rollup_days(start=end - datetime.timedelta(days=days - 1), end=end)


def last_complete_day(groups: list[ZoneGroup], now: datetime.datetime) -> datetime.date:
    """The last local day that had ended at ``now`` in every group's time zone."""
    return min(now.astimezone(group.zone).date() for group in groups) - datetime.timedelta(days=1)


def rollup_through() -> datetime.date | None:
    """The last complete day any rollup has covered (reports say how fresh they are)."""
    latest = RollupRun.objects.order_by("-last_day").values_list("last_day", flat=True).first()
    return latest


# -- MemberDay and SpaceDay: the one pass over raw activity -----------------------------------


def _member_and_space_days(groups: list[ZoneGroup], start: datetime.date, end: datetime.date) -> int:
    members: dict[tuple[int, datetime.date], _Activity] = {}
    spaces: dict[tuple[int, int | None, datetime.date], _Activity] = {}
    space_members: dict[tuple[int, int | None, datetime.date], set[int]] = defaultdict(set)
    joined: dict[int, datetime.date] = {}

    def add(row: dict, member_key: str, kind: str, zone: ZoneInfo) -> None:
        member_id, org_id, space_id = row[member_key], row[f"{member_key}__organisation_id"], row["space_id"]
        day, n = _as_date(row["day"]), row["n"]
        if member_id not in joined:
            joined[member_id] = row[f"{member_key}__date_joined"].astimezone(zone).date()
        activity = members.setdefault((member_id, day), _Activity(org_id))
        setattr(activity, kind, getattr(activity, kind) + n)
        activity.out_of_hours += n if row["ooh"] else 0
        space_activity = spaces.setdefault((space_id, org_id, day), _Activity(org_id))
        setattr(space_activity, kind, getattr(space_activity, kind) + n)
        space_members[space_id, org_id, day].add(member_id)

    for group in groups:
        first, after = group.window(start, end)
        posts = _with_clock(
            Post.objects.filter(group.members_q("author"), created_at__gte=first, created_at__lt=after),
            "created_at",
            group.zone,
        ).annotate(space_id=F("thread__space_id"))
        person = ("author_id", "author__organisation_id", "author__date_joined")
        for row in posts.values(*person, "space_id", "day", "is_opening", "ooh").annotate(n=Count("id")):
            row["author"] = row["author_id"]
            add(row, "author", "threads_started" if row["is_opening"] else "replies", group.zone)
        reactions = _with_clock(
            Reaction.objects.filter(group.members_q("user"), created_at__gte=first, created_at__lt=after),
            "created_at",
            group.zone,
        ).annotate(space_id=F("post__thread__space_id"))
        person = ("user_id", "user__organisation_id", "user__date_joined")
        for row in reactions.values(*person, "space_id", "day", "ooh").annotate(n=Count("id")):
            row["user"] = row["user_id"]
            add(row, "user", "reactions", group.zone)

    MemberDay.objects.filter(day__gte=start, day__lte=end).delete()
    SpaceDay.objects.filter(day__gte=start, day__lte=end).delete()
    breaks = _breaks(start, end, set(members))
    member_rows = []
    for (member_id, day), a in members.items():
        joined_on = joined.get(member_id, day)
        # Activity dated before the recorded sign-up (imported data) is week 0: not in any cohort week.
        week = (day - joined_on).days // 7 + 1 if day >= joined_on else 0
        after_break, before_break = breaks[member_id, day]
        member_rows.append(
            (
                member_id,
                a.organisation_id,
                day,
                a.threads_started,
                a.replies,
                a.reactions,
                a.out_of_hours,
                week_start(joined_on),
                week,
                after_break,
                before_break,
            )
        )
    space_rows = [
        (
            space_id,
            org_id,
            day,
            len(space_members[space_id, org_id, day]),
            a.threads_started,
            a.replies,
            a.reactions,
        )
        for (space_id, org_id, day), a in spaces.items()
    ]
    member_fields = [
        "member",
        "organisation",
        "day",
        "threads_started",
        "replies",
        "reactions",
        "out_of_hours",
        "joined_week",
        "week_of_membership",
        "after_break",
        "before_break",
    ]
    bulk_insert(MemberDay, member_fields, member_rows)
    space_fields = [
        "space",
        "organisation",
        "day",
        "active_members",
        "threads_started",
        "replies",
        "reactions",
    ]
    bulk_insert(SpaceDay, space_fields, space_rows)
    return len(member_rows) + len(space_rows)


def bulk_insert(model, fields: list[str], rows: list[tuple]) -> int:
    """Insert plain tuples, without building model instances (much faster than ``bulk_create``)."""
    if not rows:
        return 0
    qn = connection.ops.quote_name
    columns = ", ".join(qn(model._meta.get_field(name).column) for name in fields)
    table = qn(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: several times faster than INSERT for tens of thousands of rows.
            buffer = io.StringIO()
            csv.writer(buffer).writerows(rows)  # None -> unquoted empty field -> NULL
            buffer.seek(0)
            cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - names from the model
            for i in range(0, len(rows), BATCH_SIZE):
                cursor.executemany(sql, rows[i : i + BATCH_SIZE])
    return len(rows)


# -- breaks: who came back after 30 days away, who then went quiet for 30 days ----------------


def _breaks(
    start: datetime.date, end: datetime.date, new_days: set[tuple[int, datetime.date]]
) -> dict[tuple[int, datetime.date], tuple[bool, bool]]:
    """``(after_break, before_break)`` for each new (member, day) in ``start..end``.

    Also corrects the flags of existing rows within 31 days either side of the range, whose
    neighbours the new rows may have changed (the only rows they can affect).
    """
    reach = datetime.timedelta(days=BREAK_DAYS + 1)
    around = MemberDay.objects.filter(
        Q(day__gte=start - reach, day__lt=start) | Q(day__gt=end, day__lte=end + reach)
    ).values_list("id", "member_id", "day", "after_break", "before_break")
    existing = {(member_id, day): (row_id, after, before) for row_id, member_id, day, after, before in around}
    earlier = set(
        MemberDay.objects.filter(day__lt=start - reach)
        .values_list("member_id", flat=True)
        .distinct()
        .order_by()
    )
    days_by_member: dict[int, list[datetime.date]] = defaultdict(list)
    for member_id, day in sorted(set(existing) | new_days):
        days_by_member[member_id].append(day)

    flags: dict[tuple[int, datetime.date], tuple[bool, bool]] = {}
    changed: dict[tuple[bool, bool], list[int]] = defaultdict(list)
    for member_id, days in days_by_member.items():
        for index, day in enumerate(days):
            # Nothing loaded before it: any earlier activity was before start - 31 days.
            previous_far = index == 0
            after_break = member_id in earlier if previous_far else (day - days[index - 1]).days > BREAK_DAYS
            following = days[index + 1] if index + 1 < len(days) else None
            before_break = following is None or (following - day).days > BREAK_DAYS
            key = (member_id, day)
            if key in existing:
                row_id, was_after, was_before = existing[key]
                # Before the range only what follows can change; after it, only what precedes.
                after_break = was_after if day < start else after_break
                before_break = was_before if day > end else before_break
                if (was_after, was_before) != (after_break, before_break):
                    changed[after_break, before_break].append(row_id)
            else:
                flags[key] = (after_break, before_break)
    for (after_break, before_break), ids in changed.items():
        for chunk in _chunks(ids):
            MemberDay.objects.filter(pk__in=chunk).update(after_break=after_break, before_break=before_break)
    return flags


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


# -- organisation days: sums over MemberDay plus sign-ups and safety counts -------------------


def _organisation_days(groups: list[ZoneGroup], start: datetime.date, end: datetime.date) -> int:
    days: dict[tuple[int | None, datetime.date], OrganisationDay] = {}

    def row(org_id: int | None, day) -> OrganisationDay:
        day = _as_date(day)
        if (org_id, day) not in days:
            days[org_id, day] = OrganisationDay(organisation_id=org_id, day=day)
        return days[org_id, day]

    activity = (
        MemberDay.objects.filter(day__gte=start, day__lte=end)
        .values("organisation_id", "day")
        .annotate(
            active=Count("id"),
            threads=Sum("threads_started"),
            replies_=Sum("replies"),
            reactions_=Sum("reactions"),
            ooh=Sum("out_of_hours"),
            returned=Count("id", filter=Q(after_break=True)),
        )
    )
    for a in activity:
        r = row(a["organisation_id"], a["day"])
        r.active_members, r.threads_started, r.replies = a["active"], a["threads"], a["replies_"]
        r.reactions, r.out_of_hours, r.returned_members = a["reactions_"], a["ooh"], a["returned"]

    for group in groups:
        first, after = group.window(start, end)
        counts = [
            ("registrations", User.objects.filter(group.members_q()), "date_joined", "organisation_id"),
            (
                "flags",
                Flag.objects.filter(group.members_q("post__author")),
                "created_at",
                "post__author__organisation_id",
            ),
            (
                "review_items",
                ReviewItem.objects.filter(group.members_q("post__author")),
                "created_at",
                "post__author__organisation_id",
            ),
            (
                "crisis_cases",
                CrisisCase.objects.filter(group.members_q("member")),
                "opened_at",
                "member__organisation_id",
            ),
        ]
        for attribute, qs, field, org_path in counts:
            qs = qs.filter(**{f"{field}__gte": first, f"{field}__lt": after})
            qs = qs.annotate(day=TruncDate(field, tzinfo=group.zone), org=F(org_path))
            for c in qs.values("org", "day").annotate(n=Count("id")):
                setattr(row(c["org"], c["day"]), attribute, c["n"])

    OrganisationDay.objects.filter(day__gte=start, day__lte=end).delete()
    OrganisationDay.objects.bulk_create(days.values(), batch_size=BATCH_SIZE)
    return len(days)


# -- distinct active members per week and month ----------------------------------------------


def _active_periods(start: datetime.date, end: datetime.date) -> int:
    spans = [
        (PeriodKind.WEEK, TruncWeek, week_start(start), week_start(end) + datetime.timedelta(days=6)),
        (PeriodKind.MONTH, TruncMonth, month_start(start), next_month(end) - datetime.timedelta(days=1)),
    ]
    created = []
    for kind, trunc, first, last in spans:
        ActivePeriod.objects.filter(kind=kind, start__gte=first, start__lte=last).delete()
        counts = (
            MemberDay.objects.filter(day__gte=first, day__lte=last)
            .annotate(period=trunc("day"))
            .values("organisation_id", "period")
            .annotate(n=Count("member_id", distinct=True))
        )
        created += [
            ActivePeriod(
                organisation_id=c["organisation_id"],
                kind=kind,
                start=_as_date(c["period"]),
                active_members=c["n"],
            )
            for c in counts
        ]
    ActivePeriod.objects.bulk_create(created, batch_size=BATCH_SIZE)
    return len(created)


# -- time to first reply ----------------------------------------------------------------------


def _first_member_reply() -> Subquery:
    """When another member first replied (published) in the thread; staff and the author aside."""
    replies = (
        Post.objects.filter(
            thread=OuterRef("pk"), is_opening=False, state=PostState.PUBLISHED, author__role=Role.MEMBER
        )
        .exclude(author=OuterRef("author"))
        .order_by("created_at", "id")
        .values("created_at")[:1]
    )
    return Subquery(replies)


def _thread_responses(groups: list[ZoneGroup], start: datetime.date, end: datetime.date) -> int:
    """Members' visible threads started on ``start..end``, with their first reply from another member."""
    created = []
    for group in groups:
        first, after = group.window(start, end)
        threads = (
            Thread.objects.filter(
                group.members_q("author"),
                created_at__gte=first,
                created_at__lt=after,
                opening_post__state=PostState.PUBLISHED,
            )
            .annotate(day=TruncDate("created_at", tzinfo=group.zone), first_reply_at=_first_member_reply())
            .values_list(
                "id",
                "author__organisation_id",
                "space_id",
                "author_id",
                "day",
                "created_at",
                "first_reply_at",
            )
        )
        for thread_id, org_id, space_id, author_id, day, started_at, replied_at in threads:
            seconds = None
            if replied_at is not None:
                seconds = max(0, int((replied_at - started_at).total_seconds()))
            created.append(
                ThreadResponse(
                    thread_id=thread_id,
                    organisation_id=org_id,
                    space_id=space_id,
                    author_id=author_id,
                    day=_as_date(day),
                    started_at=started_at,
                    first_reply_at=replied_at,
                    first_reply_seconds=seconds,
                )
            )
    ThreadResponse.objects.filter(day__gte=start, day__lte=end).delete()
    # Upsert: a thread whose local day moved (its author changed organisation) keeps one row.
    ThreadResponse.objects.bulk_create(
        created,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["thread"],
        update_fields=[
            "organisation",
            "space",
            "author",
            "day",
            "started_at",
            "first_reply_at",
            "first_reply_seconds",
        ],
    )
    return len(created)


# -- the reply network ------------------------------------------------------------------------


def _reply_network(groups: list[ZoneGroup], start: datetime.date, end: datetime.date) -> int:
    """Whole months from ``start`` (a first of the month) to the month of ``end``."""
    last = next_month(end) - datetime.timedelta(days=1)
    pairs: dict[tuple[int, datetime.date, int, int], int] = {}
    organisation_of: dict[int, int | None] = {}
    for group in groups:
        first, after = group.window(start, last)
        replies = (
            Post.objects.filter(
                group.members_q("thread__author"),
                is_opening=False,
                state=PostState.PUBLISHED,
                author__role=Role.MEMBER,
                created_at__gte=first,
                created_at__lt=after,
            )
            .exclude(author=F("thread__author"))
            .annotate(month=TruncMonth("created_at", tzinfo=group.zone), space_id=F("thread__space_id"))
            .values("space_id", "month", "author_id", "thread__author_id", "thread__author__organisation_id")
            .annotate(n=Count("id"))
        )
        for space_id, month, replier, recipient, org, n in replies.values_list(
            "space_id", "month", "author_id", "thread__author_id", "thread__author__organisation_id", "n"
        ):
            month = _as_date(month.astimezone(group.zone) if isinstance(month, datetime.datetime) else month)
            pairs[space_id, month, replier, recipient] = n
            organisation_of[recipient] = org

    pair_rows = [
        (
            space_id,
            month,
            replier,
            recipient,
            organisation_of[recipient],
            n,
            (space_id, month, recipient, replier) in pairs,
        )
        for (space_id, month, replier, recipient), n in pairs.items()
    ]
    ReplyPair.objects.filter(month__gte=start, month__lte=last).delete()
    bulk_insert(
        ReplyPair,
        ["space", "month", "replier", "recipient", "organisation", "replies", "reciprocated"],
        pair_rows,
    )

    # One row per (organisation, space, month) and per (organisation, all spaces, month).
    Key = tuple[int | None, int | None, datetime.date]
    recipients: dict[Key, set[int]] = defaultdict(set)
    edges: dict[Key, set[tuple[int, int]]] = defaultdict(set)
    reciprocal: dict[Key, set[tuple[int, int]]] = defaultdict(set)
    month_edges = {(month, a, b) for (_, month, a, b) in pairs}
    for space_id, month, replier, recipient, org, _n, mutual_here in pair_rows:
        for key, mutual in (
            ((org, space_id, month), mutual_here),
            ((org, None, month), (month, recipient, replier) in month_edges),
        ):
            recipients[key].add(recipient)
            edges[key].add((replier, recipient))
            if mutual:
                reciprocal[key].add((replier, recipient))
    starters: dict[Key, set[int]] = defaultdict(set)
    answered: dict[Key, set[int]] = defaultdict(set)
    threads = ThreadResponse.objects.filter(day__gte=start, day__lte=last).values_list(
        "organisation_id", "space_id", "author_id", "day", "first_reply_at"
    )
    for org, space_id, author_id, day, replied_at in threads:
        month = month_start(day)
        for key in ((org, space_id, month), (org, None, month)):
            starters[key].add(author_id)
            if replied_at is not None:
                answered[key].add(author_id)
    keys = set(edges) | set(starters)
    network_rows = [
        (
            org,
            space_id,
            month,
            len(starters[org, space_id, month]),
            len(answered[org, space_id, month]),
            len(recipients[org, space_id, month]),
            len(edges[org, space_id, month]),
            len(reciprocal[org, space_id, month]),
        )
        for org, space_id, month in keys
    ]
    NetworkMonth.objects.filter(month__gte=start, month__lte=last).delete()
    network_fields = [
        "organisation",
        "space",
        "month",
        "thread_starters",
        "starters_answered",
        "members_answered",
        "pairs",
        "reciprocated_pairs",
    ]
    bulk_insert(NetworkMonth, network_fields, network_rows)
    return len(pair_rows) + len(network_rows)
