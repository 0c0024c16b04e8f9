"""Root URLconf for escalation tests until config/urls.py includes the new modules."""

from django.urls import include, path

from accounts.views_safety import safety_contact
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("", include("community.urls")),
    path("", include("escalation.staff_urls")),
    path("account/safety-contact/", safety_contact, name="safety_contact"),
]
