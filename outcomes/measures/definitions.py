"""Validated outcome measures, defined as data.

Each measure is one JSON file: its items and answer options, how it is scored, its severity
bands in plain, kind words, its caseness cut-off and reliable-change threshold (with their
sources), the items that must reach a human (PHQ-9 item 9), and its source and licence.
Adding a validated measure means adding a file, not code.

Kindred ships the measures it may ship (``outcomes/data/measures/``: PHQ-9 and GAD-7, both
free to use). A deployer who holds a licence for another measure (e.g. SWEMWBS, which Warwick
licenses on registration) puts its file in the folder named by the
``KINDRED_EXTRA_MEASURES_DIR`` setting. Such a file may carry a ``conversion`` table from raw
totals to the measure's metric (SWEMWBS raw 7-35 to its Rasch-transformed score), in which case
bands, caseness and change are read on the converted score.

Every file is validated strictly when first loaded; a mistake raises ``MeasureDefinitionError``
naming the file and the field, so a bad definition stops a deploy rather than mis-scoring
someone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from escalation.models import RiskLevel

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "data" / "measures"
SCORING_METHODS = ("sum",)
_KEY = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
_VERSION = re.compile(r"^[A-Za-z0-9._-]{1,20}$")
_BAND_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
TWO_PLACES = Decimal("0.01")


class MeasureDefinitionError(ImproperlyConfigured):
    """A measure definition file is missing something or contradicts itself."""


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    number: int
    text: str
    options: tuple[Option, ...]

    @property
    def values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)

    def label_for(self, value: int) -> str:
        for option in self.options:
            if option.value == value:
                return option.label
        return str(value)


@dataclass(frozen=True)
class Band:
    key: str
    min: Decimal
    max: Decimal
    label: str
    message: str

    def contains(self, score: Decimal) -> bool:
        return self.min <= score <= self.max


@dataclass(frozen=True)
class SafetyItem:
    """An item whose answer above 0 must reach the escalation path (``levels``: value -> risk level)."""

    item: int
    summary: str
    levels: dict[int, str]


@dataclass(frozen=True)
class Measure:
    key: str
    version: str
    name: str
    title: str
    description: str
    stem: str
    items: tuple[Item, ...]
    higher_is_worse: bool
    conversion: dict[int, Decimal] | None
    bands: tuple[Band, ...]
    caseness_cutoff: Decimal | None
    reliable_change: Decimal
    safety_items: tuple[SafetyItem, ...]
    citation: str
    licence: str
    licence_note: str
    path: str
    order: int = 100

    @property
    def min_total(self) -> int:
        return sum(min(item.values) for item in self.items)

    @property
    def max_total(self) -> int:
        return sum(max(item.values) for item in self.items)

    @property
    def min_score(self) -> Decimal:
        return self.score_for_total(self.min_total)

    @property
    def max_score(self) -> Decimal:
        return self.score_for_total(self.max_total)

    def score_for_total(self, total: int) -> Decimal:
        """The score bands are read on: the raw total, or its converted value."""
        if self.conversion is None:
            return Decimal(total).quantize(TWO_PLACES)
        return self.conversion[total]

    def band(self, key: str) -> Band | None:
        for band in self.bands:
            if band.key == key:
                return band
        return None


# --- validation ---------------------------------------------------------------------------------


def _require(mapping: Any, key: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    if not isinstance(mapping, dict):
        raise MeasureDefinitionError(f"{where}: expected an object")
    if key not in mapping:
        raise MeasureDefinitionError(f"{where}: missing '{key}'")
    value = mapping[key]
    if isinstance(value, bool) and kind is not bool:
        raise MeasureDefinitionError(f"{where}: '{key}' must not be true/false")
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise MeasureDefinitionError(f"{where}: '{key}' must be a {names}")
    if isinstance(value, str) and not value.strip():
        raise MeasureDefinitionError(f"{where}: '{key}' must not be empty")
    return value


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MeasureDefinitionError(f"{where}: must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise MeasureDefinitionError(f"{where}: '{value}' is not a number") from exc
    if not number.is_finite():
        raise MeasureDefinitionError(f"{where}: must be a finite number")
    return number.quantize(TWO_PLACES)


def _options(raw: Any, where: str) -> tuple[Option, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise MeasureDefinitionError(f"{where}: 'options' needs at least two answers")
    options = []
    for index, entry in enumerate(raw, start=1):
        value = _require(entry, "value", f"{where} option {index}", int)
        if value < 0 or value > 100:
            raise MeasureDefinitionError(f"{where} option {index}: 'value' must be between 0 and 100")
        options.append(Option(value=value, label=_require(entry, "label", f"{where} option {index}")))
    values = [o.value for o in options]
    if len(set(values)) != len(values):
        raise MeasureDefinitionError(f"{where}: two options have the same value")
    return tuple(options)


def _items(raw: dict, where: str, shared: tuple[Option, ...] | None) -> tuple[Item, ...]:
    raw_items = _require(raw, "items", where, list)
    if not raw_items:
        raise MeasureDefinitionError(f"{where}: 'items' must not be empty")
    items = []
    for index, entry in enumerate(raw_items, start=1):
        here = f"{where} item {index}"
        number = _require(entry, "number", here, int)
        if number != index:
            raise MeasureDefinitionError(f"{here}: 'number' is {number}; items must be numbered 1, 2, 3, ...")
        options = _options(entry["options"], here) if "options" in entry else shared
        if options is None:
            raise MeasureDefinitionError(f"{here}: no 'options' (and the measure has no shared 'options')")
        items.append(Item(number=number, text=_require(entry, "text", here), options=options))
    return tuple(items)


def _conversion(raw: Any, where: str, min_total: int, max_total: int) -> dict[int, Decimal]:
    if not isinstance(raw, dict):
        raise MeasureDefinitionError(f"{where}: 'conversion' must map each raw total to a score")
    table: dict[int, Decimal] = {}
    for raw_total, value in raw.items():
        try:
            total = int(raw_total)
        except ValueError as exc:
            raise MeasureDefinitionError(
                f"{where} conversion: '{raw_total}' is not a whole raw total"
            ) from exc
        table[total] = _decimal(value, f"{where} conversion of {total}")
    wanted = set(range(min_total, max_total + 1))
    missing, extra = sorted(wanted - set(table)), sorted(set(table) - wanted)
    if missing:
        raise MeasureDefinitionError(f"{where} conversion: no score for raw totals {missing}")
    if extra:
        raise MeasureDefinitionError(
            f"{where} conversion: raw totals {extra} are outside the possible {min_total}-{max_total}"
        )
    return table


def _bands(raw: dict, where: str) -> tuple[Band, ...]:
    raw_bands = _require(raw, "bands", where, list)
    if not raw_bands:
        raise MeasureDefinitionError(f"{where}: 'bands' must not be empty")
    bands = []
    for index, entry in enumerate(raw_bands, start=1):
        here = f"{where} band {index}"
        key = _require(entry, "key", here)
        if not _BAND_KEY.match(key):
            raise MeasureDefinitionError(f"{here}: key '{key}' must be lower-case letters, digits and _")
        low = _decimal(_require(entry, "min", here, (int, float)), f"{here} min")
        high = _decimal(_require(entry, "max", here, (int, float)), f"{here} max")
        if low > high:
            raise MeasureDefinitionError(f"{here}: 'min' {low} is above 'max' {high}")
        bands.append(
            Band(
                key=key,
                min=low,
                max=high,
                label=_require(entry, "label", here),
                message=_require(entry, "message", here),
            )
        )
    keys = [b.key for b in bands]
    if len(set(keys)) != len(keys):
        raise MeasureDefinitionError(f"{where}: two bands have the same key")
    for before, after in pairwise(bands):
        if after.min <= before.max:
            raise MeasureDefinitionError(
                f"{where}: bands '{before.key}' and '{after.key}' overlap or are out of order"
            )
    return tuple(bands)


def _safety_items(raw: dict, where: str, items: tuple[Item, ...]) -> tuple[SafetyItem, ...]:
    raw_safety = raw.get("safety_items", [])
    if not isinstance(raw_safety, list):
        raise MeasureDefinitionError(f"{where}: 'safety_items' must be a list")
    result = []
    for index, entry in enumerate(raw_safety, start=1):
        here = f"{where} safety item {index}"
        number = _require(entry, "item", here, int)
        if not 1 <= number <= len(items):
            raise MeasureDefinitionError(f"{here}: there is no item {number}")
        raw_levels = _require(entry, "levels", here, dict)
        levels: dict[int, str] = {}
        for answer, level in raw_levels.items():
            try:
                value = int(answer)
            except ValueError as exc:
                raise MeasureDefinitionError(f"{here}: '{answer}' is not an answer value") from exc
            if value not in items[number - 1].values:
                raise MeasureDefinitionError(f"{here}: item {number} has no answer with value {value}")
            if level not in RiskLevel.values:
                raise MeasureDefinitionError(
                    f"{here}: '{level}' is not a risk level ({', '.join(RiskLevel.values)})"
                )
            levels[value] = level
        if not levels:
            raise MeasureDefinitionError(f"{here}: 'levels' must not be empty")
        result.append(SafetyItem(item=number, summary=_require(entry, "summary", here), levels=levels))
    return tuple(result)


def _order(raw: dict, where: str) -> int:
    order = raw.get("order", 100)
    if isinstance(order, bool) or not isinstance(order, int):
        raise MeasureDefinitionError(f"{where}: 'order' must be a whole number")
    return order


def parse(raw: Any, *, path: str = "<definition>") -> Measure:
    """Validate one definition and build the typed measure. Raises ``MeasureDefinitionError``."""
    where = path
    key = _require(raw, "key", where)
    if not _KEY.match(key):
        raise MeasureDefinitionError(f"{where}: key '{key}' must be 2-32 lower-case letters, digits and _")
    where = f"{path} ({key})"
    version = _require(raw, "version", where)
    if not _VERSION.match(version):
        raise MeasureDefinitionError(f"{where}: version '{version}' must be up to 20 letters, digits, . _ -")
    shared = _options(raw["options"], where) if "options" in raw else None
    items = _items(raw, where, shared)

    scoring = _require(raw, "scoring", where, dict)
    method = _require(scoring, "method", f"{where} scoring")
    if method not in SCORING_METHODS:
        raise MeasureDefinitionError(
            f"{where} scoring: unknown method '{method}' (known: {', '.join(SCORING_METHODS)})"
        )
    higher_is_worse = _require(scoring, "higher_is_worse", f"{where} scoring", bool)
    min_total = sum(min(i.values) for i in items)
    max_total = sum(max(i.values) for i in items)
    conversion = None
    if scoring.get("conversion") is not None:
        conversion = _conversion(scoring["conversion"], where, min_total, max_total)

    bands = _bands(raw, where)
    possible = (
        sorted(set(conversion.values()))
        if conversion
        else [Decimal(t) for t in range(min_total, max_total + 1)]
    )
    for score in possible:
        if not any(band.contains(score) for band in bands):
            raise MeasureDefinitionError(f"{where}: no band covers the possible score {score}")

    caseness = raw.get("caseness")
    cutoff = None
    if caseness is not None:
        cutoff = _decimal(
            _require(caseness, "cutoff", f"{where} caseness", (int, float)), f"{where} caseness cutoff"
        )
        _require(caseness, "source", f"{where} caseness")
    change = _require(raw, "reliable_change", where, dict)
    threshold = _decimal(
        _require(change, "threshold", f"{where} reliable_change", (int, float)), f"{where} threshold"
    )
    if threshold <= 0:
        raise MeasureDefinitionError(f"{where} reliable_change: 'threshold' must be above 0")
    _require(change, "source", f"{where} reliable_change")

    source = _require(raw, "source", where, dict)
    licence = _require(raw, "licence", where, dict)
    return Measure(
        key=key,
        version=version,
        name=_require(raw, "name", where),
        title=_require(raw, "title", where),
        description=_require(raw, "description", where),
        stem=_require(raw, "stem", where),
        items=items,
        higher_is_worse=higher_is_worse,
        conversion=conversion,
        bands=bands,
        caseness_cutoff=cutoff,
        reliable_change=threshold,
        safety_items=_safety_items(raw, where, items),
        citation=_require(source, "citation", f"{where} source"),
        licence=_require(licence, "name", f"{where} licence"),
        licence_note=_require(licence, "note", f"{where} licence"),
        path=path,
        order=_order(raw, where),
    )


def load_file(path: Path) -> Measure:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MeasureDefinitionError(f"cannot read {path}: {exc}") from exc
    return parse(raw, path=str(path))


def _load_dir(directory: Path, into: dict[str, Measure]) -> None:
    for path in sorted(directory.glob("*.json")):
        measure = load_file(path)
        if measure.key in into:
            raise MeasureDefinitionError(
                f"{path}: measure '{measure.key}' is already defined in {into[measure.key].path}"
            )
        into[measure.key] = measure


@lru_cache(maxsize=4)
def _load(extra_dir: str) -> dict[str, Measure]:
    found: dict[str, Measure] = {}
    _load_dir(BUILTIN_DIR, found)
    if extra_dir:
        directory = Path(extra_dir)
        if not directory.is_dir():
            raise MeasureDefinitionError(f"KINDRED_EXTRA_MEASURES_DIR: '{extra_dir}' is not a folder")
        _load_dir(directory, found)
    return dict(sorted(found.items(), key=lambda pair: (pair[1].order, pair[0])))


def measures() -> dict[str, Measure]:
    """Every measure this deployment offers, by key: the built-in ones, then the deployer's."""
    return _load(str(getattr(settings, "KINDRED_EXTRA_MEASURES_DIR", "") or ""))


def get(key: str) -> Measure | None:
    return measures().get(key)


def clear_cache() -> None:
    """Forget the loaded definitions (tests, or after a deployer changes their folder)."""
    _load.cache_clear()
