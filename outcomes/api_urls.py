"""Outcomes REST API; mounted at /api/v1/outcomes/ by config/urls.py."""

from django.urls import path

from outcomes import api

app_name = "outcomes-api"

urlpatterns = [
    path("organisations/", api.OrganisationListView.as_view(), name="organisation-list"),
    path("report/", api.ReportView.as_view(), name="report"),
]
