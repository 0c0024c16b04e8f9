"""Commissioner dashboards: one organisation (or all, for admins) over a date range.

Every number on these pages and in their CSV comes from ``outcomes.disclosure`` (small counts
hidden, the rest rounded, secondary suppression); the exact report never reaches a template.
Nothing here links to, names or lists a member.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from outcomes.commissioner_charts import chart_html
from outcomes.commissioner_forms import DashboardForm, check_view_dashboards
from outcomes.disclosure import disclosed_organisation_report
from outcomes.export import disclosed_report_csv


def _form(request: HttpRequest) -> DashboardForm:
    check_view_dashboards(request.user)
    return DashboardForm(request.GET, user=request.user)


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    context: dict = {"form": form, "report": None, "sections": []}
    if not form.organisations:
        return render(request, "outcomes/commissioner/dashboard.html", context)
    if not form.is_valid():
        return render(request, "outcomes/commissioner/dashboard.html", context, status=400)
    report = disclosed_organisation_report(
        organisation_id=form.organisation_id, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
    )
    context.update(
        report=report,
        sections=[{"table": table, "chart": chart_html(table)} for table in report.tables],
        query_string=form.query_string(),
    )
    return render(request, "outcomes/commissioner/dashboard.html", context)


@require_GET
@login_required
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if not form.organisations or not form.is_valid():
        return render(
            request,
            "outcomes/commissioner/dashboard.html",
            {"form": form, "report": None, "sections": []},
            status=400,
        )
    report = disclosed_organisation_report(
        organisation_id=form.organisation_id, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
    )
    table_key = request.GET.get("table") or None
    if table_key and table_key not in {t.key for t in report.tables}:
        return HttpResponse(
            "No such table in this report.", status=404, content_type="text/plain; charset=utf-8"
        )
    org = form.chosen_organisation
    name = f"kindred-{org.slug if org else 'all-organisations'}-{report.start}-{report.end}"
    if table_key:
        name += f"-{table_key}"
    response = HttpResponse(
        disclosed_report_csv(report, table_key=table_key), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
