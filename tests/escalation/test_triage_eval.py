"""The engine meets the issue's targets on the labelled development set, dev and heldout splits."""

import json
from pathlib import Path

import pytest

from escalation.triage import assess
from escalation.triage.evaluation import evaluate

DEVSET = Path(__file__).resolve().parents[2] / "escalation/triage/data/devset.jsonl"


def _report(split):
    rows = [json.loads(line) for line in DEVSET.open(encoding="utf-8")]
    rows = [{**row, "predicted": assess(row["text"]).level} for row in rows if row["split"] == split]
    return evaluate(rows)


def test_devset_is_large_labelled_and_split():
    rows = [json.loads(line) for line in DEVSET.open(encoding="utf-8")]
    assert len(rows) >= 400
    assert {row["level"] for row in rows} == {"none", "low", "moderate", "high", "imminent"}
    heldout = sum(row["split"] == "heldout" for row in rows)
    assert 0.2 <= heldout / len(rows) <= 0.3
    assert all(row["rule"] and row["tags"] for row in rows)
    assert sum(len(row["text"].split()) >= 5000 for row in rows) >= 3


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_targets(split):
    report = _report(split)
    assert report.urgent_recall >= 0.98, report.as_text()
    assert report.imminent_rated_moderate_or_lower == 0, report.as_text()
    assert report.urgent_precision >= 0.70, report.as_text()
    assert report.idiom_false_alarm_rate <= 0.10, report.as_text()
    assert report.macro_f1 >= 0.55, report.as_text()


def test_metrics_by_hand():
    rows = [
        {"level": "imminent", "predicted": "moderate", "tags": []},
        {"level": "high", "predicted": "high", "tags": []},
        {"level": "none", "predicted": "high", "tags": ["idiom"]},
        {"level": "none", "predicted": "none", "tags": ["idiom"]},
        {"level": "low", "predicted": "low", "tags": []},
    ]
    report = evaluate(rows)
    assert report.urgent_recall == 0.5
    assert report.urgent_precision == 0.5
    assert report.imminent_rated_moderate_or_lower == 1
    assert report.idiom_false_alarm_rate == 0.5
    assert report.per_level["high"] == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(2 / 3),
        "support": 1,
    }
    assert report.confusion["imminent"]["moderate"] == 1
    # none f1 2/3, low 1, moderate 0, high 2/3, imminent 0 -> mean over the five present levels
    assert report.macro_f1 == pytest.approx((2 / 3 + 1 + 0 + 2 / 3 + 0) / 4)
