"""The guide's review queue with 10,000 open items: latency at a fixed arrival rate, and the
number of queries per page at several page sizes.

    # 1. seed (idempotent) and count queries, in-process, against DATABASE_URL:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kindred_mod \\
        .venv/bin/python bench/queue_page.py seed --items 10000
    # 2. serve the production way and drive the queue page at 10 requests/s for 45 s:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kindred_mod REDIS_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python bench/queue_page.py run --serve --rate 10 --duration 45

``seed`` creates the database if it is missing, migrates it, and adds (once) a bench space,
200 authors, 10,000 posts each with an open review item (priorities, reasons and due times
spread like a busy day: a fifth past due, some claimed, flags and risk assessments on a share of
them), and a guide ``bench_guide`` with a TOTP authenticator. Rows are written with
``bulk_create``: the bench measures reading the queue, not the submission path. Then it renders
the queue page in-process at sizes 10, 50 and 200 and prints the query count of each.

``run`` (``--serve`` starts ``bench/serve_prod.sh uvicorn`` on ``--port`` and stops it by its
process id afterwards) signs the guide in the real way (password, then the authenticator code)
and requests ``GET /guide/queue/?size=<n>`` on a fixed timetable (open model, Poisson arrivals:
latency counts from the intended start, so a stalled server shows as latency, not as a lower
rate). Prints p50/p95/p99/max and the statuses. Loopback only; it measures and never fails
because something was slow.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import os
import queue
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import LOOPBACK, Session, new_connection, percentile, request  # noqa: E402

BENCH_SPACE = "bench-queue"
GUIDE = "bench_guide"
PASSWORD = "bench-password-kindred-2024"  # noqa: S105 (a loopback bench account)
TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # noqa: S105 (the bench guide's authenticator, loopback only)
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- seeding and query counts (in-process) --------------------------------------------------


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def ensure_database(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return
    import psycopg2

    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres", dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
            print(f"Created database {name}", file=sys.stderr)
    admin.close()


def seed(*, items: int, rng: random.Random) -> None:
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from community.markdown import render_markdown
    from community.models import Post, PostState, Space, Thread
    from escalation.models import RiskAssessment
    from moderation import conf
    from moderation.models import Flag, FlagReason, ItemStatus, Priority, ReasonSource, ReviewItem

    call_command("migrate", verbosity=0)
    User = get_user_model()
    guide, created = User.objects.get_or_create(
        pseudonym=GUIDE, defaults={"email": "bench-guide@example.invalid", "role": "guide"}
    )
    if created:
        guide.set_password(PASSWORD)
        guide.save(update_fields=["password"])
    Authenticator.objects.get_or_create(
        user=guide, type=Authenticator.Type.TOTP, defaults={"data": {"secret": TOTP_SECRET}}
    )
    space, _ = Space.objects.get_or_create(
        slug=BENCH_SPACE, defaults={"name": "Bench queue", "description": "Posts for the queue bench."}
    )
    have = ReviewItem.objects.filter(status=ItemStatus.OPEN, post__thread__space=space).count()
    if have >= items:
        print(f"Already seeded: {have} open review items in {BENCH_SPACE}", file=sys.stderr)
        analyze()
        return
    todo = items - have
    print(f"Seeding {todo} posts with open review items...", file=sys.stderr)
    now = timezone.now()
    with transaction.atomic():
        authors = []
        for n in range(200):
            user, _ = User.objects.get_or_create(
                pseudonym=f"bench_queue_author_{n}",
                defaults={
                    "email": f"bench-queue-{n}@example.invalid",
                    "date_joined": now - timedelta(days=90),
                },
            )
            authors.append(user)
        reporters = authors[100:]
        threads = Thread.objects.bulk_create(
            [
                Thread(
                    space=space,
                    author=rng.choice(authors),
                    title=f"Bench thread {have + n}: a hard week",
                    created_at=now - timedelta(hours=12),
                    last_activity_at=now,
                )
                for n in range(max(1, todo // 20))
            ]
        )
        body = "Some days are harder than others. Today I could not get out of bed until noon."
        html = render_markdown(body)
        posts = Post.objects.bulk_create(
            [
                Post(
                    thread=threads[n % len(threads)],
                    author=rng.choice(authors),
                    body=f"{body} ({have + n})",
                    body_html=html,
                    state=PostState.HELD if n % 3 == 0 else PostState.PUBLISHED,
                    created_at=now - timedelta(minutes=rng.randrange(1, 600)),
                    screened_at=now,
                )
                for n in range(todo)
            ],
            batch_size=2000,
        )
        weights = [(Priority.IMMINENT, 1), (Priority.HIGH, 3), (Priority.FLAGGED_RISK, 6)]
        weights += [(Priority.MODERATE, 20), (Priority.OTHER, 70)]
        priorities = [p for p, _ in weights]
        shares = [w for _, w in weights]
        review_items = []
        for post in posts:
            priority = rng.choices(priorities, shares)[0]
            created = post.created_at
            past_due = rng.random() < 0.2
            due = (
                now - timedelta(minutes=5)
                if past_due
                else created + conf.sla_for(priority) + timedelta(hours=8)
            )
            source = {
                Priority.FLAGGED_RISK: ReasonSource.FLAG,
                Priority.OTHER: rng.choice(
                    [ReasonSource.FLAG, ReasonSource.WATCHED_WORD, ReasonSource.OTHER]
                ),
            }.get(priority, ReasonSource.RISK_ASSESSMENT)
            claimed = rng.random() < 0.05
            review_items.append(
                ReviewItem(
                    post=post,
                    priority=priority,
                    reasons=[{"source": source, "at": created.isoformat(), "detail": {"key": "bench"}}],
                    due_at=due,
                    created_at=created,
                    claimed_by=guide if claimed else None,
                    claim_expires_at=now + timedelta(minutes=10) if claimed else None,
                )
            )
        review_items = ReviewItem.objects.bulk_create(review_items, batch_size=2000)
        flags, assessments = [], []
        for item in review_items:
            if item.reasons[0]["source"] == ReasonSource.FLAG:
                for reporter in rng.sample(reporters, rng.randint(1, 3)):
                    reason = (
                        FlagReason.RISK_TO_AUTHOR
                        if item.priority == Priority.FLAGGED_RISK
                        else FlagReason.ABUSIVE
                    )
                    flags.append(
                        Flag(post_id=item.post_id, reporter=reporter, reason=reason, review_item=item)
                    )
            if item.priority in (Priority.IMMINENT, Priority.HIGH, Priority.MODERATE):
                level = {Priority.IMMINENT: "imminent", Priority.HIGH: "high"}.get(item.priority, "moderate")
                assessments.append(
                    RiskAssessment(
                        post_id=item.post_id,
                        content_hash=f"bench-{item.post_id}",
                        level=level,
                        score=0.8,
                        rules=[],
                        engine_version="bench",
                    )
                )
        Flag.objects.bulk_create(flags, batch_size=2000)
        RiskAssessment.objects.bulk_create(assessments, batch_size=2000)
    analyze()
    print(
        f"  {len(posts)} posts, {len(review_items)} items, {len(flags)} flags, "
        f"{len(assessments)} assessments",
        file=sys.stderr,
    )


def analyze() -> None:
    """Fresh planner statistics after a bulk load (autovacuum would do it a little later)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def query_counts(sizes: list[int]) -> dict[int, int]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    guide = get_user_model().objects.get(pseudonym=GUIDE)
    client = Client(HTTP_HOST="localhost")
    client.force_login(guide)
    counts = {}
    for size in sizes:
        client.get(f"/guide/queue/?size={size}")  # warm caches (session, templates)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/guide/queue/?size={size}")
        if response.status_code != 200:
            raise SystemExit(f"/guide/queue/?size={size} answered {response.status_code}")
        rows = response.content.count(b"data-item-id=")
        counts[size] = len(captured.captured_queries)
        # CPU time of this process per page (Python, templates, driver), which the machine's
        # other load does not inflate the way it inflates wall time; the database's own time is
        # the wall time spent in its queries.
        cpu, wall, in_db = [], [], []
        for _ in range(20):
            with CaptureQueriesContext(connection) as timed:
                c0, w0 = time.process_time(), time.perf_counter()
                client.get(f"/guide/queue/?size={size}")
                cpu.append((time.process_time() - c0) * 1000)
                wall.append((time.perf_counter() - w0) * 1000)
            in_db.append(sum(float(q["time"]) for q in timed.captured_queries) * 1000)
        print(
            f"  size {size:>3}: {rows:>3} items on the page, {counts[size]} queries; median of 20: "
            f"CPU {percentile(cpu, 50):.1f} ms, in queries {percentile(in_db, 50):.1f} ms, "
            f"wall {percentile(wall, 50):.1f} ms"
        )
    return counts


