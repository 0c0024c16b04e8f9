"""The measure-definition loader: clear errors for bad files, and deployer-supplied measures.

The deployer's measure here is invented ("Test wellbeing", three items) in the shape of SWEMWBS
(higher is better, a raw-to-metric conversion table): Kindred does not ship SWEMWBS's items.
"""

import copy
import json
from decimal import Decimal

import pytest

from outcomes.measures import definitions, scoring
from outcomes.measures.definitions import MeasureDefinitionError
from outcomes.measures.scoring import Change


def wellbeing_definition() -> dict:
    return {
        "key": "test_wellbeing",
        "version": "2024.1",
        "name": "TWB-3",
        "title": "Wellbeing",
        "description": "Three questions about how you have been feeling.",
        "stem": "Over the last two weeks:",
        "options": [
            {"value": 1, "label": "None of the time"},
            {"value": 2, "label": "Some of the time"},
            {"value": 3, "label": "All of the time"},
        ],
        "items": [
            {"number": 1, "text": "I've been feeling hopeful"},
            {"number": 2, "text": "I've been sleeping well"},
            {"number": 3, "text": "I've been feeling close to others"},
        ],
        "scoring": {
            "method": "sum",
            "higher_is_worse": False,
            "conversion": {"3": 5.0, "4": 7.5, "5": 9.25, "6": 11.0, "7": 12.8, "8": 15.1, "9": 18.0},
        },
        "bands": [
            {"key": "low", "min": 5, "max": 10, "label": "Lower wellbeing", "message": "Be gentle."},
            {"key": "typical", "min": 10.01, "max": 18, "label": "Typical wellbeing", "message": "Keep on."},
        ],
        "caseness": {"cutoff": 9.25, "source": "invented for a test"},
        "reliable_change": {"threshold": 3, "source": "invented for a test"},
        "source": {"citation": "A test measure."},
        "licence": {"name": "Test licence", "note": "Supplied by the deployer."},
    }


@pytest.fixture
def extra_dir(tmp_path, settings):
    settings.KINDRED_EXTRA_MEASURES_DIR = str(tmp_path)
    definitions.clear_cache()
    yield tmp_path
    definitions.clear_cache()


def test_a_deployer_measure_with_a_conversion_table_loads_and_scores(extra_dir, settings):
    (extra_dir / "wellbeing.json").write_text(json.dumps(wellbeing_definition()))
    measures = definitions.measures()
    assert list(measures) == ["phq9", "gad7", "test_wellbeing"]
    measure = measures["test_wellbeing"]
    assert (measure.min_total, measure.max_total, measure.min_score, measure.max_score) == (
        3,
        9,
        Decimal("5.00"),
        Decimal("18.00"),
    )
    scored = scoring.score(measure, [1, 2, 2])  # raw 5 -> 9.25
    assert (scored.total, scored.score, scored.band.key, scored.is_case) == (5, Decimal("9.25"), "low", True)
    scored = scoring.score(measure, [3, 2, 2])  # raw 7 -> 12.80
    assert (scored.score, scored.band.key, scored.is_case) == (Decimal("12.80"), "typical", False)
    # Higher is better: up by 3.55 is an improvement, down by 3.55 a deterioration.
    assert scoring.reliable_change(measure, Decimal("9.25"), Decimal("12.80")) == Change.IMPROVED
    assert scoring.reliable_change(measure, Decimal("12.80"), Decimal("9.25")) == Change.DETERIORATED
    assert scoring.reliable_change(measure, Decimal("9.25"), Decimal("11.00")) == Change.NO_RELIABLE_CHANGE
    assert scoring.recovered(measure, Decimal("9.25"), Decimal("12.80")) is True


def test_without_the_setting_only_shipped_measures_load(settings):
    settings.KINDRED_EXTRA_MEASURES_DIR = ""
    definitions.clear_cache()
    assert list(definitions.measures()) == ["phq9", "gad7"]


def test_a_missing_extra_folder_is_a_clear_error(settings, tmp_path):
    settings.KINDRED_EXTRA_MEASURES_DIR = str(tmp_path / "nope")
    definitions.clear_cache()
    try:
        with pytest.raises(MeasureDefinitionError, match=r"KINDRED_EXTRA_MEASURES_DIR: .* is not a folder"):
            definitions.measures()
    finally:
        definitions.clear_cache()


