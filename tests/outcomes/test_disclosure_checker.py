"""An attacker for disclosed tables, and proof that it can succeed against weak suppression.

``recover`` reads only what a commissioner sees (strings: "0", "*", rounded counts) and the
published rules, and tries to work out hidden cells by linear differences: every row, column
and margin of a table with totals is an equation ``sum(parts) == whole``; each shown value is
an interval (a rounded 10 is 8..12; "*" is 1..anything; "0" is 0), and the intervals are
narrowed through every equation until nothing changes. A hidden value whose interval shrinks
to one number has been recovered. Other test modules import ``recover`` and
``visible_small_counts`` and assert that they find nothing.
"""

from __future__ import annotations

from accounts.privacy import SUPPRESSED, DisclosureRules
from outcomes.disclosure import NOT_YET, DisclosedTable, table_lines
from outcomes.report_types import Table

UNBOUNDED = 10**12


def shown_values(table: DisclosedTable) -> dict[tuple, str]:
    shown: dict[tuple, str] = {}
    for r, row in enumerate(table.cells):
        for c, value in enumerate(row):
            shown[("cell", r, c)] = value
    for r, value in enumerate(table.row_totals or []):
        shown[("row_total", r)] = value
    for c, value in enumerate(table.column_totals or []):
        shown[("column_total", c)] = value
    if table.grand_total is not None:
        shown[("grand_total",)] = table.grand_total
    return shown


def interval(value: str, rules: DisclosureRules) -> tuple[int, int]:
    if value == SUPPRESSED:
        return 1, UNBOUNDED
    if value == NOT_YET:
        return 0, 0  # counted as 0 in every total
    number = int(value)
    if number == 0:
        return 0, 0
    low = max(rules.min_count, number - rules.round_to // 2)
    high = number + rules.round_to - 1 - rules.round_to // 2
    return low, high


def _structure(table: DisclosedTable) -> Table:
    """An all-zero Table of the same shape, only to name its additive lines."""
    n_rows, n_cols = len(table.rows), len(table.columns)
    return Table(
        key=table.key,
        title=table.title,
        rows=table.rows,
        columns=table.columns,
        cells=[[0] * n_cols for _ in range(n_rows)],
        row_totals=[0] * n_rows if table.row_totals is not None else None,
        column_totals=[0] * n_cols if table.column_totals is not None else None,
        grand_total=0 if table.grand_total is not None else None,
    )


def recover(table: DisclosedTable, rules: DisclosureRules) -> dict[tuple, int]:
    """Hidden positions whose value the attacker pins down exactly: {position: value}."""
    shown = shown_values(table)
    bounds = {p: interval(v, rules) for p, v in shown.items()}
    lines = table_lines(_structure(table))
    for _ in range(500):
        changed = False
        for parts, whole in lines:
            lows = [bounds[p][0] for p in parts]
            highs = [bounds[p][1] for p in parts]
            sum_low, sum_high = sum(lows), sum(highs)
            w_low, w_high = bounds[whole]
            new_whole = (max(w_low, sum_low), min(w_high, sum_high))
            if new_whole != bounds[whole]:
                bounds[whole] = new_whole
                changed = True
            w_low, w_high = bounds[whole]
            for p, low, high in zip(parts, lows, highs, strict=True):
                new = (max(low, w_low - (sum_high - high)), min(high, w_high - (sum_low - low)))
                if new != bounds[p]:
                    bounds[p] = new
                    changed = True
        if not changed:
            break
    for position, (low, high) in bounds.items():
        assert low <= high, f"inconsistent disclosure at {position}: {low}..{high}"
    return {p: bounds[p][0] for p, v in shown.items() if v == SUPPRESSED and bounds[p][0] == bounds[p][1]}


def visible_small_counts(values, rules: DisclosureRules) -> list[str]:
    """Shown strings that are a count from 1 to MIN_COUNT - 1."""
    small = []
    for value in values:
        text = str(value).strip()
        if text.isdigit() and 0 < int(text) < rules.min_count:
            small.append(text)
    return small


# The checker itself must be able to win, or the property tests that use it prove nothing.

EXACT = DisclosureRules(min_count=8, round_to=1, min_percentage_group=10)


def _primary_only(cells, row_totals, column_totals, grand_total, rules=EXACT) -> DisclosedTable:
    def show(v):
        return SUPPRESSED if 0 < v < rules.min_count else str(v)

    return DisclosedTable(
        key="t",
        title="t",
        description="",
        kind="people",
        rows=[f"r{i}" for i in range(len(cells))],
        columns=[f"c{i}" for i in range(len(cells[0]))],
        cells=[[show(v) for v in row] for row in cells],
        row_totals=[show(v) for v in row_totals],
        column_totals=[show(v) for v in column_totals],
        grand_total=show(grand_total),
        group_sizes=None,
        percentages=None,
        suppressed_cells=0,
        secondary_suppressed=0,
    )


def test_checker_recovers_a_lone_hidden_cell_from_its_row_total():
    table = _primary_only([[3, 20], [10, 12]], [23, 22], [13, 32], 45)
    assert recover(table, EXACT) == {("cell", 0, 0): 3}


def test_checker_recovers_two_small_cells_whose_sum_is_pinned():
    # 1 + 1 == 2: both hidden cells of the row must be 1.
    table = _primary_only([[1, 1, 30]], [32], [1, 1, 30], 32)
    assert recover(table, EXACT) == {
        ("cell", 0, 0): 1,
        ("cell", 0, 1): 1,
        ("column_total", 0): 1,
        ("column_total", 1): 1,
    }


def test_checker_chains_through_margins():
    # The hidden row total is the grand total minus the other row totals, then the cell follows.
    table = _primary_only([[5, 0], [20, 30]], [5, 50], [25, 30], 55)
    recovered = recover(table, EXACT)
    assert recovered[("row_total", 0)] == 5
    assert recovered[("cell", 0, 0)] == 5


def test_checker_uses_rounding_intervals():
    rules = DisclosureRules(min_count=8, round_to=5, min_percentage_group=10)
    # Shown "10" means 8..12; a hidden cell next to it in a row totalling exactly 0 cannot exist,
    # but a "0" total pins everything in the row to zero.
    table = _primary_only([[0, 0]], [0], [0, 0], 0, rules)
    assert recover(table, rules) == {}
    assert interval("10", rules) == (8, 12)
    assert interval("0", rules) == (0, 0)
    assert interval(SUPPRESSED, rules)[0] == 1


def test_visible_small_counts():
    assert visible_small_counts(["0", "*", "10", "7", " 3 ", "15%", "8"], EXACT) == ["7", "3"]
