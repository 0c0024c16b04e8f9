"""How long do the dashboard rollups take, and how fast is a dashboard's report once they exist?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kindred_bench \
        .venv/bin/python bench/rollup.py [--days 365] [--reports 30] [--organisations 0]

Against the data set from ``manage.py seed_bench`` (1M posts, 50k threads, 20k members), it
rolls up the last ``--days`` days (every rollup table: member, space and organisation days,
weekly and monthly distinct actives, breaks, first replies, the reply network) and prints the
time, the raw rows read (posts and reactions in the range) and rows written per second. Then
it builds ``organisation_report`` for the last 12 months and the last 3 months ``--reports``
times each (after one warm-up) and prints median and p95 wall time and the query count.

``--organisations N`` first spreads the bench members over N organisations in different time
zones (so the per-organisation path and several zones are measured) and times one
organisation's report too.

Leaves the database as it found it: everything, including creating the outcomes tables if the
database has never been migrated for them, runs in one transaction that is rolled back at the
end (PostgreSQL DDL is transactional). Measures and prints; never fails because something was slow.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ZONES = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Europe/Berlin"]


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret-0123456789abcdef-rollup")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kindred_bench")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


class Rollback(Exception):
    """Raised at the end to roll the transaction back."""


def ensure_tables() -> list[str]:
    """Create the outcomes tables the rollups and reports use if this database lacks them."""
    from django.apps import apps
    from django.db import connection

    existing = set(connection.introspection.table_names())
    created = []
    with connection.schema_editor() as editor:
        for model in apps.get_app_config("outcomes").get_models():
            if model._meta.db_table not in existing:
                editor.create_model(model)
                created.append(model._meta.db_table)
    return created


def spread_members(count: int) -> list[int]:
    from accounts.models import Organisation, Role, User

    ids = []
    for i in range(count):
        org = Organisation.objects.create(
            name=f"Bench rollup org {i}", slug=f"bench-rollup-{i}", time_zone=ZONES[i % 5]
        )
        ids.append(org.pk)
    members = list(User.objects.filter(role=Role.MEMBER).order_by("pk").values_list("pk", flat=True))
    for i, org_id in enumerate(ids):
        User.objects.filter(pk__in=members[i :: count + 1]).update(
            organisation_id=org_id
        )  # one share stays without
    return ids


def analyse() -> None:
    from django.apps import apps
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in apps.get_app_config("outcomes").get_models():
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def slowest(organisation_id, start, end, top: int = 3) -> list[tuple[float, str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from outcomes.reporting import organisation_report

    with CaptureQueriesContext(connection) as captured:
        organisation_report(organisation_id=organisation_id, start=start, end=end)
    timed = sorted(((float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries), reverse=True)
    return timed[:top]


def time_reports(organisation_id, start, end, repeats: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from outcomes.reporting import organisation_report

    organisation_report(organisation_id=organisation_id, start=start, end=end)  # warm-up
    with CaptureQueriesContext(connection) as captured:
        organisation_report(organisation_id=organisation_id, start=start, end=end)
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        organisation_report(organisation_id=organisation_id, start=start, end=end)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), percentile(times, 95), len(captured)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--reports", type=int, default=30)
    parser.add_argument("--organisations", type=int, default=0)
    args = parser.parse_args()
    setup_django()

    from django.db import connection, transaction
    from django.db.models import Max

    from community.models import Post, Reaction
    from outcomes.rollups import rollup_days

    latest = Post.objects.aggregate(latest=Max("created_at"))["latest"]
    if latest is None:
        print("No posts: run manage.py seed_bench first.")
        return 1
    end = latest.date()
    start = end - datetime.timedelta(days=args.days - 1)
    print(
        f"Python {sys.version.split()[0]}, {connection.vendor}, rolling up {start}..{end} ({args.days} days)"
    )
    try:
        with transaction.atomic():
            created = ensure_tables()
            if created:
                print(
                    f"created {len(created)} outcomes tables inside the transaction (rolled back at the end)"
                )
            organisation_ids = spread_members(args.organisations) if args.organisations else []
            first = datetime.datetime.combine(start, datetime.time.min, tzinfo=datetime.UTC)
            posts = Post.objects.filter(created_at__gte=first).count()
            reactions = Reaction.objects.filter(created_at__gte=first).count()
            began = time.perf_counter()
            result = rollup_days(start=start, end=end)
            seconds = time.perf_counter() - began
            print(
                f"rollup: {seconds:.1f} s for {args.days} days; read {posts:,} posts + {reactions:,} "
                f"reactions ({(posts + reactions) / seconds:,.0f} raw rows/s); wrote {result.rows:,} rows "
                f"({result.rows / seconds:,.0f} rows/s)"
            )
            began = time.perf_counter()
            rollup_days(start=end - datetime.timedelta(days=1), end=end)
            print(f"nightly rollup (2 days): {time.perf_counter() - began:.2f} s")
            analyse()  # what autovacuum does to freshly filled tables before the next dashboard

            print(f"\n{'report':<44}{'runs':>6}{'median ms':>11}{'p95 ms':>9}{'queries':>9}")
            cases = [("all organisations, 12 months", None, 365), ("all organisations, 3 months", None, 91)]
            cases += (
                [(f"one organisation of {args.organisations}, 12 months", organisation_ids[0], 365)]
                if organisation_ids
                else []
            )
            for label, organisation_id, days in cases:
                median, p95, queries = time_reports(
                    organisation_id, end - datetime.timedelta(days=days - 1), end, args.reports
                )
                print(f"{label:<44}{args.reports:>6}{median:>11.1f}{p95:>9.1f}{queries:>9}")
            year = (end - datetime.timedelta(days=364), end)
            print("\nslowest queries of one 12-month all-organisations report:")
            for ms, sql in slowest(None, *year):
                print(f"  {ms:7.1f} ms  {sql[:150]}")
            raise Rollback
    except Rollback:
        print("\nrolled back: the database is as it was")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