def test_a_deployer_file_may_not_redefine_a_shipped_measure(extra_dir):
    raw = wellbeing_definition()
    raw["key"] = "phq9"
    (extra_dir / "phq9.json").write_text(json.dumps(raw))
    with pytest.raises(MeasureDefinitionError, match="measure 'phq9' is already defined"):
        definitions.measures()


def test_a_file_that_is_not_json_is_a_clear_error(extra_dir):
    (extra_dir / "broken.json").write_text("{ not json")
    with pytest.raises(MeasureDefinitionError, match=r"cannot read .*broken\.json"):
        definitions.measures()


def _with(change):
    raw = copy.deepcopy(wellbeing_definition())
    change(raw)
    return raw


BAD = [
    (lambda r: r.pop("key"), "missing 'key'"),
    (lambda r: r.update(key="Has Spaces"), "key 'Has Spaces' must be"),
    (lambda r: r.update(version=""), "'version' must not be empty"),
    (lambda r: r.pop("items"), "missing 'items'"),
    (lambda r: r.update(items=[]), "'items' must not be empty"),
    (lambda r: r["items"][1].update(number=3), "item 2: 'number' is 3"),
    (lambda r: r["items"][0].update(text=""), "item 1: 'text' must not be empty"),
    (lambda r: r.update(options=[{"value": 0, "label": "Only one"}]), "needs at least two answers"),
    (lambda r: r["options"][1].update(value=1), "two options have the same value"),
    (lambda r: r["options"][1].update(value="2"), "'value' must be a int"),
    (lambda r: r["scoring"].update(method="mean"), "unknown method 'mean'"),
    (lambda r: r["scoring"].pop("higher_is_worse"), "missing 'higher_is_worse'"),
    (lambda r: r["scoring"]["conversion"].pop("6"), r"no score for raw totals \[6\]"),
    (lambda r: r["scoring"]["conversion"].update({"12": 20}), r"totals \[12\] are outside the possible 3-9"),
    (lambda r: r["scoring"]["conversion"].update({"7": "lots"}), "is not a number"),
    (lambda r: r["bands"][1].update(min=9), "bands 'low' and 'typical' overlap"),
    (lambda r: r["bands"][1].update(max=17), "no band covers the possible score 18.00"),
    (lambda r: r["bands"][0].update(min=11, max=10), "'min' 11.00 is above 'max' 10.00"),
    (lambda r: r["bands"][0].update(message=""), "'message' must not be empty"),
    (lambda r: r["bands"][1].update(key="low"), "two bands have the same key"),
    (lambda r: r["caseness"].pop("source"), "caseness: missing 'source'"),
    (lambda r: r["reliable_change"].update(threshold=0), "'threshold' must be above 0"),
    (lambda r: r.pop("reliable_change"), "missing 'reliable_change'"),
    (lambda r: r.pop("licence"), "missing 'licence'"),
    (lambda r: r["licence"].pop("note"), "licence: missing 'note'"),
    (
        lambda r: r.update(safety_items=[{"item": 4, "summary": "x", "levels": {"1": "high"}}]),
        "there is no item 4",
    ),
    (
        lambda r: r.update(safety_items=[{"item": 1, "summary": "x", "levels": {"1": "urgent"}}]),
        "'urgent' is not a risk level",
    ),
    (
        lambda r: r.update(safety_items=[{"item": 1, "summary": "x", "levels": {"7": "high"}}]),
        "item 1 has no answer with value 7",
    ),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_bad_definitions_are_rejected_with_a_clear_message(change, message):
    with pytest.raises(MeasureDefinitionError, match=message):
        definitions.parse(_with(change), path="wellbeing.json")


def test_the_good_definition_parses():
    assert definitions.parse(wellbeing_definition(), path="wellbeing.json").key == "test_wellbeing"


def test_shipped_definitions_name_their_source_and_licence():
    for measure in definitions.measures().values():
        assert measure.citation
        assert measure.licence
        assert "without copyright restriction" in measure.licence_note


def test_the_system_check_reports_a_bad_deployer_file(extra_dir):
    from outcomes.measures.checks import check_measure_definitions

    assert check_measure_definitions() == []
    raw = wellbeing_definition()
    raw["bands"][1]["max"] = 17
    (extra_dir / "wellbeing.json").write_text(json.dumps(raw))
    errors = check_measure_definitions()
    assert [error.id for error in errors] == ["outcomes.E001"]
    assert "wellbeing.json" in errors[0].msg
    assert "no band covers the possible score 18.00" in errors[0].msg
