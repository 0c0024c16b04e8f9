"""Crisis signposting: who to call or text, for each region Kindred serves.

The contacts live in ``escalation/data/crisis_resources.json`` so they can be reviewed against
their official sources without reading code. The file is validated strictly the first time it is
read (a missing emergency number or source must stop the release, not show a member a blank page)
and then cached for the life of the process.

Lookups never fail: an unknown or empty region falls back to the default region, and the result
says so, so the page can tell the person plainly.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from accounts.regions import DEFAULT_REGION, REGIONS

DATA_FILE = Path(__file__).resolve().parent / "data" / "crisis_resources.json"

#: Session key where an anonymous visitor's chosen region is remembered.
SESSION_KEY = "crisis_region"

CONTACT_METHODS = ("phone", "sms", "url")
RESOURCE_KINDS = ("crisis_line", "text", "support_line", "urgent_care", "directory")
#: Kinds that count as "a crisis line": every region needs at least one.
CRISIS_KINDS = frozenset({"crisis_line", "text"})

_REGION_CODE = re.compile(r"^[A-Z]{2}$")
_DIALLABLE = re.compile(r"^[0-9][0-9 \-]*$")


class CrisisDataError(ImproperlyConfigured):
    """The crisis resources file is missing something a person in crisis would need."""


@dataclass(frozen=True)
class Source:
    url: str
    recorded: datetime.date

    @property
    def site(self) -> str:
        host = urlsplit(self.url).hostname or self.url
        return host.removeprefix("www.")


@dataclass(frozen=True)
class Contact:
    method: str  # "phone", "sms" or "url"
    value: str  # as people write it: "116 123", "85258", "https://…"
    body: str = ""  # for texts: the word to send, e.g. "SHOUT"

    @property
    def href(self) -> str:
        if self.method == "phone":
            return f"tel:{_digits(self.value)}"
        if self.method == "sms":
            query = f"?body={quote(self.body)}" if self.body else ""
            return f"sms:{_digits(self.value)}{query}"
        return self.value

    @property
    def label(self) -> str:
        if self.method == "phone":
            return f"Call {self.value}"
        if self.method == "sms":
            return f"Text {self.body} to {self.value}" if self.body else f"Text {self.value}"
        return f"Visit {self.site}"

    @property
    def site(self) -> str:
        host = urlsplit(self.value).hostname or self.value
        return host.removeprefix("www.")


@dataclass(frozen=True)
class Resource:
    name: str
    kind: str
    description: str
    contacts: tuple[Contact, ...]
    hours: str
    cost: str
    source: Source

    @property
    def is_crisis_line(self) -> bool:
        return self.kind in CRISIS_KINDS


@dataclass(frozen=True)
class Emergency:
    number: str
    also: str
    source: Source

    @property
    def href(self) -> str:
        return f"tel:{_digits(self.number)}"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    emergency: Emergency
    resources: tuple[Resource, ...]


@dataclass(frozen=True)
class CrisisData:
    regions: dict[str, Region]
    elsewhere: Resource


@dataclass(frozen=True)
class Signpost:
    """The answer to "what should this person see?"."""

    region: Region
    requested: str  # what was asked for, normalised ("" when nothing was)
    fell_back: bool  # True when ``requested`` was given but is not a region we cover


def _digits(value: str) -> str:
    return re.sub(r"[^0-9]", "", value)


# --- loading and validation -------------------------------------------------------------------


def _require(mapping: dict, key: str, where: str, kind: type = str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise CrisisDataError(f"{where}: missing '{key}'")
    value = mapping[key]
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise CrisisDataError(f"{where}: '{key}' must be a non-empty {kind.__name__}")
    return value


def _https_url(value: str, where: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise CrisisDataError(f"{where}: '{value}' is not an https:// URL")
    return value


def _parse_source(raw: dict, where: str) -> Source:
    source = _require(raw, "source", where, dict)
    url = _https_url(_require(source, "url", f"{where} source"), f"{where} source")
    recorded_text = _require(source, "recorded", f"{where} source")
    try:
        recorded = datetime.date.fromisoformat(recorded_text)
    except ValueError as exc:
        raise CrisisDataError(f"{where} source: 'recorded' must be a YYYY-MM-DD date") from exc
    return Source(url=url, recorded=recorded)


def _parse_contact(raw: dict, where: str) -> Contact:
    method = _require(raw, "method", where)
    if method not in CONTACT_METHODS:
        raise CrisisDataError(f"{where}: unknown contact method '{method}'")
    value = _require(raw, "value", where)
    if method in ("phone", "sms") and not _DIALLABLE.match(value):
        raise CrisisDataError(f"{where}: '{value}' is not a number that can be dialled")
    if method == "url":
        _https_url(value, where)
    body = raw.get("body", "")
    if not isinstance(body, str) or (body and method != "sms"):
        raise CrisisDataError(f"{where}: 'body' is only for text messages")
    return Contact(method=method, value=value, body=body)


def _parse_resource(raw: dict, where: str) -> Resource:
    name = _require(raw, "name", where)
    where = f"{where} '{name}'"
    kind = _require(raw, "kind", where)
    if kind not in RESOURCE_KINDS:
        raise CrisisDataError(f"{where}: unknown kind '{kind}'")
    raw_contacts = _require(raw, "contacts", where, list)
    if not raw_contacts:
        raise CrisisDataError(f"{where}: needs at least one way to get in touch")
    return Resource(
        name=name,
        kind=kind,
        description=_require(raw, "description", where),
        contacts=tuple(_parse_contact(c, f"{where} contact") for c in raw_contacts),
        hours=_require(raw, "hours", where),
        cost=_require(raw, "cost", where),
        source=_parse_source(raw, where),
    )


def _parse_region(code: str, raw: dict) -> Region:
    where = f"region {code}"
    raw_emergency = _require(raw, "emergency", where, dict)
    number = _require(raw_emergency, "number", f"{where} emergency")
    if not _DIALLABLE.match(number):
        raise CrisisDataError(f"{where}: emergency number '{number}' cannot be dialled")
    emergency = Emergency(
        number=number,
        also=raw_emergency.get("also", "") or "",
        source=_parse_source(raw_emergency, f"{where} emergency"),
    )
    resources = tuple(
        _parse_resource(r, f"{where} resource") for r in _require(raw, "resources", where, list)
    )
    if not any(r.is_crisis_line for r in resources):
        raise CrisisDataError(f"{where}: needs at least one crisis line or text service")
    return Region(code=code, name=REGIONS[code], emergency=emergency, resources=resources)


def parse(raw: dict) -> CrisisData:
    """Validate the raw file contents and build the typed data. Raises ``CrisisDataError``."""
    raw_regions = _require(raw, "regions", "crisis resources", dict)
    for code in raw_regions:
        if not _REGION_CODE.match(code) or code not in REGIONS:
            raise CrisisDataError(f"'{code}' is not a region code in accounts.regions")
    missing = sorted(set(REGIONS) - set(raw_regions))
    if missing:
        raise CrisisDataError(f"no crisis resources for regions: {', '.join(missing)}")
    # Keep the order of accounts.regions so every list of regions reads the same way.
    regions = {code: _parse_region(code, raw_regions[code]) for code in REGIONS}
    elsewhere = _parse_resource(_require(raw, "elsewhere", "crisis resources", dict), "elsewhere")
    return CrisisData(regions=regions, elsewhere=elsewhere)


@lru_cache(maxsize=1)
def load() -> CrisisData:
    """The validated crisis data, read from disk once per process."""
    try:
        raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CrisisDataError(f"cannot read {DATA_FILE}: {exc}") from exc
    return parse(raw)


# --- lookups ------------------------------------------------------------------------------------


def normalise_region(code: object) -> str:
    """Upper-case, trimmed, and short: safe to echo back in a message."""
    if not isinstance(code, str):
        return ""
    return code.strip().upper()[:8]


def regions() -> list[Region]:
    """Every region we have resources for, in the order of accounts.regions."""
    return list(load().regions.values())


def is_supported(code: object) -> bool:
    return normalise_region(code) in load().regions


def resources_for(code: object) -> Signpost:
    """Crisis resources for a region code; unknown or empty codes fall back to the default."""
    data = load()
    requested = normalise_region(code)
    if requested in data.regions:
        return Signpost(region=data.regions[requested], requested=requested, fell_back=False)
    return Signpost(region=data.regions[DEFAULT_REGION], requested=requested, fell_back=bool(requested))


def elsewhere() -> Resource:
    """A directory of helplines for people outside every region we cover."""
    return load().elsewhere


def region_for_request(request: Any) -> str:
    """The region whose resources this visitor should see first.

    A logged-in person's own region; otherwise the region an anonymous visitor last chose on
    the help page (remembered in their session); otherwise the default.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and is_supported(user.region):
        return normalise_region(user.region)
    session = getattr(request, "session", None)
    if session is not None and is_supported(session.get(SESSION_KEY)):
        return normalise_region(session[SESSION_KEY])
    return DEFAULT_REGION
