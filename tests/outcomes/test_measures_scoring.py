"""Scoring, bands, caseness, reliable change and recovery, against hand-computed cases.

Every expected value below was worked out by hand from the thresholds in
shared/docs/reference/platforms-survey.md §2 (PHQ-9 bands 0-4/5-9/10-14/15-19/20-27, caseness
>= 10, reliable change 6; GAD-7 bands 0-4/5-9/10-14/15-21, caseness >= 8, reliable change 4).
"""

from decimal import Decimal

import pytest

from outcomes.measures import definitions, scoring
from outcomes.measures.scoring import Change


@pytest.fixture(scope="module")
def phq9():
    return definitions.get("phq9")


@pytest.fixture(scope="module")
def gad7():
    return definitions.get("gad7")


def test_shipped_measures_load_with_their_published_thresholds(phq9, gad7):
    assert list(definitions.measures())[:2] == ["phq9", "gad7"]
    assert (len(phq9.items), phq9.min_total, phq9.max_total) == (9, 0, 27)
    assert (len(gad7.items), gad7.min_total, gad7.max_total) == (7, 0, 21)
    assert (phq9.caseness_cutoff, phq9.reliable_change) == (Decimal(10), Decimal(6))
    assert (gad7.caseness_cutoff, gad7.reliable_change) == (Decimal(8), Decimal(4))
    assert [(b.key, int(b.min), int(b.max)) for b in phq9.bands] == [
        ("minimal", 0, 4),
        ("mild", 5, 9),
        ("moderate", 10, 14),
        ("moderately_severe", 15, 19),
        ("severe", 20, 27),
    ]
    assert [(b.key, int(b.min), int(b.max)) for b in gad7.bands] == [
        ("minimal", 0, 4),
        ("mild", 5, 9),
        ("moderate", 10, 14),
        ("severe", 15, 21),
    ]
    assert phq9.items[8].text.startswith("Thoughts that you would be better off dead")
    assert [o.label for o in phq9.items[0].options] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]


@pytest.mark.parametrize(
    ("answers", "total", "band", "case"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal", False),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal", False),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild", False),
        ([2, 2, 2, 1, 1, 1, 0, 0, 0], 9, "mild", False),
        ([2, 2, 2, 1, 1, 1, 1, 0, 0], 10, "moderate", True),  # caseness starts at 10
        ([3, 3, 2, 2, 2, 1, 1, 0, 0], 14, "moderate", True),
        ([3, 3, 3, 2, 2, 2, 0, 0, 0], 15, "moderately_severe", True),
        ([3, 3, 3, 3, 2, 2, 2, 1, 0], 19, "moderately_severe", True),
        ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe", True),
        ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe", True),
    ],
)
def test_phq9_total_band_and_caseness(phq9, answers, total, band, case):
    scored = scoring.score(phq9, answers)
    assert (scored.total, scored.band.key, scored.is_case) == (total, band, case)
    assert scored.score == Decimal(total)


@pytest.mark.parametrize(
    ("answers", "total", "band", "case"),
    [
        ([0, 0, 0, 0, 0, 0, 0], 0, "minimal", False),
        ([1, 1, 1, 1, 0, 0, 0], 4, "minimal", False),
        ([1, 1, 1, 1, 1, 1, 1], 7, "mild", False),
        ([2, 1, 1, 1, 1, 1, 1], 8, "mild", True),  # GAD-7 caseness is 8, below the moderate band
        ([2, 2, 2, 1, 1, 1, 0], 9, "mild", True),
        ([2, 2, 2, 2, 1, 1, 0], 10, "moderate", True),
        ([3, 3, 3, 2, 2, 2, 0], 15, "severe", True),
        ([3, 3, 3, 3, 3, 3, 3], 21, "severe", True),
    ],
)
def test_gad7_total_band_and_caseness(gad7, answers, total, band, case):
    scored = scoring.score(gad7, answers)
    assert (scored.total, scored.band.key, scored.is_case) == (total, band, case)


@pytest.mark.parametrize(("item9", "level"), [(0, ""), (1, "moderate"), (2, "high"), (3, "imminent")])
def test_phq9_item_9_maps_to_a_risk_level(phq9, item9, level):
    scored = scoring.score(phq9, [0, 0, 0, 0, 0, 0, 0, 0, item9])
    assert scored.safety_level == level
    assert scored.safety_items == (((9, item9, level),) if item9 else ())


