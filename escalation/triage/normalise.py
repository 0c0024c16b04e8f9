"""Turn a post into normalised words that still know where they came from.

Every word keeps the (start, end) character span of the original text it was read from, so a
match found after folding, digit-for-letter repair or re-joining of spaced letters can be
highlighted in the text the member actually wrote.

Steps for each word: Unicode folding to ASCII (anyascii: accents, full-width and decorative
letters, emoji to ``:name:``), lower case, apostrophes dropped, digits and symbols read as
letters inside words ("k1ll", "$uicide"), runs of a repeated letter collapsed to one
("kiiiill" and "kill" both become "kil"), slang and misspellings expanded ("wanna" -> "want
to"), and a one-edit fuzzy match for a few key words. Rule patterns go through the very same
steps, so they are written in plain English in the data file.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, chain, compress, count
from operator import add, attrgetter
from typing import NamedTuple

from anyascii import anyascii

_TOKEN_RE = re.compile(
    r"(?P<w>[\w@$\u00a5\u20ac\u00a3]+"  # a word, allowing k!ll, don't, su*cide, m\u00a5self
    r"(?:['\u2019`!|*][\w@$\u00a5\u20ac\u00a3]+)*)"
    r"|(?P<b>[.!?;:\n]+)"  # sentence break
    r"|(?P<c>[,()\"\u201c\u201d]|\s[-\u2013\u2014]\s)"  # clause break
    r"|(?P<s>[^\s\w])"  # any other symbol: emoji are kept as words
)
_LEET = str.maketrans(dict(zip("0134578@$!|*\u00a5\u20ac\u00a3", "oieastbasiiiyel", strict=True)))
_LEET_CHARS = frozenset("0134578@$!|*\u00a5\u20ac\u00a3")
# Numbers with a unit are times, doses and counts, not digits standing in for letters.
_MEASURE_RE = re.compile(r"\d+(?:am|pm|h|hr|hrs|min|mins|st|nd|rd|th|s|k|x|mg|ml|g|kg|yrs?|y|m|d|w)?")
_CHUNK_RE = re.compile(r"\S+")
# Three single-character words separated only by a little whitespace ("k i l l"): the one place
# where reading depends on more than one chunk, so such posts take the word-by-word reader. A
# superset of what _spaced_run accepts (it also stops at line breaks).
_WORD_CHAR = r"[\w@$\u00a5\u20ac\u00a3]"
# The middle and last letters of such a run are each a whole token with space before them.
_SPACED_RE = re.compile(rf"\s{_WORD_CHAR}\s{{1,3}}{_WORD_CHAR}(?!{_WORD_CHAR})")
_CHUNK_CACHE_SIZE = 200_000


class _Chunk(NamedTuple):
    """One whitespace-free chunk, read: its words and the steps between them (see Normaliser.read)."""

    words: tuple[str, ...]
    sentence_steps: tuple[int, ...]  # before each word, then after the last one
    clause_steps: tuple[int, ...]
    starts: tuple[int, ...]  # offsets inside the chunk
    ends: tuple[int, ...]
    count: int
    hot: bool  # holds a key word
    stepped: bool  # holds a sentence or clause step
    steps: tuple[tuple[int, int, int], ...]  # (before word j, sentence step, clause step), non-zero


_BREAK = _Chunk((), (1,), (1,), (), (), 0, False, True, ((0, 1, 1),))  # a line break between chunks
_HOT = attrgetter("hot")
_WORDS = attrgetter("words")
_STEPPED = attrgetter("stepped")
_START = re.Match.start
_COUNT = attrgetter("count")


class _Plain:
    """A whitespace-separated chunk that is a plain word: skips the full tokeniser (most words)."""

    __slots__ = ("_end", "_start", "_text", "lastgroup")

    def __init__(self, text: str, start: int, end: int, kind: str = "w"):
        self._text, self._start, self._end, self.lastgroup = text, start, end, kind

    def group(self) -> str:
        return self._text

    def span(self) -> tuple[int, int]:
        return self._start, self._end

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


# Three or more single letters (or digits for letters) joined by dots, dashes or underscores.
_DOTTED_RE = re.compile(r"((?:[A-Za-z0-9@$][.\-_]){2,}[A-Za-z0-9@$])([.,!?;:)\"']*)")
_SEPARATORS_RE = re.compile(r"[.\-_]")


def _tokens(text: str) -> list:
    tokens: list = []
    previous_end = 0
    for chunk in _CHUNK_RE.finditer(text):
        word = chunk.group()
        if "\n" in text[previous_end : chunk.start()]:  # a line break ends a sentence
            tokens.append(_Plain("\n", previous_end, chunk.start(), "b"))
        previous_end = chunk.end()
        if word in ("-", "\u2013", "\u2014"):  # a spaced dash separates clauses
            tokens.append(_Plain(word, chunk.start(), chunk.end(), "c"))
        elif word.isalpha() and word.isascii():
            tokens.append(_Plain(word, chunk.start(), chunk.end()))
        elif ("." in word or "-" in word or "_" in word) and (dotted := _DOTTED_RE.fullmatch(word)):
            # "k.i.l.l", "s-u-i-c-i-d-e": letters spelled out with separators read as one word
            letters = dotted.group(1)
            end = chunk.start() + len(letters)
            tokens.append(_Plain(_SEPARATORS_RE.sub("", letters), chunk.start(), end))
            tokens.extend(_TOKEN_RE.finditer(text, end, chunk.end()))
        elif not word.isascii() or not word.isalnum():
            tokens.extend(_TOKEN_RE.finditer(text, chunk.start(), chunk.end()))
        else:
            tokens.append(_Plain(word, chunk.start(), chunk.end()))
    return tokens


_REPEAT_RE = re.compile(r"(.)\1+")
_CLAUSE_WORDS = frozenset(
    {"but", "though", "although", "however", "except", "pero", "mais", "aber", "mas", "ale"}
)


def collapse(word: str) -> str:
    """Collapse runs of one repeated character: "myselfff" -> "myself", "kill" -> "kil"."""
    return _REPEAT_RE.sub(r"\1", word)


def _damerau_within_one(a: str, b: str) -> bool:
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


@dataclass(frozen=True)
class Lexicon:
    """What the normaliser needs from the rule data."""

    expansions: dict[str, tuple[str, ...]]
    fillers: frozenset[str]
    fuzzy_words: tuple[str, ...]


class Words:
    """Normalised words of one text with their original spans and sentence/clause indices.

    :meth:`Normaliser.words` fills every list as it goes; :meth:`Normaliser.read` gives the
    words at once and builds the sentence and clause numbers and the spans only when they are
    first asked for (most words of most posts never are).
    """

    __slots__ = (
        "_clause",
        "_cumulative",
        "_ends",
        "_entries",
        "_items",
        "_offsets",
        "_sentence",
        "_starts",
        "text",
        "words",
    )

    def __init__(self, text: str, words: list[str] | None = None, items=None, entries=None):
        self.text = text
        self.words: list[str] = [] if words is None else words
        self._items: list[str] | None = items
        self._entries: list[_Chunk] | None = entries
        lazy = entries is not None
        self._starts: list[int] | None = None if lazy else []
        self._ends: list[int] | None = None if lazy else []
        self._sentence: list[int] | None = None if lazy else []
        self._clause: list[int] | None = None if lazy else []
        self._cumulative: list[int] | None = None
        self._offsets: list[int] | None = None

    # -- built on demand from the chunks (Normaliser.read)

    def _words_before(self) -> list[int]:
        """For each chunk, how many words come before it (and, last, the total)."""
        if self._cumulative is None:
            self._cumulative = list(accumulate(map(_COUNT, self._entries), initial=0))
        return self._cumulative

    def _build_numbers(self) -> None:
        entries = self._entries
        before = self._words_before()
        values_s: list[int] = []
        values_c: list[int] = []
        runs: list[int] = []
        sentence = clause = position = 0
        for k in compress(range(len(entries)), map(_STEPPED, entries)):
            base = before[k]
            for j, ds, dc in entries[k].steps:
                at = base + j  # the step comes just before word number ``at``
                if at > position:
                    values_s.append(sentence)
                    values_c.append(clause)
                    runs.append(at - position)
                    position = at
                sentence += ds
                clause += dc
        total = len(self.words)
        if total > position:
            values_s.append(sentence)
            values_c.append(clause)
            runs.append(total - position)
        self._sentence = list(chain.from_iterable(map(itertools.repeat, values_s, runs)))
        self._clause = list(chain.from_iterable(map(itertools.repeat, values_c, runs)))

    @property
    def sentence(self) -> list[int]:
        if self._sentence is None:
            self._build_numbers()
        return self._sentence

    @property
    def clause(self) -> list[int]:
        if self._clause is None:
            self._build_numbers()
        return self._clause

    def _chunk_offsets(self) -> list[int]:
        if self._offsets is None:
            items, text = self._items, self.text
            if "\n" not in text and len(text) == sum(map(len, items)) + len(items) - 1:
                # One whitespace character between chunks: each offset is a running sum.
                self._offsets = list(map(add, accumulate(map(len, items), initial=0), count()))
            else:
                starts = map(_START, _CHUNK_RE.finditer(text))
                if "\n" in text:  # a line break item has no words, so no offset of its own
                    self._offsets = [0 if item == "\n" else next(starts) for item in items]
                else:
                    self._offsets = list(starts)
        return self._offsets

    def _locate(self, i: int) -> tuple[int, int, int]:
        """(chunk number, its offset, word number inside it) of word ``i``."""
        before = self._words_before()
        k = bisect_right(before, i) - 1  # the last chunk starting at or before word i holds it
        return k, self._chunk_offsets()[k], i - before[k]

    def _build_spans(self) -> None:
        pairs = [self._span_of(i) for i in range(len(self.words))]
        self._starts = [start for start, _ in pairs]
        self._ends = [end for _, end in pairs]

    def _span_of(self, i: int) -> tuple[int, int]:
        k, offset, j = self._locate(i)
        entry = self._entries[k]
        return offset + entry.starts[j], offset + entry.ends[j]

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._build_spans()
        return self._starts

    @property
    def ends(self) -> list[int]:
        if self._ends is None:
            self._build_spans()
        return self._ends

    # -- the slow, word-by-word builder

    def add(self, word: str, start: int, end: int, sentence: int, clause: int) -> None:
        self.words.append(word)
        self._starts.append(start)
        self._ends.append(end)
        self._sentence.append(sentence)
        self._clause.append(clause)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Original-text span covering words first..last (inclusive)."""
        if self._starts is not None:
            return self._starts[first], self._ends[last]
        return self._span_of(first)[0], self._span_of(last)[1]


