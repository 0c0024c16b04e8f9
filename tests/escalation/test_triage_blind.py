"""The blind measure: escalation/triage/blind/heldout4.jsonl to heldout7.jsonl
(posts written to RUBRIC.md by engineers who never saw the engine; see blind/README.md). Nobody who
works on the rules or the semantic heads reads them; they are scored only as a whole, and only
their totals are ever looked at.

Scored by the lead, once per engine change, rules alone and rules + semantic stage (the full
assessment the worker records). The figures of every scoring are in blind/README.md; the latest:

| set | engine | macro-F1 | urgent recall | urgent precision | imminent <= moderate | idioms moderate+ |
|---|---|---|---|---|---|---|
| heldout4 | rules 2025.11.20 | 0.718 | 0.781 | 0.901 | 9 | 0.083 of 36 |
| heldout4 | rules 2025.11.20 + sem.minilm6.2026.12.07 | 0.752 | 0.933 | 0.875 | 3 | 0.083 of 36 |
| heldout5 | rules 2025.11.20 | 0.769 | 0.812 | 0.942 | 7 | 0.111 of 36 |
| heldout5 | rules 2025.11.20 + sem.minilm6.2026.12.07 | 0.782 | 0.950 | 0.874 | 2 | 0.167 of 36 |
| heldout6 | rules 2025.11.20 | 0.804 | 0.813 | 0.953 | 5 | 0.030 of 33 |
| heldout6 | rules 2025.11.20 + sem.minilm6.2026.12.07 | 0.838 | 0.960 | 0.889 | 0 | 0.091 of 33 |
| heldout7 | rules 2025.11.20 | 0.742 | 0.773 | 0.967 | 5 | 0.000 of 34 |
| heldout7 | rules 2025.11.20 + sem.minilm6.2026.12.07 | 0.803 | 0.960 | 0.889 | 1 | 0.059 of 34 |

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
SETS = ("heldout4", "heldout5", "heldout6", "heldout7")

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
        "urgent_recall": "0.781",
        "no_imminent_at_moderate_or_lower": "9",
    },
    ("heldout4", "semantic"): {
        "urgent_recall": "0.933",
        "no_imminent_at_moderate_or_lower": "3",
    },
    ("heldout5", "rules"): {
        "urgent_recall": "0.812",
        "no_imminent_at_moderate_or_lower": "7",
        "idioms": "0.111 of 36",
    },
    ("heldout5", "semantic"): {
        "urgent_recall": "0.950",
        "no_imminent_at_moderate_or_lower": "2",
        "idioms": "0.167 of 36",
    },
    ("heldout6", "rules"): {
        "urgent_recall": "0.813",
        "no_imminent_at_moderate_or_lower": "5",
    },
    ("heldout6", "semantic"): {
        "urgent_recall": "0.960",
    },
    ("heldout7", "rules"): {
        "urgent_recall": "0.773",
        "no_imminent_at_moderate_or_lower": "5",
    },
    ("heldout7", "semantic"): {
        "urgent_recall": "0.960",
        "no_imminent_at_moderate_or_lower": "1",
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
