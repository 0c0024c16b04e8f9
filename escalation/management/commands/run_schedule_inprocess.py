"""Run the Celery beat schedule in this process, for the demo (no Redis, no worker, no beat).

With embedded defaults Celery runs tasks eagerly, so there is no beat to drive the safety
timers: the unscreened-post sweeper and the escalation of unacknowledged alerts. README's run
command starts this loop beside the web server so the demo behaves like production. With
``REDIS_URL`` set, run ``celery -A config beat`` instead; this command refuses to start.
"""

from __future__ import annotations

import logging
import time

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
        schedule = {name: float(entry["schedule"]) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}
        tasks = {name: entry["task"] for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}
        next_run = dict.fromkeys(schedule, 0.0)
        self.stdout.write(f"Running {len(schedule)} periodic tasks in-process: {', '.join(tasks.values())}")
        while True:
            now = time.monotonic()
            for name, due in next_run.items():
                if due > now:
                    continue
                try:
                    app.tasks[tasks[name]].apply()
                except Exception:
                    logger.exception("periodic task %s failed", tasks[name])
                next_run[name] = now + schedule[name]
            if once:
                return
            time.sleep(max(0.5, min(next_run.values()) - time.monotonic()))
