"""Server-rendered charts draw only what the table beneath shows, and escape every label."""

from accounts.privacy import DisclosureRules
from outcomes.commissioner_charts import bar_chart, chart_html
from outcomes.disclosure import disclose_table
from outcomes.report_types import Table


def weekly(cells, title="Registrations by week") -> Table:
    return Table(
        key="registrations",
        title=title,
        rows=[f"2026-11-{d:02d}" for d in range(2, 2 + 7 * len(cells), 7)],
        columns=["registrations"],
        cells=[[c] for c in cells],
    )


def test_bars_follow_the_shown_numbers_and_hidden_ones_are_marked():
    shown = disclose_table(weekly([3, 40, 20, 0]), DisclosureRules())
    chart = bar_chart(shown)
    assert [bar.hidden for bar in chart.bars] == [True, False, False, False]
    heights = [bar.height for bar in chart.bars]
    assert heights[1] == 2 * heights[2]  # 40 and 20, against an axis to 50
    assert heights[0] == 3.0  # a stub, never a height that gives the number away
    assert heights[3] == 0
    assert [t.label for t in chart.ticks] == ["0", "10", "20", "30", "40", "50"]
    assert chart.bars[0].label == "2026-11-02, registrations: *"


def test_a_table_with_nothing_visible_gets_no_chart():
    assert bar_chart(disclose_table(weekly([3, 0, 5]), DisclosureRules())) is None
    assert chart_html(disclose_table(weekly([0, 0]), DisclosureRules())) is None


def test_labels_are_escaped():
    html = chart_html(disclose_table(weekly([30, 40], title="<script>alert(1)</script>"), DisclosureRules()))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<rect") == 2
    assert 'role="img"' in html
