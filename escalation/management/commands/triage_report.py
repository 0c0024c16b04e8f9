"""Score the engine on labelled JSON lines: ``manage.py triage_report --jsonl FILE [--split heldout]``.

``--semantic`` scores the full assessment instead: the rules' level raised (never lowered) by the
semantic second stage (``escalation.triage.semantic``); it needs torch and the packaged encoder.
"""

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
        parser.add_argument(
            "--semantic",
            action="store_true",
            help="score max(rules level, semantic level): the full assessment's second stage",
        )

    def handle(self, *args, jsonl, split, misses, semantic=False, **options):
        engine = default_engine()
        model = None
        if semantic:
            from escalation.triage import semantic as semantic_stage

            model = semantic_stage.load(threads=None)
            if model is None:
                raise CommandError("the semantic stage is unavailable (torch, encoder or head missing)")
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
        version = engine.version
        if model is not None:
            results = model.assess_many([row["text"] for row in rows])
            for row, result in zip(rows, results, strict=True):
                row["predicted"] = semantic_stage.raise_level(row["predicted"], result)
            version += f"+{model.version}"
        report = evaluate(rows)
        self.stdout.write(f"engine {version}" + (f", split {split}" if split else ""))
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
