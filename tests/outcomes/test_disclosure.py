"""Disclosure control against hand-computed cases."""

import pytest
from django.test import override_settings

from accounts.privacy import DisclosureRules, disclose_count, disclosure_rules
from outcomes.disclosure import disclose_report, disclose_table
from outcomes.report_types import Report, Table
from tests.outcomes.test_disclosure_checker import recover

DEFAULT = DisclosureRules()
EXACT = DisclosureRules(min_count=8, round_to=1, min_percentage_group=10)


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, "0"),
        (1, "*"),
        (7, "*"),
        (8, "10"),
        (12, "10"),
        (13, "15"),
        (17, "15"),
        (18, "20"),
        (100, "100"),
        (1232, "1230"),
        (1234, "1235"),
    ],
)
def test_counts(count, shown):
    assert disclose_count(count) == shown


def test_negative_counts_are_a_bug():
    with pytest.raises(ValueError, match="negative"):
        disclose_count(-1)


def test_defaults_follow_nhs_digital():
    assert disclosure_rules() == DisclosureRules(min_count=8, round_to=5, min_percentage_group=10)


@override_settings(DISCLOSURE_CONTROL={"MIN_COUNT": 11, "ROUND_TO": 10})
def test_thresholds_come_from_settings():
    rules = disclosure_rules()
    assert (rules.min_count, rules.round_to, rules.min_percentage_group) == (11, 10, 10)
    assert disclose_count(10) == "*"
    assert disclose_count(11) == "*"  # would round to 10, below the minimum shown
    assert disclose_count(15) == "20"  # half up, not half to even
    assert disclose_count(24) == "20"


def test_rounding_never_shows_a_small_number_or_a_false_zero():
    coarse = DisclosureRules(min_count=8, round_to=20, min_percentage_group=10)
    assert disclose_count(8, coarse) == "*"  # would round to 0
    assert disclose_count(10, coarse) == "20"
    loose = DisclosureRules(min_count=2, round_to=5, min_percentage_group=10)
    assert disclose_count(2, loose) == "*"  # would round to 0
    assert disclose_count(3, loose) == "5"


@override_settings(DISCLOSURE_CONTROL={"MIN_CUONT": 3})
def test_a_misspelt_setting_fails_loudly():
    with pytest.raises(ValueError, match="MIN_CUONT"):
        disclosure_rules()


def table(cells, *, totals=True, denominators=None) -> Table:
    rows = len(cells)
    cols = len(cells[0])
    return Table(
        key="t",
        title="T",
        rows=[f"r{r}" for r in range(rows)],
        columns=[f"c{c}" for c in range(cols)],
        cells=cells,
        row_totals=[sum(row) for row in cells] if totals else None,
        column_totals=[sum(row[c] for row in cells) for c in range(cols)] if totals else None,
        grand_total=sum(map(sum, cells)) if totals else None,
        denominators=denominators,
    )


def test_two_by_two_with_one_small_cell_hides_all_four():
    shown = disclose_table(table([[3, 20], [10, 12]]), DEFAULT)
    assert shown.cells == [["*", "*"], ["*", "*"]]
    assert shown.row_totals == ["25", "20"]  # 23 and 22, rounded from the true totals
    assert shown.column_totals == ["15", "30"]  # 13 and 32
    assert shown.grand_total == "45"
    assert (shown.suppressed_cells, shown.secondary_suppressed) == (4, 3)
    assert shown.note == "4 values hidden (3 only so that small numbers cannot be worked out)."


def test_secondary_suppression_hides_as_little_as_it_can():
    cells = [[2, 9, 30], [15, 40, 50], [20, 25, 60]]
    shown = disclose_table(table(cells), EXACT)
    # The 2 is hidden; its row and column each need a second hidden cell (9 and 15, the smallest),
    # and 40 closes both of their other lines at once.
    assert shown.cells == [["*", "*", "30"], ["*", "*", "50"], ["20", "25", "60"]]
    assert shown.row_totals == ["41", "105", "105"]
    assert shown.column_totals == ["37", "74", "140"]
    assert recover(shown, EXACT) == {}


def test_a_lone_small_total_is_protected_through_the_margins():
    cells = [[3, 0], [0, 0], [30, 40]]
    shown = disclose_table(table(cells), EXACT)
    # Row 0 (3 | 0 | total 3) can hide only its total; the row totals then need a second hidden one.
    assert shown.cells[0] == ["*", "0"]
    assert shown.row_totals[0] == "*"
    assert shown.row_totals[1] == "0"
    assert "*" in shown.row_totals[2] or "*" in shown.cells[2]
    assert recover(shown, EXACT) == {}


def test_zero_is_shown_and_never_hidden():
    shown = disclose_table(table([[0, 0], [0, 50]]), DEFAULT)
    assert shown.cells == [["0", "0"], ["0", "50"]]
    assert shown.suppressed_cells == 0
    assert shown.note == ""


def test_tables_without_totals_get_primary_suppression_and_rounding_only():
    weekly = Table(
        key="weekly_active",
        title="Weekly active members",
        rows=["2026-W01", "2026-W02", "2026-W03"],
        columns=["Active members"],
        cells=[[3], [12], [40]],
    )
    shown = disclose_table(weekly, DEFAULT)
    assert shown.cells == [["*"], ["10"], ["40"]]
    assert shown.row_totals is None
    assert shown.grand_total is None
    assert (shown.suppressed_cells, shown.secondary_suppressed) == (1, 0)


