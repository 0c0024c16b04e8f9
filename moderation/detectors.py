"""Reading a post for watched words and identifying information.

Watched regular expressions are staff input run against member text, so they are validated when
saved (compiles, no nested quantifiers, fast on adversarial input) and run with a time limit
(the ``regex`` module's ``timeout``), failing closed: a pattern that times out holds the post.

The identifying-information detectors are deliberately broad: a false positive costs a guide a
glance, a false negative can cost a member their anonymity.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import regex

from moderation import conf
from moderation.models import MatchKind, WatchedAction, WatchedWord

logger = logging.getLogger(__name__)

FLAGS = regex.IGNORECASE | regex.UNICODE | regex.V0
MAX_PATTERN_LENGTH = 300


@dataclass
class Match:
    kind: str  # "watched_word" or an identifying-information kind
    start: int
    end: int
    word_id: int | None = None
    action: str = ""


@dataclass
class Reading:
    """Everything found in one text."""

    words: list[Match] = field(default_factory=list)
    identifying: list[Match] = field(default_factory=list)
    timed_out: list[int] = field(default_factory=list)  # watched word ids

    def actions(self) -> set[str]:
        return {m.action for m in self.words}

    def for_action(self, action: str) -> list[Match]:
        return [m for m in self.words if m.action == action]


# --- regular expression safety -----------------------------------------------------------------

# A group that contains a quantifier, itself quantified: (a+)+, (a*)*, (\w+\s?)*, (a|aa)+{2,}...
_NESTED_QUANTIFIER = regex.compile(
    r"\((?:[^()\\]|\\.)*(?:[+*]|\{\d+,?\d*\})(?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d+,\d*\})"
)
# A quantified group of alternatives that can match the same text: (a|a)+, (\w|\d)*
_QUANTIFIED_ALTERNATION = regex.compile(r"\((?:[^()\\]|\\.)*\|(?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d+,\d*\})")
_BACKREFERENCE = regex.compile(r"\\[1-9]|\(\?P=")


def _adversarial_inputs(pattern: str) -> list[str]:
    letters = sorted({ch for ch in pattern if ch.isalnum()}) or ["a"]
    inputs = ["a" * 3000 + "!", "1" * 3000 + "!", " " * 3000 + "!", "ab" * 1500 + "!"]
    inputs += [ch * 3000 + "\u2603" for ch in letters[:6]]
    inputs.append("".join(letters) * (3000 // max(1, len(letters))) + "\u2603")
    return inputs


def validate_regex(pattern: str) -> str | None:
    """Return an error message a guide can act on, or None if the pattern is safe to use."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"Patterns can be at most {MAX_PATTERN_LENGTH} characters."
    try:
        compiled = regex.compile(pattern, FLAGS)
    except (regex.error, OverflowError, RecursionError) as exc:
        return f"This is not a valid regular expression: {exc}."
    if compiled.search("") is not None or compiled.search(" ") is not None:
        return "This pattern matches empty text, so it would match every post."
    if _BACKREFERENCE.search(pattern):
        return "Back-references are not allowed in watched patterns."
    if _NESTED_QUANTIFIER.search(pattern) or _QUANTIFIED_ALTERNATION.search(pattern):
        return (
            "This pattern repeats a group that is itself repeated (like (a+)+), which can take "
            "exponential time on some posts. Please simplify it."
        )
    budget = max(conf.regex_timeout(), 0.05) * 4
    for text in _adversarial_inputs(pattern):
        try:
            compiled.search(text, timeout=budget)
        except TimeoutError:
            return "This pattern is too slow on long posts (it timed out on a test text). Please simplify it."
    return None


def compile_watched(word: WatchedWord) -> regex.Pattern:
    if word.match == MatchKind.REGEX:
        return regex.compile(word.pattern, FLAGS)
    if word.match == MatchKind.PHRASE:
        parts = [regex.escape(part) for part in word.pattern.split()]
        return regex.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)", FLAGS)
    return regex.compile(r"(?<!\w)" + regex.escape(word.pattern.strip()) + r"(?!\w)", FLAGS)


# --- identifying information --------------------------------------------------------------------

