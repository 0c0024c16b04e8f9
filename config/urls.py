from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("escalation.urls")),
    path("", include("escalation.staff_urls")),
    path("", include("community.urls")),
    path("", include("community.search_urls")),
    path("live/", include("community.live_urls")),
    path("", include("moderation.urls")),
    path("", include("outcomes.urls")),
    path("api/v1/outcomes/", include("outcomes.api_urls")),
    path("api/v1/moderation/", include("moderation.api_urls")),
    path("api/v1/", include("community.api_urls")),
    path("accounts/", include("allauth.urls")),
    path("django-admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
