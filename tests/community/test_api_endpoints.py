"""The forum API end to end: each endpoint through the services, tokens, sessions, the schema and
the query budget of the thread posts endpoint."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community import hooks, services
from community.models import Notification, Post, PostRevision, PostState, Reaction, Subscription, Thread
from tests.community.conftest import backdate_thread, make_thread
from tests.community.test_api_fixtures import _api_setup, assert_error, client_for, forum_snapshot  # noqa: F401
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(space, other_member):
    return make_thread(author=other_member, space=space, title="Can't sleep lately", body="Any tips?")


# Spaces and threads.


def test_spaces_list_and_detail(space, org_space, member, outsider):
    mine = client_for(member).get("/api/v1/spaces/").json()
    assert [s["slug"] for s in mine] == ["anxiety", "students"]
    assert mine[0] == {
        "slug": "anxiety",
        "name": "Anxiety",
        "description": "Worry and panic.",
        "house_rules": "Be kind.",
        "restricted": False,
    }
    assert [s["slug"] for s in client_for(outsider).get("/api/v1/spaces/").json()] == ["anxiety"]
    assert client_for(member).get("/api/v1/spaces/students/").json()["restricted"] is True


def test_thread_list_is_keyset_paginated_by_latest_activity(space, member, other_member):
    threads = [make_thread(author=member, space=space, title=f"Thread number {i}") for i in range(5)]
    for age, thread in enumerate(threads):
        backdate_thread(thread, timedelta(hours=10 - age))
    # A reply brings the oldest thread to the top.
    services.post_create(author=other_member, thread=threads[0], body="I hear you")
    client = client_for(member)
    seen, url = [], f"/api/v1/spaces/{space.slug}/threads/?size=2"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [t["id"] for t in page["results"]]
        url = page["next"]
        if url:
            assert page["next_cursor"] in url
    assert seen == [threads[0].pk, threads[4].pk, threads[3].pk, threads[2].pk, threads[1].pk]


def test_create_thread(space, member):
    response = client_for(member).post(
        f"/api/v1/spaces/{space.slug}/threads/",
        {"title": "  First time here  ", "body": "Hello **everyone**"},
        format="json",
    )
    assert response.status_code == 201
    data = response.json()
    thread = Thread.objects.get()
    assert data["thread"]["id"] == thread.pk
    assert data["thread"]["title"] == "First time here"
    assert data["thread"]["is_following"] is True
    assert data["thread"]["can_reply"] is True
    assert data["opening_post"]["body_html"] == "<p>Hello <strong>everyone</strong></p>\n"
    assert data["opening_post"]["is_mine"] is True
    assert Subscription.objects.filter(thread=thread, user=member).exists()


def test_thread_detail(thread, member):
    data = client_for(member).get(f"/api/v1/threads/{thread.pk}/").json()
    assert data["title"] == "Can't sleep lately"
    assert data["author"] == {"id": thread.author_id, "pseudonym": "BraveHeron", "role": "member"}
    assert data["is_following"] is False
    assert data["can_reply"] is True
    assert data["answered"] is False


def test_reply_notifies_the_thread_author(thread, member, other_member):
    response = client_for(member).post(
        f"/api/v1/threads/{thread.pk}/posts/", {"body": "Me too."}, format="json"
    )
    assert response.status_code == 201
    post = Post.objects.get(pk=response.json()["id"])
    assert post.author == member
    assert post.state == PostState.PUBLISHED
    notification = Notification.objects.get(recipient=other_member)
    assert notification.post == post
    data = client_for(other_member).get("/api/v1/notifications/").json()
    assert data["unread_count"] == 1
    assert data["results"][0]["kind"] == "reply"
    assert data["results"][0]["actor"]["pseudonym"] == member.pseudonym
    assert data["results"][0]["thread"] == {"id": thread.pk, "title": thread.title}
    assert data["results"][0]["reaction_kind"] is None


def test_reply_held_by_a_hook_shows_the_author_a_kind_note(thread, member, other_member):
    def hold_everything(*, post, decision):
        decision.hold(reason="risk:high", author_notice="Samaritans: 116 123")

    hooks.post_submitted.connect(hold_everything, dispatch_uid="test.api.hold")
    try:
        response = client_for(member).post(
            f"/api/v1/threads/{thread.pk}/posts/", {"body": "I can't go on"}, format="json"
        )
    finally:
        hooks.post_submitted.disconnect(dispatch_uid="test.api.hold")
    data = response.json()
    assert response.status_code == 201
    assert data["state"] == "held"
    assert data["notice"]["details"] == "Samaritans: 116 123"
    assert "hold_reason" not in data
    assert not Notification.objects.filter(recipient=other_member).exists()


def test_edit_own_post_keeps_the_old_text_for_staff(thread, other_member, guide):
    post = thread.opening_post
    response = client_for(other_member).patch(
        f"/api/v1/posts/{post.pk}/",
        {"body": "Any *tips* at all?", "title": "Can't sleep at all"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["body_html"] == "<p>Any <em>tips</em> at all?</p>\n"
    assert response.json()["edited_at"] is not None
    thread.refresh_from_db()
    assert thread.title == "Can't sleep at all"
    revision = PostRevision.objects.get(post=post)
    assert revision.body == "Any tips?"
    assert "revisions" not in response.json()
    staff_view = client_for(guide).get(f"/api/v1/posts/{post.pk}/").json()
    assert [r["body"] for r in staff_view["revisions"]] == ["Any tips?"]
    assert staff_view["revisions"][0]["title"] == "Can't sleep lately"


def test_delete_own_post_marks_it_removed(thread, member, other_member):
    post = services.post_create(author=member, thread=thread, body="Never mind")
    response = client_for(member).delete(f"/api/v1/posts/{post.pk}/")
    assert response.status_code == 204
    post.refresh_from_db()
    assert post.state == PostState.REMOVED
    assert post.body == "Never mind"  # kept
    assert_error(client_for(other_member).get(f"/api/v1/posts/{post.pk}/"), 403)
    assert client_for(member).get(f"/api/v1/posts/{post.pk}/").json()["notice"]["state"] == "removed"


def test_reactions_add_and_remove(thread, member, other_member):
    post = thread.opening_post
    client = client_for(member)
    response = client.post(f"/api/v1/posts/{post.pk}/reactions/", {"kind": "support"}, format="json")
    assert response.status_code == 201
    counts = {r["kind"]: (r["count"], r["mine"]) for r in response.json()["reactions"]}
    assert counts == {"support": (1, True), "me_too": (0, False), "thank_you": (0, False)}
    notification = Notification.objects.get(recipient=other_member, kind="reaction")
    assert notification.reaction_kind == "support"
    listed = client_for(other_member).get(f"/api/v1/threads/{thread.pk}/posts/").json()["results"][0]
    assert {r["kind"]: r["count"] for r in listed["reactions"]}["support"] == 1
    assert client.delete(f"/api/v1/posts/{post.pk}/reactions/support/").status_code == 204
    assert not Reaction.objects.exists()


def test_follow_and_unfollow(thread, member):
    client = client_for(member)
    url = f"/api/v1/threads/{thread.pk}/subscription/"
    assert client.get(url).json() == {"following": False}
    assert client.put(url).json() == {"following": True}
    assert client.put(url).json() == {"following": True}  # idempotent
    assert Subscription.objects.filter(thread=thread, user=member).count() == 1
    assert client.get(url).json() == {"following": True}
    assert client.delete(url).json() == {"following": False}
    assert not Subscription.objects.filter(thread=thread, user=member).exists()


def test_notifications_unread_count_and_mark_read(thread, member, other_member, outsider):
    posts = [services.post_create(author=author, thread=thread, body="Hugs") for author in (member, outsider)]
    client = client_for(other_member)
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread_count": 2}
    first = Notification.objects.get(post=posts[0])
    response = client.post("/api/v1/notifications/read/", {"ids": [first.pk]}, format="json")
    assert response.json() == {"marked_read": 1, "unread_count": 1}
    # Someone else's notification ids change nothing.
    theirs = Notification.objects.create(
        recipient=member, actor=outsider, kind="reply", thread=thread, post=posts[1]
    )
    assert (
        client.post("/api/v1/notifications/read/", {"ids": [theirs.pk]}, format="json").json()["marked_read"]
        == 0
    )
    assert client.post("/api/v1/notifications/read/", {}, format="json").json() == {
        "marked_read": 1,
        "unread_count": 0,
    }
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_notifications_never_show_a_post_that_was_hidden_since(thread, member, other_member, guide):
    post = services.post_create(author=member, thread=thread, body="Call me on 07700 900000")
    services.post_hide(post=post, actor=guide, reason="Contact details")
    data = client_for(other_member).get("/api/v1/notifications/").json()
    assert data == {"next": None, "next_cursor": None, "unread_count": 0, "results": []}


# Tokens and sessions.


def test_token_with_pseudonym_or_email(member):
    client = APIClient()
    by_name = client.post(
        "/api/v1/auth/token/", {"login": "gentleotter", "password": TEST_PASSWORD}, format="json"
    )
    assert by_name.status_code == 200
    by_email = client.post(
        "/api/v1/auth/token/", {"login": member.email, "password": TEST_PASSWORD}, format="json"
    )
    assert by_email.json()["token"] == by_name.json()["token"] == Token.objects.get(user=member).key
    client.credentials(HTTP_AUTHORIZATION=f"Token {by_name.json()['token']}")
    assert client.get("/api/v1/spaces/").status_code == 200


def test_token_refused_for_wrong_password_or_inactive_user(member):
    response = APIClient().post(
        "/api/v1/auth/token/", {"login": "GentleOtter", "password": "wrong"}, format="json"
    )
    body = assert_error(response, 400, "invalid")
    assert body["detail"] == "That pseudonym or email and password don't match an account."
    member.is_active = False
    member.save()
    response = APIClient().post(
        "/api/v1/auth/token/", {"login": "GentleOtter", "password": TEST_PASSWORD}, format="json"
    )
    assert_error(response, 400)
    assert not Token.objects.exists()


def test_token_endpoint_is_throttled_per_login(settings, member):
    settings.KINDRED_API_TOKEN_RATE_PER_LOGIN = "3/min"
    client = APIClient()
    for _ in range(3):
        client.post("/api/v1/auth/token/", {"login": "GentleOtter", "password": "guess"}, format="json")
    response = client.post(
        "/api/v1/auth/token/", {"login": "GentleOtter", "password": TEST_PASSWORD}, format="json"
    )
    body = assert_error(response, 429, "throttled")
    assert body["retry_after"] > 0
    assert not Token.objects.exists()


def test_token_endpoint_is_throttled_per_address(settings, member):
    settings.KINDRED_API_TOKEN_RATE_PER_IP = "2/min"
    client = APIClient()
    for name in ("a-name", "another-name"):
        client.post("/api/v1/auth/token/", {"login": name, "password": "guess"}, format="json")
    response = client.post(
        "/api/v1/auth/token/", {"login": "GentleOtter", "password": TEST_PASSWORD}, format="json"
    )
    assert_error(response, 429, "throttled")


def test_session_auth_works_and_needs_csrf_for_writes(thread, member):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.get(f"/api/v1/threads/{thread.pk}/").status_code == 200
    before = forum_snapshot()
    response = client.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "hi"}, format="json")
    assert "CSRF" in assert_error(response, 403)["detail"]
    assert forum_snapshot() == before


# OpenAPI.


def test_schema_endpoint_serves_openapi(member):
    client = APIClient()
    client.force_login(member)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/threads/{id}/posts/", "/api/v1/search/", "/api/v1/auth/token/"):
        assert path in schema["paths"]
    assert client.get("/api/docs/").status_code == 200


def test_schema_generates_without_warnings_and_validates(tmp_path: Path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    post = schema["components"]["schemas"]["Post"]["properties"]
    assert "email" not in post["author"]
    assert "email" not in schema["components"]["schemas"]["Person"]["properties"]


# Query budget.


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("viewer", ["member", "guide"])
def test_thread_posts_endpoint_uses_a_fixed_number_of_queries(
    space, other_member, outsider, guide, member, viewer
):
    small = make_thread(author=other_member, space=space, title="Small thread")
    large = make_thread(author=other_member, space=space, title="Large thread")
    for thread, replies in ((small, 2), (large, 29)):
        for i in range(replies):
            post = services.post_create(
                author=outsider if i % 2 else member, thread=thread, body=f"Reply {i}"
            )
            services.reaction_add(user=other_member, post=post, kind="support")
            services.post_edit(actor=post.author, post=post, body=f"Reply {i}, edited")
    client = client_for(member if viewer == "member" else guide)
    counts = [_count_queries(client, f"/api/v1/threads/{t.pk}/posts/?size=50") for t in (small, large)]
    assert counts[0] == counts[1]
    # token, thread, posts, reactions, member controls (+ revisions for staff)
    assert counts[0] == (6 if viewer == "guide" else 5)
    sizes = [
        len(client.get(f"/api/v1/threads/{t.pk}/posts/?size=50").json()["results"]) for t in (small, large)
    ]
    assert sizes == [3, 30]
