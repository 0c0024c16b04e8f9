"""Small-number disclosure control: the one rule for every number a commissioner sees.

A count small enough to point at a person is never shown exactly. The rule follows NHS
Digital's method for sub-national statistics (HES/ECDS since 2018): a count of 1 to 7 is shown
as "*", every other count is rounded to the nearest 5, and a true zero is shown as 0 (a zero
points at nobody, and hiding it would make the tables unreadable). Rounding never turns a
nonzero count into a visible small number or into 0: a count that would round below the
minimum is shown as "*" too.

The thresholds live in one setting, ``DISCLOSURE_CONTROL`` (a dict; any key may be left out)::

    DISCLOSURE_CONTROL = {
        "MIN_COUNT": 8,            # smallest count shown; 1..MIN_COUNT-1 becomes "*"
        "ROUND_TO": 5,             # shown counts are rounded (half up) to a multiple of this
        "MIN_PERCENTAGE_GROUP": 10,  # a percentage is shown only for a group at least this big
    }

and are read only through :func:`disclosure_rules`. This module is the primitive; the
table-level machinery (secondary suppression across totals and periods, percentages) is in
``outcomes.disclosure``, which builds on it. ``accounts`` must not import ``outcomes``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

SUPPRESSED = "*"

DEFAULTS = {"MIN_COUNT": 8, "ROUND_TO": 5, "MIN_PERCENTAGE_GROUP": 10}


@dataclass(frozen=True)
class DisclosureRules:
    min_count: int = DEFAULTS["MIN_COUNT"]
    round_to: int = DEFAULTS["ROUND_TO"]
    min_percentage_group: int = DEFAULTS["MIN_PERCENTAGE_GROUP"]

    def __post_init__(self) -> None:
        if self.min_count < 1 or self.round_to < 1 or self.min_percentage_group < 1:
            raise ValueError("disclosure thresholds must be positive integers")

    def is_small(self, count: int) -> bool:
        """True for a count that must never be shown (1 .. min_count - 1)."""
        return 0 < count < self.min_count

    def rounded(self, count: int) -> int:
        """Round half up to a multiple of ``round_to`` (Python's round() is half-to-even)."""
        return (count + self.round_to // 2) // self.round_to * self.round_to

    @property
    def legend(self) -> str:
        parts = [
            f"“{SUPPRESSED}” means fewer than {self.min_count}, "
            "or hidden so that a small number cannot be worked out"
        ]
        if self.round_to > 1:
            parts.append(f"other numbers are rounded to the nearest {self.round_to}")
        parts.append(f"percentages are shown only for groups of {self.min_percentage_group} or more")
        return "; ".join(parts) + "."


def disclosure_rules() -> DisclosureRules:
    """The configured thresholds (settings.DISCLOSURE_CONTROL over the defaults)."""
    configured = {**DEFAULTS, **getattr(settings, "DISCLOSURE_CONTROL", {})}
    unknown = set(configured) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown DISCLOSURE_CONTROL keys: {sorted(unknown)}")
    return DisclosureRules(
        min_count=int(configured["MIN_COUNT"]),
        round_to=int(configured["ROUND_TO"]),
        min_percentage_group=int(configured["MIN_PERCENTAGE_GROUP"]),
    )


def disclose_count(count: int, rules: DisclosureRules | None = None) -> str:
    """A single count fit for a commissioner: "0", "*" (1..7) or the count rounded to 5."""
    if count < 0:
        raise ValueError("count cannot be negative")
    rules = rules or disclosure_rules()
    if count == 0:
        return "0"
    if rules.is_small(count):
        return SUPPRESSED
    shown = rules.rounded(count)
    if shown < rules.min_count:
        # Only possible with a coarse ROUND_TO: never let rounding show a small number or a false 0.
        return SUPPRESSED
    return str(shown)