_STREET_SUFFIX = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|way|crescent|cres|court|ct|place|pl|"
    r"terrace|grove|gardens|boulevard|blvd|square|sq|hill|row|mews|walk|parade"
)
IDENTIFYING_PATTERNS: dict[str, regex.Pattern] = {
    "email": regex.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", FLAGS),
    "profile_link": regex.compile(
        r"(?:https?://)?(?:www\.)?(?:instagram\.com|facebook\.com|fb\.com|twitter\.com|x\.com|"
        r"tiktok\.com|snapchat\.com|linkedin\.com|reddit\.com|discord\.gg|discord\.com|t\.me|"
        r"youtube\.com|threads\.net|tumblr\.com|wa\.me|bsky\.app)/[^\s)]+",
        FLAGS,
    ),
    "handle": regex.compile(r"(?<![\w@./])@[A-Za-z0-9_.]{3,30}\b", FLAGS),
    "phone": regex.compile(r"(?<![\w+])(?:\+|00)?\d(?:[\s().-]?\d){8,13}(?!\w)", FLAGS),
    "street_address": regex.compile(
        r"\b\d{1,5}[a-z]?,?\s+(?:[a-z][a-z'-]+\s+){1,4}(?:" + _STREET_SUFFIX + r")\b\.?", FLAGS
    ),
    "postcode": regex.compile(r"\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b", FLAGS),
}
IDENTIFYING_LABELS = {
    "email": "an email address",
    "profile_link": "a social-media profile link",
    "handle": "a social-media handle",
    "phone": "a phone number",
    "street_address": "a street address",
    "postcode": "a postcode",
}


def find_identifying(text: str) -> list[Match]:
    found: list[Match] = []
    taken: list[tuple[int, int]] = []
    # Order matters: an email's "@domain" is not also a handle; a profile link is not a phone.
    for kind in ("email", "profile_link", "handle", "street_address", "postcode", "phone"):
        for m in IDENTIFYING_PATTERNS[kind].finditer(text):
            start, end = m.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append(Match(kind=kind, start=start, end=end))
    found.sort(key=lambda m: m.start)
    return found


# --- watched words ------------------------------------------------------------------------------


def active_watched_words() -> list[WatchedWord]:
    return list(WatchedWord.objects.filter(is_active=True).order_by("pk"))


def find_watched(text: str, words: list[WatchedWord] | None = None) -> Reading:
    reading = Reading()
    timeout = conf.regex_timeout()
    for word in words if words is not None else active_watched_words():
        try:
            compiled = compile_watched(word)
            for m in compiled.finditer(text, timeout=timeout):
                if m.end() > m.start():
                    reading.words.append(
                        Match(
                            kind="watched_word",
                            start=m.start(),
                            end=m.end(),
                            word_id=word.pk,
                            action=word.action,
                        )
                    )
        except TimeoutError:
            logger.warning("Watched word %s timed out; holding the post for review", word.pk)
            reading.timed_out.append(word.pk)
        except regex.error:
            logger.exception("Watched word %s no longer compiles; holding the post for review", word.pk)
            reading.timed_out.append(word.pk)
    return reading


def read_post_text(text: str, *, check_identifying: bool = True) -> Reading:
    reading = find_watched(text)
    if check_identifying:
        reading.identifying = find_identifying(text)
    return reading


def censor_html(html: str, text_matches: list[str]) -> str:
    """Replace censored words in the text parts of rendered HTML (never inside tags)."""
    if not text_matches:
        return html
    alternatives = sorted({regex.escape(t) for t in text_matches if t}, key=len, reverse=True)
    pattern = regex.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", FLAGS)
    parts = regex.split(r"(<[^>]*>)", html)
    return "".join(
        part if part.startswith("<") else pattern.sub(lambda m: "\u2588" * len(m.group(0)), part)
        for part in parts
    )


def spans_as_rules(matches: list[Match], *, label: str) -> list[dict]:
    """Spans in the shape escalation's ``highlight_rules`` filter understands."""
    rules: dict[str, dict] = {}
    for m in matches:
        key = m.kind if m.word_id is None else f"watched:{m.word_id}"
        rule = rules.setdefault(key, {"rule_id": key, "category": label, "spans": []})
        rule["spans"].append([m.start, m.end])
    return list(rules.values())


__all__ = ["WatchedAction", "find_identifying", "find_watched", "read_post_text", "validate_regex"]
