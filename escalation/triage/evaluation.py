"""Metrics for judging the engine against labelled posts (pure Python, used by tests and commands)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from escalation.triage.rules import LEVEL_RANK, LEVELS

URGENT = frozenset({"high", "imminent"})


@dataclass(frozen=True)
class Report:
    count: int
    per_level: dict[str, dict[str, float]]  # level -> precision, recall, f1, support
    macro_f1: float
    urgent_recall: float
    urgent_precision: float
    imminent_rated_moderate_or_lower: int
    idiom_count: int
    idiom_false_alarm_rate: float
    confusion: dict[str, dict[str, int]]  # expected -> predicted -> count
    misses: list[dict[str, Any]] = field(default_factory=list)

    def as_text(self) -> str:
        lines = [
            f"posts: {self.count}",
            "",
            f"{'level':<10}{'precision':>10}{'recall':>9}{'f1':>8}{'support':>9}",
        ]
        for level in LEVELS:
            m = self.per_level[level]
            lines.append(
                f"{level:<10}{m['precision']:>10.3f}{m['recall']:>9.3f}{m['f1']:>8.3f}{int(m['support']):>9d}"
            )
        lines += [
            "",
            f"macro-F1:                             {self.macro_f1:.3f}",
            f"recall of high+imminent:              {self.urgent_recall:.3f}",
            f"precision of high+imminent:           {self.urgent_precision:.3f}",
            f"imminent rated moderate or lower:     {self.imminent_rated_moderate_or_lower}",
            f"idioms rated moderate+:               {self.idiom_false_alarm_rate:.3f} of {self.idiom_count}",
            "",
            "confusion (rows: expected, columns: predicted)",
            f"{'':<10}" + "".join(f"{level:>10}" for level in LEVELS),
        ]
        for expected in LEVELS:
            lines.append(f"{expected:<10}" + "".join(f"{self.confusion[expected][p]:>10d}" for p in LEVELS))
        return "\n".join(lines)


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def evaluate(rows: Iterable[Mapping[str, Any]]) -> Report:
    """Each row has ``level`` (expected), ``predicted`` and optionally ``tags``/``text``/``id``."""
    confusion = {e: dict.fromkeys(LEVELS, 0) for e in LEVELS}
    count = idioms = idiom_alarms = imminent_low = 0
    misses: list[dict[str, Any]] = []
    for row in rows:
        expected, predicted = row["level"], row["predicted"]
        if expected not in LEVEL_RANK or predicted not in LEVEL_RANK:
            raise ValueError(f"unknown level in row {row!r}")
        count += 1
        confusion[expected][predicted] += 1
        if expected != predicted:
            misses.append({k: row.get(k) for k in ("id", "level", "predicted", "tags", "text")})
        if expected == "imminent" and LEVEL_RANK[predicted] <= LEVEL_RANK["moderate"]:
            imminent_low += 1
        if "idiom" in (row.get("tags") or ()) and expected == "none":
            idioms += 1
            idiom_alarms += LEVEL_RANK[predicted] >= LEVEL_RANK["moderate"]
    per_level: dict[str, dict[str, float]] = {}
    for level in LEVELS:
        tp = confusion[level][level]
        predicted_n = sum(confusion[e][level] for e in LEVELS)
        support = sum(confusion[level].values())
        precision, recall = _ratio(tp, predicted_n), _ratio(tp, support)
        f1 = _ratio(2 * precision * recall, 1) / (precision + recall) if precision + recall else 0.0
        per_level[level] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    present = [level for level in LEVELS if per_level[level]["support"]]
    macro_f1 = sum(per_level[level]["f1"] for level in present) / len(present) if present else 0.0
    urgent_true = sum(confusion[e][p] for e in URGENT for p in URGENT)
    urgent_expected = sum(sum(confusion[e].values()) for e in URGENT)
    urgent_predicted = sum(confusion[e][p] for e in LEVELS for p in URGENT)
    return Report(
        count=count,
        per_level=per_level,
        macro_f1=macro_f1,
        urgent_recall=_ratio(urgent_true, urgent_expected),
        urgent_precision=_ratio(urgent_true, urgent_predicted),
        imminent_rated_moderate_or_lower=imminent_low,
        idiom_count=idioms,
        idiom_false_alarm_rate=_ratio(idiom_alarms, idioms),
        confusion=confusion,
        misses=misses,
    )
