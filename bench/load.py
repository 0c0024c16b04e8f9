"""Open-model load generator for the forum pages: fixed arrival rate, latency from intended start.

    .venv/bin/python bench/load.py --base http://127.0.0.1:8000 --rate 50 --duration 60 \
        --mix thread=1                       # thread page only
    .venv/bin/python bench/load.py --mix thread=0.7,space=0.2,post=0.1

Requests are scheduled on a fixed timetable (uniform or Poisson arrivals at ``--rate``) that
does not depend on responses, and each request's latency is measured from the moment it was
*meant* to start. A stalled server therefore shows up as high latency instead of a lower
request rate (no coordinated omission). Requests wait for a free connection if all
``--connections`` are busy; that wait counts as latency too.

Before the clock starts it reads targets from the bench data set (``manage.py seed_bench``) in
the database named by DATABASE_URL, and logs ``--sessions`` bench members in through the
allauth login form (CSRF token from the form, cookies handled by hand because production
cookies are ``Secure`` and this runs over plain HTTP on loopback).

Endpoints: ``thread`` (GET /threads/<id>/, random bench threads, ``--deep-share`` of them among
the deepest threads, some at a later page through a keyset cursor), ``space`` (GET
/spaces/<slug>/, first or later page) and ``post`` (POST a reply to /threads/<id>/, expects
302). Prints p50/p95/p99/p99.9/max per endpoint, achieved throughput and errors by status.
Only loopback targets; the run is bounded by ``--duration`` and ``--max-requests``. Never fails
because something was slow.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import re
import resource
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DEFAULT_PASSWORD = "bench-password-kindred-2024"  # noqa: S105 (seed_bench's default)
REPLY_BODIES = [
    "Thank you for sharing this. I recognise a lot of it, and I'm glad you posted.",
    "Sending support. Small steps still count, and today you took one.",
    "I had a similar week. A short walk and an early night helped me a little.",
    "You're not alone in this. Checking in again tomorrow sounds like a good plan.",
]


# Targets from the bench data set.


@dataclass
class Targets:
    thread_paths: list[str]
    deep_paths: list[str]
    space_paths: list[str]
    post_thread_ids: list[int]
    pseudonyms: list[str]
    deep_sizes: list[int] = field(default_factory=list)


def load_targets(*, sample: int, deep: int, sessions: int, seed: int) -> Targets:
    """Read ids and cursors through Django (DATABASE_URL decides which database)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from community.models import Post, PostState, Space, Thread
    from community.selectors import encode_cursor

    rng = random.Random(seed)
    visible = Thread.objects.filter(
        author__pseudonym__startswith="bench_member_",
        opening_post__state=PostState.PUBLISHED,
        space__organisation__isnull=True,
    )
    ids = list(visible.values_list("id", flat=True))
    if not ids:
        raise SystemExit(
            "No bench threads found: run `manage.py seed_bench` against this DATABASE_URL first."
        )
    chosen = rng.sample(ids, min(sample, len(ids)))
    thread_paths = [f"/threads/{pk}/" for pk in chosen]
    deepest = list(visible.order_by("-reply_count").values_list("id", "reply_count")[:deep])
    deep_paths = []
    for pk, replies in deepest:
        deep_paths.append(f"/threads/{pk}/")
        # A few later pages of each deep thread, from a cursor at a random position.
        posts = Post.objects.filter(thread_id=pk, state=PostState.PUBLISHED).order_by("created_at", "id")
        for _ in range(3):
            position = rng.randrange(max(replies, 1))
            post = posts.only("id", "created_at")[position : position + 1].first()
            if post is not None:
                deep_paths.append(f"/threads/{pk}/?after={encode_cursor(post.created_at, post.pk)}")
    space_paths = []
    for space in Space.objects.filter(organisation__isnull=True):
        space_paths.append(f"/spaces/{space.slug}/")
        sample_threads = list(
            visible.filter(space=space).order_by("?").values_list("id", "last_activity_at")[:3]
        )
        for pk, moment in sample_threads:
            space_paths.append(f"/spaces/{space.slug}/?after={encode_cursor(moment, pk)}")
    from django.contrib.auth import get_user_model

    pseudonyms = list(
        get_user_model()
        .objects.filter(pseudonym__startswith="bench_member_")
        .order_by("pseudonym")
        .values_list("pseudonym", flat=True)[: sessions * 5]
    )
    return Targets(
        thread_paths=thread_paths,
        deep_paths=deep_paths,
        space_paths=space_paths,
        post_thread_ids=chosen,
        pseudonyms=rng.sample(pseudonyms, min(sessions, len(pseudonyms))),
        deep_sizes=[replies for _, replies in deepest],
    )


# HTTP with hand-made cookies.


