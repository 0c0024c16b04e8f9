"""Generate a large, deterministic forum data set for benchmarks.

    python manage.py seed_bench --posts 1000000 --threads 50000 --members 20000 [--seed 42]

Everything it creates is recognisable and removable: members are ``bench_member_NNNNNN`` (and a
few ``bench_guide_NNN``) with ``@bench.kindred.invalid`` emails, extra spaces have ``bench-``
slugs, and every bench thread is started by a bench member. ``--reset`` deletes exactly those
rows (and rows elsewhere that point at them, e.g. risk assessments made during a load test)
before seeding again.

Why it is fast:
- nothing goes through services: rows are written in bulk (COPY on PostgreSQL, executemany
  elsewhere) in one transaction, with ids allocated up front;
- a small set of bodies is rendered once through ``community.markdown`` and reused;
- on PostgreSQL the secondary indexes of the post and reaction tables are dropped inside the
  transaction and rebuilt after the load (DDL is transactional: a failure restores them);
- the denormalised thread columns (opening_post, reply_count, last_activity_at,
  first_response_at) are set afterwards by set-based SQL, then the tables are ANALYZEd.

Shape of the data (deterministic for a given ``--seed`` and ``--end``): thread sizes are
log-normal (most threads short, a few with thousands of posts), activity is skewed towards a
minority of members, posts are interleaved across threads in time order (ids follow time, as
in real use), about 1% of posts are held, hidden or removed, every post has been screened.
All members share one password (``--password``), hashed once, so the load script can log in.
"""

# SQL here is built only from quoted table and column names taken from model metadata; values
# always go through parameters or COPY.
# ruff: noqa: S608
from __future__ import annotations

import bisect
import io
import math
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import ForeignKey
from django.utils import timezone

from community.markdown import render_markdown
from community.models import Post, PostState, Reaction, ReactionKind, Space, Subscription, Thread

BENCH_PREFIX = "bench_"
BENCH_EMAIL_DOMAIN = "bench.kindred.invalid"
BENCH_SPACE_PREFIX = "bench-"
DEFAULT_PASSWORD = "bench-password-kindred-2024"  # noqa: S105 (benchmark accounts only)
GUIDE_COUNT = 5

# Public spaces of the demo (matched by slug, created if missing, never removed) plus a few more.
DEMO_SPACES = [
    ("anxiety", "Anxiety", "Worry, panic, and the things that help us feel steadier."),
    ("low-mood", "Low mood", "For the heavy days, the flat days, and the small wins in between."),
    ("carers", "Carers", "Looking after someone else, and remembering to look after yourself too."),
    ("introductions", "Introductions", "New here? Say hello. No need to share more than you want to."),
]
BENCH_SPACES = [
    ("bench-sleep", "Sleep", "Restless nights and the routines that help."),
    ("bench-work", "Work and stress", "Jobs, workload, and finding a better balance."),
    ("bench-grief", "Grief and loss", "Missing someone, at your own pace."),
    ("bench-parents", "Parents", "Raising children while looking after your own wellbeing."),
]
# Relative popularity of the spaces above, in order (demo first).
SPACE_WEIGHTS = [30, 25, 8, 6, 12, 10, 5, 4]

