"""Outcomes REST API (``/api/v1/outcomes/``): the commissioner dashboards as JSON.

* Auth: token or session, like the forum API; commissioners and admins only (403 otherwise).
* The same ``DashboardForm`` as the pages validates the query, so a reversed or over-long
  range, a future date, or an organisation that is not the caller's gets a 400 JSON body with
  field errors (another organisation is refused exactly like one that does not exist).
* The range is snapped to whole, finished weeks (start to its Monday, end to the last Sunday
  that is over), and the response's ``start`` and ``end`` are the snapped days; a range inside
  the current week is a 400. Ranges a day apart thus give the same figures.
* Every number comes from ``outcomes.disclosure``: strings, never exact counts.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api_errors import FieldErrors
from outcomes import serializers as s
from outcomes.commissioner_forms import DashboardForm, check_view_dashboards
from outcomes.disclosure import disclosed_organisation_report

ERRORS = {
    400: OpenApiResponse(description="Invalid query: {status, code, detail, errors: {field: [messages]}}"),
    401: OpenApiResponse(description="Not signed in: {status, code, detail}"),
    403: OpenApiResponse(description="Not a commissioner or admin: {status, code, detail}"),
}


class DashboardAPIView(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        check_view_dashboards(request.user)


class OrganisationListView(DashboardAPIView):
    @extend_schema(
        responses={200: s.OrganisationChoiceSerializer(many=True), **ERRORS},
        tags=["outcomes"],
        summary="Organisations whose dashboards you may see",
    )
    def get(self, request: Request) -> Response:
        form = DashboardForm(None, user=request.user)
        choices = [{"id": value, "name": label} for value, label in form.fields["organisation"].choices]
        return Response(s.OrganisationChoiceSerializer(choices, many=True).data)


class ReportView(DashboardAPIView):
    @extend_schema(
        parameters=[s.ReportQuerySerializer],
        responses={200: s.DisclosedReportSerializer, **ERRORS},
        tags=["outcomes"],
        summary="One organisation's dashboard over a date range, disclosure-controlled",
        description=(
            "The range is snapped to whole, finished weeks, Monday to Sunday: start moves back to "
            "its Monday and end to the last Sunday that is over, so that figures for two ranges "
            "cannot be subtracted to reveal small counts. The response's start and end are the "
            "snapped days."
        ),
    )
    def get(self, request: Request) -> Response:
        form = DashboardForm(request.query_params, user=request.user)
        if not form.organisations:
            raise FieldErrors(
                "You are not linked to any organisation.",
                errors={"organisation": ["You are not linked to any organisation."]},
            )
        if not form.is_valid():
            errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
            first = next(iter(errors.values()))[0]
            raise FieldErrors(first, errors=errors)
        report = disclosed_organisation_report(
            organisation_id=form.organisation_id,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
        )
        return Response(s.DisclosedReportSerializer(report).data)
