"""URL patterns; see outcomes/urls.py."""

urlpatterns: list = []
