"""Rule sets: loading, validating and combining the versioned rule data.

A rule set is plain data (a mapping, as read from JSON), so the same shape can come from the
packaged ``data/rules.json`` or, later, from rules a clinical lead adds in the admin::

    {"version": "2025.11.1", "name": "local",
     "context": {"trivial": ["dissertation"]},          # extra cue words, merged in
     "rules": [{"id": "LOCAL-1", "kind": "signal", "category": "active_ideation",
                "level": "high", "patterns": ["..."]}]}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

LEVELS = ("none", "low", "moderate", "high", "imminent")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
CATEGORIES = (
    "passive_ideation",
    "active_ideation",
    "method_means",
    "plan",
    "timeline_intent",
    "preparation_farewell",
    "self_harm",
    "attempt_in_progress",
    "harm_to_others",
    "third_party_concern",
    "historical_recovery",
    "distress",
)
KINDS = ("signal", "idiom")
SCOPES = ("clause", "sentence", "near")
PERSONS = ("any", "self", "other", "you")
TENSES = ("present", "past", "progress")
CONTEXT_NAMES = (
    "negation",
    "negation_blockers",
    "self_subject",
    "other_subject",
    "concrete_other",
    "you_subject",
    "historical",
    "recent_weeks",
    "recent_days",
    "now",
    "timeline",
    "vague_future",
    "recovery",
    "easing",
    "laughter",
    "trivial",
    "sincerity",
    "support",
    "media",
    "info",
    "harmless",
    "thinking",
    "danger_now",
    "reassured",
    "intent",
    "distress",
)


class RuleError(ValueError):
    """A rule set is malformed; the message names the rule and the problem."""


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    category: str
    level: str
    patterns: tuple[str, ...]
    person: str = "any"
    tense: str = "present"
    act: bool = False
    weak: bool = False
    hyperbole_ok: bool = False
    subcategory: str = ""


@dataclass(frozen=True)
class Composition:
    """A signal read from concepts that meet: one concept from each group, close together.

    ``groups`` are tuples of concept names (alternatives). Every other group must be found within
    ``window`` words of the first, in the same clause, the same sentence, or ``near`` (the
    sentence before or after), after the previous group when ``ordered``. ``anchor`` names the
    group with the rarest words: a post without it skips the composition unread (speed only).
    The signal then goes through the same reading as a rule match (subject, negation, time,
    hyperbole, combinations), as ``rule``.
    """

    rule: Rule
    groups: tuple[tuple[str, ...], ...]
    window: int = 8
    scope: str = "sentence"
    ordered: bool = False
    anchor: int = 0


@dataclass(frozen=True)
class RuleSet:
    name: str
    version: str
    rules: tuple[Rule, ...]
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    expansions: Mapping[str, str] = field(default_factory=dict)
    fillers: tuple[str, ...] = ()
    fuzzy_words: tuple[str, ...] = ()
    concepts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    compositions: tuple[Composition, ...] = ()

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, name: str | None = None) -> RuleSet:
        if not isinstance(data, Mapping):
            raise RuleError("a rule set must be a mapping")
        version = data.get("version")
        if not isinstance(version, str) or not version:
            raise RuleError("a rule set needs a non-empty string 'version'")
        context = data.get("context", {})
        for key, words in context.items():
            if key not in CONTEXT_NAMES:
                raise RuleError(f"unknown context list {key!r}")
            _check_strings(words, f"context {key!r}")
        rules = tuple(_rule(raw) for raw in data.get("rules", ()))
        concepts = data.get("concepts", {})
        if not isinstance(concepts, Mapping):
            raise RuleError("'concepts' must map a concept name to a list of phrases")
        for key, words in concepts.items():
            _check_strings(words, f"concept {key!r}")
        compositions = tuple(_composition(raw, concepts) for raw in data.get("compositions", ()))
        seen: set[str] = set()
        for rule in (*rules, *(c.rule for c in compositions)):
            if rule.id in seen:
                raise RuleError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)
        return cls(
            name=name or data.get("name", "rules"),
            version=version,
            rules=rules,
            context={k: tuple(v) for k, v in context.items()},
            expansions=dict(data.get("expansions", {})),
            fillers=tuple(data.get("fillers", ())),
            fuzzy_words=tuple(data.get("fuzzy_words", ())),
            concepts={k: tuple(v) for k, v in concepts.items()},
            compositions=compositions,
        )

    @classmethod
    def default(cls) -> RuleSet:
        text = resources.files("escalation.triage").joinpath("data/rules.json").read_text(encoding="utf-8")
        return cls.from_data(json.loads(text), name="rules")


def _check_strings(values: Any, where: str) -> None:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise RuleError(f"{where}: expected a list of strings")
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise RuleError(f"{where}: every entry must be a non-empty string")


def inflect(pattern: str) -> list[str]:
    """Expand every word ending in '+' to its regular inflections: "end+ my life" gives "end my
    life", "ends my life", "ended my life", "ending my life" and "endin my life" (the dropped g of
    informal writing). Irregular forms are written out in the data."""
    words = pattern.split(" ")
    options: list[list[str]] = []
    for word in words:
        if len(word) > 1 and word.endswith("+"):
            options.append(_forms(word[:-1]))
        else:
            options.append([word])
    out = [""]
    for choices in options:
        out = [f"{prefix} {choice}".strip() for prefix in out for choice in choices]
    return out


def _forms(stem: str) -> list[str]:
    if stem.endswith("ie"):  # die, lie
        base = stem[:-2]
        return [stem, stem + "s", stem + "d", base + "ying", base + "yin"]
    if stem.endswith("e") and not stem.endswith("ee"):  # take, save, hope
        base = stem[:-1]
        return [stem, stem + "s", stem + "d", base + "ing", base + "in"]
    if stem.endswith(("s", "sh", "ch", "x")):
        return [stem, stem + "es", stem + "ed", stem + "ing", stem + "in"]
    if stem.endswith("y") and len(stem) > 2 and stem[-2] not in "aeiou":  # bury
        return [stem, stem[:-1] + "ies", stem[:-1] + "ied", stem + "ing", stem + "in"]
    return [stem, stem + "s", stem + "ed", stem + "ing", stem + "in"]


def _composition(raw: Mapping[str, Any], concepts: Mapping[str, Any]) -> Composition:
    rule = _rule({**raw, "patterns": ["(composition)"]})
    groups = raw.get("all")
    if not isinstance(groups, list) or not groups:
        raise RuleError(f"composition {rule.id}: 'all' must be a non-empty list of concept groups")
    parsed = []
    for group in groups:
        names = (group,) if isinstance(group, str) else tuple(group)
        for name in names:
            if name not in concepts:
                raise RuleError(f"composition {rule.id}: unknown concept {name!r}")
        parsed.append(names)
    scope = raw.get("scope", "sentence")
    if scope not in SCOPES:
        raise RuleError(f"composition {rule.id}: scope must be one of {SCOPES}")
    window = raw.get("window", 8)
    if not isinstance(window, int) or window < 1:
        raise RuleError(f"composition {rule.id}: window must be a positive number of words")
    anchor = raw.get("anchor", 0)
    if not isinstance(anchor, int) or not 0 <= anchor < len(parsed):
        raise RuleError(f"composition {rule.id}: anchor must be the index of one of its groups")
    return Composition(rule, tuple(parsed), window, scope, bool(raw.get("ordered", False)), anchor)


def _rule(raw: Mapping[str, Any]) -> Rule:
    if not isinstance(raw, Mapping):
        raise RuleError("each rule must be a mapping")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise RuleError("each rule needs a string 'id'")
    kind = raw.get("kind", "signal")
    if kind not in KINDS:
        raise RuleError(f"rule {rule_id}: kind must be one of {KINDS}")
    category = raw.get("category", "idiom" if kind == "idiom" else None)
    if kind == "signal" and category not in CATEGORIES:
        raise RuleError(f"rule {rule_id}: category must be one of {CATEGORIES}")
    level = raw.get("level", "none")
    if level not in LEVELS:
        raise RuleError(f"rule {rule_id}: level must be one of {LEVELS}")
    person = raw.get("person", "any")
    if person not in PERSONS:
        raise RuleError(f"rule {rule_id}: person must be one of {PERSONS}")
    tense = raw.get("tense", "present")
    if tense not in TENSES:
        raise RuleError(f"rule {rule_id}: tense must be one of {TENSES}")
    patterns = raw.get("patterns")
    _check_strings(patterns, f"rule {rule_id} patterns")
    if not patterns:
        raise RuleError(f"rule {rule_id}: needs at least one pattern")
    return Rule(
        id=rule_id,
        kind=kind,
        category=category,
        level=level,
        patterns=tuple(patterns),
        person=person,
        tense=tense,
        act=bool(raw.get("act", False)),
        weak=bool(raw.get("weak", False)),
        hyperbole_ok=bool(raw.get("hyperbole_ok", False)),
        subcategory=str(raw.get("subcategory", "")),
    )