OPENERS = [
    "Has anyone else found evenings the hardest part of the day?",
    "I wanted to share something small that went well this week.",
    "I'm not sure where to start, so I'll just write.",
    "Does anyone have tips for getting back into a routine?",
    "It's been a long week and I needed somewhere to put this down.",
    "I finally told a friend how I've been feeling.",
    "Quick check-in from me today.",
    "Something I read helped, so I'm passing it on.",
]
SENTENCES = [
    "I went for a short walk at lunchtime and it helped more than I expected.",
    "Some days are heavier than others, and today was one of the heavy ones.",
    "Writing things down before bed has made the mornings a little easier.",
    "My sister phoned and we talked about nothing in particular, which was nice.",
    "I keep reminding myself that small steps still count.",
    "Work has been busy, and I have been trying to leave on time.",
    "I made a proper breakfast for the first time in weeks.",
    "The breathing exercise from the last thread actually worked for me.",
    "I don't really have advice, but I recognise a lot of this.",
    "Thank you for writing this; it made me feel less alone.",
    "I have an appointment with my GP next week and feel nervous about it.",
    "Tea, a blanket and a podcast got me through the afternoon.",
    "It's okay to take things one hour at a time.",
    "I noticed I was being really hard on myself and tried to stop.",
    "The weather turned cold, so I stayed in and read.",
    "I'm proud of you for posting this.",
]
LISTS = [
    "Things that helped me:\n\n- a regular bedtime\n- less news after 8pm\n- **one** kind thing a day",
    "My plan for tomorrow:\n\n1. get up at the same time\n2. go outside for *ten minutes*\n3. text a friend",
]
LINKS = [
    "There's a gentle guide on sleep at [the NHS site](https://www.nhs.uk/every-mind-matters/).",
    "I found [this page](https://www.mind.org.uk/) useful when I was struggling to explain it.",
]

HOLD_REASON = "bench: held for review"
HOLD_NOTICE = "Thanks for posting. A guide will look at this soon; it's only visible to you for now."
HIDDEN_REASON = "Hidden by a guide: it included details that could upset others."

COPY_CHUNK = 20_000


class Progress:
    """A one-line text progress bar on stderr with rate and ETA."""

    def __init__(self, label: str, total: int, stream=None) -> None:
        self.label = label
        self.total = max(total, 1)
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.last_print = 0.0
        self.done = 0
        self.interactive = getattr(self.stream, "isatty", lambda: False)()

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.last_print >= (0.2 if self.interactive else 5.0) or self.done >= self.total:
            self.last_print = now
            self._print(now)
            self.last_print = now or 1e-9

    def _print(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-6)
        rate = self.done / elapsed
        fraction = min(self.done / self.total, 1.0)
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        width = 30
        bar = "#" * int(fraction * width) + "." * (width - int(fraction * width))
        line = (
            f"{self.label:<12} [{bar}] {fraction:6.1%} {self.done:>10,}/{self.total:,} "
            f"{rate:>9,.0f}/s  elapsed {elapsed:6.1f}s  ETA {eta:6.1f}s"
        )
        self.stream.write(("\r" + line) if self.interactive else line + "\n")
        self.stream.flush()

    def finish(self) -> float:
        elapsed = time.monotonic() - self.started
        if self.done < self.total or self.last_print == 0.0:
            self.done = max(self.done, self.total)
            self._print(time.monotonic())
        if self.interactive:
            self.stream.write("\n")
        return elapsed


# Writing rows.


_escaped: dict[str, str] = {}


