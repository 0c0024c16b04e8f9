import pytest
from django.urls import NoReverseMatch, reverse


@pytest.fixture(autouse=True)
def _community_urls(settings):
    """Use the project URLconf if it already includes community.urls, else add it for tests."""
    try:
        reverse("community:space-list")
    except NoReverseMatch:
        settings.ROOT_URLCONF = "tests.community.urls"
