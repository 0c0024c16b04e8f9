"""The blind measure: escalation/triage/blind/heldout4.jsonl, heldout5.jsonl and heldout6.jsonl
(posts written to RUBRIC.md by engineers who never saw the engine; see blind/README.md). Nobody who
works on the rules or the semantic heads reads them; they are scored only as a whole, and only
their totals are ever looked at.

Scored by the lead, once per engine change, rules alone and rules + semantic stage (the full
assessment the worker records). The figures of every scoring are in blind/README.md; the latest:

| set | engine | macro-F1 | urgent recall | urgent precision | imminent <= moderate | idioms moderate+ |
|---|---|---|---|---|---|---|
| heldout4 | rules 2025.11.17 | 0.705 | 0.752 | 0.908 | 11 | 0.111 of 36 |
| heldout4 | rules 2025.11.17 + sem.minilm6.2026.12.06 | 0.726 | 0.914 | 0.821 | 4 | 0.167 of 36 |
| heldout5 | rules 2025.11.17 | 0.739 | 0.787 | 0.940 | 8 | 0.111 of 36 |
| heldout5 | rules 2025.11.17 + sem.minilm6.2026.12.06 | 0.757 | 0.925 | 0.871 | 3 | 0.167 of 36 |
| heldout6 | rules 2025.11.17 | 0.775 | 0.773 | 0.951 | 6 | 0.030 of 33 |
| heldout6 | rules 2025.11.17 + sem.minilm6.2026.12.06 | 0.787 | 0.933 | 0.843 | 2 | 0.121 of 33 |

The issue's targets that are missed are strict xfails below: they fail loudly (XPASS) the day
they are met, so the table, blind/README.md and the markers must then be updated together.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from escalation import engine
from escalation.triage import assess
from escalation.triage.evaluation import evaluate

BLIND = Path(__file__).resolve().parents[2] / "escalation/triage/blind"
SETS = ("heldout4", "heldout5", "heldout6")

TARGETS = {
    "macro_f1": lambda r: r.macro_f1 >= 0.55,
    "urgent_precision": lambda r: r.urgent_precision >= 0.70,
    "urgent_recall": lambda r: r.urgent_recall >= 0.98,
    "no_imminent_at_moderate_or_lower": lambda r: r.imminent_rated_moderate_or_lower == 0,
    "idioms": lambda r: r.idiom_false_alarm_rate <= 0.10,
}

# (set, stage) -> {target: the measured figure that misses it}
MISSED: dict[tuple[str, str], dict[str, str]] = {
    ("heldout4", "rules"): {
        "urgent_recall": "0.752",
        "no_imminent_at_moderate_or_lower": "11",
        "idioms": "0.111 of 36",
    },
    ("heldout4", "semantic"): {
        "urgent_recall": "0.914",
        "no_imminent_at_moderate_or_lower": "4",
        "idioms": "0.167 of 36",
    },
    ("heldout5", "rules"): {
        "urgent_recall": "0.787",
        "no_imminent_at_moderate_or_lower": "8",
        "idioms": "0.111 of 36",
    },
    ("heldout5", "semantic"): {
        "urgent_recall": "0.925",
        "no_imminent_at_moderate_or_lower": "3",
        "idioms": "0.167 of 36",
    },
    ("heldout6", "rules"): {
        "urgent_recall": "0.773",
        "no_imminent_at_moderate_or_lower": "6",
    },
    ("heldout6", "semantic"): {
        "urgent_recall": "0.933",
        "no_imminent_at_moderate_or_lower": "2",
        "idioms": "0.121 of 33",
    },
}


@cache
def _rows(name):
    return tuple(json.loads(line) for line in (BLIND / f"{name}.jsonl").open(encoding="utf-8"))


@cache
def _report(name, stage):
    rows = _rows(name)
    levels = [assess(row["text"]).level for row in rows]
    if stage == "semantic":
        from escalation.triage import semantic

        readings = semantic.load().assess_many([row["text"] for row in rows])
        levels = [
            semantic.raise_level(level, reading) for level, reading in zip(levels, readings, strict=True)
        ]
    return evaluate([{**row, "predicted": level} for row, level in zip(rows, levels, strict=True)])


def _cases(stage):
    for name in SETS:
        for target in TARGETS:
            reason = MISSED.get((name, stage), {}).get(target)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(name, target, marks=marks, id=f"{name}-{target}")


@pytest.fixture
def semantic_installed():
    if not engine.semantic_installed():
        pytest.skip("torch or the encoder not installed")


@pytest.mark.parametrize(("name", "target"), list(_cases("rules")))
def test_rules_alone_on_the_blind_sets(name, target):
    report = _report(name, "rules")
    assert TARGETS[target](report), report.as_text()


@pytest.mark.parametrize(("name", "target"), list(_cases("semantic")))
def test_rules_and_semantic_stage_on_the_blind_sets(semantic_installed, name, target):
    report = _report(name, "semantic")
    assert TARGETS[target](report), report.as_text()


@pytest.mark.parametrize("name", SETS)
def test_the_semantic_stage_catches_more_than_the_rules_alone(semantic_installed, name):
    rules, combined = _report(name, "rules"), _report(name, "semantic")
    assert combined.urgent_recall > rules.urgent_recall
    assert combined.imminent_rated_moderate_or_lower < rules.imminent_rated_moderate_or_lower
