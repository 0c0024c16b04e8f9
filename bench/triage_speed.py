"""Triage engine speed on one core: posts per second and p50/p99 per post.

    .venv/bin/python bench/triage_speed.py [--posts 20000] [--reference]

Runs pinned to one core. ``--reference`` measures the slow word-by-word path the fast reader is
tested against (same decisions), for a before/after comparison on the same machine and load.

Typical posts (80-150 words) are built from the development set's short posts plus neutral
sentences, so the mix of risk and ordinary text is realistic. Measures and prints; never fails.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from escalation.triage import Engine  # noqa: E402

FILLER = (
    "I went to the shop after work and the queue was long. My sister phoned about the weekend. "
    "The bus was late again so I walked part of the way. I have been trying to cook more and sleep earlier. "
    "Work has been busy and my manager keeps adding meetings. The weather turned cold this week. "
)


def typical_posts(count: int, seed: int = 7) -> list[str]:
    rows = [
        json.loads(line) for line in (ROOT / "escalation/triage/data/devset.jsonl").open(encoding="utf-8")
    ]
    short = [r["text"] for r in rows if len(r["text"].split()) < 80]
    rng = random.Random(seed)
    filler = FILLER.split(". ")
    posts = []
    for _ in range(count):
        parts = [rng.choice(short)]
        while len(" ".join(parts).split()) < rng.randint(80, 150):
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(filler) + ".")
        posts.append(" ".join(parts))
    return posts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--reference", action="store_true", help="time the word-by-word reference path")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    started = time.perf_counter()
    engine = Engine()
    build = time.perf_counter() - started
    posts = typical_posts(args.posts)
    reference = args.reference

    def assess(text):
        return engine.assess(text, reference=reference)

    for post in posts[:200]:  # warm the normaliser's caches as a running server would
        assess(post)
    # CPU time of this process: what one core delivers, even when other work shares the machine.
    timings = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for post in posts:
        t0 = time.thread_time()
        assess(post)
        timings.append(time.thread_time() - t0)
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    timings.sort()
    words = statistics.mean(len(p.split()) for p in posts)
    path = "reference (word-by-word) path" if reference else "fast path"
    print(f"engine {engine.version}, {path}; built in {build * 1000:.0f} ms")
    print(f"{len(posts)} posts, mean {words:.0f} words")
    print(
        f"throughput: {len(posts) / cpu:,.0f} posts/s per CPU-second ({len(posts) / total:,.0f}/s wall clock)"
    )
    p50, p99 = timings[len(timings) // 2], timings[int(len(timings) * 0.99)]
    print(f"per post (CPU): p50 {p50 * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us")
    long_post = " ".join([FILLER] * 170) + " I'm going to end it tonight."
    long_times = []
    for _ in range(5):
        t0 = time.thread_time()
        level = assess(long_post).level
        long_times.append(time.thread_time() - t0)
    print(
        f"{len(long_post.split()):,}-word post (CPU): first {long_times[0] * 1000:.1f} ms, "
        f"median {statistics.median(long_times) * 1000:.1f} ms, level {level}"
    )


if __name__ == "__main__":
    main()
