"""Pseudonym rules: a pseudonym must not identify or contact the person behind it.

``pseudonym_problem`` is a pure function so the rules can be tested exhaustively; the
Django validator wraps it.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError

PSEUDONYM_MIN_LENGTH = 3
PSEUDONYM_MAX_LENGTH = 30

_ALLOWED = re.compile(r"^[^\W_][\w.\-]*$")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]{2,}")
_EMAIL_SPELLED_OUT = re.compile(r"[\w.\-]+\s*[\[(]\s*at\s*[\])]\s*[\w\-]+", re.IGNORECASE)
_URL = re.compile(
    r"(https?:|www\.|://|\.(com|org|net|io|co|uk|me|info|biz|app|dev|ly|gg|tv|xyz|edu|gov|ie|us|ca|au|nz)\b)",
    re.IGNORECASE,
)
# Digits separated only by spaces, dots, dashes, brackets: a phone number has at least seven.
_PHONE = re.compile(r"\+?\d[\d\s().\-]{5,}\d")
_DIGIT_RUN = re.compile(r"\d{5,}")
_HANDLE = re.compile(r"(^|\s)@\w")
_PLATFORMS = (
    "instagram",
    "snapchat",
    "tiktok",
    "twitter",
    "facebook",
    "discord",
    "telegram",
    "whatsapp",
    "onlyfans",
    "linkedin",
)
# Names that would let someone pass as Kindred staff.
_RESERVED_WORDS = frozenset(
    {"kindred", "admin", "administrator", "moderator", "mod", "official", "clinician", "staff"}
)
_RESERVED_PREFIXES = ("kindred", "admin", "moderator", "official")


def pseudonym_problem(value: str, *, allow_staff_words: bool = False) -> str | None:
    """Return why ``value`` cannot be a pseudonym, or None when it is fine.

    Identifying patterns are checked first so the message names the actual problem
    (an email address is refused as an email address, not for containing "@").
    """
    value = value.strip()
    if not value:
        return "Choose a pseudonym."
    lowered = value.lower()
    if _EMAIL.search(value) or _EMAIL_SPELLED_OUT.search(value):
        return (
            "That looks like an email address. Your pseudonym is public: "
            "choose a name that doesn't identify you."
        )
    if _URL.search(value):
        return "That looks like a web address. Pseudonyms can't contain links or website names."
    if _HANDLE.search(value) or "@" in value:
        return "That looks like a social media handle. Pseudonyms can't point to other accounts."
    for platform in _PLATFORMS:
        if platform in lowered:
            return "That looks like a social media account. Pseudonyms can't point to other accounts."
    for match in _PHONE.finditer(value):
        if sum(ch.isdigit() for ch in match.group()) >= 7:
            return (
                "That looks like a phone number. Your pseudonym is public: "
                "please don't include contact details."
            )
    if _DIGIT_RUN.search(value) or sum(ch.isdigit() for ch in value) >= 5:
        return (
            "Pseudonyms can't contain a long number (5 or more digits), which could be an ID, "
            "date of birth or phone number."
        )
    if len(value) < PSEUDONYM_MIN_LENGTH:
        return f"Pseudonyms need at least {PSEUDONYM_MIN_LENGTH} characters."
    if len(value) > PSEUDONYM_MAX_LENGTH:
        return f"Pseudonyms can have at most {PSEUDONYM_MAX_LENGTH} characters."
    if not _ALLOWED.match(value):
        return (
            "Pseudonyms start with a letter or number and may contain only letters, numbers, "
            "dots, dashes and underscores (no spaces)."
        )
    if not allow_staff_words:
        words = {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", value)}
        if words & _RESERVED_WORDS or lowered.startswith(_RESERVED_PREFIXES):
            return "That name could be mistaken for Kindred staff. Please choose another."
    return None


def validate_pseudonym(value: str) -> None:
    problem = pseudonym_problem(value)
    if problem:
        raise ValidationError(problem, code="pseudonym_identifying")


def validate_staff_pseudonym(value: str) -> None:
    problem = pseudonym_problem(value, allow_staff_words=True)
    if problem:
        raise ValidationError(problem, code="pseudonym_identifying")


def validate_time_zone(value: str) -> None:
    """An IANA time zone name ("Europe/London"); an organisation's days and weeks are counted in it."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"“{value}” is not a time zone; use an IANA name such as Europe/London or America/New_York.",
            code="invalid_time_zone",
        ) from None
