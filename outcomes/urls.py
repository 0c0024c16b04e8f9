"""Pages of the outcomes app: the member's self-assessments and the commissioner dashboards."""

from django.urls import include, path

app_name = "outcomes"

urlpatterns = [
    path("", include("outcomes.member_urls")),
    path("", include("outcomes.commissioner_urls")),
]
