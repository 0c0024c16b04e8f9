"""A system check: every measure definition (shipped and deployer-supplied) loads and validates.

Registered when ``outcomes.apps.OutcomesConfig.ready()`` imports this module, so ``manage.py
check`` and every server start report a bad definition file at once, naming the file and the
field, instead of a member meeting the error on the check-ins page.
"""

from django.core import checks

from outcomes.measures import definitions


@checks.register("outcomes")
def check_measure_definitions(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    definitions.clear_cache()
    try:
        definitions.measures()
    except definitions.MeasureDefinitionError as error:
        return [
            checks.Error(
                str(error),
                hint="Fix the measure definition file, or unset KINDRED_EXTRA_MEASURES_DIR.",
                id="outcomes.E001",
            )
        ]
    return []
