"""Clinician pages and the member's messages from the clinical team.

Include from config/urls.py:  path("", include("escalation.staff_urls")),
"""

from django.urls import path

from escalation import dashboard

app_name = "escalation"

urlpatterns = [
    path("clinician/dashboard/", dashboard.dashboard, name="dashboard"),
    path("clinician/alerts/pending.json", dashboard.alerts_pending, name="alerts-pending"),
    path("clinician/alerts/<int:pk>/acknowledge/", dashboard.alert_ack, name="alert-ack"),
    path("clinician/ack/<str:token>/", dashboard.alert_ack_link, name="alert-ack-link"),
    path("clinician/cases/<int:pk>/", dashboard.case_detail, name="case-detail"),
    path("clinician/cases/<int:pk>/<slug:action>/", dashboard.case_action, name="case-action"),
    path("support/messages/", dashboard.member_messages, name="member-messages"),
]
