"""The shape of a commissioner report, shared by the code that computes it and the code that shows it.

``outcomes.reporting`` fills these from the daily rollup tables with exact counts. Nothing in
this shape is fit to show a commissioner yet: ``outcomes.disclosure`` turns a ``Report`` into a
disclosure-controlled copy (small counts hidden, others rounded, secondary suppression, no
percentages for small groups) and only that copy reaches a page, a CSV file or the API.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from enum import StrEnum


class CountKind(StrEnum):
    """What a cell counts. Disclosure control applies to counts of people."""

    PEOPLE = "people"  # distinct members: suppressed, rounded, secondary-suppressed
    EVENTS = "events"  # posts, flags, measures: also rounded and suppressed (events point at people)


@dataclass
class Table:
    """A table of exact counts.

    ``cells[r][c]`` is the count for ``rows[r]`` by ``columns[c]``. ``row_totals``,
    ``column_totals`` and ``grand_total`` are the true totals over the same population when the
    table has them (None when a total is not meaningful, e.g. distinct people across weeks).
    ``denominators`` optionally gives, per row, the group size a rate in that row is taken over
    (used to decide whether a percentage may be shown). ``unavailable[r][c]`` is True for a cell
    that cannot be known yet (e.g. week 12 of a cohort that joined last month): its count is 0
    and it must be shown as "not yet", never as a zero.
    """

    key: str
    title: str
    rows: list[str]
    columns: list[str]
    cells: list[list[int]]
    kind: CountKind = CountKind.PEOPLE
    row_totals: list[int] | None = None
    column_totals: list[int] | None = None
    grand_total: int | None = None
    denominators: list[int] | None = None
    description: str = ""
    unavailable: list[list[bool]] | None = None

    def __post_init__(self) -> None:
        if len(self.cells) != len(self.rows):
            raise ValueError(f"{self.key}: {len(self.cells)} rows of cells for {len(self.rows)} row labels")
        for row in self.cells:
            if len(row) != len(self.columns):
                raise ValueError(f"{self.key}: a row has {len(row)} cells for {len(self.columns)} columns")
        shape = [len(row) for row in self.cells]
        if self.unavailable is not None and [len(row) for row in self.unavailable] != shape:
            raise ValueError(f"{self.key}: unavailable does not have the shape of cells")


@dataclass
class Report:
    """Every table of one dashboard: one organisation (or all, for admins) over a date range."""

    organisation_id: int | None  # None: all organisations (admins only)
    organisation_name: str
    start: datetime.date
    end: datetime.date  # inclusive
    time_zone: str
    tables: list[Table] = field(default_factory=list)
    generated_at: datetime.datetime | None = None
    rollup_through: datetime.date | None = None  # the last day the rollups cover

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)
