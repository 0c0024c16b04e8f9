"""The triage engine: reads a post and proposes a risk level, with reasons.

Follows the decision rules of shared/docs/RISK-LEVELS.md:

1. idioms are found as their own rules and silence the death word they contain;
2. negation lowers only the signal it stands in front of, never an act or a preparation;
3. each signal is placed in time (now, days, weeks, history with a recovery frame);
4. each signal has a subject (the author, someone else, "you"), and reports about someone
   else are levelled by the urgency owed to that person;
5. spelling is undone by the normaliser before matching;
6. emoji and means words count only beside other risk, a time or "thinking about it";
7. every word is read, and the post takes its most severe signal;
8. combinations step up (a method, a plan, means at hand, a farewell or a time beside intent).
"""

from __future__ import annotations

import dataclasses
import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from itertools import accumulate, compress, count
from operator import add, itemgetter
from typing import Any

import ahocorasick

from escalation.triage.normalise import Lexicon, Normaliser, Words, collapse
from escalation.triage.rules import LEVEL_RANK, LEVELS, Composition, Rule, RuleSet, inflect

ENGINE_CODE_VERSION = "1.1.0"
_LEVEL_SCORE = {"none": 0.0, "low": 0.2, "moderate": 0.45, "high": 0.7, "imminent": 0.9}
_GAP = 3  # words a '*' in a pattern may stand for
_SUBJECT_WINDOW = 12
_NEGATION_WINDOW = 4
# Categories that a time ("tonight") turns from high into imminent when they are the author's own.
_TIMELINE_ESCALATES = frozenset(
    {"timeline_intent", "plan", "method_means", "preparation_farewell", "harm_to_others"}
)
_FIRST_AND_LENGTH = itemgetter(0, 1)
_PASSES = ("rules", "first", "near", "concepts")
_ANCHOR = "(anchor)"  # marks, in the "first" pass, a phrase of a composition's anchor concept
_FIRST_PASS_CONTEXT = frozenset({"distress", "laughter", "media"})
# Cues the engine asks about anywhere in a post (_Context.any); every other cue only matters
# near a rule match.
_ANYWHERE_CONTEXT = frozenset(
    {"support", "concrete_other", "recovery", "you_subject", "sincerity", "easing", "danger_now", "reassured"}
)
_PAST_MARKERS = frozenset({"since", "last", "from", "desde", "depuis", "seit", "od"})
# First words of active-ideation matches that name a state or a topic, not an act.
_NOT_AN_ACT = frozenset(
    {"suicidal", "sucidal", "suicide", "sui", "thoughts", "thought", "idees", "selbstmordgedanken"}
)
_IDEATION = frozenset({"passive_ideation", "active_ideation", "timeline_intent", "plan", "method_means"})


@dataclass(frozen=True)
class MatchedRule:
    rule_id: str
    category: str
    level: str
    effect: str  # counted | negated | idiom | addressed | topic | hyperbole | harmless | inactive
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Assessment:
    level: str
    score: float
    categories: tuple[str, ...]
    rules: tuple[MatchedRule, ...]
    engine_version: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["categories"] = list(self.categories)
        data["rules"] = [
            {**asdict(rule), "spans": [list(span) for span in rule.spans]} for rule in self.rules
        ]
        return data


@dataclass(slots=True)
class _Hit:
    rule: Rule
    first: int
    last: int
    spans: list[tuple[int, int]]
    level: str = "none"
    effect: str = "counted"
    subject: str = "self"
    time: str = ""


