"""How much does one thread page cost in-process? CPU and wall time per page, and queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kindred_bench \
        .venv/bin/python bench/thread_render.py [--pages 60] [--deep] [--profile 25]

Renders full thread pages through Django's test Client (middleware, session, auth, view,
selectors, templates: everything but the ASGI server and the network) with production
settings (DEBUG off, so the cached template loader is on) against the bench data set from
``manage.py seed_bench``, as one logged-in bench member. Threads are the first page of bench
threads that fill a page (30 posts); ``--deep`` adds the deepest thread's first page and a
page from its middle. Prints median/p95 CPU and wall ms per page, and the queries of one page
(counted in a separate pass, since capturing queries costs time itself). ``--profile N``
prints the N most expensive functions (cumulative) of one more pass under cProfile.

Reads only, apart from the session row that logging in writes. Measures and prints; never
fails because something was slow.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret-0123456789abcdef-thread-render")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kindred_bench")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=60, help="Timed page renders.")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=20, help="Threads to cycle through.")
    parser.add_argument("--deep", action="store_true", help="Also time the deepest thread (first, middle).")
    parser.add_argument("--member", default="bench_member_000001", help="Pseudonym of the viewer.")
    parser.add_argument("--profile", type=int, default=0, help="Print the top N functions of one pass.")
    args = parser.parse_args()
    setup_django()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from community.models import Post, PostState, Thread
    from community.selectors import encode_cursor

    viewer = get_user_model().objects.filter(pseudonym=args.member).first()
    if viewer is None:
        raise SystemExit(f"No member {args.member!r}: run `manage.py seed_bench` on this DATABASE_URL first.")
    visible = Thread.objects.filter(
        space__organisation__isnull=True,
        opening_post__state=PostState.PUBLISHED,
        author__pseudonym__startswith="bench_member_",
    )
    full = list(
        visible.filter(reply_count__gte=40, reply_count__lt=200)
        .order_by("id")
        .values_list("id", flat=True)[: args.threads]
    )
    paths = [f"/threads/{pk}/" for pk in full]
    deep_paths = []
    if args.deep:
        deepest = visible.order_by("-reply_count").values_list("id", "reply_count").first()
        if deepest:
            pk, replies = deepest
            middle = (
                Post.objects.filter(thread_id=pk, state=PostState.PUBLISHED)
                .order_by("created_at", "id")
                .only("id", "created_at")[replies // 2 : replies // 2 + 1]
                .first()
            )
            deep_paths = [
                f"/threads/{pk}/",
                f"/threads/{pk}/?after={encode_cursor(middle.created_at, middle.pk)}",
            ]
    if not paths:
        raise SystemExit("No bench thread with a full page found.")

    client = Client()
    client.force_login(viewer)

    def get(path: str):
        response = client.get(path, secure=True)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        return response

    loaders = settings.TEMPLATES[0].get("OPTIONS", {}).get("loaders")
    from django.template import engines

    engine = engines["django"].engine
    loader_names = [
        type(loader).__module__ + "." + type(loader).__name__ for loader in engine.template_loaders
    ]
    print(
        f"Django settings {os.environ['DJANGO_SETTINGS_MODULE']}, DEBUG={settings.DEBUG}, "
        f"database {connection.vendor} {connection.settings_dict['NAME']}, "
        f"template loaders {loaders or loader_names}"
    )

    for i in range(args.warmup):
        get(paths[i % len(paths)])

    def timed(selected: list[str], n: int) -> tuple[list[float], list[float], int]:
        cpu, wall, size = [], [], 0
        for i in range(n):
            path = selected[i % len(selected)]
            c0, w0 = time.process_time(), time.perf_counter()
            response = get(path)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
            size = len(response.content)
        return cpu, wall, size

    def count(path: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = get(path)
        posts = response.content.count(b'<article class="card post post--')
        return len(ctx.captured_queries), posts

    rows = [("full pages", paths, args.pages)]
    if deep_paths:
        rows += [("deepest, first page", deep_paths[:1], max(10, args.pages // 4))]
        rows += [("deepest, middle page", deep_paths[1:], max(10, args.pages // 4))]
    print(
        f"{'pages':<22} {'n':>4} {'posts':>5} {'queries':>7} {'cpu min':>8} {'cpu p50':>8} {'cpu p95':>8} "
        f"{'wall p50':>8} {'wall p95':>8} {'KB':>6}"
    )
    for label, selected, n in rows:
        queries, posts = count(selected[0])
        cpu, wall, size = timed(selected, n)
        print(
            f"{label:<22} {n:>4} {posts:>5} {queries:>7} {min(cpu):>8.1f} {statistics.median(cpu):>8.1f} "
            f"{percentile(cpu, 95):>8.1f} {statistics.median(wall):>8.1f} {percentile(wall, 95):>8.1f} "
            f"{size / 1024:>6.1f}"
        )
    print(
        "(ms per page; cpu = this process only, wall includes PostgreSQL; on a busy machine "
        "cpu min is the most stable figure)"
    )

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for path in paths:
            get(path)
        profiler.disable()
        print(f"\ncProfile over {len(paths)} pages, top {args.profile} by cumulative time:")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
