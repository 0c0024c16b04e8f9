"""Run the risk triage engine over JSON lines: ``manage.py triage --jsonl FILE`` (or ``-`` for stdin)."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from escalation.triage import default_engine


class JsonlReader:
    """Yields (line_number, row) for good lines; reports each bad one on stderr and counts it."""

    def __init__(self, path, stderr):
        self.path = path
        self.stderr = stderr
        self.errors = 0

    def error(self, number, message):
        self.stderr.write(f"line {number}: {message}")
        self.errors += 1

    def __iter__(self):
        stream = sys.stdin if self.path == "-" else open(self.path, encoding="utf-8")  # noqa: SIM115
        try:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    self.error(number, f"not valid JSON ({exc.msg})")
                    continue
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    self.error(number, 'expected a JSON object with a string "text" field')
                    continue
                yield number, row
        finally:
            if stream is not sys.stdin:
                stream.close()


class Command(BaseCommand):
    help = "Assess each JSON line's text; print the line with level, score, categories and rules added."

    def add_arguments(self, parser):
        parser.add_argument(
            "--jsonl", required=True, help='a JSON-lines file with a "text" field, or - for stdin'
        )

    def handle(self, *args, jsonl, **options):
        engine = default_engine()
        reader = JsonlReader(jsonl, self.stderr)
        try:
            for _number, row in reader:
                result = engine.assess(row["text"]).to_dict()
                out = {**row, **{k: result[k] for k in ("level", "score", "categories", "rules")}}
                out["engine_version"] = result["engine_version"]
                self.stdout.write(json.dumps(out, ensure_ascii=False))
        except OSError as exc:
            raise CommandError(f"cannot read {jsonl}: {exc}") from exc
        if reader.errors:
            self.stderr.write(f"{reader.errors} line(s) skipped")
            sys.exit(1)
