"""Pure scoring: totals, bands, caseness, reliable change and recovery. No database, no Django.

Definitions follow NHS Talking Therapies as recorded in ``shared/docs/reference/
platforms-survey.md`` §2 (sources [O1]-[O5]):

- caseness: PHQ-9 >= 10 and/or GAD-7 >= 8 (each measure's ``caseness.cutoff``);
- reliable improvement / deterioration: a change of at least the measure's threshold (PHQ-9 6,
  GAD-7 4) in the better / worse direction between the first and the last score (the survey
  notes the symmetric deterioration rule is UNCONFIRMED in its stored source);
- recovery: a case at the first measurement and not a case at the last;
- reliable recovery: recovery and reliable improvement (Gyani et al. 2013).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from escalation.triage.rules import LEVEL_RANK
from outcomes.measures.definitions import Band, Measure


class AnswerError(ValueError):
    """The answers do not fit the measure: missing, extra or out-of-range. Nothing is scored."""

    def __init__(self, message: str, *, item: int | None = None) -> None:
        super().__init__(message)
        self.item = item


class Change(StrEnum):
    IMPROVED = "improved"
    DETERIORATED = "deteriorated"
    NO_RELIABLE_CHANGE = "no_reliable_change"


@dataclass(frozen=True)
class Scored:
    total: int
    score: Decimal
    band: Band
    is_case: bool | None  # None: the measure has no caseness cut-off
    safety_level: str  # "" when no safety item was answered above its lowest level
    safety_items: tuple[tuple[int, int, str], ...]  # (item number, answer, level) that triggered


def validate_answers(measure: Measure, answers: list[int] | tuple[int, ...]) -> list[int]:
    """One allowed value per item, in order; raise ``AnswerError`` naming the first bad item."""
    if not isinstance(answers, list | tuple):
        raise AnswerError("Answers must be a list.")
    if len(answers) != len(measure.items):
        raise AnswerError(f"{measure.name} has {len(measure.items)} questions; got {len(answers)} answers.")
    clean = []
    for item, value in zip(measure.items, answers, strict=True):
        if isinstance(value, bool) or not isinstance(value, int):
            raise AnswerError(f"Question {item.number} needs an answer.", item=item.number)
        if value not in item.values:
            raise AnswerError(f"Question {item.number}: {value} is not one of the answers.", item=item.number)
        clean.append(value)
    return clean


def total(measure: Measure, answers: list[int]) -> int:
    """The raw score: the sum of the answer values (every shipped measure scores this way)."""
    return sum(validate_answers(measure, answers))


def band_for(measure: Measure, score: Decimal | int) -> Band:
    score = Decimal(score)
    for band in measure.bands:
        if band.contains(score):
            return band
    raise ValueError(f"{measure.key}: no band for score {score}")  # the loader rules this out


def is_case(measure: Measure, score: Decimal | int) -> bool | None:
    """At or beyond the caseness cut-off, in the measure's 'worse' direction; None without one."""
    if measure.caseness_cutoff is None:
        return None
    score = Decimal(score)
    return score >= measure.caseness_cutoff if measure.higher_is_worse else score <= measure.caseness_cutoff


def reliable_change(measure: Measure, first: Decimal | int, last: Decimal | int) -> Change:
    """Improved / deteriorated if the score moved by at least the threshold in that direction."""
    delta = Decimal(last) - Decimal(first)
    better = -delta if measure.higher_is_worse else delta
    if better >= measure.reliable_change:
        return Change.IMPROVED
    if -better >= measure.reliable_change:
        return Change.DETERIORATED
    return Change.NO_RELIABLE_CHANGE


def recovered(measure: Measure, first: Decimal | int, last: Decimal | int) -> bool:
    """A case at the first measurement and not a case at the last (False if not a case at first)."""
    return bool(is_case(measure, first)) and not is_case(measure, last)


def reliably_recovered(measure: Measure, first: Decimal | int, last: Decimal | int) -> bool:
    """Recovery and reliable improvement, on one measure."""
    return recovered(measure, first, last) and reliable_change(measure, first, last) == Change.IMPROVED


def safety_hits(measure: Measure, answers: list[int]) -> tuple[tuple[int, int, str], ...]:
    hits = []
    for safety in measure.safety_items:
        value = answers[safety.item - 1]
        if value in safety.levels:
            hits.append((safety.item, value, safety.levels[value]))
    return tuple(hits)


def highest_level(levels: list[str] | tuple[str, ...]) -> str:
    known = [level for level in levels if level in LEVEL_RANK]
    return max(known, key=LEVEL_RANK.__getitem__) if known else ""


def score(measure: Measure, answers: list[int]) -> Scored:
    """Validate and score one set of answers."""
    clean = validate_answers(measure, answers)
    raw_total = sum(clean)
    value = measure.score_for_total(raw_total)
    hits = safety_hits(measure, clean)
    return Scored(
        total=raw_total,
        score=value,
        band=band_for(measure, value),
        is_case=is_case(measure, value),
        safety_level=highest_level([level for _, _, level in hits]),
        safety_items=hits,
    )


# --- paired PHQ-9 + GAD-7, as NHS Talking Therapies reports them -------------------------------


@dataclass(frozen=True)
class PairedOutcome:
    case_at_first: bool
    recovered: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool


def talking_therapies_outcome(
    *,
    depression: Measure,
    anxiety: Measure,
    first_depression: Decimal | int,
    first_anxiety: Decimal | int,
    last_depression: Decimal | int,
    last_anxiety: Decimal | int,
) -> PairedOutcome:
    """Outcome of a course with paired PHQ-9 (``depression``) and GAD-7 (``anxiety``) scores.

    As the platforms survey §2 records the NHS Talking Therapies rules ([O1]-[O5]):

    - a case at first: PHQ-9 >= 10 **or** GAD-7 >= 8 at the first measurement;
    - recovery: a case at first **and** not a case on either measure at the last;
    - reliable improvement: PHQ-9 down by >= 6 **or** GAD-7 down by >= 4 between first and last,
      and (the clause the survey marks as UNCONFIRMED wording, applied here because it is the
      conservative reading) neither measure reliably deteriorates;
    - reliable deterioration: either measure up by its threshold or more, and neither reliably
      improves (the symmetric rule; UNCONFIRMED in the survey's stored source);
    - reliable recovery: recovery **and** reliable improvement (Gyani et al. 2013).

    Callers reporting rates count recovery only over courses that were a case at first (and,
    in Talking Therapies, finished a course: two or more contacts with paired scores).
    """
    dep_change = reliable_change(depression, first_depression, last_depression)
    anx_change = reliable_change(anxiety, first_anxiety, last_anxiety)
    changes = (dep_change, anx_change)
    improved = Change.IMPROVED in changes and Change.DETERIORATED not in changes
    deteriorated = Change.DETERIORATED in changes and Change.IMPROVED not in changes
    case_first = bool(is_case(depression, first_depression)) or bool(is_case(anxiety, first_anxiety))
    case_last = bool(is_case(depression, last_depression)) or bool(is_case(anxiety, last_anxiety))
    recovery = case_first and not case_last
    return PairedOutcome(
        case_at_first=case_first,
        recovered=recovery,
        reliable_improvement=improved,
        reliable_deterioration=deteriorated,
        reliable_recovery=recovery and improved,
    )
