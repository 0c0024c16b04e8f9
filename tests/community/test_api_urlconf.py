"""URLconf for the API and search tests: the project's URLs plus whatever of the forum URLs
(pages, ``api/v1/``, search page) config/urls.py does not include yet. No tests here."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns


def _included(module: str) -> bool:
    for pattern in project_urlpatterns:
        urlconf = getattr(pattern, "urlconf_name", None)
        if getattr(urlconf, "__name__", urlconf) == module:
            return True
    return False


urlpatterns = list(project_urlpatterns)
if not _included("community.urls"):
    urlpatterns.append(path("", include("community.urls")))
if not _included("community.api_urls"):
    urlpatterns.append(path("api/v1/", include("community.api_urls")))
if not _included("community.search_urls"):
    urlpatterns.append(path("", include("community.search_urls")))
