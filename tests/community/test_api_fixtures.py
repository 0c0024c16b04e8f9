"""Shared set-up for the API and search tests (imported by them; no tests here).

* throttle counters (cache) start empty in every test.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community.models import Notification, Post, PostRevision, Reaction, Subscription, Thread


@pytest.fixture(autouse=True)
def _api_setup():
    cache.clear()
    yield
    cache.clear()


def client_for(user) -> APIClient:
    """An API client authenticated the way API clients are: with a token."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def forum_snapshot() -> dict:
    """Everything a forum write could change, to assert that a refused request changed nothing."""
    return {
        "threads": list(Thread.objects.order_by("pk").values_list("pk", "title", "reply_count")),
        "posts": list(
            Post.objects.order_by("pk").values_list("pk", "state", "body", "body_html", "edited_at")
        ),
        "revisions": PostRevision.objects.count(),
        "reactions": list(Reaction.objects.order_by("pk").values_list("pk", "post_id", "user_id", "kind")),
        "subscriptions": list(Subscription.objects.order_by("pk").values_list("pk", "thread_id", "user_id")),
        "notifications": list(Notification.objects.order_by("pk").values_list("pk", "read_at")),
    }


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is a JSON error body of the one documented shape."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body
