"""Disclosure control: the only path from a ``Report`` (exact counts) to anything shown.

Pages, CSV files and the API all take a :class:`DisclosedReport` from :func:`disclose_report`;
none of them ever sees a ``Report``. A disclosed table holds strings only, and a note of how
many cells were hidden; the exact numbers stay behind.

The rules (thresholds from ``accounts.privacy.disclosure_rules()``, i.e. the
``DISCLOSURE_CONTROL`` setting; defaults after NHS Digital's method for sub-national counts):

1. **Primary suppression.** Any count of 1..7 people or events (cell or total) is shown as "*".
   A true zero is shown as 0.
2. **Secondary suppression.** A table's rows, columns and margins are additive "lines": the
   cells of a row add up to its row total, the cells of a column to its column total, the
   column totals to the grand total, the row totals to the grand total (a time series has a
   row per period, so "other periods" are the other cells of its columns). In every line that
   hides anything, at least two members are hidden and at least one of them is a count of
   ``MIN_COUNT`` or more; otherwise the smallest visible nonzero member is hidden as well
   (a total only when no cell can be). This repeats until no line changes, so a hidden cell
   can never be worked out by subtracting the visible members of any line, nor pinned down
   because the hidden members of a line are all small. Finally the pattern is audited: an
   attacker who knows every visible value exactly and that hidden ones are at least 1 narrows
   every hidden value through all lines at once; while any is pinned to one number, the
   smallest visible value next to it is hidden too.
3. **Rounding.** Every count left visible, totals included, is rounded half up to the nearest
   5. Totals are rounded from the true totals, so visible cells need not add up to them.
   Rounding never makes a nonzero count look small or zero (then it is "*").
4. **Percentages** (a row with a ``denominator``) are shown only when the group is at least 10
   and the count itself is shown; they are worked out from the rounded figures, as NHS
   Digital does, so they reveal nothing the counts do not.

Tables without totals (e.g. distinct members per week, which do not add up) have no lines:
they get primary suppression and rounding only.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from accounts.privacy import SUPPRESSED, DisclosureRules, disclose_count, disclosure_rules
from outcomes.report_types import CountKind, Report, Table

logger = logging.getLogger(__name__)

DEFAULT_REPORT_CACHE_SECONDS = 300
NOT_YET = "not yet"  # a cell that cannot be known yet (week 12 of last month's cohort): never a 0

# A position in a table: ("cell", r, c), ("row_total", r), ("column_total", c) or ("grand_total",).
Position = tuple


@dataclass(frozen=True)
class DisclosedTable:
    """A table fit to show: every value is a string ("0", "*", a multiple of 5, "not yet", or "")."""

    key: str
    title: str
    description: str
    kind: CountKind
    rows: list[str]
    columns: list[str]
    cells: list[list[str]]
    row_totals: list[str] | None
    column_totals: list[str] | None
    grand_total: str | None
    group_sizes: list[str] | None  # the disclosed denominators, per row
    percentages: list[list[str]] | None  # per cell: "42%" or "*", when the table has denominators
    suppressed_cells: int  # how many values (cells and totals) are shown as "*"
    secondary_suppressed: int  # of which hidden only to protect others

    @property
    def note(self) -> str:
        if not self.suppressed_cells:
            return ""
        n = self.suppressed_cells
        text = f"{n} value{'s' if n != 1 else ''} hidden"
        if self.secondary_suppressed:
            text += f" ({self.secondary_suppressed} only so that small numbers cannot be worked out)"
        return text + "."

    def has_totals(self) -> bool:
        return self.row_totals is not None or self.column_totals is not None

    @property
    def body_rows(self) -> list[list[str]]:
        """One list per row: label, cells, row total (if any), group size (if any)."""
        rows = self.as_rows()[1:]
        return rows[:-1] if self.column_totals is not None else rows

    @property
    def footer_row(self) -> list[str] | None:
        return self.as_rows()[-1] if self.column_totals is not None else None

    @property
    def rows_with_percentages(self) -> list[tuple[str, list[str]]]:
        return list(zip(self.rows, self.percentages or [], strict=False))

    def as_rows(self) -> list[list[str]]:
        """Header and body as plain rows (CSV, accessible tables): labels, cells, totals, %."""
        header = ["", *self.columns]
        if self.row_totals is not None:
            header.append("Total")
        if self.group_sizes is not None:
            header.append("Group size")
        out = [header]
        for r, label in enumerate(self.rows):
            line = [label, *self.cells[r]]
            if self.row_totals is not None:
                line.append(self.row_totals[r])
            if self.group_sizes is not None:
                line.append(self.group_sizes[r])
            out.append(line)
        if self.column_totals is not None:
            line = ["Total", *self.column_totals]
            if self.row_totals is not None:
                line.append(self.grand_total or "")
            if self.group_sizes is not None:
                line.append("")
            out.append(line)
        return out


@dataclass(frozen=True)
class DisclosedReport:
    organisation_id: int | None
    organisation_name: str
    start: datetime.date
    end: datetime.date
    time_zone: str
    tables: list[DisclosedTable]
    rules: DisclosureRules
    generated_at: datetime.datetime | None = None
    rollup_through: datetime.date | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def legend(self) -> str:
        return self.rules.legend

    def table(self, key: str) -> DisclosedTable:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)


def linked_suppression(
    report: Report, rules: DisclosureRules
) -> tuple[list[tuple[set[Position], set[Position]]], set[tuple[str, int]]]:
    """Each table's (primary, secondary) pattern, hiding a count wherever it is hidden elsewhere.

    One quantity often appears in two tables (members who joined in a week: in registrations
    and in retention), and each table alone may hide it differently; the visible copy would
    give away the hidden one and, through the totals, the small count it protects. Cells with
    the same row label and the same nonzero count are taken to be the same quantity: when one
    is hidden, all are, and each table's secondary suppression then protects them. Repeats until
    nothing changes (hiding more can only add to the set, so this ends). Also returns the
    (row label, count) pairs hidden anywhere (group sizes are checked against them).
    """
    tables = report.tables
    forced: list[set[Position]] = [set() for _ in tables]
    patterns: list[tuple[set[Position], set[Position]]] = [(set(), set()) for _ in tables]
    dirty = set(range(len(tables)))
    while True:
        for index in dirty:
            patterns[index] = suppression_pattern(tables[index], rules, forced[index])
        hidden_counts = {
            (table.rows[p[1]], table.cells[p[1]][p[2]])
            for table, (primary, secondary) in zip(tables, patterns, strict=True)
            for p in primary | secondary
            if p[0] == "cell"
        }
        dirty = set()
        for index, table in enumerate(tables):
            hidden = patterns[index][0] | patterns[index][1]
            for r, row in enumerate(table.cells):
                for c, value in enumerate(row):
                    if value > 0 and ("cell", r, c) not in hidden and (table.rows[r], value) in hidden_counts:
                        forced[index].add(("cell", r, c))
                        dirty.add(index)
        if not dirty:
            return patterns, hidden_counts


def disclose_report(report: Report, rules: DisclosureRules | None = None) -> DisclosedReport:
    rules = rules or disclosure_rules()
    patterns, hidden_counts = linked_suppression(report, rules)
    tables = [
        disclose_table(table, rules, hidden_counts=hidden_counts, pattern=pattern)
        for table, pattern in zip(report.tables, patterns, strict=True)
    ]
    notes = [f"{t.title}: {t.note}" for t in tables if t.note]
    return DisclosedReport(
        organisation_id=report.organisation_id,
        organisation_name=report.organisation_name,
        start=report.start,
        end=report.end,
        time_zone=report.time_zone,
        tables=tables,
        rules=rules,
        generated_at=report.generated_at,
        rollup_through=report.rollup_through,
        notes=notes,
    )


def _values(table: Table) -> dict[Position, int]:
    values: dict[Position, int] = {}
    for r, row in enumerate(table.cells):
        for c, value in enumerate(row):
            values[("cell", r, c)] = value
    if table.row_totals is not None:
        for r, value in enumerate(table.row_totals):
            values[("row_total", r)] = value
    if table.column_totals is not None:
        for c, value in enumerate(table.column_totals):
            values[("column_total", c)] = value
    if table.grand_total is not None:
        values[("grand_total",)] = table.grand_total
    for position, value in values.items():
        if value is None or value < 0:
            raise ValueError(f"{table.key}: {position} is {value!r}; counts are whole numbers >= 0")
    return values


def table_lines(table: Table) -> list[tuple[list[Position], Position]]:
    """The additive relations of a table: (parts, whole), sum(parts) == whole."""
    n_rows, n_cols = len(table.rows), len(table.columns)
    lines: list[tuple[list[Position], Position]] = []
    if table.row_totals is not None:
        for r in range(n_rows):
            lines.append(([("cell", r, c) for c in range(n_cols)], ("row_total", r)))
    if table.column_totals is not None:
        for c in range(n_cols):
            lines.append(([("cell", r, c) for r in range(n_rows)], ("column_total", c)))
    if table.grand_total is not None:
        if table.column_totals is not None:
            lines.append(([("column_total", c) for c in range(n_cols)], ("grand_total",)))
        if table.row_totals is not None:
            lines.append(([("row_total", r) for r in range(n_rows)], ("grand_total",)))
    return lines


def suppression_pattern(
    table: Table, rules: DisclosureRules, forced: Iterable[Position] = ()
) -> tuple[set[Position], set[Position]]:
    """(primary, secondary) positions to hide; ``forced`` positions are hidden too (and protected
    like any other). Deterministic: same table, same pattern."""
    values = _values(table)
    primary = {p for p, v in values.items() if rules.is_small(v) or _rounds_small(v, rules)}
    lines = table_lines(table)
    lines_of: dict[Position, list[int]] = {}
    for index, (parts, whole) in enumerate(lines):
        for position in [*parts, whole]:
            lines_of.setdefault(position, []).append(index)
    # Per line: how many members are hidden, and how many of those are not small.
    hidden_in = [0] * len(lines)
    large_in = [0] * len(lines)
    hidden: set[Position] = set()

    def hide(position: Position) -> None:
        hidden.add(position)
        for index in lines_of.get(position, []):
            hidden_in[index] += 1
            large_in[index] += values[position] >= rules.min_count

    for position in sorted(primary | {p for p in forced if values[p] > 0}):
        hide(position)

    def unsafe(index: int) -> bool:
        return hidden_in[index] > 0 and (hidden_in[index] < 2 or large_in[index] == 0)

    changed = True
    while changed:
        changed = False
        for index, (parts, whole) in enumerate(lines):
            if not unsafe(index):
                continue
            # Hide a visible nonzero cell of the line (a total only when no cell can be): first one
            # that also mends another unsafe line, then the smallest, so as little as possible is lost.
            candidates = [p for p in parts if p not in hidden and values[p] > 0]
            if not candidates and whole not in hidden and values[whole] > 0:
                candidates = [whole]
            if not candidates:
                continue  # every member is hidden or zero: nothing more can be hidden here

            def cost(p: Position, index: int = index) -> tuple:
                mends_another = any(unsafe(other) for other in lines_of[p] if other != index)
                return (not mends_another, values[p], p)

            hide(min(candidates, key=cost))
            changed = True
    _repair(lines, lines_of, values, hidden)
    return primary, hidden - primary


_UNBOUNDED = 10**15


def pinned_positions(
    lines: list[tuple[list[Position], Position]],
    lines_of: dict[Position, list[int]],
    values: dict[Position, int],
    hidden: set[Position],
) -> set[Position]:
    """Hidden positions an attacker could work out exactly from the visible ones.

    The attacker is given every visible value exactly (as if nothing were rounded) and knows a
    hidden value is at least 1; bounds are narrowed through every line until nothing changes
    (a work list: only lines next to a value whose bounds moved are looked at again).
    """
    if not hidden:
        return set()
    bounds = {p: ((1, _UNBOUNDED) if p in hidden else (v, v)) for p, v in values.items()}
    pending = {index for p in hidden for index in lines_of.get(p, [])}
    while pending:
        parts, whole = lines[pending.pop()]
        lows = [bounds[p][0] for p in parts]
        highs = [bounds[p][1] for p in parts]
        sum_low, sum_high = sum(lows), sum(highs)
        w_low, w_high = max(bounds[whole][0], sum_low), min(bounds[whole][1], sum_high)
        moved = []
        if (w_low, w_high) != bounds[whole]:
            bounds[whole] = (w_low, w_high)
            moved.append(whole)
        for p, low, high in zip(parts, lows, highs, strict=True):
            new = (max(low, w_low - (sum_high - high)), min(high, w_high - (sum_low - low)))
            if new != bounds[p]:
                bounds[p] = new
                moved.append(p)
        for p in moved:
            pending.update(lines_of.get(p, []))
    return {p for p in hidden if bounds[p][0] >= bounds[p][1]}


def _repair(
    lines: list[tuple[list[Position], Position]],
    lines_of: dict[Position, list[int]],
    values: dict[Position, int],
    hidden: set[Position],
) -> None:
    """Audit the pattern and hide more until no hidden value can be worked out (in place).

    Each round hides, for every pinned value, the smallest visible value on one of its lines
    (cells before totals), then audits again.
    """
    while pinned := pinned_positions(lines, lines_of, values, hidden):
        chosen = set()
        for position in sorted(pinned):
            candidates = set()
            for index in lines_of.get(position, []):
                parts, whole = lines[index]
                candidates |= {p for p in parts if p not in hidden and values[p] > 0}
                if whole not in hidden and values[whole] > 0:
                    candidates.add(whole)
            if candidates and not candidates & chosen:
                chosen.add(min(candidates, key=lambda p: (p[0] != "cell", values[p], p)))
        if not chosen:
            return  # nothing visible is left next to them; cannot happen with nonzero hidden values
        hidden |= chosen


def _rounds_small(value: int, rules: DisclosureRules) -> bool:
    return value > 0 and rules.rounded(value) < rules.min_count


def _shown(value: int, hidden: bool, rules: DisclosureRules) -> str:
    return SUPPRESSED if hidden else disclose_count(value, rules)


def _percentage(count: str, group: str, exact_group: int, rules: DisclosureRules) -> str:
    if exact_group < rules.min_percentage_group or count == SUPPRESSED or group == SUPPRESSED:
        return SUPPRESSED
    numerator, denominator = int(count), int(group)
    if denominator == 0:
        return SUPPRESSED
    return f"{round(100 * numerator / denominator)}%"


def disclose_table(
    table: Table,
    rules: DisclosureRules | None = None,
    forced: Iterable[Position] = (),
    hidden_counts: set[tuple[str, int]] | None = None,
    pattern: tuple[set[Position], set[Position]] | None = None,
) -> DisclosedTable:
    rules = rules or disclosure_rules()
    values = _values(table)
    primary, secondary = pattern if pattern is not None else suppression_pattern(table, rules, forced)
    hidden = primary | secondary

    def shown(position: Position) -> str:
        return _shown(values[position], position in hidden, rules)

    n_rows, n_cols = len(table.rows), len(table.columns)
    unavailable = table.unavailable or [[False] * n_cols for _ in range(n_rows)]
    cells = [
        [NOT_YET if unavailable[r][c] else shown(("cell", r, c)) for c in range(n_cols)]
        for r in range(n_rows)
    ]
    row_totals = [shown(("row_total", r)) for r in range(n_rows)] if table.row_totals is not None else None
    column_totals = (
        [shown(("column_total", c)) for c in range(n_cols)] if table.column_totals is not None else None
    )
    grand_total = shown(("grand_total",)) if table.grand_total is not None else None

    group_sizes = percentages = None
    if table.denominators is not None:
        if len(table.denominators) != n_rows:
            raise ValueError(f"{table.key}: {len(table.denominators)} denominators for {n_rows} rows")
        # A group size is hidden with the count it equals: retention's group is the week's joiners.
        hidden_here = set(hidden_counts or ()) | {
            (table.rows[p[1]], values[p]) for p in hidden if p[0] == "cell"
        }
        # A group size equal to any value hidden in this table (a total included) is hidden too:
        # some tables take every row's group from the table's own total.
        hidden_values = {values[p] for p in hidden}
        group_sizes = [
            SUPPRESSED
            if d > 0 and ((table.rows[r], d) in hidden_here or d in hidden_values)
            else disclose_count(d, rules)
            for r, d in enumerate(table.denominators)
        ]
        percentages = [
            [
                NOT_YET
                if unavailable[r][c]
                else _percentage(cells[r][c], group_sizes[r], table.denominators[r], rules)
                for c in range(n_cols)
            ]
            for r in range(n_rows)
        ]
    return DisclosedTable(
        key=table.key,
        title=table.title,
        description=table.description,
        kind=table.kind,
        rows=list(table.rows),
        columns=list(table.columns),
        cells=cells,
        row_totals=row_totals,
        column_totals=column_totals,
        grand_total=grand_total,
        group_sizes=group_sizes,
        percentages=percentages,
        suppressed_cells=len(hidden),
        secondary_suppressed=len(secondary),
    )


def report_cache_seconds() -> int:
    return int(getattr(settings, "OUTCOMES_REPORT_CACHE_SECONDS", DEFAULT_REPORT_CACHE_SECONDS))


def _report_cache_key(
    organisation_id: int | None, start: datetime.date, end: datetime.date, rules: DisclosureRules
) -> str:
    """Names one disclosed report of one rollup generation: any rollup run (nightly or on demand)
    records a new ``RollupRun``, so its figures are looked up afresh. The database's name keeps
    two databases behind one cache (test workers, staging) apart."""
    from outcomes.models import RollupRun

    latest = RollupRun.objects.order_by("-pk").values_list("pk", "finished_at").first()
    generation = f"{latest[0]}@{latest[1].isoformat()}" if latest else "none"
    raw = "|".join(
        [
            connection.settings_dict["NAME"] or "",
            str(organisation_id),
            str(start),
            str(end),
            generation,
            repr(rules),
        ]
    )
    return "outcomes:report:v1:" + hashlib.sha256(raw.encode()).hexdigest()


def disclosed_organisation_report(
    *, organisation_id: int | None, start: datetime.date, end: datetime.date
) -> DisclosedReport:
    """The report pages, CSV and API show: computed from the rollups, then disclosure-controlled.

    The disclosed report (never the exact one) is cached for ``OUTCOMES_REPORT_CACHE_SECONDS``
    (default 300; 0 turns it off) per rollup generation, so a dashboard opened again, or its CSV
    after the page, costs one query. Outcomes read measure responses directly, so a measure
    completed since may take that long to appear. A cache that fails is logged and skipped:
    the report is then worked out as if there were none.
    """
    from outcomes.reporting import organisation_report

    def compute() -> DisclosedReport:
        return disclose_report(organisation_report(organisation_id=organisation_id, start=start, end=end))

    seconds = report_cache_seconds()
    if seconds <= 0:
        return compute()
    key = _report_cache_key(organisation_id, start, end, disclosure_rules())
    try:
        cached = cache.get(key)
    except Exception:
        logger.warning("Report cache unavailable; working the report out", exc_info=True)
        return compute()
    if cached is not None:
        return cached
    report = compute()
    try:
        cache.set(key, report, seconds)
    except Exception:
        logger.warning("Could not store a report in the cache", exc_info=True)
    return report