def _copy_value(value) -> str:
    """One field in COPY's text format. Long strings (the reused bodies) are escaped once."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if len(text) > 120:
        cached = _escaped.get(text)
        if cached is None:
            cached = _escaped[text] = _copy_escape(text)
        return cached
    return _copy_escape(text)


def _copy_escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


class RowWriter:
    """Buffers rows for one table and flushes them with COPY (PostgreSQL) or executemany."""

    def __init__(self, cursor, model, columns: list[str], progress: Progress | None = None) -> None:
        self.cursor = cursor
        self.table = model._meta.db_table
        self.columns = columns
        self.progress = progress
        self.rows: list[tuple] = []
        self.count = 0
        self.postgres = connection.vendor == "postgresql"

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= COPY_CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        qn = connection.ops.quote_name
        columns = ", ".join(qn(c) for c in self.columns)
        if self.postgres:
            buffer = io.StringIO()
            buffer.writelines("\t".join(_copy_value(v) for v in row) + "\n" for row in self.rows)
            buffer.seek(0)
            self.cursor.copy_expert(f"COPY {qn(self.table)} ({columns}) FROM STDIN", buffer)
        else:
            adapt = connection.ops.adapt_datetimefield_value
            rows = [tuple(adapt(v) if isinstance(v, datetime) else v for v in row) for row in self.rows]
            marks = ", ".join(["%s"] * len(self.columns))
            self.cursor.executemany(f"INSERT INTO {qn(self.table)} ({columns}) VALUES ({marks})", rows)
        self.count += len(self.rows)
        if self.progress:
            self.progress.advance(len(self.rows))
        self.rows = []


# The command.


def _bench_users_sql() -> str:
    table = connection.ops.quote_name(get_user_model()._meta.db_table)
    return (
        f"SELECT id FROM {table} WHERE pseudonym LIKE 'bench\\_%' ESCAPE '\\' "
        f"AND email LIKE '%@{BENCH_EMAIL_DOMAIN}'"
    )


def bench_users():
    return get_user_model().objects.filter(
        pseudonym__startswith=BENCH_PREFIX, email__endswith="@" + BENCH_EMAIL_DOMAIN
    )


def lognormal_sizes(rng: random.Random, count: int, total: int, sigma: float, cap: int) -> list[int]:
    """``count`` non-negative integers summing to ``total``, log-normally skewed, each <= cap."""
    if count == 0:
        return []
    weights = [min(rng.lognormvariate(0.0, sigma), 1e9) for _ in range(count)]
    scale = total / sum(weights)
    sizes = [min(int(w * scale), cap) for w in weights]
    remainder = total - sum(sizes)
    # Hand out what rounding and the cap left over, one at a time, to random threads with room.
    while remainder > 0:
        index = rng.randrange(count)
        if sizes[index] < cap:
            step = min(remainder, cap - sizes[index], max(1, remainder // count))
            sizes[index] += step
            remainder -= step
    return sizes


class Command(BaseCommand):
    help = "Generate a large, deterministic benchmark data set (bench_* members, threads and posts)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--posts", type=int, default=1_000_000, help="Total posts, openings included.")
        parser.add_argument("--threads", type=int, default=50_000)
        parser.add_argument("--members", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--days", type=int, default=365, help="Threads are spread over this many days before --end."
        )
        parser.add_argument(
            "--end",
            default=None,
            help="ISO time the data ends at (default: now, to the minute). Fix it for identical runs.",
        )
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Shared password of bench members.")
        parser.add_argument("--reactions", type=float, default=0.3, help="Reactions per post, on average.")
        parser.add_argument("--reset", action="store_true", help="Delete the bench data set first.")

    def handle(self, *args, **options) -> None:
        posts, threads, members = options["posts"], options["threads"], options["members"]
        if threads < 1 or members < 1 or posts < threads:
            raise CommandError("Need at least one thread and one member, and --posts >= --threads.")
        if members > 999_999:
            raise CommandError("At most 999,999 members (pseudonyms have six digits).")
        end = self._parse_end(options["end"])
        started = time.monotonic()
        if options["reset"]:
            self.reset()
        elif bench_users().exists():
            raise CommandError(
                "A bench data set already exists in this database. Use --reset to delete it and seed again."
            )
        counts = self.seed(
            posts=posts,
            threads=threads,
            members=members,
            seed=options["seed"],
            end=end,
            days=options["days"],
            password=options["password"],
            reactions_per_post=options["reactions"],
        )
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{value:,} {name}" for name, value in counts.items())
        self.stdout.write(f"Seeded {summary} in {elapsed:.1f}s.")

    @staticmethod
    def _parse_end(value: str | None) -> datetime:
        if not value:
            return timezone.now().replace(second=0, microsecond=0)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(f"--end must be an ISO date-time, not {value!r}.") from exc
        return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)

    # Removing a bench data set.

    def reset(self) -> None:
        """Delete bench users, their threads (with every post in them), bench spaces, and whatever
        points at those rows (reactions, notifications, risk assessments...), in one transaction.

        Foreign keys are deferred (Django creates them DEFERRABLE INITIALLY DEFERRED), so rows
        are collected first, into temporary id tables, then deleted table by table.
        """
        started = time.monotonic()
        qn = connection.ops.quote_name
        user_model = get_user_model()
        thread_table, post_table, space_table = (qn(m._meta.db_table) for m in (Thread, Post, Space))
        roots = {
            user_model: _bench_users_sql(),
            Space: f"SELECT id FROM {space_table} WHERE slug LIKE 'bench-%'",
        }
        from django.apps import apps

        models = apps.get_models(include_auto_created=True)
        doomed: dict = {}
        deleted: dict[str, int] = {}
        with transaction.atomic(), connection.cursor() as cursor:

            def doom(model, select_sql: str) -> int:
                table = f"bench_doomed_{model._meta.db_table}"
                if model not in doomed:
                    pk_type = model._meta.pk.rel_db_type(connection)
                    cursor.execute(f"CREATE TEMPORARY TABLE {qn(table)} (id {pk_type} PRIMARY KEY)")
                    doomed[model] = table
                cursor.execute(
                    f"INSERT INTO {qn(table)} (id) SELECT DISTINCT s.id FROM ({select_sql}) s "
                    f"WHERE s.id NOT IN (SELECT id FROM {qn(table)})"
                )
                return cursor.rowcount

            for model, sql in roots.items():
                doom(model, sql)
            doom(Thread, f"SELECT id FROM {thread_table} WHERE author_id IN ({_bench_users_sql()})")
            # Every post in a bench thread, whoever wrote it (load tests reply as bench members).
            doom(
                Post,
                f"SELECT id FROM {post_table} WHERE thread_id IN (SELECT id FROM {qn(doomed[Thread])})",
            )
            # Anything else that points at a doomed row goes too (or is unlinked, if SET_NULL),
            # until nothing new turns up.
            changed = True
            while changed:
                changed = False
                for model in models:
                    if model._meta.proxy or not model._meta.managed:
                        continue
                    for field in model._meta.concrete_fields:
                        if not isinstance(field, ForeignKey):
                            continue
                        target = field.remote_field.model
                        if target not in doomed or field.remote_field.on_delete.__name__ == "SET_NULL":
                            continue
                        if model in (Thread, Post) and field.name in ("opening_post", "state_changed_by"):
                            continue  # handled by the thread/post sets and unlinking below
                        column = qn(field.column)
                        pk = qn(model._meta.pk.column)
                        select = (
                            f"SELECT {pk} AS id FROM {qn(model._meta.db_table)} "
                            f"WHERE {column} IN (SELECT id FROM {qn(doomed[target])})"
                        )
                        if doom(model, select) > 0:
                            changed = True
            # Unlink SET_NULL references and moderator marks on surviving rows.
            for model in models:
                if model._meta.proxy or not model._meta.managed:
                    continue
                for field in model._meta.concrete_fields:
                    if not isinstance(field, ForeignKey) or field.remote_field.model not in doomed:
                        continue
                    if field.remote_field.on_delete.__name__ == "SET_NULL" or (
                        model is Post and field.name == "state_changed_by"
                    ):
                        ids = qn(doomed[field.remote_field.model])
                        cursor.execute(
                            f"UPDATE {qn(model._meta.db_table)} SET {qn(field.column)} = NULL "
                            f"WHERE {qn(field.column)} IN (SELECT id FROM {ids})"
                        )
            for model, table in doomed.items():
                cursor.execute(
                    f"DELETE FROM {qn(model._meta.db_table)} "
                    f"WHERE {qn(model._meta.pk.column)} IN (SELECT id FROM {qn(table)})"
                )
                if cursor.rowcount:
                    deleted[model._meta.label] = cursor.rowcount
            for table in doomed.values():
                cursor.execute(f"DROP TABLE {qn(table)}")
        summary = ", ".join(f"{label} {count:,}" for label, count in sorted(deleted.items())) or "nothing"
        self.stdout.write(f"Reset: deleted {summary} in {time.monotonic() - started:.1f}s.")

    # Seeding.

    def seed(
        self,
        *,
        posts: int,
        threads: int,
        members: int,
        seed: int,
        end: datetime,
        days: int,
        password: str,
        reactions_per_post: float,
    ) -> dict[str, int]:
        rng = random.Random(seed)
        user_model = get_user_model()
        postgres = connection.vendor == "postgresql"
        bodies = self._bodies(rng)
        start = end - timedelta(days=days)
        span = (end - start).total_seconds()

        with transaction.atomic(), connection.cursor() as cursor:
            spaces = self._spaces()
            next_user = self._next_id(cursor, user_model)
            next_thread = self._next_id(cursor, Thread)
            next_post = self._next_id(cursor, Post)
            next_reaction = self._next_id(cursor, Reaction)
            next_subscription = self._next_id(cursor, Subscription)
            dropped = self._drop_indexes(cursor) if postgres else []

            # Members: one hash for everyone, joined long before they post (no new-member limits).
            hashed = make_password(password)
            member_ids = list(range(next_user, next_user + members))
            guide_ids = list(range(next_user + members, next_user + members + GUIDE_COUNT))
            joined = start - timedelta(days=30)
            progress = Progress("members", members + GUIDE_COUNT)
            writer = RowWriter(
                cursor,
                user_model,
                [
                    "id",
                    "password",
                    "last_login",
                    "is_superuser",
                    "pseudonym",
                    "email",
                    "role",
                    "region",
                    "is_active",
                    "is_staff",
                    "date_joined",
                    "organisation_id",
                ],
                progress,
            )
            region = user_model._meta.get_field("region").default
            for number, uid in enumerate(member_ids, start=1):
                name = f"bench_member_{number:06d}"
                joined_at = joined + timedelta(seconds=rng.random() * span / 2)
                email = f"{name}@{BENCH_EMAIL_DOMAIN}"
                writer.add(
                    (uid, hashed, None, False, name, email, "member", region, True, False, joined_at, None)
                )
            for number, uid in enumerate(guide_ids, start=1):
                name = f"bench_guide_{number:03d}"
                email = f"{name}@{BENCH_EMAIL_DOMAIN}"
                writer.add(
                    (uid, hashed, None, False, name, email, "guide", region, True, False, joined, None)
                )
            writer.flush()
            progress.finish()

            # Activity is skewed: a member's weight falls off like a Zipf distribution.
            cumulative: list[float] = []
            total_weight = 0.0
            for rank in range(members):
                total_weight += 1.0 / (rank + 10) ** 0.8
                cumulative.append(total_weight)
            order = member_ids[:]
            rng.shuffle(order)

            def pick_member() -> int:
                return order[bisect.bisect_left(cumulative, rng.random() * total_weight)]

            # Threads: created uniformly over the window, ids in time order.
            space_cum = []
            acc = 0
            for weight in SPACE_WEIGHTS[: len(spaces)]:
                acc += weight
                space_cum.append(acc)
            created = sorted(rng.random() * span for _ in range(threads))
            replies = lognormal_sizes(rng, threads, posts - threads, sigma=1.6, cap=20_000)
            progress = Progress("threads", threads)
            writer = RowWriter(
                cursor,
                Thread,
                [
                    "id",
                    "space_id",
                    "author_id",
                    "title",
                    "opening_post_id",
                    "created_at",
                    "reply_count",
                    "last_activity_at",
                    "first_response_at",
                ],
                progress,
            )
            thread_authors = []
            events: list[tuple[float, int]] = []  # (seconds after start, thread index); opening first
            for index in range(threads):
                author = pick_member()
                thread_authors.append(author)
                space = spaces[bisect.bisect_right(space_cum, rng.random() * acc)]
                title = f"{rng.choice(OPENERS)[:-1]} ({index + 1})"
                at = start + timedelta(seconds=created[index])
                writer.add((next_thread + index, space, author, title, None, at, 0, at, None))
                events.append((created[index], index))
                # Replies arrive soon after, then tail off; big threads run for longer.
                remaining = span - created[index]
                horizon = min(remaining, 3600 * 24 * (2 + 3 * math.log1p(replies[index])))
                for _ in range(replies[index]):
                    events.append((created[index] + 1 + rng.random() ** 2 * horizon, index))
            writer.flush()
            progress.finish()

            # Posts in global time order so ids interleave across threads, as they do in real use.
            events.sort()
            states = (
                [(PostState.HELD, 5), (PostState.HIDDEN, 3), (PostState.REMOVED, 2)],
                1000,
            )
            post_writer = RowWriter(
                cursor,
                Post,
                [
                    "id",
                    "thread_id",
                    "author_id",
                    "is_opening",
                    "body",
                    "body_html",
                    "state",
                    "hold_reason",
                    "author_notice",
                    "hidden_reason",
                    "state_changed_at",
                    "state_changed_by_id",
                    "screened_at",
                    "screening_level",
                    "created_at",
                    "edited_at",
                ],
                Progress("posts", len(events)),
            )
            reaction_writer = RowWriter(cursor, Reaction, ["id", "post_id", "user_id", "kind", "created_at"])
            kinds = ReactionKind.values
            opened = bytearray(threads)
            reaction_id = next_reaction
            for offset, (seconds, index) in enumerate(events):
                pk = next_post + offset
                is_opening = not opened[index]
                opened[index] = 1
                author = thread_authors[index] if is_opening else pick_member()
                at = start + timedelta(seconds=seconds)
                body, body_html = bodies[rng.randrange(len(bodies))]
                state = PostState.PUBLISHED
                roll = rng.randrange(states[1])
                threshold = 0
                for candidate, per_mille in states[0]:
                    threshold += per_mille
                    if roll < threshold and not (is_opening and candidate != PostState.HELD):
                        state = candidate
                        break
                hold_reason = author_notice = hidden_reason = ""
                changed_at = changed_by = None
                if state == PostState.HELD:
                    hold_reason, author_notice = HOLD_REASON, HOLD_NOTICE
                    changed_at = at
                elif state == PostState.HIDDEN:
                    hidden_reason = HIDDEN_REASON
                    changed_at, changed_by = at + timedelta(minutes=30), guide_ids[pk % GUIDE_COUNT]
                elif state == PostState.REMOVED:
                    changed_at, changed_by = at + timedelta(hours=2), author
                level = "low" if state == PostState.HELD else "none"
                screened_at = at + timedelta(seconds=2)
                post_writer.add(
                    (
                        *(pk, next_thread + index, author, is_opening, body, body_html, state, hold_reason),
                        *(author_notice, hidden_reason, changed_at, changed_by, screened_at, level, at, None),
                    )
                )
                if state == PostState.PUBLISHED and rng.random() < reactions_per_post / 1.5:
                    givers = {pick_member() for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))}
                    for giver in sorted(givers):
                        if giver != author:
                            kind = kinds[rng.randrange(len(kinds))]
                            reaction_writer.add((reaction_id, pk, giver, kind, at + timedelta(minutes=5)))
                            reaction_id += 1
            post_writer.flush()
            reaction_writer.flush()
            post_writer.progress.finish()

            # Authors follow their threads.
            writer = RowWriter(cursor, Subscription, ["id", "thread_id", "user_id", "created_at"])
            for index, author in enumerate(thread_authors):
                writer.add((next_subscription + index, next_thread + index, author, start))
            writer.flush()

            self._finish(cursor, first_thread=next_thread, last_thread=next_thread + threads - 1)
            if dropped:
                self._rebuild_indexes(cursor, dropped)
            for statement in connection.ops.sequence_reset_sql(
                no_style(), [user_model, Thread, Post, Reaction, Subscription]
            ):
                cursor.execute(statement)
        self._analyze()
        return {
            "members": members + GUIDE_COUNT,
            "threads": threads,
            "posts": len(events),
            "reactions": reaction_id - next_reaction,
            "subscriptions": threads,
        }

    @staticmethod
    def _bodies(rng: random.Random) -> list[tuple[str, str]]:
        """About 60 bodies of different lengths and shapes, rendered once."""
        bodies = []
        for number in range(60):
            parts = [rng.choice(OPENERS)] if number % 3 == 0 else []
            for _ in range(rng.choice((1, 1, 2, 3, 5))):
                parts.append(" ".join(rng.sample(SENTENCES, rng.randint(1, 4))))
            if number % 7 == 0:
                parts.append(rng.choice(LISTS))
            if number % 11 == 0:
                parts.append(rng.choice(LINKS))
            source = "\n\n".join(parts)
            bodies.append((source, render_markdown(source)))
        return bodies

    @staticmethod
    def _spaces() -> list[int]:
        ids = []
        for position, (slug, name, description) in enumerate(DEMO_SPACES + BENCH_SPACES):
            space, _ = Space.objects.get_or_create(
                slug=slug,
                defaults={"name": name, "description": description, "position": 100 + position},
            )
            ids.append(space.pk)
        return ids

    @staticmethod
    def _next_id(cursor, model) -> int:
        qn = connection.ops.quote_name
        cursor.execute(f"SELECT MAX({qn(model._meta.pk.column)}) FROM {qn(model._meta.db_table)}")
        return (cursor.fetchone()[0] or 0) + 1

    @staticmethod
    def _drop_indexes(cursor) -> list[str]:
        """Drop the secondary indexes and foreign keys of the big tables; return SQL to restore them.

        Rebuilding an index once is much faster than maintaining it row by row, and re-adding a
        foreign key validates it with one join instead of a deferred trigger per row.
        """
        tables = [Post._meta.db_table, Reaction._meta.db_table]
        qn = connection.ops.quote_name
        cursor.execute(
            """
            SELECT t.relname, c.conname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
            WHERE t.relname = ANY(%s) AND c.contype = 'f'
            """,
            [tables],
        )
        restore = []
        for table, name, definition in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
            restore.append(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(i.oid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s) AND NOT x.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
            """,
            [tables],
        )
        for name, definition in cursor.fetchall():
            cursor.execute(f"DROP INDEX {qn(name)}")
            restore.insert(0, definition)
        return restore

    @staticmethod
    def _rebuild_indexes(cursor, restore: list[str]) -> None:
        # CREATE INDEX refuses a table with pending deferred foreign-key checks: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        progress = Progress("indexes+fks", len(restore))
        for statement in restore:
            cursor.execute(statement)
            progress.advance(1)
        progress.finish()

    @staticmethod
    def _finish(cursor, *, first_thread: int, last_thread: int) -> None:
        """Opening posts and counters, set-based, exactly as services would have left them."""
        qn = connection.ops.quote_name
        thread, post = qn(Thread._meta.db_table), qn(Post._meta.db_table)
        progress = Progress("counters", 2)
        cursor.execute(
            f"""
            UPDATE {thread} SET opening_post_id = p.id
            FROM {post} p
            WHERE p.thread_id = {thread}.id AND p.is_opening AND {thread}.id BETWEEN %s AND %s
            """,
            [first_thread, last_thread],
        )
        progress.advance(1)
        published = PostState.PUBLISHED.value
        cursor.execute(
            f"""
            UPDATE {thread} SET
                reply_count = s.reply_count,
                last_activity_at = COALESCE(s.last_activity_at, {thread}.created_at),
                first_response_at = s.first_response_at
            FROM (
                SELECT p.thread_id,
                    COUNT(*) FILTER (WHERE p.state = %s AND NOT p.is_opening) AS reply_count,
                    MAX(p.created_at) FILTER (WHERE p.state = %s) AS last_activity_at,
                    MIN(p.created_at) FILTER (
                        WHERE p.state = %s AND NOT p.is_opening AND p.author_id <> t.author_id
                    ) AS first_response_at
                FROM {post} p JOIN {thread} t ON t.id = p.thread_id
                WHERE t.id BETWEEN %s AND %s
                GROUP BY p.thread_id
            ) s
            WHERE s.thread_id = {thread}.id
            """,
            [published, published, published, first_thread, last_thread],
        )
        progress.advance(1)
        progress.finish()

    @staticmethod
    def _analyze() -> None:
        tables = [get_user_model(), Thread, Post, Reaction, Subscription]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for model in tables:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            else:
                cursor.execute("ANALYZE")