class Session:
    """A logged-in member: cookies kept by hand (production cookies are Secure)."""

    def __init__(self, pseudonym: str) -> None:
        self.pseudonym = pseudonym
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def absorb(self, response: http.client.HTTPResponse) -> None:
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]

    @property
    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")


def new_connection(base: urllib.parse.SplitResult, timeout: float) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(base.hostname, base.port or 80, timeout=timeout)


def request(conn, method: str, path: str, *, session: Session, origin: str, body: dict | None = None):
    headers = {"Host": conn.host + (f":{conn.port}" if conn.port else ""), "Cookie": session.cookie_header()}
    payload = None
    if body is not None:
        payload = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Origin"] = origin
        headers["Referer"] = origin + path
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response, data


CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def login(base, origin: str, session: Session, password: str, timeout: float) -> None:
    conn = new_connection(base, timeout)
    try:
        response, data = request(conn, "GET", "/accounts/login/", session=session, origin=origin)
        session.absorb(response)
        match = CSRF_FIELD.search(data)
        if response.status != 200 or not match:
            raise RuntimeError(f"login page answered {response.status}")
        form = {
            "login": session.pseudonym,
            "password": password,
            "csrfmiddlewaretoken": match.group(1).decode(),
        }
        response, data = request(conn, "POST", "/accounts/login/", session=session, origin=origin, body=form)
        session.absorb(response)
        if response.status != 302 or "sessionid" not in session.cookies:
            raise RuntimeError(f"login of {session.pseudonym} failed with {response.status}")
    finally:
        conn.close()


# The run.


@dataclass
class Result:
    endpoint: str
    intended: float
    sent: float
    done: float
    status: str


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def parse_mix(text: str) -> list[tuple[str, float]]:
    mix = []
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name not in {"thread", "space", "post"}:
            raise SystemExit(f"unknown endpoint {name!r} in --mix (thread, space, post)")
        mix.append((name, float(weight or 1)))
    return mix


def run(args) -> dict:
    base = urllib.parse.urlsplit(args.base)
    if base.scheme != "http" or base.hostname not in LOOPBACK:
        raise SystemExit("Only http://127.0.0.1, localhost or [::1] targets are allowed.")
    total = int(args.rate * args.duration)
    if total > args.max_requests:
        raise SystemExit(f"{total} requests exceeds --max-requests {args.max_requests}.")
    origin = f"http://{base.netloc}"
    mix = parse_mix(args.mix)
    rng = random.Random(args.seed)

    print("Reading targets from the database...", file=sys.stderr)
    targets = load_targets(sample=args.sample, deep=args.deep, sessions=args.sessions, seed=args.seed)
    print(
        f"  {len(targets.thread_paths)} threads, {len(targets.deep_paths)} deep-thread pages "
        f"(deepest replies: {targets.deep_sizes[:5]}), {len(targets.space_paths)} space pages",
        file=sys.stderr,
    )
    print(f"Logging in {len(targets.pseudonyms)} sessions...", file=sys.stderr)
    sessions = []
    for pseudonym in targets.pseudonyms:
        session = Session(pseudonym)
        login(base, origin, session, args.password, args.timeout)
        sessions.append(session)

    # The timetable, fixed before the start: (intended offset, endpoint, method, path, body).
    names = [name for name, _ in mix]
    weights = [weight for _, weight in mix]
    plan = []
    offset = 0.0
    for index in range(total):
        if args.arrival == "poisson":
            offset += rng.expovariate(args.rate)
        else:
            offset = index / args.rate
        endpoint = rng.choices(names, weights)[0]
        if endpoint == "thread":
            pool = targets.deep_paths if rng.random() < args.deep_share else targets.thread_paths
            plan.append((offset, endpoint, "GET", rng.choice(pool), None))
        elif endpoint == "space":
            plan.append((offset, endpoint, "GET", rng.choice(targets.space_paths), None))
        else:
            thread_id = rng.choice(targets.post_thread_ids)
            plan.append((offset, endpoint, "POST", f"/threads/{thread_id}/", rng.choice(REPLY_BODIES)))

    work: queue.Queue = queue.Queue()
    results: list[Result] = []
    lock = threading.Lock()

    def worker(number: int) -> None:
        conn = new_connection(base, args.timeout)
        while True:
            item = work.get()
            if item is None:
                conn.close()
                return
            index, intended, endpoint, method, path, body = item
            session = sessions[index % len(sessions)]
            sent = time.perf_counter()
            form = None
            if body is not None:
                form = {"body": body, "csrfmiddlewaretoken": session.csrf}
            try:
                try:
                    response, _ = request(conn, method, path, session=session, origin=origin, body=form)
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                    # The server closed an idle keep-alive connection (uvicorn: after 5 s). Nothing
                    # was processed, so send once more on a fresh connection; the clock keeps running.
                    conn.close()
                    conn = new_connection(base, args.timeout)
                    response, _ = request(conn, method, path, session=session, origin=origin, body=form)
                status = str(response.status)
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = new_connection(base, args.timeout)
            except TimeoutError:
                status = "timeout"
                conn.close()
                conn = new_connection(base, args.timeout)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = new_connection(base, args.timeout)
            done = time.perf_counter()
            with lock:
                results.append(Result(endpoint, intended, sent, done, status))

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(args.connections)]
    for thread in threads:
        thread.start()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"Running {total} requests at {args.rate}/s for {args.duration}s ({args.arrival})...", file=sys.stderr
    )
    start = time.perf_counter() + 0.5
    late = 0
    for index, (offset, endpoint, method, path, body) in enumerate(plan):
        intended = start + offset
        delay = intended - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        elif delay < -0.005:
            late += 1
        work.put((index, intended, endpoint, method, path, body))
    for _ in threads:
        work.put(None)
    deadline = time.perf_counter() + args.timeout + 5
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.perf_counter()))
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return summarise(args, results, total=total, start=start, late=late, cpu=cpu)


