"""The one place escalation calls the triage engine (``escalation.triage``).

The engine is pure Python and owned by its own package; this adapter turns whatever it returns
into a small, stable :class:`Screening` so the rest of escalation does not depend on its
internals. The engine is named by the ``ESCALATION_TRIAGE_ENGINE`` setting (a dotted path to a
callable taking the text), so a deployment can pin or swap it without code changes.

Any failure here raises :class:`TriageUnavailable`; callers fail closed (the post is held).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from escalation.models import RiskLevel

DEFAULT_ENGINE = "escalation.triage.assess"


class TriageUnavailable(RuntimeError):
    """The engine could not be loaded or could not read this text."""


@dataclass(frozen=True)
class Screening:
    level: str
    score: float = 0.0
    categories: list[str] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    engine_version: str = ""


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _engine():
    path = getattr(settings, "ESCALATION_TRIAGE_ENGINE", DEFAULT_ENGINE)
    try:
        return import_string(path)
    except ImportError as exc:
        raise TriageUnavailable(f"triage engine {path!r} cannot be imported: {exc}") from exc


def _as_dict(result: Any) -> dict[str, Any]:
    if isinstance(result, dict):
        return result
    to_dict = getattr(result, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    return {
        name: getattr(result, name) for name in ("level", "score", "categories", "rules", "engine_version")
    }


def _jsonable_rules(rules: Any) -> list[dict[str, Any]]:
    out = []
    for rule in rules or []:
        if isinstance(rule, dict):
            out.append(rule)
        elif callable(getattr(rule, "to_dict", None)):
            out.append(rule.to_dict())
        else:
            out.append({"rule": str(rule)})
    return out


def screen(text: str) -> Screening:
    """Read ``text`` with the triage engine. Raises ``TriageUnavailable`` on any failure."""
    engine = _engine()
    try:
        raw = _as_dict(engine(text))
        level = str(getattr(raw.get("level"), "value", raw.get("level")))
        if level not in RiskLevel.values:
            raise TriageUnavailable(f"engine returned an unknown level {level!r}")
        return Screening(
            level=level,
            score=float(raw.get("score") or 0.0),
            categories=[str(c) for c in raw.get("categories") or []],
            rules=_jsonable_rules(raw.get("rules")),
            engine_version=str(raw.get("engine_version") or raw.get("version") or "unknown")[:64],
        )
    except TriageUnavailable:
        raise
    except Exception as exc:
        raise TriageUnavailable(f"triage engine failed: {exc!r}") from exc
