"""A member's history of one measure as an SVG line chart, drawn on the server (no chart library).

``history_chart`` computes the geometry; ``templates/outcomes/member/_history_chart.svg.html``
draws it. The severity bands are shaded behind the line so the member sees where each score sat;
the same numbers are always printed in a table beside the chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from outcomes.measures.definitions import Measure
from outcomes.models import MeasureResponse

WIDTH, HEIGHT = 600, 280
#: Band names are an HTML legend under the chart (it wraps on a phone; SVG text would shrink).
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 40
#: Points sit this far inside the plot's edges so none is drawn over an axis.
INSET = 14
#: Band shades from the kindest (lowest worry) to the heaviest; soft so the line stays readable.
SHADES = ("#e6f4ea", "#f1f5e0", "#fdf3dc", "#fbe7d9", "#f8dcdc", "#f3d5e6")


@dataclass(frozen=True)
class BandRect:
    y: float
    height: float
    fill: str
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    score: str
    when: str
    band_label: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    label: str
    anchor: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    plot_width: int
    bands: list[BandRect]
    points: list[Point]
    polyline: str
    ticks: list[Tick]
    x_labels: list[XLabel]

    @property
    def legend(self) -> list[BandRect]:
        """Bands from the top of the chart down, as the legend lists them."""
        return sorted(self.bands, key=lambda band: band.y)

    @property
    def first(self) -> Point | None:
        return self.points[0] if self.points else None

    @property
    def last(self) -> Point | None:
        return self.points[-1] if self.points else None


def _fmt(score: Decimal) -> str:
    return f"{score:.0f}" if score == score.to_integral_value() else f"{score:.2f}"


def _date(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y}"


def history_chart(measure: Measure, responses: list[MeasureResponse]) -> Chart:
    """Geometry for ``responses`` (oldest first). Scores run bottom (min) to top (max)."""
    low, high = float(measure.min_score), float(measure.max_score)
    span = (high - low) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return round(TOP + plot_h * (1 - (value - low) / span), 1)

    bands = []
    ordered = list(measure.bands)
    shades = SHADES if measure.higher_is_worse else tuple(reversed(SHADES))
    for index, band in enumerate(ordered):
        # Boundaries fall halfway between one band's max and the next band's min, so a score
        # sits inside its band's shading, never on a line.
        top_value = float(band.max + ordered[index + 1].min) / 2 if index + 1 < len(ordered) else high
        bottom_value = float(ordered[index - 1].max + band.min) / 2 if index else low
        y_top, y_bottom = y_of(min(top_value, high)), y_of(max(bottom_value, low))
        shade = shades[min(index * (len(shades) - 1) // max(len(ordered) - 1, 1), len(shades) - 1)]
        bands.append(
            BandRect(
                y=y_top,
                height=round(y_bottom - y_top, 1),
                fill=shade,
                label=band.label,
            )
        )

    count = len(responses)
    points = []
    for index, response in enumerate(responses):
        inner = plot_w - 2 * INSET
        x = LEFT + INSET + (inner / 2 if count == 1 else inner * index / (count - 1))
        band = measure.band(response.band)
        points.append(
            Point(
                x=round(x, 1),
                y=y_of(float(response.score)),
                score=_fmt(response.score),
                when=_date(response.created_at),
                band_label=band.label if band else response.band,
            )
        )
    step = 5 if span <= 30 else 10
    first_tick = int(low) - int(low) % step + (step if int(low) % step else 0)
    ticks = [Tick(y=y_of(v), label=str(v)) for v in range(first_tick, int(high) + 1, step)]
    if not ticks or ticks[0].label != str(int(low)):
        ticks.insert(0, Tick(y=y_of(low), label=str(int(low))))
    x_labels = []
    if points:
        x_labels.append(
            XLabel(x=points[0].x, label=points[0].when, anchor="start" if count > 1 else "middle")
        )
        if count > 1:
            x_labels.append(XLabel(x=points[-1].x, label=points[-1].when, anchor="end"))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
        plot_width=plot_w,
        bands=bands,
        points=points,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
        ticks=ticks,
        x_labels=x_labels,
    )
