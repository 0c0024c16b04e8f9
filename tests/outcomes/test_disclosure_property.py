"""Property: whatever the population, a disclosed table shows no count of 1..7 and no hidden
cell can be worked out from the rows, columns, totals or other periods.

Run both with the default rules and with rounding switched off (ROUND_TO=1), where secondary
suppression alone has to hold the line.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.privacy import SUPPRESSED, DisclosureRules
from outcomes.disclosure import disclose_table
from outcomes.report_types import Table
from tests.outcomes.test_disclosure_checker import recover, shown_values, visible_small_counts

RULES = [
    DisclosureRules(),
    DisclosureRules(min_count=8, round_to=1, min_percentage_group=10),
    DisclosureRules(min_count=5, round_to=10, min_percentage_group=20),
]

# Mostly small numbers: that is where disclosure goes wrong.
counts = st.one_of(st.integers(0, 9), st.integers(0, 9), st.integers(0, 40), st.integers(0, 500))


@st.composite
def tables(draw) -> Table:
    n_rows = draw(st.integers(1, 7))
    n_cols = draw(st.integers(1, 5))
    cells = [[draw(counts) for _ in range(n_cols)] for _ in range(n_rows)]
    with_rows, with_columns = draw(st.booleans()), draw(st.booleans())
    with_grand = draw(st.booleans()) and (with_rows or with_columns)
    denominators = None
    if draw(st.booleans()):
        denominators = [max(row) + draw(st.integers(0, 30)) for row in cells]
    return Table(
        key="generated",
        title="Generated",
        rows=[f"period {r}" for r in range(n_rows)],
        columns=[f"group {c}" for c in range(n_cols)],
        cells=cells,
        row_totals=[sum(row) for row in cells] if with_rows else None,
        column_totals=[sum(row[c] for row in cells) for c in range(n_cols)] if with_columns else None,
        grand_total=sum(map(sum, cells)) if with_grand else None,
        denominators=denominators,
    )


def assert_safe(shown, rules: DisclosureRules) -> None:
    values = list(shown_values(shown).values())
    values += [v for row in shown.percentages or [] for v in row]
    values += shown.group_sizes or []
    assert visible_small_counts(values, rules) == []
    assert recover(shown, rules) == {}, shown


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(), rules=st.sampled_from(RULES))
def test_no_small_count_is_shown_or_recoverable(table, rules):
    shown = disclose_table(table, rules)
    assert_safe(shown, rules)
    # Every small count is hidden, and only hidden values are "*".
    for r, row in enumerate(table.cells):
        for c, value in enumerate(row):
            if 0 < value < rules.min_count:
                assert shown.cells[r][c] == SUPPRESSED
            if value == 0:
                assert shown.cells[r][c] == "0"
    assert shown.suppressed_cells == sum(v == SUPPRESSED for v in shown_values(shown).values())
