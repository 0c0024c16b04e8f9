"""The Celery application, and the check that every queue a task can be sent to has a worker.

Without ``REDIS_URL`` the settings make every task run eagerly, in-process, so the demo and
the test suite need no broker; with it, real workers consume from Redis.

Tasks are routed to named queues (``CELERY_TASK_ROUTES``). A task sent to a queue that no
worker consumes waits there forever without an error: on the safety path that is a crisis
nobody is told about. ``unconsumed_queues`` names such queues, for a list of worker command
lines (the deployment's, checked by a test) or for the workers alive right now
(``live_unconsumed_queues``, for a health check).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("kindred")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def declared_queues(celery: Celery = app) -> set[str]:
    """The queues a worker started without ``-Q`` consumes."""
    queues = celery.conf.task_queues
    if not queues:
        return {celery.conf.task_default_queue}
    return {queue.name for queue in queues}


def routed_queues(celery: Celery = app) -> set[str]:
    """Every queue a task can be published to: the default queue and each route's."""
    names = {celery.conf.task_default_queue}
    routes = celery.conf.task_routes or {}
    if isinstance(routes, dict):
        routes = [routes]
    for router in routes:
        if not isinstance(router, dict):
            raise TypeError("only dict task routes can be checked for a consuming worker")
        for route in router.values():
            names.add(route if isinstance(route, str) else route["queue"])
    return names


def _option_values(argv: Sequence[str], short: str, long: str) -> list[str] | None:
    """The comma-separated values of ``-Q a,b`` / ``-Qa,b`` / ``--queues a,b`` / ``--queues=a,b``."""
    found: list[str] | None = None
    args = list(argv)
    for i, arg in enumerate(args):
        value = None
        if arg in (short, long) and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(long + "="):
            value = arg.split("=", 1)[1]
        elif arg.startswith(short) and len(arg) > len(short) and not arg.startswith("--"):
            value = arg[len(short) :]
        if value is not None:
            found = (found or []) + [name.strip() for name in value.split(",") if name.strip()]
    return found


def worker_command_queues(argv: Sequence[str], celery: Celery = app) -> set[str]:
    """The queues ``celery ... worker <argv>`` consumes: ``-Q`` (else every declared queue) minus ``-X``."""
    queues = _option_values(argv, "-Q", "--queues")
    consumed = set(queues) if queues is not None else declared_queues(celery)
    return consumed - set(_option_values(argv, "-X", "--exclude-queues") or [])


def unconsumed_queues(consumed: Iterable[str], celery: Celery = app) -> set[str]:
    """Queues a task can be sent to (or a worker is told to expect) that nobody in ``consumed`` reads."""
    return (routed_queues(celery) | declared_queues(celery)) - set(consumed)


def live_unconsumed_queues(celery: Celery = app, *, timeout: float = 2.0) -> set[str]:
    """``unconsumed_queues`` for the workers that answer right now (all of them when none answers)."""
    replies = celery.control.inspect(timeout=timeout).active_queues() or {}
    consumed = {queue["name"] for queues in replies.values() for queue in queues or []}
    return unconsumed_queues(consumed, celery)
