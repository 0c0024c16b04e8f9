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
from dataclasses import dataclass, field
from functools import lru_cache

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


@dataclass(slots=True)
class Words:
    """Normalised words of one text with their original spans and sentence/clause indices."""

    text: str
    words: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    sentence: list[int] = field(default_factory=list)
    clause: list[int] = field(default_factory=list)

    def add(self, word: str, start: int, end: int, sentence: int, clause: int) -> None:
        self.words.append(word)
        self.starts.append(start)
        self.ends.append(end)
        self.sentence.append(sentence)
        self.clause.append(clause)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Original-text span covering words first..last (inclusive)."""
        return self.starts[first], self.ends[last]


class Normaliser:
    def __init__(self, lexicon: Lexicon, vocabulary: frozenset[str]):
        self.lexicon = lexicon
        self.vocabulary = vocabulary
        fuzzy: dict[str, list[str]] = {}
        for word in lexicon.fuzzy_words:
            fuzzy.setdefault(word[0], []).append(collapse(word))
        self._fuzzy = fuzzy
        self.word = lru_cache(maxsize=100_000)(self._word)

    def _word(self, raw: str) -> tuple[str, ...]:
        """Normalise one raw token to zero or more words (an expansion can yield several)."""
        if not raw.isascii():  # keep look-alike symbols for the digit/symbol-for-letter step
            raw = (
                "".join(ch if ch in _LEET_CHARS else anyascii(ch) for ch in raw)
                if _LEET_CHARS & set(raw)
                else anyascii(raw)
            )
        s = raw.lower().replace("'", "").replace("`", "")
        if not s:
            return ()
        expansions = self.lexicon.expansions
        if s in expansions:
            return expansions[s]
        if any(c in _LEET_CHARS for c in s) and not _MEASURE_RE.fullmatch(s) and any(c.isalpha() for c in s):
            s = s.translate(_LEET)
        s = collapse(s)
        if s in expansions:
            return expansions[s]
        if len(s) >= 5 and s not in self.vocabulary and s.isalpha():
            for candidate in self._fuzzy.get(s[0], ()):
                if _damerau_within_one(s, candidate):
                    return (candidate,)
        return (s,)

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
        words, starts, ends, sentences, clauses = out.words, out.starts, out.ends, out.sentence, out.clause
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