def summarise(args, results: list[Result], *, total: int, start: float, late: int, cpu: float) -> dict:
    ok_status = {"thread": {"200"}, "space": {"200"}, "post": {"302"}}
    report = {
        "offered_rate": args.rate,
        "duration": args.duration,
        "arrival": args.arrival,
        "mix": args.mix,
        "scheduled": total,
        "completed": len(results),
        # Still waiting for a connection or a response when the run's time was up: count as errors.
        "unfinished": total - len(results),
        "late_dispatches": late,
        "generator_cpu_seconds": round(cpu, 2),
        "endpoints": {},
    }
    if results:
        span = max(r.done for r in results) - start
        report["achieved_rate"] = round(sum(1 for r in results) / span, 2)
    for endpoint in sorted({r.endpoint for r in results}):
        rows = [r for r in results if r.endpoint == endpoint]
        latencies = [(r.done - r.intended) * 1000 for r in rows]
        service = [(r.done - r.sent) * 1000 for r in rows]
        statuses: dict[str, int] = {}
        for r in rows:
            statuses[r.status] = statuses.get(r.status, 0) + 1
        errors = sum(n for status, n in statuses.items() if status not in ok_status[endpoint])
        report["endpoints"][endpoint] = {
            "count": len(rows),
            "errors": errors,
            "statuses": statuses,
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "p99_9_ms": round(percentile(latencies, 99.9), 1),
            "max_ms": round(max(latencies), 1),
            "service_p50_ms": round(percentile(service, 50), 1),
            "service_p99_ms": round(percentile(service, 99), 1),
        }
    return report


def print_report(report: dict) -> None:
    r = report
    print(
        f"\nOffered {r['offered_rate']}/s for {r['duration']}s ({r['arrival']}, mix {r['mix']}): "
        f"{r['completed']}/{r['scheduled']} completed ({r['unfinished']} unfinished), "
        f"achieved {r.get('achieved_rate', 0)}/s, "
        f"late dispatches {r['late_dispatches']}, generator CPU {r['generator_cpu_seconds']}s"
    )
    columns = ["count", "errors", "p50", "p95", "p99", "p99.9", "max"]
    header = f"{'endpoint':<8} " + " ".join(f"{c:>8}" for c in columns) + "  statuses"
    print(header)
    print("-" * len(header))
    for name, row in report["endpoints"].items():
        print(
            f"{name:<8} {row['count']:>8} {row['errors']:>8} {row['p50_ms']:>8} {row['p95_ms']:>8} "
            f"{row['p99_ms']:>8} {row['p99_9_ms']:>8} {row['max_ms']:>8}  {row['statuses']}"
        )
    print("(latency in ms from the intended start time; service time excludes waiting for a connection)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--rate", type=float, default=50.0, help="Requests per second offered.")
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds of scheduled arrivals.")
    parser.add_argument("--mix", default="thread=1", help="e.g. thread=0.7,space=0.2,post=0.1")
    parser.add_argument("--arrival", choices=["uniform", "poisson"], default="poisson")
    parser.add_argument(
        "--deep-share", type=float, default=0.1, help="Share of thread requests to deep threads."
    )
    parser.add_argument("--deep", type=int, default=20, help="How many of the deepest threads to include.")
    parser.add_argument("--sample", type=int, default=5000, help="Random threads to draw from.")
    parser.add_argument("--sessions", type=int, default=20, help="Members to log in.")
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--connections", type=int, default=64, help="Concurrent keep-alive connections.")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="Also write the report as JSON to this file.")
    args = parser.parse_args()
    report = run(args)
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
