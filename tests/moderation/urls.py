"""Root URLconf for moderation tests until config/urls.py includes moderation's modules."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("", include("moderation.urls")),
    path("api/v1/moderation/", include("moderation.api_urls")),
    *project_urlpatterns,
]
