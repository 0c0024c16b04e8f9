"""Root URLconf for community tests until config/urls.py includes community.urls."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("", include("community.urls"))]
