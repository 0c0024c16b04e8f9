"""A real Celery worker for the worker-kill test (``python -m tests.escalation.stall_worker``).

With ``KINDRED_STALL_MARKER`` set, the worker stalls inside the first imminent risk
assessment, after the assessment, the crisis case and its alerts are written but before the
transaction commits: it writes the marker file (so the test knows where it is) and sleeps until it is killed.
``KINDRED_VISIBILITY_TIMEOUT`` shortens the Redis visibility timeout so an unacknowledged
message is redelivered within seconds instead of minutes.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from config.celery_app import app  # noqa: E402
from escalation import services  # noqa: E402


def _stall_after(original, marker: Path):
    def stalled(**kwargs):
        result = original(**kwargs)
        assessment = kwargs["assessment"]
        if assessment.level != "imminent" or marker.exists():
            return result
        marker.write_text(f"{os.getpid()} {assessment.post_id}")
        time.sleep(600)  # killed here, inside the open transaction
        return result

    return stalled


def main() -> None:
    marker = os.environ.get("KINDRED_STALL_MARKER")
    if marker:
        services.send_risk_assessed = _stall_after(services.send_risk_assessed, Path(marker))
    timeout = float(os.environ.get("KINDRED_VISIBILITY_TIMEOUT", "300"))
    app.conf.broker_transport_options = {**app.conf.broker_transport_options, "visibility_timeout": timeout}
    app.conf.task_always_eager = False
    name = os.environ.get("KINDRED_WORKER_NAME", "stall")
    app.worker_main(
        [
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "-n",
            f"{name}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
    )


if __name__ == "__main__":
    main()
