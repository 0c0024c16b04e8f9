"""Server-rendered bar charts of disclosed tables: geometry and inline SVG markup.

A chart only ever draws what the table beneath it shows: the rounded numbers, and a marked gap
with "*" where a value is hidden. No script, no library; a few hundred bytes per chart.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.privacy import SUPPRESSED
from outcomes.disclosure import DisclosedTable

WIDTH = 640
HEIGHT = 220
LEFT = 44  # room for the y-axis labels
RIGHT = 8
TOP = 10
BOTTOM = 46  # room for the x-axis labels
MAX_SERIES = 6
MAX_X_LABELS = 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    label: str  # for the tooltip: "<row>, <column>: <shown value>"
    hidden: bool


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    x_labels: list[XLabel]
    series: list[tuple[int, str]]  # (index, column name) for the key
    baseline: float
    left: int
    right: float
    has_hidden: bool


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is >= value (an axis top that reads well)."""
    if value <= 0:
        return 10
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return 10 * magnitude


def bar_chart(table: DisclosedTable) -> Chart | None:
    """Grouped bars: one group per row, one bar per column (at most MAX_SERIES columns)."""
    if not table.rows or not table.columns:
        return None
    columns = table.columns[:MAX_SERIES]
    numbers = [int(v) for row in table.cells for v in row[: len(columns)] if v != SUPPRESSED and v.isdigit()]
    if not any(numbers):
        return None  # nothing visible to draw: the table says it all
    top = _nice_ceiling(max(numbers))
    divisions = 4 if top % 4 == 0 else 5
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    group_width = plot_width / len(table.rows)
    bar_width = max(1.0, group_width * 0.8 / len(columns))
    stub = 3.0  # a hidden value: a short marked stub, never a height
    bars = []
    for r, row_label in enumerate(table.rows):
        for c, column in enumerate(columns):
            shown = table.cells[r][c]
            hidden = shown == SUPPRESSED
            value = 0 if hidden or not shown.isdigit() else int(shown)
            height = stub if hidden else plot_height * value / top
            x = LEFT + r * group_width + group_width * 0.1 + c * bar_width
            bars.append(
                Bar(
                    x=round(x, 1),
                    y=round(baseline - height, 1),
                    width=round(bar_width, 1),
                    height=round(height, 1),
                    series=c,
                    label=f"{row_label}, {column}: {shown}",
                    hidden=hidden,
                )
            )
    ticks = [
        Tick(y=round(baseline - plot_height * i / divisions, 1), label=_tick_label(top * i / divisions))
        for i in range(divisions + 1)
    ]
    every = max(1, -(-len(table.rows) // MAX_X_LABELS))
    room = max(4, int(group_width * every / 6.5))  # characters that fit under a labelled group
    x_labels = [
        XLabel(
            x=round(LEFT + r * group_width + group_width / 2, 1),
            label=label if len(label) <= room else label[: room - 1] + "…",
        )
        for r, label in enumerate(table.rows)
        if r % every == 0
    ]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        ticks=ticks,
        x_labels=x_labels,
        series=list(enumerate(columns)),
        baseline=baseline,
        left=LEFT,
        right=WIDTH - RIGHT,
        has_hidden=any(bar.hidden for bar in bars),
    )


def _tick_label(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def chart_html(table: DisclosedTable) -> SafeString | None:
    """The chart of ``table`` as an accessible inline SVG figure, or None when there is nothing to draw.

    Built here rather than in a template: a year of weekly cohorts is a few hundred bars, and the
    template engine would spend far longer on them than the database does on the report.
    """
    chart = bar_chart(table)
    if chart is None:
        return None
    key, title = escape(table.key), escape(table.title)
    out = [
        "<figure>",
        f'<svg class="dash-chart" viewBox="0 0 {chart.width} {chart.height}" role="img" '
        f'aria-labelledby="{key}-chart-title">',
        f'<title id="{key}-chart-title">{title}: bar chart; the numbers are in the table below.</title>',
    ]
    for tick in chart.ticks:
        out.append(
            f'<line class="grid" x1="{chart.left}" x2="{chart.right}" y1="{tick.y}" y2="{tick.y}"/>'
            f'<text x="{chart.left - 4}" y="{tick.y}" text-anchor="end" dominant-baseline="middle">'
            f"{escape(tick.label)}</text>"
        )
    for bar in chart.bars:
        out.append(
            f'<rect class="s{bar.series}" x="{bar.x}" y="{bar.y}" width="{bar.width}" height="{bar.height}">'
            f"<title>{escape(bar.label)}</title></rect>"
        )
        if bar.hidden:
            out.append(f'<text class="hidden-mark" x="{bar.x}" y="{bar.y}" dy="-2">*</text>')
    out.append(
        f'<line class="axis" x1="{chart.left}" x2="{chart.right}" '
        f'y1="{chart.baseline}" y2="{chart.baseline}"/>'
    )
    for label in chart.x_labels:
        out.append(
            f'<text x="{label.x}" y="{chart.baseline}" dy="14" text-anchor="middle">'
            f"{escape(label.label)}</text>"
        )
    out.append("</svg><figcaption>")
    if len(chart.series) > 1:
        out.append('<ul class="dash-key">')
        out += [
            f'<li><span class="s{i}" aria-hidden="true"></span>{escape(name)}</li>'
            for i, name in chart.series
        ]
        out.append("</ul>")
    if chart.has_hidden:
        out.append(
            '<span class="meta">* hidden: a small number, or hidden so that one cannot be worked out.</span>'
        )
    out.append("</figcaption></figure>")
    return mark_safe("".join(out))  # noqa: S308 - every interpolated text is escaped above
