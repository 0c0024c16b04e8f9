"""Score the engine on labelled JSON lines: ``manage.py triage_report --jsonl FILE [--split heldout]``."""

import sys

from django.core.management.base import BaseCommand, CommandError

from escalation.management.commands.triage import JsonlReader
from escalation.triage import LEVELS, default_engine
from escalation.triage.evaluation import evaluate


class Command(BaseCommand):
    help = (
        "Per-level precision/recall, macro-F1, urgent recall/precision, idiom false alarms, confusion matrix."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--jsonl", required=True, help='labelled JSON lines ("text", "level"), or - for stdin'
        )
        parser.add_argument("--split", help='only rows whose "split" equals this (e.g. dev, heldout)')
        parser.add_argument("--misses", action="store_true", help="also list every post rated differently")

    def handle(self, *args, jsonl, split, misses, **options):
        engine = default_engine()
        rows = []
        reader = JsonlReader(jsonl, self.stderr)
        try:
            for number, row in reader:
                if split and row.get("split") != split:
                    continue
                if row.get("level") not in LEVELS:
                    reader.error(number, f"missing or unknown expected level {row.get('level')!r}")
                    continue
                rows.append({**row, "predicted": engine.assess(row["text"]).level})
        except OSError as exc:
            raise CommandError(f"cannot read {jsonl}: {exc}") from exc
        if not rows:
            raise CommandError("no labelled rows to score")
        report = evaluate(rows)
        self.stdout.write(f"engine {engine.version}" + (f", split {split}" if split else ""))
        self.stdout.write(report.as_text())
        if misses:
            self.stdout.write("\nmisses:")
            for miss in report.misses:
                text = miss["text"] if len(miss["text"]) <= 160 else "..." + miss["text"][-157:]
                self.stdout.write(
                    f"{miss['id']}\t{miss['level']} -> {miss['predicted']}\t{miss['tags']}\t{text}"
                )
        if reader.errors:
            sys.exit(1)
