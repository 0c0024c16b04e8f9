"""Commissioner dashboard pages; included from outcomes/urls.py (app_name "outcomes")."""

from django.urls import path

from outcomes import commissioner_views

urlpatterns = [
    path("dashboards/", commissioner_views.dashboard, name="commissioner-dashboard"),
    path("dashboards/export.csv", commissioner_views.dashboard_csv, name="commissioner-dashboard-csv"),
]
