"""Values every page needs: the site name and the crisis-resources region."""

from django.http import HttpRequest


def kindred(request: HttpRequest) -> dict:
    return {"site_name": "Kindred"}