class Engine:
    """A compiled rule set. Build once, call :meth:`assess` many times (thread-safe)."""

    def __init__(
        self,
        rules: RuleSet | Mapping[str, Any] | None = None,
        *,
        extra: Iterable[RuleSet | Mapping[str, Any]] = (),
        disabled: Iterable[str] = (),
    ):
        base = (
            rules if isinstance(rules, RuleSet) else RuleSet.from_data(rules) if rules else RuleSet.default()
        )
        extras = [
            e if isinstance(e, RuleSet) else RuleSet.from_data(e, name=e.get("name", "extra")) for e in extra
        ]
        disabled = frozenset(disabled)
        self.version = self._version(base, extras, disabled)

        expansions_raw = dict(base.expansions)
        context: dict[str, list[str]] = {k: list(v) for k, v in base.context.items()}
        fillers = set(base.fillers)
        fuzzy = list(base.fuzzy_words)
        all_rules: dict[str, Rule] = {rule.id: rule for rule in base.rules}
        concepts: dict[str, list[str]] = {k: list(v) for k, v in base.concepts.items()}
        compositions: dict[str, Composition] = {c.rule.id: c for c in base.compositions}
        for ruleset in extras:
            for key, words in ruleset.concepts.items():
                concepts.setdefault(key, []).extend(words)
            for composition in ruleset.compositions:
                compositions[composition.rule.id] = composition
            expansions_raw.update(ruleset.expansions)
            fillers.update(ruleset.fillers)
            fuzzy.extend(ruleset.fuzzy_words)
            for key, words in ruleset.context.items():
                context.setdefault(key, []).extend(words)
            for rule in ruleset.rules:
                all_rules[rule.id] = rule  # a later set may replace a rule by id
        # Words written "end+" in a pattern stand for their regular inflections (see rules.inflect).
        self.rules = tuple(
            dataclasses.replace(rule, patterns=tuple(p for raw in rule.patterns for p in inflect(raw)))
            if any("+" in pattern for pattern in rule.patterns)
            else rule
            for rule_id, rule in all_rules.items()
            if rule_id not in disabled
        )
        self.compositions = tuple(c for c_id, c in compositions.items() if c_id not in disabled)
        self._composed = frozenset(c.rule.id for c in self.compositions)
        concepts = {k: [p for raw in v for p in inflect(raw)] for k, v in concepts.items()}

        # Expansions are normalised once with a bare normaliser, then the real one is built.
        bare = Normaliser(Lexicon({}, frozenset(), ()), frozenset())
        expansions: dict[str, tuple[str, ...]] = {}
        for key, value in expansions_raw.items():
            words = tuple(w for raw in value.split() for w in bare.word(raw))
            expansions[key.lower()] = words
            expansions[collapse(key.lower())] = words
        lexicon = Lexicon(expansions, frozenset(collapse(f) for f in fillers), tuple(fuzzy))
        vocabulary: set[str] = set()
        for rule in self.rules:
            for pattern in rule.patterns:
                vocabulary.update(w for raw in pattern.split() for w in bare.word(raw))
        for words in (*context.values(), *concepts.values()):
            for phrase in words:
                vocabulary.update(w for raw in phrase.split() for w in bare.word(raw))
        for value in expansions.values():
            vocabulary.update(value)
        vocabulary.update(("i", "a", "to", "my", "me", "want", "so", "is", "on", "the", "and", "it"))
        self.normaliser = Normaliser(lexicon, frozenset(vocabulary))

        # Phrase index: first word -> {phrase length}; phrase tuple -> [(kind, payload)].
        self._index: dict[tuple[str, ...], list[tuple[str, Any]]] = {}
        self._first: dict[str, Any] = {}  # sets while building, then sorted tuples
        self._wild: list[tuple[Rule, list[tuple[str, ...]]]] = []
        for rule in self.rules:
            for pattern in rule.patterns:
                pieces = [self._phrase(p) for p in pattern.split("*")]
                pieces = [p for p in pieces if p]
                if len(pieces) > 1:
                    # Only the first piece is looked up; the others are checked in place, so a
                    # common later piece ("gave my * to") costs nothing where no first piece is.
                    self._wild.append((rule, pieces))
                    self._add(pieces[0], ("piece", (len(self._wild) - 1, 0)))
                elif pieces:
                    self._add(pieces[0], ("rule", rule))
        for name, phrases in context.items():
            for phrase in phrases:
                words = self._phrase(phrase)
                if words:
                    self._add(words, ("ctx", name))
        # Concepts are composed in _compose; the anchor concepts are looked for first, the others
        # only near an anchor.
        used = {name for c in self.compositions for group in c.groups for name in group}
        anchor_names = {name for c in self.compositions for name in c.groups[c.anchor]}
        self._concept_words: dict[str, list[tuple[str, ...]]] = {}
        for name, phrases in concepts.items():
            if name not in used:
                continue
            for phrase in phrases:
                words = self._phrase(phrase)
                if words and ("concept", name) not in self._index.get(words, ()):
                    self._add(words, ("concept", name))
                    self._concept_words.setdefault(name, []).append(words)
        self.normaliser.set_keys(self._key_words(context), self._joinable())
        self._first = {word: tuple(sorted(lengths)) for word, lengths in self._first.items()}
        # Every phrase as " w1 w2 ", so one Aho-Corasick pass over " ".join(words) finds each
        # occurrence of each phrase, overlapping ones included, on whole words only. Three
        # automata: (1) the rules; (2) the cues the engine looks for anywhere in a post
        # (distress, laughter, media, support, recovery...) and the anchor concepts of the
        # compositions; (3) the cues it only looks for near a rule match, searched only there
        # (see _near_ranges); and (4) the concepts, searched only in a post holding an anchor.
        self._automata = {part: ahocorasick.Automaton() for part in _PASSES}
        for words, values in self._index.items():
            key = " " + " ".join(words) + " "
            rules = [value for value in values if value[0] not in ("ctx", "concept")]
            if rules:
                self._automata["rules"].add_word(key, (len(key), len(words), rules))
            concept_values = [value for value in values if value[0] == "concept"]
            if concept_values:
                self._automata["concepts"].add_word(key, (len(key), len(words), concept_values))
            names: dict[str, list[str]] = {}
            if any(name in anchor_names for _, name in concept_values):
                names["first"] = [_ANCHOR]
            for kind, name in values:
                if kind == "ctx":
                    part = "first" if name in _FIRST_PASS_CONTEXT or name in _ANYWHERE_CONTEXT else "near"
                    names.setdefault(part, []).append(name)
            for part, part_names in names.items():
                self._automata[part].add_word(key, (len(key), len(words), tuple(part_names)))
        for automaton in self._automata.values():
            if len(automaton):
                automaton.make_automaton()
        self._window = max((c.window for c in self.compositions), default=0)
        self._longest = max((len(words) for words in self._index), default=1)
        self._none = Assessment("none", 0.0, (), (), self.version)

    def _key_words(self, context: Mapping[str, list[str]]) -> frozenset[str]:
        """One word of every rule pattern and distress cue: a post with none of them is ``none``.

        Without a rule match or a distress cue nothing can raise a post above ``none`` (context
        cues only qualify matches), so the normaliser may skip building the words of a post that
        holds no key word. The key of a pattern is its least common word across all patterns, so
        everyday words ("i", "to") rarely make a post "hot".
        """
        frequency: dict[str, int] = {}
        for words in self._index:
            for word in set(words):
                frequency[word] = frequency.get(word, 0) + 1
        patterns: list[tuple[str, ...]] = []
        for rule in self.rules:
            for pattern in rule.patterns:
                patterns.append(tuple(w for piece in pattern.split("*") for w in self._phrase(piece)))
        patterns += [self._phrase(phrase) for phrase in context.get("distress", ())]
        # A composition needs its anchor concept: one word of each anchor phrase is a key.
        for composition in self.compositions:
            for name in composition.groups[composition.anchor]:
                patterns += self._concept_words.get(name, ())
        keys = set()
        for words in patterns:
            if words:
                keys.add(min(words, key=lambda word: (frequency.get(word, 0), -len(word), word)))
        return frozenset(keys)

    def _joinable(self) -> frozenset[tuple[str, ...]]:
        """Every run of two or more words inside a signal pattern ("sewer slide", "kil myself")."""
        runs: set[tuple[str, ...]] = set()
        for rule in self.rules:
            if rule.kind != "signal":
                continue
            for pattern in rule.patterns:
                for piece in pattern.split("*"):
                    words = self._phrase(piece)
                    for i in range(len(words)):
                        for j in range(i + 2, len(words) + 1):
                            runs.add(words[i:j])
        return frozenset(runs)

    @staticmethod
    def _version(base: RuleSet, extras: list[RuleSet], disabled: frozenset[str]) -> str:
        version = f"{ENGINE_CODE_VERSION}+{base.name}.{base.version}"
        for ruleset in extras:
            version += f"+{ruleset.name}.{ruleset.version}"
        if disabled:
            digest = hashlib.sha256(",".join(sorted(disabled)).encode()).hexdigest()[:8]
            version += f"+disabled.{digest}"
        return version

    def _phrase(self, phrase: str) -> tuple[str, ...]:
        return tuple(self.normaliser.words(phrase.strip()).words)

    def _add(self, words: tuple[str, ...], value: tuple[str, Any]) -> None:
        self._index.setdefault(words, []).append(value)
        self._first.setdefault(words[0], set()).add(len(words))

    # ------------------------------------------------------------------ matching

    def _scan(
        self, w: Words, *, reference: bool = False
    ) -> tuple[list[_Hit], dict[str, list[tuple[int, int]]]]:
        words = w.words
        joined = " " + " ".join(words) + " "
        composed: list[_Hit] = []
        if reference or joined.count(" ") != len(words) + 1:  # (a word with a space in it)
            occurrences = self._occurrences_by_word(words)
            rule_found = [(i, n, [v for v in vs if v[0] != "ctx"]) for i, n, vs in occurrences]
            ctx_found = [(i, n, tuple(p for k, p in vs if k == "ctx")) for i, n, vs in occurrences]
            rule_found, composed = self._split_concepts(w, rule_found)
        else:
            # Word k starts at character 1 + k + (letters in the words before it).
            positions = list(map(add, accumulate(map(len, words), initial=0), count(1)))
            word_at = dict(zip(positions, range(len(positions)), strict=True))
            automata = self._automata
            rule_found = self._occurrences(joined, word_at, automata["rules"])
            # Each cue list comes from one automaton, each search in word order: the lists
            # stay in word order without a merge.
            ctx_found = self._occurrences(joined, word_at, automata["first"])
            if self._concept_words and any(names[0] == _ANCHOR for _, _, names in ctx_found):
                found = self._occurrences(joined, word_at, automata["concepts"])
                composed = self._split_concepts(w, found)[1]
            if rule_found or composed:
                anchors = [(i, i + length - 1) for i, length, _ in rule_found]
                anchors += [(h.first, h.last) for h in composed]
                for start, end in self._near_ranges(w, anchors, positions):
                    ctx_found += self._occurrences(joined, word_at, automata["near"], start, end)
        hits: list[_Hit] = composed
        ctx: dict[str, list[tuple[int, int]]] = {}
        pieces: dict[int, list[tuple[int, int, int]]] = {}
        sentence: list[int] | None = None  # built on first need
        for i, length, names in ctx_found:
            last = i + length - 1
            if length > 1:
                if sentence is None:
                    sentence = w.sentence
                if sentence[i] != sentence[last]:
                    continue
            for name in names:
                ctx.setdefault(name, []).append((i, last))
        for i, length, values in rule_found:
            last = i + length - 1
            if length > 1:
                if sentence is None:
                    sentence = w.sentence
                if sentence[i] != sentence[last]:
                    continue
            for kind, payload in values:
                if kind == "rule":
                    hits.append(_Hit(payload, i, last, [w.span(i, last)]))
                else:
                    wild_id, piece_no = payload
                    pieces.setdefault(wild_id, []).append((piece_no, i, last))
        if pieces:
            sentence = w.sentence
        words = w.words
        for wild_id, found in pieces.items():
            rule, parts = self._wild[wild_id]
            for _, i, last in found:
                chain = [(i, last)]
                for piece in parts[1:]:
                    prev_last = chain[-1][1]
                    size = len(piece)
                    for a in range(prev_last + 1, min(prev_last + 2 + _GAP, len(words) - size + 1)):
                        b = a + size - 1
                        if sentence[a] == sentence[i] == sentence[b] and tuple(words[a : b + 1]) == piece:
                            chain.append((a, b))
                            break
                    else:
                        break
                if len(chain) == len(parts):
                    hits.append(_Hit(rule, i, chain[-1][1], [w.span(a, b) for a, b in chain]))
        return hits, ctx

    def _split_concepts(self, w: Words, found: list) -> tuple[list, list[_Hit]]:
        """Take the concept occurrences out of the rule matches and compose them into signals."""
        rules: list = []
        concepts: dict[str, list[tuple[int, int]]] = {}
        sentence = None
        for i, length, values in found:
            plain = [v for v in values if v[0] != "concept"]
            if len(plain) != len(values):
                last = i + length - 1
                if length > 1:
                    if sentence is None:
                        sentence = w.sentence
                    if sentence[i] != sentence[last]:
                        continue
                for kind, name in values:
                    if kind == "concept":
                        concepts.setdefault(name, []).append((i, last))
            if plain:
                rules.append((i, length, plain))
        return rules, (self._compose(w, concepts) if concepts else [])

    def _compose(self, w: Words, concepts: dict[str, list[tuple[int, int]]]) -> list[_Hit]:
        """Signals where one concept of each group of a composition meets (see rules.Composition)."""
        hits: list[_Hit] = []
        seen: set[tuple[str, int, int]] = set()
        sentence = clause = None
        present = concepts.keys()
        for comp in self.compositions:
            if not all(not present.isdisjoint(group) for group in comp.groups):
                continue
            groups = [sorted({o for name in group for o in concepts.get(name, ())}) for group in comp.groups]
            if sentence is None:
                sentence, clause = w.sentence, w.clause
            scope = comp.scope
            for anchor in groups[0]:
                chosen = [anchor]
                for occurrences in groups[1:]:
                    prev_last = chosen[-1][1]
                    best, best_distance = None, comp.window + 1
                    for a, b in occurrences:
                        if comp.ordered and a <= prev_last:
                            continue
                        if any(a <= y and x <= b for x, y in chosen):
                            continue
                        distance = max(a - anchor[1], anchor[0] - b)
                        if distance >= best_distance:
                            continue
                        if scope == "clause":
                            if clause[a] != clause[anchor[0]]:
                                continue
                        elif scope == "sentence":
                            if sentence[a] != sentence[anchor[0]]:
                                continue
                        elif abs(sentence[a] - sentence[anchor[0]]) > 1:
                            continue
                        best, best_distance = (a, b), distance
                    if best is None:
                        break
                    chosen.append(best)
                else:
                    first, last = min(a for a, _ in chosen), max(b for _, b in chosen)
                    key = (comp.rule.id, first, last)
                    if key in seen:
                        continue
                    seen.add(key)
                    hits.append(_Hit(comp.rule, first, last, [w.span(a, b) for a, b in sorted(chosen)]))
        return hits

    @staticmethod
    def _occurrences(
        joined: str, word_at: dict[int, int], automaton: Any, start: int = 0, end: int | None = None
    ) -> list[tuple[int, int, list[tuple[str, Any]]]]:
        """Every (first word, length, index entries) of a phrase in joined[start:end], in order."""
        found = [
            (word_at[stop - key_length + 2], length, values)
            for stop, (key_length, length, values) in automaton.iter(
                joined, start, len(joined) if end is None else end
            )
        ]
        found.sort(key=_FIRST_AND_LENGTH)
        return found

    def _near_ranges(
        self, w: Words, anchors: list[tuple[int, int]], positions: list[int], reach: int | None = None
    ) -> list[tuple[int, int]]:
        """Character ranges of the joined words where a cue can bear on a rule match.

        The engine reads these cues within two sentences before a match, in its sentence and
        the one after, and at most _SUBJECT_WINDOW words before it (subject, negation, intent);
        a range reaches back a further phrase length so no cue ending inside the window is cut.
        """
        sentence = w.sentence
        words = w.words
        back = 2 if reach is None else 1  # rule cues: two sentences back; concepts: one
        reach = (_SUBJECT_WINDOW if reach is None else reach) + self._longest
        ranges = []
        for first, last in anchors:
            begin = min(bisect_left(sentence, sentence[first] - back), max(0, first - reach))
            stop = bisect_right(sentence, sentence[last] + 1) - 1
            if back == 1:  # a concept within the composition window, across sentences
                stop = max(stop, min(len(words) - 1, last + reach))
            ranges.append((positions[begin] - 1, positions[stop] + len(words[stop]) + 1))
        ranges.sort()
        merged = [ranges[0]]
        for start, end in ranges[1:]:
            if start < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def _occurrences_by_word(self, words: list[str]) -> list[tuple[int, int, list[tuple[str, Any]]]]:
        """The same as :meth:`_occurrences`, one word at a time (the reference implementation)."""
        n = len(words)
        index, first = self._index, self._first
        found = []
        for i in compress(range(n), map(first.__contains__, words)):
            for length in first[words[i]]:
                if i + length <= n:
                    values = index.get(tuple(words[i : i + length]))
                    if values:
                        found.append((i, length, values))
        return found

    # ------------------------------------------------------------------ assessment

    def assess(self, text: str, *, reference: bool = False) -> Assessment:
        """Read a post and propose a level with reasons.

        ``reference=True`` takes the slow, word-by-word path (every word normalised in turn,
        every phrase looked up at every word); tests check that both paths agree exactly.
        """
        if not isinstance(text, str):
            raise TypeError("assess() needs a string")
        if reference:
            w = self.normaliser.words(text)
            hits, ctx = self._scan(w, reference=True)
        else:
            w = self.normaliser.read(text)
            if w is None:  # no key word anywhere: nothing can match
                return self._none
            hits, ctx = self._scan(w)
        c = _Context(w, ctx)

        idioms = [h for h in hits if h.rule.kind == "idiom"]
        signals = [h for h in hits if h.rule.kind == "signal"]
        # A longer signal inside the same words wins over a shorter one of the same category.
        # The same words in two rules ("vou me matar": ideation and intent): the intent reads first.
        signals.sort(key=lambda h: (h.first, -(h.last - h.first), h.rule.category not in _TIMELINE_ESCALATES))
        kept: list[_Hit] = []
        hidden: list[_Hit] = []  # a rule match hidden by a composition still hides what it holds
        for h in signals:
            # Inside a longer signal: "going to kill myself" reads as one thing; but a weak
            # phrase around a strong one ("how many * would it take") never hides it.
            # A composition hides only what it outranks ("want ... end my life ... be dead" stays high).
            if any(
                k.first <= h.first
                and h.last <= k.last
                and (h.rule.weak or not k.rule.weak)
                and (k.rule.id not in self._composed or LEVEL_RANK[k.rule.level] >= LEVEL_RANK[h.rule.level])
                for k in (*kept, *hidden)
            ):
                if h.rule.id not in self._composed:
                    hidden.append(h)
                continue
            kept.append(h)
        signals = kept

        for h in idioms:
            h.effect, h.level = "idiom", "none"

        def holds_idiom(h: _Hit, i: _Hit) -> bool:
            return (
                len(h.spans) == 1  # a '*' gap filled by an idiom ("took my evening tablets") is not
                and h.first <= i.first
                and i.last <= h.last
                and h.last - h.first > i.last - i.first
            )

        silenced: list[_Hit] = []
        for h in signals:
            # An idiom silences the signal it overlaps, unless it lies inside a longer signal
            # ("wouldn't care if I died" holds the idiom "I died").
            if any(i.first <= h.last and h.first <= i.last and not holds_idiom(h, i) for i in idioms):
                h.effect, h.level = "idiom", "none"
                silenced.append(h)
                continue
            self._judge(h, c)
        # A composition silenced by an idiom gives back the rule match it hid when that match holds
        # the idiom ("wouldn't be bothered if I died tonight": the wish, around "I died").
        for h in hidden:
            overlapping = [i for i in idioms if i.first <= h.last and h.first <= i.last]
            inside_silenced = any(k.first <= h.first and h.last <= k.last for k in silenced)
            if overlapping and inside_silenced and all(holds_idiom(h, i) for i in overlapping):
                self._judge(h, c)
                signals.append(h)

        self._combine(signals, c)
        counted = [h for h in signals if h.effect == "counted"]
        level = max((h.level for h in counted), key=LEVEL_RANK.__getitem__, default="none")
        categories = {h.rule.category for h in counted if LEVEL_RANK[h.level] >= LEVEL_RANK[level] - 1}
        distress = [
            (a, b)
            for a, b in c.ctx.get("distress", ())
            if not c.in_sentence("laughter", w.sentence[a])
            and not c.in_sentence("media", w.sentence[a])
            and not any(i.first <= b and a <= i.last for i in idioms)  # "died" in "died inside"
            # A supportive reply's "you don't have to be alone" is not the author's distress.
            and not (c.any("support") and c.in_sentence("you_subject", w.sentence[a]))
        ]
        if level == "none" and distress:
            level = "low"
            categories.add("distress")
            signals.append(
                _Hit(_DISTRESS, distress[0][0], distress[-1][1], [w.span(a, b) for a, b in distress], "low")
            )
        if level in ("none", "low") and any(h.effect == "negated" for h in signals):
            level = "low"
        if level == "low" and any(h.time == "historical" and h.effect == "counted" for h in signals):
            categories.add("historical_recovery")
        categories.discard("distress") if level != "low" else None
        strength = sum(1 for h in counted if h.level == level)
        score = (
            0.0
            if level == "none"
            else min(_LEVEL_SCORE[level] + 0.03 * (strength - 1), _LEVEL_SCORE[level] + 0.09)
        )
        matched = tuple(
            MatchedRule(h.rule.id, h.rule.category, h.level, h.effect, tuple(h.spans))
            for h in sorted(idioms + signals, key=lambda h: h.spans[0])
        )
        return Assessment(level, round(score, 3), tuple(sorted(categories)), matched, self.version)

    def _judge(self, h: _Hit, c: _Context) -> None:
        """Level one signal on its own: subject, negation, time, topic and hyperbole."""
        rule = h.rule
        h.level = rule.level
        if rule.person != "any":
            h.subject = rule.person
        elif c.starts_with("self_subject", h.first):  # "I took all of them", "I've decided": the author
            h.subject = "self"
        else:
            h.subject = c.subject(h.first)
        sentence = c.sentence[h.first]
        # "Does anyone know if a fall from the fourth floor would kill you" asks about a method
        # (research), unless the post is a supportive reply.
        research = rule.category == "method_means" and rule.person == "any" and not c.any("support")
        if h.subject == "you" and not research:
            h.effect, h.level = "addressed", "none"
            return
        if h.subject == "you":
            h.subject = "self"
        # An act said with its own "my" ("gave my guitar to", "updated my will") is the author's.
        explicit_self = rule.person == "self" or (
            h.subject == "self" and c.explicit_self(h.first, through=h.last if rule.act else None)
        )
        # "Reading about..." is a topic, unless the post says it is not ("not for a project").
        topic = c.in_sentence("media", sentence) or c.in_sentence("info", sentence)
        if not explicit_self and topic and not c.any("sincerity"):
            h.effect, h.level = "topic", "none"
            return
        if h.subject == "other" and c.any("support") and not c.any("concrete_other"):
            h.effect, h.level = "addressed", "none"
            return
        if c.negated(h.first) and not rule.act and rule.category != "attempt_in_progress":
            h.effect, h.level = "negated", "low"
            return
        h.time = c.time(h.first, h.last)
        if c.any("recovery") and rule.tense == "past" and not h.time:
            h.time = "historical"
        past_act = rule.category in ("self_harm", "attempt_in_progress") and rule.tense == "past"
        # ... but in another clause ("therapy helped, but last night I cut again") a recent time stands.
        # A relapse ("hurt myself again last night after three months clean") is current too.
        relapse = "again" in c.w.words[h.first : h.last + 3] and h.time in ("now", "recent_days")
        if (
            past_act
            and not relapse
            and (
                c.in_clause("recovery", c.clause[h.first])
                or (
                    c.in_sentence("recovery", sentence)
                    and not (
                        c.in_clause("now", c.clause[h.first]) or c.in_clause("recent_days", c.clause[h.first])
                    )
                )
            )
        ):
            h.time = "historical"  # "two years clean from cutting today": the act is history
        if h.subject == "other":
            h.level = self._other_level(h, c)
            return
        if c.any("support") and (rule.tense == "past" or h.time == "historical") and c.any("you_subject"):
            h.effect, h.level = "addressed", "none"
            return
        if rule.id in self._composed and any(h.last < a <= h.last + 3 for a, _ in c.ctx.get("trivial", ())):
            h.effect, h.level = "harmless", "none"  # "if we lose again I'm done with football"
            return
        h.level = self._self_level(h, c)
        if rule.hyperbole_ok and not c.any("sincerity"):
            clause = c.clause[h.first]
            # Words as normalised (repeats collapsed: "keep" reads "kep").
            thought = {"thinking", "think", "thoughts", "kep", "picturing", "imagining", "imagine"} & set(
                c.w.words[max(0, h.first - 3) : h.first]
            )
            # A one- or two-word outburst ("kms.") is read with the sentence after it.
            outburst = c.sentence_length(sentence) <= 2
            laughing = c.in_sentence("laughter", sentence) or (
                outburst
                and (c.in_sentence("laughter", sentence + 1) or c.in_sentence("trivial", sentence + 1))
            )
            if not thought and (laughing or c.trivial_in_clause(clause)):
                h.effect = "hyperbole"

    @staticmethod
    def _self_level(h: _Hit, c: _Context) -> str:
        rule, time = h.rule, h.time
        category = rule.category
        if time == "historical":
            return "low" if c.any("recovery") else "moderate"
        if category == "attempt_in_progress":
            if rule.tense == "progress":
                return "high" if time in ("recent_days", "recent_weeks") else "imminent"
            return "high"
        if category == "self_harm":
            if rule.level == "moderate":
                return "moderate"
            return "moderate" if time == "recent_weeks" else "high"
        if rule.tense == "past" and not time:
            return "low" if c.any("recovery") else "moderate"
        if category in ("passive_ideation", "active_ideation") and c.any("easing") and time != "now":
            return "moderate"
        return rule.level

    @staticmethod
    def _other_level(h: _Hit, c: _Context) -> str:
        rule, time = h.rule, h.time
        category = rule.category
        if time == "historical":
            return "low"
        if rule.id == "AT-PAST" and c.w.words[h.last] == "suicide":
            return "low"  # "died by suicide", "lost him to suicide": exposure and grief
        if rule.id == "AT-PAST" and c.w.words[h.first] in ("kiled", "tok"):
            # "killed himself", "took her own life": a death, not a danger; fresh grief is followed up.
            return "moderate" if time in ("now", "recent_days") else "low"
        danger = c.danger_now() or c.in_sentence("timeline", c.sentence[h.first])
        if category == "attempt_in_progress":
            if rule.tense == "progress":
                return "imminent" if time not in ("recent_days", "recent_weeks") else "high"
            return {"recent_days": "high"}.get(time, "moderate")
        if danger and category in ("active_ideation", "timeline_intent", "preparation_farewell", "plan"):
            return "imminent"
        # Someone else with the means at hand, or at a height, while unreachable: danger now.
        if c.unreachable() and category == "method_means" and rule.subcategory != "research":
            return "imminent"
        if category == "self_harm":
            return "high" if time in ("recent_days", "now") and rule.tense == "past" else "moderate"
        if category in ("method_means", "plan", "preparation_farewell"):
            return "high"
        return "moderate"

    @staticmethod
    def _combine(signals: list[_Hit], c: _Context) -> None:
        """Post-level steps: weak signals, hyperbole, and combinations that raise the level."""
        live = [h for h in signals if h.effect in ("counted", "hyperbole")]
        # A hyperbole ("gonna jump off a bridge lmao") gives no context to a weak signal.
        strong_self = [
            h
            for h in live
            if h.effect == "counted"
            and not h.rule.weak
            and h.subject == "self"
            and h.rule.category not in ("passive_ideation", "self_harm")
            and LEVEL_RANK[h.level] >= LEVEL_RANK["moderate"]
        ]
        for h in live:
            # A farewell or giving things away beside a move, a holiday or bedtime is harmless.
            farewell = h.rule.category == "preparation_farewell"
            # A place or a means beside the farewell ("the cliff top... not coming back") keeps it.
            other_risk = any(k.rule.category != "preparation_farewell" for k in strong_self) or any(
                k.rule.category == "method_means" and k.subject == "self" for k in live
            )
            # Someone else's farewell beside a danger cue ("can't get hold of him") stays.
            danger = h.subject == "other" and c.danger_now()
            if farewell and c.near("harmless", h.first, h.last) and not other_risk and not danger:
                h.effect, h.level = "harmless", "none"
        for h in live:
            if not h.rule.weak or h.subject == "you":
                continue
            sentence = c.sentence[h.first]
            # A vague cue beside a harmless frame ("Tonight's the night! First date") or a
            # trivial topic ("I'm done with football") is that frame; a real signal is not.
            loose = h.rule.category in ("timeline_intent", "preparation_farewell")
            danger = h.subject == "other" and c.danger_now()  # no harmless reading
            # Final arrangements or a plan beside a real risk signal stay, whatever they were given to ("boxed
            # up my books for the charity shop ... nothing left except the last part").
            kept_arrangement = (
                h.rule.category in ("preparation_farewell", "plan")
                and h.subject == "self"
                and (
                    strong_self
                    or any(k.subject != "you" and k.rule.category in _IDEATION for k in live if k is not h)
                )
            )
            if not danger and (
                (c.in_sentence("harmless", sentence) and not kept_arrangement)
                or (
                    loose
                    and not strong_self
                    and (
                        c.near("harmless", h.first, h.last)
                        or any(h.last < a <= h.last + 3 for a, _ in c.ctx.get("trivial", ()))
                    )
                )
            ):
                h.effect, h.level = "harmless", "none"
                continue
            # Another weak signal is context, even of the same rule when it says something else
            # ("not coming back" ... "got everything ready"); two means words are not.
            place = h.rule.subcategory == "location"
            loose = h.rule.category != "attempt_in_progress" and not place
            others = [
                k
                for k in live
                if k.rule.weak
                and k is not h
                and (k.last < h.first or h.last < k.first)
                and (
                    k.rule.id != h.rule.id
                    # the same rule saying something else close by ("not coming back" ...
                    # "got everything ready"); two means or place words are not context
                    or (
                        (h.rule.category != "method_means" or h.rule.subcategory == "research")
                        and c.w.words[k.first : k.last + 1] != c.w.words[h.first : h.last + 1]
                        and abs(c.sentence[k.first] - c.sentence[h.first]) <= 2
                    )
                )
            ]
            context = (
                strong_self
                or others
                # A time or "thinking about it" wakes a vague intent or a means word; an act said
                # vaguely ("it's done") or a place ("the cliff path on Sunday") needs more.
                or (loose and c.near("timeline", h.first, h.last))
                # Swallowed "an hour ago" and feeling it ("heavy", "far away"): an act, not a mention.
                or (
                    h.rule.category == "attempt_in_progress"
                    and h.subject == "self"
                    and h.time == "now"
                    and c.near("distress", h.first, h.last)
                )
                # Means held now ("the gun in my hand right now") are not a vague mention.
                or (h.rule.subcategory == "means_at_hand" and h.time == "now" and h.subject == "self")
                or (loose and c.near("thinking", h.first, h.last))
                or (loose and c.near("sincerity", h.first, h.last))  # "I'm done, I mean it"
                # Being at a height now, or final arrangements, beside distress (rule 8).
                or (
                    (
                        (place and h.rule.category == "attempt_in_progress")
                        or (h.rule.category == "preparation_farewell" and h.subject == "self")
                    )
                    and (c.near("distress", h.first, h.last) or (place and h.time == "now"))
                )
                or (h.subject == "other" and any(k.subject == "other" and not k.rule.weak for k in live))
                # Someone else's means beside "not answering", "drove off": danger now (rule 4).
                or (h.subject == "other" and h.rule.category == "method_means" and c.unreachable())
            )
            self_harm_frame = any(k.rule.category == "self_harm" for k in live) and not strong_self
            if not context or (self_harm_frame and h.rule.category == "method_means"):
                h.effect, h.level = "inactive", "none"

        live = [h for h in signals if h.effect in ("counted", "hyperbole")]
        sincere = [h for h in live if h.effect == "counted" and LEVEL_RANK[h.level] >= LEVEL_RANK["moderate"]]
        if any(h.effect == "hyperbole" for h in live):
            # Crying faces beside a hyperbole are laughter (rule 6); words of distress are not.
            worded = any(c.w.words[a][0] != ":" for a, _ in c.ctx.get("distress", ()))
            if sincere or worded:
                for h in live:
                    if h.effect == "hyperbole":
                        h.effect = "counted"
            else:
                for h in live:
                    if h.effect == "hyperbole":
                        h.level = "none"
                return

        own = [h for h in live if h.effect == "counted" and h.subject == "self" and h.time != "historical"]
        categories = {h.rule.category for h in own if LEVEL_RANK[h.level] >= LEVEL_RANK["moderate"]}
        subcats = {h.rule.subcategory for h in own}
        preparations = {
            h.rule.id
            for h in own
            if h.rule.category == "preparation_farewell" and LEVEL_RANK[h.level] >= LEVEL_RANK["high"]
        }
        for h in own:
            if h.rule.tense == "past" or h.time in ("recent_weeks", "historical"):
                continue
            cat = h.rule.category
            raise_to = None
            intends = (
                # (research done at 3am is not a plan for 3am)
                (cat in _TIMELINE_ESCALATES and h.rule.subcategory != "research")
                or (cat in ("active_ideation", "passive_ideation") and c.intent_before(h.first))
                # "Tonight I end it": an act of killing oneself with a time in its sentence (not
                # "suicidal thoughts tonight").
                or (
                    cat == "active_ideation"
                    and c.w.words[h.first] not in _NOT_AN_ACT
                    and c.w.words[h.last + 1 : h.last + 2] != ["thoughts"]
                    and c.in_sentence("timeline", c.sentence[h.first])
                )
            )
            imminent = (
                (intends and c.near("timeline", h.first, h.last))
                or (cat == "preparation_farewell" and categories & _IDEATION)
                # Final arrangements beside a farewell: the suicidal context is the pair.
                or (cat == "preparation_farewell" and len(preparations) > 1)
                or (cat == "plan" and categories & {"active_ideation", "timeline_intent", "method_means"})
                or ("means_at_hand" in subcats and cat in {"active_ideation", "timeline_intent", "plan"})
                or (h.rule.subcategory == "means_at_hand" and h.time == "now")
                # Intent beside a method or a place ("not coming back" at "the cliff top").
                or (cat == "timeline_intent" and "method_means" in categories)
                # Final arrangements (a will, letters, rehoming a pet) beside distress: rule 8.
                or (cat == "preparation_farewell" and h.rule.act and c.near("distress", h.first, h.last))
            )
            high = (
                (cat == "passive_ideation" and categories & {"method_means", "active_ideation", "plan"})
                or (
                    cat in ("passive_ideation", "active_ideation") and c.near("vague_future", h.first, h.last)
                )
                # Conditional or veiled intent said in earnest ("if he leaves I'm done, not joking").
                or (h.rule.subcategory in ("veiled", "conditional") and c.near("sincerity", h.first, h.last))
            )
            if imminent:
                raise_to = "imminent"
            elif high:
                raise_to = "high"
            if raise_to and LEVEL_RANK[raise_to] > LEVEL_RANK[h.level]:
                h.level = raise_to