# --- the load run (over HTTP) ---------------------------------------------------------------


def totp_code(secret: str, *, period: int = 30, digits: int = 6) -> str:
    """RFC 6238 (what an authenticator app shows now), standard library only."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // period), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(value).zfill(digits)


def staff_login(base, origin: str, timeout: float) -> Session:
    """Password, then the authenticator code, as a guide signs in."""
    session = Session(GUIDE)
    conn = new_connection(base, timeout)
    try:
        response, data = request(conn, "GET", "/accounts/login/", session=session, origin=origin)
        session.absorb(response)
        token = CSRF_FIELD.search(data)
        form = {"login": GUIDE, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1).decode()}
        response, _ = request(conn, "POST", "/accounts/login/", session=session, origin=origin, body=form)
        session.absorb(response)
        location = response.getheader("Location", "")
        if response.status != 302 or "2fa" not in location:
            raise RuntimeError(f"password step answered {response.status} -> {location!r}")
        path = urllib.parse.urlsplit(location).path
        response, data = request(conn, "GET", path, session=session, origin=origin)
        session.absorb(response)
        token = CSRF_FIELD.search(data)
        form = {"code": totp_code(TOTP_SECRET), "csrfmiddlewaretoken": token.group(1).decode()}
        response, _ = request(conn, "POST", path, session=session, origin=origin, body=form)
        session.absorb(response)
        if response.status != 302:
            raise RuntimeError(f"authenticator step answered {response.status}")
        response, _ = request(conn, "GET", "/guide/queue/", session=session, origin=origin)
        if response.status != 200:
            raise RuntimeError(f"the queue answered {response.status} after signing in")
    finally:
        conn.close()
    return session


def wait_for_port(host: str, port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.25)
    raise SystemExit(f"nothing listening on {host}:{port} after {timeout}s")


def drive(args) -> dict:
    base = urllib.parse.urlsplit(args.base)
    if base.scheme != "http" or base.hostname not in LOOPBACK:
        raise SystemExit("Only http://127.0.0.1, localhost or [::1] targets are allowed.")
    origin = f"http://{base.netloc}"
    session = staff_login(base, origin, args.timeout)
    rng = random.Random(args.seed)
    path = f"/guide/queue/?size={args.size}"
    total = int(args.rate * args.duration)
    offsets, offset = [], 0.0
    for _ in range(total):
        offset += rng.expovariate(args.rate)
        offsets.append(offset)
    work: queue.Queue = queue.Queue()
    results: list[tuple[float, float, float, str, int]] = []
    lock = threading.Lock()

    def worker() -> None:
        conn = new_connection(base, args.timeout)
        while (intended := work.get()) is not None:
            sent = time.perf_counter()
            try:
                try:
                    response, data = request(conn, "GET", path, session=session, origin=origin)
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                    conn.close()
                    conn = new_connection(base, args.timeout)
                    response, data = request(conn, "GET", path, session=session, origin=origin)
                status, rows = str(response.status), data.count(b"data-item-id=")
            except (OSError, http.client.HTTPException) as exc:
                status, rows = type(exc).__name__, 0
                conn.close()
                conn = new_connection(base, args.timeout)
            done = time.perf_counter()
            with lock:
                results.append((intended, sent, done, status, rows))
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    print(f"Running {total} requests of {path} at {args.rate}/s for {args.duration}s...", file=sys.stderr)
    start = time.perf_counter() + 0.5
    for offset in offsets:
        delay = start + offset - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        work.put(start + offset)
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.join(timeout=args.timeout + 5)
    latencies = [(done - intended) * 1000 for intended, _, done, _, _ in results]
    service = [(done - sent) * 1000 for _, sent, done, _, _ in results]
    statuses: dict[str, int] = {}
    for *_, status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "path": path,
        "scheduled": total,
        "completed": len(results),
        "statuses": statuses,
        "items_per_page": sorted({rows for *_, rows in results}),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "service_p50_ms": round(percentile(service, 50), 1),
    }


def run(args) -> None:
    server = None
    if args.serve:
        env = {**os.environ, "WORKERS": str(args.workers)}
        server = subprocess.Popen(
            [str(ROOT / "bench" / "serve_prod.sh"), "uvicorn", str(args.port)],
            env=env,
            start_new_session=True,
        )
        print(f"Started the production server (pid {server.pid}) on port {args.port}", file=sys.stderr)
        args.base = f"http://127.0.0.1:{args.port}"
        wait_for_port("127.0.0.1", args.port)
    try:
        report = drive(args)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
    print(
        f"\n{report['path']}: {report['completed']}/{report['scheduled']} completed, "
        f"statuses {report['statuses']}, items per page {report['items_per_page']}"
    )
    print(
        f"latency from intended start: p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, "
        f"p99 {report['p99_ms']} ms, max {report['max_ms']} ms (service p50 {report['service_p50_ms']} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seeding = sub.add_parser("seed", help="Seed the open items and print queries per page size.")
    seeding.add_argument("--items", type=int, default=10_000)
    seeding.add_argument("--sizes", default="10,50,200")
    seeding.add_argument("--seed", type=int, default=7)
    running = sub.add_parser("run", help="Drive the queue page over HTTP at a fixed rate.")
    running.add_argument("--base", default="http://127.0.0.1:8016")
    running.add_argument("--serve", action="store_true", help="Start bench/serve_prod.sh for the run.")
    running.add_argument("--port", type=int, default=8016)
    running.add_argument("--workers", type=int, default=2)
    running.add_argument("--rate", type=float, default=10.0)
    running.add_argument("--duration", type=float, default=45.0)
    running.add_argument("--size", type=int, default=50)
    running.add_argument("--connections", type=int, default=16)
    running.add_argument("--timeout", type=float, default=10.0)
    running.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.command == "seed":
        url = os.environ.get("DATABASE_URL", "")
        if url:
            ensure_database(url)
        django_setup()
        seed(items=args.items, rng=random.Random(args.seed))
        print("Queries per queue page (in-process, local settings, same database):")
        query_counts([int(s) for s in args.sizes.split(",")])
    else:
        if args.duration * args.rate > 5000:
            raise SystemExit("At most 5,000 requests per run.")
        run(args)


if __name__ == "__main__":
    main()
