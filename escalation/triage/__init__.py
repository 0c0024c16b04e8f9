"""Risk triage: a fast, pure-Python reading of a post against the levels in RISK-LEVELS.md.

    from escalation.triage import assess
    assess("I'm going to end it tonight").level  # "imminent"

No Django imports here: the engine runs inside the request that submits a post, in Celery
tasks and in management commands alike.
"""

from escalation.triage.engine import (
    ENGINE_CODE_VERSION,
    Assessment,
    Engine,
    MatchedRule,
    assess,
    default_engine,
)
from escalation.triage.rules import CATEGORIES, LEVELS, RuleError, RuleSet

__all__ = [
    "CATEGORIES",
    "ENGINE_CODE_VERSION",
    "LEVELS",
    "Assessment",
    "Engine",
    "MatchedRule",
    "RuleError",
    "RuleSet",
    "assess",
    "default_engine",
]