_DISTRESS = Rule(id="DISTRESS", kind="signal", category="distress", level="low", patterns=("(context)",))


class _Context:
    """Where the context cues (negation, time, subject...) fall in one post."""

    def __init__(self, w: Words, ctx: dict[str, list[tuple[int, int]]]):
        self.w = w
        self.sentence = w.sentence
        self.clause = w.clause
        self.ctx = ctx
        self._sentences: dict[str, set[int]] = {}
        if "timeline" in ctx:
            # "not doing anything tonight": a denied time is no timeline; "since friday", "last
            # sunday": a day gone by is none either.
            clause = w.clause
            negations = ctx.get("negation", ())
            words = w.words
            kept = [
                (a, b)
                for a, b in ctx["timeline"]
                if not any(y < a and a - y <= 4 and clause[x] == clause[a] for x, y in negations)
                and (a == 0 or words[a - 1] not in _PAST_MARKERS)
            ]
            if len(kept) != len(ctx["timeline"]):
                ctx["timeline"] = kept
                if not kept:
                    del ctx["timeline"]

    def any(self, name: str) -> bool:
        return name in self.ctx

    def danger_now(self) -> bool:
        """Someone in danger now: a danger cue, unless it is a bare "right now" beside a reassurance
        ("he's at home right now and seems fine" is where they are, not a danger)."""
        return self.unreachable() or (self.any("danger_now") and not self.any("reassured"))

    def unreachable(self) -> bool:
        """A danger cue other than a bare "right now" ("not answering", "drove off", "door locked")."""
        return any(self.w.words[a : b + 1] != ["right", "now"] for a, b in self.ctx.get("danger_now", ()))

    def in_sentence(self, name: str, sentence: int) -> bool:
        found = self._sentences.get(name)
        if found is None:
            found = {self.sentence[a] for a, _ in self.ctx.get(name, ())}
            self._sentences[name] = found
        return sentence in found

    def starts_with(self, name: str, first: int) -> bool:
        return any(a == first for a, _ in self.ctx.get(name, ()))

    def sentence_length(self, sentence: int) -> int:
        return sum(1 for s in self.sentence if s == sentence)

    def trivial_in_clause(self, clause: int) -> bool:
        """A trivial topic in the clause, not counting one inside a time ("after my shift")."""
        times = self.ctx.get("timeline", ())
        return any(
            self.clause[a] == clause and not any(t <= a and b <= u for t, u in times)
            for a, b in self.ctx.get("trivial", ())
        )

    def in_clause(self, name: str, clause: int) -> bool:
        return any(self.clause[a] == clause for a, _ in self.ctx.get(name, ()))

    def near(self, name: str, first: int, last: int) -> bool:
        """A cue in the same sentence, or the sentence just before or after."""
        sentence = self.sentence[first]
        return any(abs(self.sentence[a] - sentence) <= 1 for a, _ in self.ctx.get(name, ()))

    def _before(self, name: str, first: int, window: int) -> list[tuple[int, int]]:
        return [(a, b) for a, b in self.ctx.get(name, ()) if b < first and first - b <= window]

    def subject(self, first: int) -> str:
        best, best_end = "self", -1
        sentence = self.sentence[first]
        for name, who in (("self_subject", "self"), ("other_subject", "other"), ("you_subject", "you")):
            for a, b in self._before(name, first, _SUBJECT_WINDOW):
                same = self.sentence[a] == sentence
                if b > best_end and (same or sentence - self.sentence[a] <= 1):
                    # Prefer a subject in the signal's own sentence over one in the sentence before.
                    if best_end >= 0 and not same and self.sentence[best_end] == sentence:
                        continue
                    best, best_end = who, b
        return best

    def intent_before(self, first: int) -> bool:
        """ "going to", "will", "me voy a" right before the signal: intent, not only a thought."""
        return bool(self._before("intent", first, 3))

    def explicit_self(self, first: int, through: int | None = None) -> bool:
        """ "I" or "my" before the signal in its sentence (or, ``through`` given, inside it too)."""
        sentence = self.sentence[first]
        if through is not None and any(first <= a <= through for a, _ in self.ctx.get("self_subject", ())):
            return True
        return any(
            self.sentence[a] == sentence for a, _ in self._before("self_subject", first, _SUBJECT_WINDOW)
        )

    def negated(self, first: int) -> bool:
        clause = self.clause[first]
        for a, b in self._before("negation", first, _NEGATION_WINDOW):
            if self.clause[a] != clause:
                continue
            if any(b < x < first for x, _ in self.ctx.get("negation_blockers", ())):
                continue
            return True
        return False

    def time(self, first: int, last: int) -> str:
        """The time cue nearest the signal in its sentence; a history frame carries from before."""
        sentence = self.sentence[first]
        best, distance = "", 10**9
        history_ends = {b for _, b in self.ctx.get("historical", ())}
        for name in ("now", "recent_days", "recent_weeks", "historical"):
            for a, b in self.ctx.get(name, ()):
                if self.sentence[a] != sentence:
                    continue
                if name != "historical" and a - 1 in history_ends:
                    continue  # "five years ago today": an anniversary, not a current act
                d = first - b if b < first else a - last
                if d < distance:
                    best, distance = name, d
        if best:
            return best
        for a, _ in self.ctx.get("historical", ()):
            if 0 < sentence - self.sentence[a] <= 2:
                return "historical"
        return ""


def _levels_check() -> None:  # pragma: no cover - guards the table above against typos
    assert set(_LEVEL_SCORE) == set(LEVELS)


_default: Engine | None = None


def default_engine() -> Engine:
    """The engine built from the packaged rules (built on first use, then shared)."""
    global _default
    if _default is None:
        _default = Engine()
    return _default


def assess(text: str) -> Assessment:
    """Assess one post with the packaged rules."""
    return default_engine().assess(text)
