"""End-to-end crisis alert latency: a member's post submitted over HTTP -> the alert on a
clinician's open WebSocket, through the real site (uvicorn, production settings), PostgreSQL,
Redis and a real Celery worker, with background browsing load.

    .venv/bin/python bench/alert_latency.py                 # 2 crisis posts/s for 60 s
    .venv/bin/python bench/alert_latency.py --rate 2 --duration 60 --browse-rate 4
    .venv/bin/python bench/alert_latency.py --gateway-delay-ms 800  # slow SMS gateway and webhook
    .venv/bin/python bench/alert_latency.py --workers single        # one worker on every queue

It owns its database and Redis DB (both wiped at the start): ``DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/kindred_alert_bench) and ``REDIS_URL`` (default
redis://127.0.0.1:6379/9). It migrates, creates a space, a visible thread, one clinician on a
primary shift and one member per crisis post (an open crisis case per member means a second
post from the same member raises no new alert), starts uvicorn and the Celery workers, opens the
clinician's WebSocket (ws/clinician/) and then, on a fixed timetable, POSTs imminent-risk replies
while a browsing member GETs the thread page. Every process it starts is stopped at the end.

Workers (``--workers``): ``split`` (default) is docker-compose.yml's shape, a ``-Q triage``
prefork worker of two children (assessments, which send the in-app alert on commit) beside a
``-Q alerts,celery`` worker with threads (one task per email/SMS/webhook delivery), both keeping
their PostgreSQL connection between tasks (``DJANGO_CONN_MAX_AGE=60``, as in the compose file);
``single`` is one solo worker on every queue.
``--gateway-delay-ms N`` adds the SMS gateway and the signed webhook as channels, both served by
a local stub that answers after N ms, so a slow gateway's effect on the in-app alert shows.

Printed: p50/p95/p99/max of submission -> alert received, and where the time goes, from the
client's clock and the rows' timestamps (same machine, same clock):
  http response      the POST's round trip (inline screening, hold, commit, task published)
  submit -> post row request sent -> ``Post.created_at``
  post row -> task   ``Post.created_at`` -> ``RiskAssessment.created_at`` (the task's start:
                     rest of the request, commit, publish, Redis, the worker picking it up)
  task -> received   ``Alert.created_at`` (= the task's start) -> WebSocket receive (the task's
                     work and commit, channel layer publish, WebSocket delivery)
  task runtime       from the worker's log ("succeeded in ...s"), for the assessment tasks
and, per channel, ``Alert.created_at`` -> ``DeliveryAttempt.delivered_at`` (stamped when the
successful attempt began, so a gateway's own answer time is not in it).
It measures and prints; it never fails because something was slow.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/kindred_alert_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
# The same key here and in the server: the session auth hashes seeded here must verify there.
BENCH_SECRET_KEY = "bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
CRISIS_TEXT = "I have the pills in front of me and I am taking them all tonight. Goodbye everyone."


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def row(name: str, values_s: list[float]) -> str:
    ms = [v * 1000 for v in values_s]
    if not ms:
        return f"{name:<20} (no samples)"
    return (
        f"{name:<20} n={len(ms):<4} p50={pct(ms, 50):7.1f}  p95={pct(ms, 95):7.1f}  "
        f"p99={pct(ms, 99):7.1f}  max={max(ms):7.1f}  mean={statistics.fmean(ms):7.1f} ms"
    )


# --- setup ---------------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not re.fullmatch(r"kindred_[a-z0-9_]+", name):
        raise SystemExit(f"refusing to drop database {name!r}: use a dedicated kindred_* bench database")
    conn = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def seed(n_members: int) -> dict:
    """Users, a visible thread, a clinician on shift and session cookies. Runs in this process."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from accounts.models import Role, User
    from community import services as community_services
    from community.models import PostState, Space
    from escalation.models import ClinicianContact, Shift

    now = timezone.now()
    long_ago = now - timedelta(days=90)

    def user(pseudonym: str, role: str) -> User:
        return User.objects.create_user(
            pseudonym,
            f"{pseudonym.lower()}@bench.invalid",
            None,
            role=role,
            region="GB",
            date_joined=long_ago,
        )

    def session(u: User) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(u.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = u.get_session_auth_hash()
        store.create()
        return store.session_key

    clinician = user("DrBench", Role.CLINICIAN)
    ClinicianContact.objects.create(user=clinician, sms_number="+447700900123")
    Shift.objects.create(
        clinician=clinician, tier="primary", start=now - timedelta(hours=1), end=now + timedelta(hours=8)
    )
    author = user("BenchHost", Role.MEMBER)
    browser = user("BenchBrowser", Role.MEMBER)
    space = Space.objects.create(slug="bench", name="Bench", description="Alert latency bench")
    thread = community_services.thread_create(
        author=author,
        space=space,
        title="How is everyone doing today?",
        # Not "Checking in. How are you all?": the semantic stage reads that as high and holds the
        # thread (a known false alarm, README "The triage engine"), so nobody could reply.
        body="How has everyone's week been? Share one small good thing if you can.",
    )
    opening = thread.opening_post
    opening.refresh_from_db()
    if opening.state != PostState.PUBLISHED:
        community_services.post_publish(post=opening)
    members = [user(f"BenchMember{i:04d}", Role.MEMBER) for i in range(n_members)]
    return {
        "thread_id": thread.pk,
        "opening_post_id": opening.pk,
        "clinician": session(clinician),
        "clinician_id": clinician.pk,
        "browser": session(browser),
        "members": [(m.pk, session(m)) for m in members],
    }


# --- processes -----------------------------------------------------------------------------------


class SlowGateway:
    """A local SMS gateway and webhook receiver that answers 200 after ``delay_ms``."""

    def __init__(self, delay_ms: float):
        delay = delay_ms / 1000
        self.calls = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(delay)
                outer.calls += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def env(self) -> dict:
        return {
            "ESCALATION_SMS_BACKEND": "escalation.sms.HttpGatewayBackend",
            "ESCALATION_SMS_GATEWAY_URL": self.url + "/sms",
            "ESCALATION_WEBHOOK_URL": self.url + "/webhook",
            "ESCALATION_WEBHOOK_SECRET": "bench-webhook-secret",
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def worker_commands(args) -> dict[str, list[str]]:
    """Worker name -> ``celery worker`` arguments (the deployment's queues, see docker-compose.yml)."""
    common = ["--prefetch-multiplier", "1", "-l", "INFO", "--without-gossip", "--without-mingle"]
    if args.workers == "single":
        return {"worker": ["--pool", "solo", "-n", "alertbench@%h", *common]}
    return {
        "triage": [
            "-Q",
            "triage",
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "-n",
            "alertbench-triage@%h",
            *common,
        ],
        "alerts": [
            "-Q",
            "alerts,celery",
            "--pool",
            "threads",
            "--concurrency",
            str(args.alert_threads),
            "-n",
            "alertbench-alerts@%h",
            *common,
        ],
    }


def server_env(args) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": BENCH_SECRET_KEY,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "DJANGO_LOG_LEVEL": "WARNING",
        "EMAIL_URL": "consolemail://",
        **(args.gateway.env() if args.gateway else {}),
    }


def start(cmd: list[str], env: dict, logfile: Path) -> subprocess.Popen:
    out = logfile.open("wb")
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# --- load ----------------------------------------------------------------------------------------


class Http:
    """One keep-alive connection per thread; production cookies are Secure, so sent by hand."""

    def __init__(self, port: int):
        self.port = port
        self.local = threading.local()

    def request(self, method: str, path: str, *, session: str, body: str = "") -> int:
        csrf = "b" * 32
        headers = {"Cookie": f"sessionid={session}; csrftoken={csrf}", "Host": f"127.0.0.1:{self.port}"}
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = csrf
        for attempt in range(2):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.request(method, path, body=body.encode() if body else None, headers=headers)
                response = conn.getresponse()
                response.read()
                return response.status
            except (http.client.HTTPException, ConnectionError, OSError):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise
        return 0


async def run_load(args, data: dict) -> dict:
    from urllib.parse import quote

    import websockets

    http_client = Http(args.port)
    pool = ThreadPoolExecutor(max_workers=16)
    loop = asyncio.get_running_loop()
    received: dict[int, tuple[float, dict]] = {}
    sent: dict[int, dict] = {}
    browse = {"ok": 0, "errors": 0, "latency": []}
    ready = asyncio.Event()

    async def listen():
        async with websockets.connect(
            f"ws://127.0.0.1:{args.port}/ws/clinician/",
            additional_headers={"Cookie": f"sessionid={data['clinician']}"},
            origin=f"http://127.0.0.1:{args.port}",
        ) as ws:
            async for raw in ws:
                now = time.time()
                message = json.loads(raw)
                if message.get("event") == "crisis.ready":
                    ready.set()
                elif message.get("event") == "crisis.alert" and not message["payload"].get("replay"):
                    received.setdefault(message["payload"]["case_id"], (now, message["payload"]))

    listener = asyncio.create_task(listen())
    await asyncio.wait_for(ready.wait(), timeout=20)
    log("clinician WebSocket open")

    thread_path = f"/threads/{data['thread_id']}/"
    body = "body=" + quote(CRISIS_TEXT)

    def post(member_id: int, session: str) -> None:
        t0 = time.time()
        status = http_client.request("POST", thread_path, session=session, body=body)
        sent[member_id] = {"t_send": t0, "t_resp": time.time(), "status": status}

    def get() -> None:
        t0 = time.time()
        try:
            status = http_client.request("GET", thread_path, session=data["browser"])
        except Exception:
            browse["errors"] += 1
            return
        browse["latency"].append(time.time() - t0)
        browse["ok" if status == 200 else "errors"] += 1

    members = list(data["members"])
    start_at = time.monotonic() + 0.5
    n_posts = int(args.rate * args.duration)
    n_gets = int(args.browse_rate * args.duration)
    schedule = [(start_at + i / args.rate, "post", members[i]) for i in range(n_posts)]
    schedule += [(start_at + (i + 0.37) / args.browse_rate, "get", None) for i in range(n_gets)]
    schedule.sort(key=lambda item: item[0])
    futures = []
    for due, kind, member in schedule:
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if kind == "post":
            futures.append(loop.run_in_executor(pool, post, *member))
        else:
            futures.append(loop.run_in_executor(pool, get))
    await asyncio.gather(*futures, return_exceptions=True)
    deadline = time.monotonic() + 15
    while len(received) < n_posts and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    listener.cancel()
    pool.shutdown()
    return {"sent": sent, "received": received, "browse": browse, "n_posts": n_posts}


# --- analysis ------------------------------------------------------------------------------------


def analyse(result: dict, worker_logs: list[Path]) -> dict:
    from escalation.models import Alert, DeliveryAttempt, RiskAssessment

    sent, received = result["sent"], result["received"]
    assessments = {
        a.post.author_id: a
        for a in RiskAssessment.objects.select_related("post").filter(post__author_id__in=list(sent))
    }
    alerts = {a.case_id: a for a in Alert.objects.filter(round=1)}
    e2e, http_rt, to_row, to_task, to_recv = [], [], [], [], []
    missing = 0
    statuses: dict[int, int] = {}
    for member_id, s in sent.items():
        statuses[s["status"]] = statuses.get(s["status"], 0) + 1
        http_rt.append(s["t_resp"] - s["t_send"])
        assessment = assessments.get(member_id)
        if assessment is None or assessment.case_id is None or assessment.case_id not in received:
            missing += 1
            continue
        t_recv, _payload = received[assessment.case_id]
        alert = alerts[assessment.case_id]
        e2e.append(t_recv - s["t_send"])
        to_row.append(assessment.post.created_at.timestamp() - s["t_send"])
        to_task.append(assessment.created_at.timestamp() - assessment.post.created_at.timestamp())
        to_recv.append(t_recv - alert.created_at.timestamp())
    runtimes = [
        float(m)
        for worker_log in worker_logs
        for m in re.findall(
            r"escalation\.assess_post\[[^\]]+\] succeeded in ([0-9.]+)s", worker_log.read_text()
        )
    ]
    deliveries: dict[str, list[float]] = {}
    undelivered: dict[str, int] = {}
    for d in DeliveryAttempt.objects.select_related("alert").filter(alert__round=1):
        if d.delivered_at is None:
            undelivered[d.channel] = undelivered.get(d.channel, 0) + 1
        else:
            deliveries.setdefault(d.channel, []).append((d.delivered_at - d.alert.created_at).total_seconds())
    return {
        "e2e": e2e,
        "http": http_rt,
        "to_row": to_row,
        "to_task": to_task,
        "to_recv": to_recv,
        "runtime": runtimes,
        "missing": missing,
        "statuses": statuses,
        "deliveries": deliveries,
        "undelivered": undelivered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=2.0, help="crisis posts per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--browse-rate", type=float, default=4.0, help="thread page GETs per second")
    parser.add_argument("--port", type=int, default=8029)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--workers",
        choices=["split", "single"],
        default="split",
        help="split: a -Q triage worker and a -Q alerts,celery worker (the deployment); "
        "single: one solo worker on every queue",
    )
    parser.add_argument("--alert-threads", type=int, default=4, help="threads of the alerts worker (split)")
    parser.add_argument(
        "--gateway-delay-ms",
        type=float,
        default=0,
        help="also alert by SMS gateway and webhook, answered by a local stub after this many ms",
    )
    parser.add_argument("--database-url", default=os.environ.get("ALERT_BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("ALERT_BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument(
        "--logs", default=str(ROOT / "artifacts" / "alert_bench"), help="folder for server and worker logs"
    )
    args = parser.parse_args()
    args.gateway = SlowGateway(args.gateway_delay_ms) if args.gateway_delay_ms > 0 else None
    if urlparse(args.database_url).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("loopback databases only")

    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_SECRET_KEY=BENCH_SECRET_KEY,
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
    )
    sys.path.insert(0, str(ROOT))

    log(f"recreating {args.database_url} and flushing {args.redis_url}")
    recreate_database(args.database_url)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=os.environ, check=True)
    env = server_env(args)
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    n_members = int(args.rate * args.duration) + 5
    data = seed(n_members)
    log(f"seeded {n_members} members, thread {data['thread_id']}, clinician on a primary shift")

    procs = []
    worker_logs = []
    # As docker-compose.yml runs them: the workers keep their PostgreSQL connection between tasks
    # (a new connection and a cold backend cost an assessment ~10-30 ms); the web server does not.
    worker_env = {**env, "DJANGO_CONN_MAX_AGE": "60"}
    try:
        for name, argv in worker_commands(args).items():
            worker_logs.append(logs / f"worker-{name}.log")
            procs.append(
                start([PYTHON, "-m", "celery", "-A", "config", "worker", *argv], worker_env, worker_logs[-1])
            )
        procs.append(
            start(
                [
                    str(ROOT / ".venv/bin/uvicorn"),
                    "config.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(args.port),
                    "--workers",
                    str(args.web_workers),
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                env,
                logs / "web.log",
            )
        )
        from community.models import Post

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            screened = Post.objects.filter(pk=data["opening_post_id"], screened_at__isnull=False).exists()
            try:
                up = Http(args.port).request("GET", "/help/", session="none") == 200
            except OSError:
                up = False
            if screened and up:
                break
            time.sleep(0.3)
        else:
            raise SystemExit("the web server or the worker did not come up; see " + str(logs))
        log(
            f"web ({args.web_workers} uvicorn workers) and Celery workers ({args.workers}) up; "
            f"load for {args.duration:.0f} s"
        )

        result = asyncio.run(run_load(args, data))
        from escalation.models import DeliveryAttempt

        deadline = time.monotonic() + 30  # let the last deliveries finish before the workers stop
        while time.monotonic() < deadline and DeliveryAttempt.objects.filter(status="pending").exists():
            time.sleep(0.2)
    finally:
        for proc in reversed(procs):
            stop(proc)
        if args.gateway:
            args.gateway.close()
        log("stopped the web server and the workers")

    stats = analyse(result, worker_logs)
    browse = result["browse"]
    print()
    print(
        f"alert latency: {args.rate:g} crisis posts/s for {args.duration:.0f} s "
        f"over {args.browse_rate:g} thread GETs/s; "
        f"uvicorn x{args.web_workers}, Celery workers {args.workers}"
        + (f" (alerts: {args.alert_threads} threads)" if args.workers == "split" else "")
        + ", PostgreSQL, Redis"
        + (f"; SMS gateway and webhook answer after {args.gateway_delay_ms:g} ms" if args.gateway else "")
    )
    print(
        f"posts sent {len(result['sent'])}, HTTP statuses {stats['statuses']}, alerts received "
        f"{len(result['received'])}, missing {stats['missing']}"
    )
    print(row("submit -> alert", stats["e2e"]))
    print("where the time goes:")
    print(row("  http response", stats["http"]))
    print(row("  submit -> post row", stats["to_row"]))
    print(row("  post row -> task", stats["to_task"]))
    print(row("  task -> received", stats["to_recv"]))
    print(row("  task runtime", stats["runtime"]))
    print(row("browse GET thread", browse["latency"]) + f"  errors={browse['errors']}")
    print("alert -> successful attempt began, per channel (row timestamps):")
    for channel, values in sorted(stats["deliveries"].items()):
        print(row(f"  {channel}", values) + f"  undelivered={stats['undelivered'].get(channel, 0)}")


if __name__ == "__main__":
    main()
