"""The blind measure: escalation/triage/blind/heldout4.jsonl (300 posts written to RUBRIC.md by an
engineer who never saw the engine; see its README). Nobody who works on the rules or the semantic
heads reads it; it is scored only as a whole, and only its totals are ever looked at.

Scored by the lead, once per engine change, rules alone and rules + semantic stage (the full
assessment the worker records):

| engine | macro-F1 | urgent recall | urgent precision | imminent <= moderate | idioms moderate+ |
|---|---|---|---|---|---|
| rules 2025.11.3 | 0.670 | 0.676 | 0.899 | 15 | 0.083 of 36 |
| rules 2025.11.16 | 0.706 | 0.733 | 0.906 | 12 | 0.111 of 36 |
| rules 2025.11.16 + sem.minilm6.2026.11.26 | 0.735 | 0.895 | 0.847 | 4 | 0.139 of 36 |

The issue's targets that are missed are strict xfails below: they fail loudly (XPASS) the day
they are met, so the table and the markers must then be updated together.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escalation import engine
from escalation.triage import assess
from escalation.triage.evaluation import evaluate

BLIND = Path(__file__).resolve().parents[2] / "escalation/triage/blind/heldout4.jsonl"


def _rows():
    return [json.loads(line) for line in BLIND.open(encoding="utf-8")]


@pytest.fixture(scope="module")
def rules_report():
    return evaluate([{**row, "predicted": assess(row["text"]).level} for row in _rows()])


@pytest.fixture(scope="module")
def combined_report():
    if not engine.semantic_installed():
        pytest.skip("torch or the encoder not installed")
    from escalation.triage import semantic

    model = semantic.load()
    rows = _rows()
    readings = model.assess_many([row["text"] for row in rows])
    return evaluate(
        [
            {**row, "predicted": semantic.raise_level(assess(row["text"]).level, reading)}
            for row, reading in zip(rows, readings, strict=True)
        ]
    )


def missed(reason):
    return pytest.mark.xfail(strict=True, reason=reason)


TARGETS = {
    "macro_f1": lambda r: r.macro_f1 >= 0.55,
    "urgent_precision": lambda r: r.urgent_precision >= 0.70,
    "urgent_recall": lambda r: r.urgent_recall >= 0.98,
    "no_imminent_at_moderate_or_lower": lambda r: r.imminent_rated_moderate_or_lower == 0,
    "idioms": lambda r: r.idiom_false_alarm_rate <= 0.10,
}


@pytest.mark.parametrize(
    "target",
    [
        "macro_f1",
        "urgent_precision",
        pytest.param("urgent_recall", marks=missed("0.733 with rules 2025.11.16")),
        pytest.param("no_imminent_at_moderate_or_lower", marks=missed("12 with rules 2025.11.16")),
        pytest.param("idioms", marks=missed("0.111 of 36 with rules 2025.11.16")),
    ],
)
def test_rules_alone_on_the_blind_set(rules_report, target):
    assert TARGETS[target](rules_report), rules_report.as_text()


@pytest.mark.parametrize(
    "target",
    [
        "macro_f1",
        "urgent_precision",
        pytest.param("urgent_recall", marks=missed("0.895 with the semantic stage")),
        pytest.param("no_imminent_at_moderate_or_lower", marks=missed("4 with the semantic stage")),
        pytest.param("idioms", marks=missed("0.139 of 36 with the semantic stage")),
    ],
)
def test_rules_and_semantic_stage_on_the_blind_set(combined_report, target):
    assert TARGETS[target](combined_report), combined_report.as_text()


def test_the_semantic_stage_catches_more_than_the_rules_alone(rules_report, combined_report):
    assert combined_report.urgent_recall > rules_report.urgent_recall
    assert combined_report.imminent_rated_moderate_or_lower < rules_report.imminent_rated_moderate_or_lower