def test_gad7_has_no_safety_item(gad7):
    assert scoring.score(gad7, [3] * 7).safety_level == ""


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([0] * 8, "has 9 questions; got 8 answers"),
        ([0] * 10, "has 9 questions; got 10 answers"),
        ([0, 0, 0, 4, 0, 0, 0, 0, 0], "Question 4: 4 is not one of the answers"),
        ([0, 0, -1, 0, 0, 0, 0, 0, 0], "Question 3: -1 is not one of the answers"),
        ([0, 0, 0, 0, None, 0, 0, 0, 0], "Question 5 needs an answer"),
        ([0, 0, 0, 0, 0, "2", 0, 0, 0], "Question 6 needs an answer"),
        ([True, 0, 0, 0, 0, 0, 0, 0, 0], "Question 1 needs an answer"),
    ],
)
def test_bad_answers_are_refused(phq9, answers, message):
    with pytest.raises(scoring.AnswerError, match=message):
        scoring.score(phq9, answers)


@pytest.mark.parametrize(
    ("first", "last", "change"),
    [
        (16, 10, Change.IMPROVED),  # down 6: reliable
        (16, 11, Change.NO_RELIABLE_CHANGE),  # down 5: not reliable
        (10, 16, Change.DETERIORATED),  # up 6
        (10, 15, Change.NO_RELIABLE_CHANGE),  # up 5
        (27, 0, Change.IMPROVED),
        (12, 12, Change.NO_RELIABLE_CHANGE),
    ],
)
def test_phq9_reliable_change(phq9, first, last, change):
    assert scoring.reliable_change(phq9, first, last) == change


@pytest.mark.parametrize(
    ("first", "last", "change"),
    [
        (12, 8, Change.IMPROVED),  # down 4
        (12, 9, Change.NO_RELIABLE_CHANGE),  # down 3
        (5, 9, Change.DETERIORATED),  # up 4
        (5, 8, Change.NO_RELIABLE_CHANGE),
    ],
)
def test_gad7_reliable_change(gad7, first, last, change):
    assert scoring.reliable_change(gad7, first, last) == change


@pytest.mark.parametrize(
    ("first", "last", "recovered", "reliably"),
    [
        (14, 9, True, False),  # case -> not a case, but only down 5: recovery without reliable improvement
        (14, 8, True, True),  # down 6 and below 10
        (16, 10, False, False),  # down 6 but still a case at 10
        (9, 3, False, False),  # not a case at first: recovery does not apply
        (10, 4, True, True),
    ],
)
def test_phq9_recovery_and_reliable_recovery(phq9, first, last, recovered, reliably):
    assert scoring.recovered(phq9, first, last) is recovered
    assert scoring.reliably_recovered(phq9, first, last) is reliably


def paired(phq9, gad7, first, last):
    return scoring.talking_therapies_outcome(
        depression=phq9,
        anxiety=gad7,
        first_depression=first[0],
        first_anxiety=first[1],
        last_depression=last[0],
        last_anxiety=last[1],
    )


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        # (PHQ-9, GAD-7) first and last -> case_at_first, recovered, improved, deteriorated, reliable recovery
        ((15, 12), (8, 6), (True, True, True, False, True)),  # both down reliably, neither a case
        ((15, 12), (8, 9), (True, False, True, False, False)),  # GAD-7 9 is still a case: no recovery
        ((9, 8), (9, 7), (True, True, False, False, False)),  # case on GAD-7 only; recovers, change too small
        ((9, 7), (3, 2), (False, False, True, False, False)),  # not a case at first: improves, cannot recover
        ((12, 6), (5, 10), (True, False, False, False, False)),  # PHQ-9 improves, GAD-7 deteriorates: neither
        (
            (8, 5),
            (14, 6),
            (False, False, False, True, False),
        ),  # not a case at first; PHQ-9 up 6: deterioration
        ((11, 9), (5, 7), (True, True, True, False, True)),  # PHQ-9 down 6 alone is enough
    ],
)
def test_talking_therapies_paired_outcome(phq9, gad7, first, last, expected):
    outcome = paired(phq9, gad7, first, last)
    assert (
        outcome.case_at_first,
        outcome.recovered,
        outcome.reliable_improvement,
        outcome.reliable_deterioration,
        outcome.reliable_recovery,
    ) == expected