class Normaliser:
    def __init__(self, lexicon: Lexicon, vocabulary: frozenset[str]):
        self.lexicon = lexicon
        self.vocabulary = vocabulary
        fuzzy: dict[str, list[str]] = {}
        for word in lexicon.fuzzy_words:
            fuzzy.setdefault(word[0], []).append(collapse(word))
        self._fuzzy = fuzzy
        self.word = lru_cache(maxsize=100_000)(self._word)
        self.keys: frozenset[str] = frozenset()
        self.joinable: frozenset[tuple[str, ...]] = frozenset()
        self._chunks: dict[str, _Chunk] = {}

    def set_keys(self, keys: frozenset[str], joinable: frozenset[tuple[str, ...]] = frozenset()) -> None:
        """Words without which no rule can match (one per pattern), see :meth:`read`; and runs of
        words that rule patterns hold, which a post may write joined up (see :meth:`_joined`)."""
        self.keys = frozenset(keys)
        self.joinable = frozenset(joinable)
        self._chunks = {}
        self.word.cache_clear()  # joined-word splitting depends on the keys

    def _word(self, raw: str) -> tuple[str, ...]:
        """Normalise one raw token to zero or more words (an expansion can yield several)."""
        if not raw.isascii():  # keep look-alike symbols for the digit/symbol-for-letter step
            raw = (
                "".join(ch if ch in _LEET_CHARS else anyascii(ch) for ch in raw)
                if _LEET_CHARS & set(raw)
                else anyascii(raw)
            )
        expansions = self.lexicon.expansions
        low = raw.lower()
        if "'" in low and low in expansions:  # "od'd" before it reads as "odd"
            return expansions[low]
        s = low.replace("'", "").replace("`", "")
        if not s:
            return ()
        if s in expansions:
            return expansions[s]
        if any(c in _LEET_CHARS for c in s) and not _MEASURE_RE.fullmatch(s) and any(c.isalpha() for c in s):
            s = s.translate(_LEET)
        s = collapse(s)
        if s in expansions:
            return expansions[s]
        if len(s) >= 5 and s not in self.vocabulary and s.isalpha():
            if s.endswith("in") and s + "g" in self.vocabulary:  # "thinkin", "endin": a dropped g
                return (s + "g",)
            stem = self._stem(s)
            if stem:
                return (stem,)
            for candidate in self._fuzzy.get(s[0], ()):
                if _damerau_within_one(s, candidate):
                    return (candidate,)
            if len(s) >= 6 and self.joinable:
                joined = self._joined(s)
                if joined:
                    return joined
        return (s,)

    def _stem(self, s: str) -> str | None:
        """An inflection no pattern names, read as a form the patterns do name: "catching" ->
        "catch", "swallowing" -> "swallow", "hoping" -> "hope", "overdosing" -> "overdose". Only
        -ing/-in and -s/-es are undone, never -ed, so a past stays a past; and only when the word
        itself is unknown, so a pattern that names a form ("killing myself") keeps it."""
        vocabulary = self.vocabulary
        for suffix in ("ing", "in"):
            if s.endswith(suffix) and len(s) - len(suffix) >= 3:
                base = s[: -len(suffix)]
                for candidate in (base, base + "e", collapse(base)):
                    if candidate in vocabulary and len(candidate) >= 3:
                        return candidate
                return None
        if s.endswith("s") and not s.endswith("ss") and len(s) >= 5:
            for candidate in (s[:-1], s[:-2] if s.endswith("es") else None):
                if candidate and len(candidate) >= 4 and candidate in vocabulary:
                    return candidate
        return None

    def _joined(self, letters: str) -> tuple[str, ...] | None:
        """Words run together ("sewerslide", "unalivemyself"): split when every piece is a known
        word of three letters or more, so ordinary
        compound words ("weekend", "breakdown") stay whole: the pieces must be words that a rule
        pattern says one after the other ("sewer slide", "unalive myself")."""
        pieces = self._segment(letters)
        if not pieces or len(pieces) < 2 or any(len(piece) < 3 for piece in pieces):
            return None
        pieces = tuple(pieces)
        return pieces if pieces in self.joinable else None

    def _segment(self, letters: str) -> list[str] | None:
        """Split a run of joined letters ("kilmyself") into known words, or None."""
        n = len(letters)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(1, n + 1):
            for start in range(max(0, end - 20), end):
                prefix = best[start]
                piece = letters[start:end]
                if prefix is not None and (piece in self.vocabulary and (len(piece) > 1 or piece in "ia")):
                    best[end] = [*prefix, piece]
                    break
        return best[n]

    def words(self, text: str) -> Words:
        out = Words(text)
        words, starts, ends, sentences, clauses = (
            out.words,
            out._starts,
            out._ends,
            out._sentence,
            out._clause,
        )
        fillers = self.lexicon.fillers
        normalise = self.word
        sentence = clause = 0
        tokens = _tokens(text)
        i = 0
        count = len(tokens)
        while i < count:
            tok = tokens[i]
            kind = tok.lastgroup
            if kind == "b":
                sentence += 1
                clause += 1
                i += 1
                continue
            if kind == "c":
                clause += 1
                i += 1
                continue
            raw = tok.group()
            if kind == "s" and (raw.isascii() or not anyascii(raw).startswith(":")):
                i += 1  # punctuation and symbols other than emoji carry no words
                continue
            if len(raw) == 1 and kind == "w":
                run_end = self._spaced_run(text, tokens, i)
                if run_end - i >= 3 and self._emit_spaced(out, text, tokens[i:run_end], sentence, clause):
                    i = run_end
                    continue
            start, end = tok.span()
            for word in normalise(raw):
                if word in fillers:
                    continue
                if word in _CLAUSE_WORDS:
                    clause += 1
                words.append(word)
                starts.append(start)
                ends.append(end)
                sentences.append(sentence)
                clauses.append(clause)
            i += 1
        return out

    def _chunk(self, chunk: str) -> _Chunk:
        """How one whitespace-free chunk reads: the word-by-word steps of :meth:`words`, once."""
        words: list[str] = []
        rel_starts: list[int] = []
        rel_ends: list[int] = []
        sentence_steps: list[int] = []
        clause_steps: list[int] = []
        fillers = self.lexicon.fillers
        ds = dc = 0
        for tok in _tokens(chunk):
            kind = tok.lastgroup
            if kind == "b":
                ds += 1
                dc += 1
                continue
            if kind == "c":
                dc += 1
                continue
            raw = tok.group()
            if kind == "s" and (raw.isascii() or not anyascii(raw).startswith(":")):
                continue
            start, end = tok.span()
            for word in self.word(raw):
                if word in fillers:
                    continue
                if word in _CLAUSE_WORDS:
                    dc += 1
                words.append(word)
                rel_starts.append(start)
                rel_ends.append(end)
                sentence_steps.append(ds)
                clause_steps.append(dc)
                ds = dc = 0
        entry = _Chunk(
            tuple(words),
            (*sentence_steps, ds),
            (*clause_steps, dc),
            tuple(rel_starts),
            tuple(rel_ends),
            len(words),
            not self.keys.isdisjoint(words),
            any(sentence_steps) or any(clause_steps) or bool(ds or dc),
            tuple(
                (j, a, b)
                for j, a, b in zip(
                    range(len(words) + 1), (*sentence_steps, ds), (*clause_steps, dc), strict=True
                )
                if a or b
            ),
        )
        if len(self._chunks) >= _CHUNK_CACHE_SIZE:
            self._chunks.clear()
        self._chunks[chunk] = entry
        return entry

    def read(self, text: str) -> Words | None:
        """What :meth:`words` gives, built chunk by chunk from a cache; None if no key word occurs.

        Every step of :meth:`words` except the re-joining of spaced letters looks at one
        whitespace-free chunk at a time, so each distinct chunk is read once (by those very
        steps) and cached: a key word hidden by digits, accents, repeated letters, slang or a
        misspelling is found, in any language and anywhere in a long post. Posts that might
        hold spaced letters ("k i l l") are read by :meth:`words`. The lists are assembled and
        the sentence and clause numbers summed with C-level iteration. Tests compare the two.
        """
        if _SPACED_RE.search(text):
            return self.words(text)
        if "\n" in text:
            items: list[str] = []
            for number, line in enumerate(text.split("\n")):
                if number and (not items or items[-1] != "\n"):
                    items.append("\n")  # one sentence break per run of line breaks
                items += line.split()
        else:
            items = text.split()  # str.split and the tokeniser's \S+ agree on whitespace
        entries = list(map(self._chunks.get, items))
        if not all(entries):  # chunks not seen before (and line breaks): read them once
            chunk_of = self._chunk
            entries = [
                entry or (_BREAK if item == "\n" else chunk_of(item))
                for item, entry in zip(items, entries, strict=True)
            ]
        if not any(map(_HOT, entries)):
            return None
        return Words(text, list(chain.from_iterable(map(_WORDS, entries))), items, entries)

    @staticmethod
    def _spaced_run(text: str, tokens: list[re.Match[str]], i: int) -> int:
        """End index of a run of single-character words separated only by spaces ("k i l l")."""
        j = i + 1
        while (
            j < len(tokens)
            and tokens[j].lastgroup == "w"
            and len(tokens[j].group()) == 1
            and 0 < tokens[j].start() - tokens[j - 1].end() <= 3
            and not text[tokens[j - 1].end() : tokens[j].start()].strip()
        ):
            j += 1
        return j

    def _emit_spaced(
        self, out: Words, text: str, run: list[re.Match[str]], sentence: int, clause: int
    ) -> bool:
        groups: list[list[re.Match[str]]] = [[run[0]]]
        for prev, tok in itertools.pairwise(run):
            if tok.start() - prev.end() >= 2:  # a wider gap separates words: "k i l l  m e"
                groups.append([])
            groups[-1].append(tok)
        pieces: list[tuple[str, int, int]] = []
        for group in groups:
            chars: list[str] = []
            owners: list[tuple[re.Match[str], re.Match[str]]] = []
            for tok in group:
                for ch in anyascii(tok.group()).lower().translate(_LEET):
                    if chars and chars[-1] == ch:  # collapsed repeat: extend the owner span
                        owners[-1] = (owners[-1][0], tok)
                    else:
                        chars.append(ch)
                        owners.append((tok, tok))
            letters = "".join(chars)
            if not letters:
                return False
            segmented = [letters] if letters in self.vocabulary else self._segment(letters)
            if segmented is None:
                return False
            pos = 0
            for word in segmented:
                pieces.append((word, owners[pos][0].start(), owners[pos + len(word) - 1][1].end()))
                pos += len(word)
        for word, start, end in pieces:
            for w in self.lexicon.expansions.get(word, (word,)):
                out.add(w, start, end, sentence, clause)
        return True
