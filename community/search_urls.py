"""The search page. Included by the project at the root: ``path("", include("community.search_urls"))``."""

from django.urls import path

from community import search_views

app_name = "community-search"

urlpatterns = [path("search/", search_views.search_page, name="search")]
