"""Recompute the dashboard rollups for a range of days: ``outcomes_rollup --days 7`` or
``outcomes_rollup --since 2026-01-01 [--until 2026-03-31]``. Recomputing replaces what was there."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from outcomes import rollups

MAX_DAYS = 3660


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"'{value}' is not a date (YYYY-MM-DD).") from error


class Command(BaseCommand):
    help = "Recompute the outcomes rollups (dashboards' daily tables) for recent days or a date range."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, help="The last N complete days (default 2, as nightly).")
        parser.add_argument("--since", type=_date, help="First day to recompute (YYYY-MM-DD).")
        parser.add_argument("--until", type=_date, help="Last day (default: yesterday).")

    def handle(
        self, *args, days: int | None, since: datetime.date | None, until: datetime.date | None, **options
    ):
        if days is not None and since is not None:
            raise CommandError("Give --days or --since, not both.")
        today = timezone.localdate(timezone=ZoneInfo(rollups.default_time_zone()))
        end = until or today - datetime.timedelta(days=1)
        if since is None:
            days = 2 if days is None else days
            if days < 1:
                raise CommandError("--days must be at least 1.")
            since = end - datetime.timedelta(days=days - 1)
        if end < since:
            raise CommandError(f"--until {end} is before --since {since}.")
        if (end - since).days >= MAX_DAYS:
            raise CommandError(f"At most {MAX_DAYS} days at once.")
        result = rollups.rollup_days(start=since, end=end)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rolled up {result.start}..{result.end}: {result.rows} rows in {result.seconds:.1f} s"
            )
        )
