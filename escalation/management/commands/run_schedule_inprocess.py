"""Run the Celery beat schedule in this process, for the demo (no Redis, no worker, no beat).

With embedded defaults Celery runs tasks eagerly, so there is no beat to drive the safety
timers: the unscreened-post sweeper and the escalation of unacknowledged alerts. README's run
command starts this loop beside the web server so the demo behaves like production. With
``REDIS_URL`` set, run ``celery -A config beat`` instead; this command refuses to start.
"""

from __future__ import annotations

import logging
import time

from celery.schedules import schedule as interval_schedule
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.celery_app import app

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run CELERY_BEAT_SCHEDULE's tasks in-process (demo only, when tasks run eagerly)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every due task once and exit.")

    def handle(self, *args, once: bool = False, **options) -> None:
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("Celery has a broker here: run `celery -A config beat` instead.")
        app.loader.import_default_modules()  # autodiscover every app's tasks.py
        entries = settings.CELERY_BEAT_SCHEDULE
        schedules = {name: _as_schedule(entry["schedule"]) for name, entry in entries.items()}
        # Interval tasks run once at start (as beat does); crontab tasks wait for their time.
        last_run = {
            name: None if isinstance(sched, interval_schedule) else app.now()
            for name, sched in schedules.items()
        }
        self.stdout.write(
            f"Running {len(entries)} periodic tasks in-process: "
            f"{', '.join(entry['task'] for entry in entries.values())}"
        )
        while True:
            wait = 60.0
            for name, entry in entries.items():
                sched = schedules[name]
                due, next_in = (
                    (True, sched.run_every.total_seconds())
                    if last_run[name] is None
                    else (sched.is_due(last_run[name]))
                )
                if due:
                    try:
                        app.tasks[entry["task"]].apply(
                            args=entry.get("args", ()), kwargs=entry.get("kwargs", {})
                        )
                    except Exception:
                        logger.exception("periodic task %s failed", entry["task"])
                    last_run[name] = app.now()
                wait = min(wait, next_in)
            if once:
                return
            time.sleep(max(0.5, wait))


def _as_schedule(value):
    """A beat entry's schedule as Celery's schedule object (a number of seconds or a crontab)."""
    if hasattr(value, "is_due"):
        return value
    return interval_schedule(run_every=float(value))
