"""Shapes of the outcomes API: disclosed reports only (every value a string, as on the page)."""

from __future__ import annotations

from rest_framework import serializers


class ShownValues(serializers.ListField):
    """A list of shown values: "0", "*", a rounded count, or "" where a total does not apply."""

    child = serializers.CharField(allow_blank=True)


class DisclosedTableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    kind = serializers.CharField(help_text="What the cells count: people or events.")
    rows = serializers.ListField(child=serializers.CharField())
    columns = serializers.ListField(child=serializers.CharField())
    cells = serializers.ListField(child=ShownValues(), help_text="cells[row][column], as shown.")
    row_totals = ShownValues(allow_null=True)
    column_totals = ShownValues(allow_null=True)
    grand_total = serializers.CharField(allow_null=True)
    group_sizes = ShownValues(allow_null=True, help_text="Per row: the group a percentage is taken over.")
    percentages = serializers.ListField(
        child=ShownValues(),
        allow_null=True,
        help_text='Per cell: "42%", or "*" for a group under the minimum.',
    )
    suppressed_cells = serializers.IntegerField(help_text="Values shown as '*' (cells and totals).")
    secondary_suppressed = serializers.IntegerField(help_text="Of which hidden only to protect others.")
    note = serializers.CharField(allow_blank=True)


class DisclosureRulesSerializer(serializers.Serializer):
    min_count = serializers.IntegerField(source="rules.min_count")
    round_to = serializers.IntegerField(source="rules.round_to")
    min_percentage_group = serializers.IntegerField(source="rules.min_percentage_group")
    legend = serializers.CharField()


class DisclosedReportSerializer(serializers.Serializer):
    organisation = serializers.SerializerMethodField()
    start = serializers.DateField(help_text="The Monday the figures start on (the asked-for start, snapped).")
    end = serializers.DateField(
        help_text="The Sunday the figures end on: the last whole, finished week asked for."
    )
    time_zone = serializers.CharField()
    generated_at = serializers.DateTimeField(allow_null=True)
    rollup_through = serializers.DateField(allow_null=True, help_text="The last day the figures cover.")
    disclosure = DisclosureRulesSerializer(source="*")
    notes = serializers.ListField(child=serializers.CharField())
    tables = DisclosedTableSerializer(many=True)

    def get_organisation(self, report) -> dict:
        return {"id": report.organisation_id, "name": report.organisation_name}


class OrganisationChoiceSerializer(serializers.Serializer):
    id = serializers.CharField(help_text='An organisation id, or "all" (admins).')
    name = serializers.CharField()


class ReportQuerySerializer(serializers.Serializer):
    """For the schema only: the query is validated by outcomes.commissioner_forms.DashboardForm."""

    organisation = serializers.CharField(required=False, help_text='Organisation id, or "all" (admins).')
    start = serializers.DateField(
        required=False,
        help_text=(
            "First day (default: a year before today). Moved back to the Monday of its week: "
            "ranges are whole weeks, so two ranges a day apart cannot be subtracted to reveal small counts."
        ),
    )
    end = serializers.DateField(
        required=False,
        help_text=(
            "Last day, inclusive (default: today). Moved to the Sunday of its week, or to the Sunday "
            "before if that week is not over; a range with no finished week is refused (400)."
        ),
    )