def test_percentages_only_for_groups_of_ten_or_more_and_from_rounded_figures():
    outcomes = Table(
        key="outcomes",
        title="Outcomes",
        rows=["PHQ-9", "GAD-7", "Small group"],
        columns=["Reliable improvement", "Recovery"],
        cells=[[12, 3], [40, 22], [8, 8]],
        denominators=[31, 90, 9],
    )
    shown = disclose_table(outcomes, DEFAULT)
    assert shown.cells == [["10", "*"], ["40", "20"], ["10", "10"]]
    assert shown.group_sizes == ["30", "90", "10"]
    # 10/30 (not 12/31), the hidden 3 has no percentage, and a group of 9 gets none at all.
    assert shown.percentages == [["33%", "*"], ["44%", "22%"], ["*", "*"]]


def test_a_disclosed_table_never_carries_the_exact_numbers():
    shown = disclose_table(table([[3, 21], [11, 13]]), DEFAULT)
    text = repr(shown)
    for exact in ["3", "21", "11", "13", "24", "14", "34", "48"]:
        assert f"'{exact}'" not in text


def test_bad_tables_are_refused():
    with pytest.raises(ValueError, match="whole numbers"):
        disclose_table(table([[-1, 4]], totals=False), DEFAULT)
    with pytest.raises(ValueError, match="denominators"):
        disclose_table(table([[10, 4]], totals=False, denominators=[1, 2]), DEFAULT)


def test_the_whole_report_is_disclosed_with_notes():
    import datetime

    report = Report(
        organisation_id=1,
        organisation_name="Northfield University",
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 3, 31),
        time_zone="Europe/London",
        tables=[table([[3, 20], [10, 12]]), table([[0, 50]])],
    )
    disclosed = disclose_report(report, DEFAULT)
    assert [t.cells for t in disclosed.tables] == [[["*", "*"], ["*", "*"]], [["0", "50"]]]
    assert disclosed.notes == ["T: 4 values hidden (3 only so that small numbers cannot be worked out)."]
    assert "fewer than 8" in disclosed.legend


def test_the_audit_hides_more_when_lines_together_pin_a_value():
    # Found by the property test: each line looks safe alone, but 8 + 8 = 16 in the first column
    # forces both hidden 8s, so both hidden 1s (9 - 8) and the hidden column total 2 follow.
    cells = [[0, 0, 0, 0, 0], [8, 0, 0, 0, 1], [0, 0, 0, 0, 0], [8, 0, 0, 0, 1]]
    source = Table(
        key="t",
        title="T",
        rows=[f"r{r}" for r in range(4)],
        columns=[f"c{c}" for c in range(5)],
        cells=cells,
        row_totals=[0, 9, 0, 9],
        column_totals=[16, 0, 0, 0, 2],
    )
    shown = disclose_table(source, EXACT)
    assert recover(shown, EXACT) == {}
    assert "*" in (shown.row_totals[1], shown.row_totals[3], shown.column_totals[0])


def test_a_count_hidden_in_one_table_is_hidden_wherever_it_appears():
    import datetime

    registrations = Table(
        key="registrations",
        title="Registrations",
        rows=["2026-11-02", "2026-11-09", "2026-11-16"],
        columns=["registrations"],
        cells=[[3], [13], [40]],
        column_totals=[56],
        grand_total=56,
    )
    retention = Table(
        key="retention",
        title="Retention",
        rows=["2026-11-02", "2026-11-09", "2026-11-16"],
        columns=["joined", "active in week 1"],
        cells=[[3, 2], [13, 9], [40, 20]],
        denominators=[3, 13, 40],
    )
    report = Report(
        organisation_id=1,
        organisation_name="N",
        start=datetime.date(2026, 11, 2),
        end=datetime.date(2026, 11, 22),
        time_zone="Europe/London",
        tables=[registrations, retention],
    )
    disclosed = disclose_report(report, EXACT)
    # 13 is hidden in registrations (else 56 - 40 - 13 = 3), so retention must not show it either,
    # nor the group size that equals it, nor a percentage of it.
    assert disclosed.table("registrations").cells == [["*"], ["*"], ["40"]]
    assert disclosed.table("retention").cells == [["*", "*"], ["*", "9"], ["40", "20"]]
    assert disclosed.table("retention").group_sizes == ["*", "*", "40"]
    assert disclosed.table("retention").percentages == [["*", "*"], ["*", "*"], ["100%", "50%"]]


def test_cells_not_known_yet_say_so_and_are_never_zero():
    retention = Table(
        key="retention",
        title="Retention",
        rows=["2026-09-07", "2026-11-16"],
        columns=["joined", "active in week 12"],
        cells=[[40, 12], [30, 0]],
        denominators=[40, 30],
        unavailable=[[False, False], [False, True]],
    )
    shown = disclose_table(retention, DEFAULT)
    assert shown.cells == [["40", "10"], ["30", "not yet"]]
    assert shown.percentages == [["100%", "25%"], ["100%", "not yet"]]


def test_a_group_size_equal_to_a_hidden_total_is_hidden():
    """Time-to-first-reply style: every row's group is the table's total; when suppression hides
    that total, the group sizes must not show it."""
    table = Table(
        key="first_reply",
        title="Time to first reply",
        rows=["<1h", "1-4h", "4-24h", ">24h", "never"],
        columns=["threads"],
        cells=[[3], [2], [0], [0], [4]],
        column_totals=[9],
        grand_total=9,
        denominators=[9, 9, 9, 9, 9],
    )
    shown = disclose_table(table, DisclosureRules())
    assert shown.grand_total == "*"
    assert set(shown.group_sizes) == {"*"}
