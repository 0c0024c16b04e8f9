"""How long does a commissioner dashboard take? Page, CSV and API latency over a year of rollups.

    createdb -h 127.0.0.1 -U postgres kindred_dash
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kindred_dash \
        .venv/bin/python bench/dashboard.py [--members 100000] [--requests 60] [--reset]

Seeds (once; ``--reset`` removes it and seeds again) a synthetic year for ``--organisations``
organisations and ``--members`` members straight into the tables ``outcomes.rollups`` fills
(member days, organisation days, space days, weekly and monthly actives, reply network) plus
PHQ-9/GAD-7 responses, since the dashboards read only those. Then, through Django's test Client
with production settings (DEBUG off, cached templates), as a commissioner of one organisation and
as an admin ("all organisations"), times ``--requests`` requests of a 12-month range for: the
report alone (``organisation_report``), disclosure control alone, the page, the CSV and the API;
prints p50/p95/p99 ms and the queries of one page. Page, CSV and API are timed cold (the
report cache off: the first request after a rollup run) and warm (the disclosed report cached).
``--synthetic-only`` skips the database and times disclosure of a large synthetic report (when
the rollups are not there).

Measures and prints; never fails because something was slow.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "dash_bench"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret-0123456789abcdef-dashboard")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kindred_dash")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def timed(label: str, runs: int, warmup: int, fn: Callable[[], object]) -> None:
    """Wall time (what a user waits, database included) and this process's CPU time per run.

    CPU time is less sensitive to a busy machine than wall time; on a shared box compare both.
    """
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    print(
        f"{label:<44} n={runs:<4} p50={statistics.median(wall):8.1f}  p95={percentile(wall, 95):8.1f}"
        f"  p99={percentile(wall, 99):8.1f} ms   (CPU here p50={statistics.median(cpu):7.1f} ms)"
    )


# -- seeding -----------------------------------------------------------------------------------


def reset() -> None:
    from accounts.models import Organisation, User
    from community.models import Space

    print("removing the previous bench data set ...", flush=True)
    User.objects.filter(pseudonym__startswith=PREFIX).delete()
    Organisation.objects.filter(slug__startswith=PREFIX.replace("_", "-")).delete()
    Space.objects.filter(slug__startswith=PREFIX.replace("_", "-")).delete()


def seed(
    *, organisations: int, members: int, first: datetime.date, last: datetime.date, rng: random.Random
) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.models import Organisation, Role, User
    from community.models import Space
    from outcomes.models import (
        ActivePeriod,
        MeasureResponse,
        MemberDay,
        NetworkMonth,
        OrganisationDay,
        SpaceDay,
    )
    from outcomes.models import PeriodKind as Kind

    began = time.perf_counter()
    days = (last - first).days + 1
    slug = PREFIX.replace("_", "-")
    with transaction.atomic():
        orgs = [
            Organisation.objects.create(name=f"Bench organisation {i}", slug=f"{slug}-{i}")
            for i in range(organisations)
        ]
        spaces = [
            Space.objects.create(slug=f"{slug}-space-{i}", name=f"Bench space {i}", position=i)
            for i in range(6)
        ]
        User.objects.create(
            pseudonym=f"{PREFIX}_commissioner",
            email=f"{PREFIX}_commissioner@example.org",
            role=Role.COMMISSIONER,
        ).commissioned_organisations.add(orgs[0])
        User.objects.create(
            pseudonym=f"{PREFIX}_admin", email=f"{PREFIX}_admin@example.org", role=Role.ADMIN, is_staff=True
        )
        password = make_password(None)
        users = []
        for n in range(members):
            joined = first + datetime.timedelta(days=rng.randrange(days))
            users.append(
                User(
                    pseudonym=f"{PREFIX}_{n:06d}",
                    email=f"{PREFIX}_{n:06d}@example.org",
                    role=Role.MEMBER,
                    organisation=orgs[n % organisations],
                    password=password,
                    date_joined=datetime.datetime.combine(joined, datetime.time(12), tzinfo=datetime.UTC),
                )
            )
        User.objects.bulk_create(users, batch_size=5000)
        users = list(User.objects.filter(pseudonym__startswith=f"{PREFIX}_0").order_by("pk"))
        print(f"  {len(users)} members in {time.perf_counter() - began:.0f} s", flush=True)

        org_days: dict = defaultdict(lambda: defaultdict(int))
        weekly: dict = defaultdict(set)
        monthly: dict = defaultdict(set)
        member_days = []
        responses = []
        for user in users:
            joined = user.date_joined.date()
            org = user.organisation_id
            org_days[(org, joined)]["registrations"] += 1
            joined_week = joined - datetime.timedelta(days=joined.weekday())
            active = sorted(
                {
                    joined + datetime.timedelta(days=int(rng.expovariate(1 / 40)))
                    for _ in range(rng.randrange(1, 30))
                }
            )
            active = [d for d in active if d <= last]
            for i, day in enumerate(active):
                threads, replies, reactions = rng.randrange(2), rng.randrange(4), rng.randrange(6)
                ooh = rng.randrange(threads + replies + reactions + 1)
                member_days.append(
                    MemberDay(
                        member_id=user.pk,
                        organisation_id=org,
                        day=day,
                        threads_started=threads,
                        replies=replies,
                        reactions=reactions,
                        out_of_hours=ooh,
                        joined_week=joined_week,
                        week_of_membership=(day - joined).days // 7 + 1,
                        after_break=i == 0 or (day - active[i - 1]).days > 30,
                        before_break=i == len(active) - 1 or (active[i + 1] - day).days > 30,
                    )
                )
                totals = org_days[(org, day)]
                totals["active_members"] += 1
                totals["threads_started"] += threads
                totals["replies"] += replies
                totals["reactions"] += reactions
                totals["out_of_hours"] += ooh
                weekly[(org, day - datetime.timedelta(days=day.weekday()))].add(user.pk)
                monthly[(org, day.replace(day=1))].add(user.pk)
            if rng.random() < 0.25:
                for key in ("phq9", "gad7"):
                    score = rng.randrange(5, 24 if key == "phq9" else 19)
                    for k in range(rng.randrange(1, 5)):
                        when = joined + datetime.timedelta(days=14 * k)
                        if when > last:
                            break
                        score = max(0, score + rng.randrange(-6, 4))
                        responses.append(
                            MeasureResponse(
                                member_id=user.pk,
                                measure_key=key,
                                definition_version="1",
                                answers=[],
                                total=score,
                                score=score,
                                band="",
                                is_case=score >= (10 if key == "phq9" else 8),
                                created_at=datetime.datetime.combine(
                                    when, datetime.time(20), tzinfo=datetime.UTC
                                ),
                            )
                        )
        MemberDay.objects.bulk_create(member_days, batch_size=10000)
        print(f"  {len(member_days)} member days in {time.perf_counter() - began:.0f} s", flush=True)
        MeasureResponse.objects.bulk_create(responses, batch_size=10000)
        OrganisationDay.objects.bulk_create(
            [
                OrganisationDay(
                    organisation_id=org,
                    day=day,
                    flags=rng.randrange(3),
                    review_items=rng.randrange(4),
                    crisis_cases=int(rng.random() < 0.05),
                    **values,
                )
                for (org, day), values in org_days.items()
            ],
            batch_size=10000,
        )
        ActivePeriod.objects.bulk_create(
            [
                ActivePeriod(organisation_id=o, kind=Kind.WEEK, start=s, active_members=len(m))
                for (o, s), m in weekly.items()
            ]
            + [
                ActivePeriod(organisation_id=o, kind=Kind.MONTH, start=s, active_members=len(m))
                for (o, s), m in monthly.items()
            ],
            batch_size=10000,
        )
        SpaceDay.objects.bulk_create(
            [
                SpaceDay(
                    space=space,
                    organisation=org,
                    day=first + datetime.timedelta(days=d),
                    active_members=rng.randrange(40),
                    threads_started=rng.randrange(10),
                    replies=rng.randrange(60),
                    reactions=rng.randrange(90),
                )
                for org in orgs
                for space in spaces
                for d in range(days)
            ],
            batch_size=10000,
        )
        months = sorted({s for (_, s) in monthly})
        NetworkMonth.objects.bulk_create(
            [
                NetworkMonth(
                    organisation=org,
                    space=space,
                    month=month,
                    thread_starters=(t := rng.randrange(5, 300)),
                    starters_answered=rng.randrange(t),
                    members_answered=rng.randrange(t),
                    pairs=(p := rng.randrange(10, 900)),
                    reciprocated_pairs=rng.randrange(p),
                )
                for org in orgs
                for space in [None, *spaces]
                for month in months
            ],
            batch_size=10000,
        )
    print(
        f"seeded {members} members, {len(member_days)} member days, {len(responses)} self-assessments "
        f"in {time.perf_counter() - began:.0f} s",
        flush=True,
    )


# -- measuring ---------------------------------------------------------------------------------


def synthetic_disclosure(rows: int, runs: int) -> None:
    from outcomes.disclosure import disclose_report
    from outcomes.report_types import Report, Table

    rng = random.Random(7)
    tables = []
    for key in range(16):
        cols = rng.randrange(1, 6)
        cells = [[rng.choice([0, 1, 3, 7, 9, 14, 40, 230]) for _ in range(cols)] for _ in range(rows)]
        tables.append(
            Table(
                key=f"t{key}",
                title=f"T{key}",
                rows=[f"row {r}" for r in range(rows)],
                columns=[f"c{c}" for c in range(cols)],
                cells=cells,
                row_totals=[sum(r) for r in cells],
                column_totals=[sum(r[c] for r in cells) for c in range(cols)],
                grand_total=sum(map(sum, cells)),
            )
        )
    report = Report(
        organisation_id=1,
        organisation_name="Synthetic",
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 12, 31),
        time_zone="Europe/London",
        tables=tables,
    )
    timed(f"disclose_report: 16 tables x {rows} rows", runs, 2, lambda: disclose_report(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organisations", type=int, default=5)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60, help="Timed requests per measurement.")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reset", action="store_true", help="Remove the bench data set and seed it again.")
    parser.add_argument(
        "--synthetic-only", action="store_true", help="Only time disclosure of a synthetic report."
    )
    args = parser.parse_args()
    setup_django()

    import django
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    print(
        f"Python {sys.version.split()[0]}, Django {django.get_version()}, database {connection.vendor}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    synthetic_disclosure(53, args.requests)
    synthetic_disclosure(400, max(5, args.requests // 4))
    if args.synthetic_only:
        return

    from django.core.management import call_command

    from accounts.models import Organisation, User
    from outcomes.disclosure import disclose_report
    from outcomes.models import MemberDay, RollupRun
    from outcomes.reporting import organisation_report

    call_command("migrate", verbosity=0)
    last = timezone.localdate() - datetime.timedelta(days=1)
    first = last - datetime.timedelta(days=364)
    if args.reset:
        reset()
    if not Organisation.objects.filter(slug=f"{PREFIX.replace('_', '-')}-0").exists():
        seed(
            organisations=args.organisations,
            members=args.members,
            first=first,
            last=last,
            rng=random.Random(42),
        )
    # As the nightly rollups would have recorded: reports read "figures up to" from it (retention
    # weeks, first replies and lapses are counted only up to that day).
    RollupRun.objects.get_or_create(
        first_day=first,
        last_day=last,
        defaults={"started_at": timezone.now(), "finished_at": timezone.now(), "rows": 0},
    )
    org = Organisation.objects.get(slug=f"{PREFIX.replace('_', '-')}-0")
    print(
        f"data: {User.objects.filter(pseudonym__startswith=PREFIX + '_0').count()} bench members, "
        f"{MemberDay.objects.count()} member days; range {first}..{last} (12 months)"
    )

    def report(org_id):
        return lambda: organisation_report(organisation_id=org_id, start=first, end=last)

    exact = organisation_report(organisation_id=org.pk, start=first, end=last)
    timed("organisation_report (one organisation)", args.requests, args.warmup, report(org.pk))
    timed("organisation_report (all organisations)", args.requests, args.warmup, report(None))
    timed("disclose_report (one organisation)", args.requests, args.warmup, lambda: disclose_report(exact))

    params = {"organisation": org.pk, "start": first.isoformat(), "end": last.isoformat()}
    for who, extra in [("commissioner", {}), ("admin", {"organisation": "all"})]:
        client = Client()
        client.force_login(User.objects.get(pseudonym=f"{PREFIX}_{who}"))
        query = {**params, **extra}
        for label, url in [
            ("page", reverse("outcomes:commissioner-dashboard")),
            ("CSV", reverse("outcomes:commissioner-dashboard-csv")),
            ("API", reverse("outcomes-api:report")),
        ]:
            response = client.get(url, query)
            if response.status_code != 200:
                print(f"{who} {label}: HTTP {response.status_code}; skipped")
                continue

            def get(url=url, client=client, query=query):
                client.get(url, query)

            scope = "all organisations" if extra else "one organisation"
            # Cold: every request works the report out (as the first after a rollup run does);
            # warm: the disclosed report comes from the cache (as every later one, until the next).
            with override_settings(OUTCOMES_REPORT_CACHE_SECONDS=0):
                timed(f"{label} as {who} ({scope}), cold", args.requests, args.warmup, get)
            timed(f"{label} as {who} ({scope}), warm", args.requests, args.warmup, get)
            if label == "page":
                with CaptureQueriesContext(connection) as queries:
                    get()
                print(f"    {len(queries)} queries, {len(response.content) // 1024} KiB of HTML")


if __name__ == "__main__":
    main()
