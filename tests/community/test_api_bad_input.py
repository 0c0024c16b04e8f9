"""Bad input over the API: each gets a 4xx with a JSON body, and nothing changes."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from rest_framework.test import APIClient

from community import services
from community.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from community.models import Post, PostState, Reaction
from community.permissions import COMMISSIONER_REASON
from tests.community.conftest import make_thread
from tests.community.test_api_fixtures import (  # noqa: F401
    _api_setup,
    assert_error,
    client_for,
    forum_snapshot,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(space, other_member):
    return make_thread(author=other_member, space=space, title="Can't sleep lately", body="Any tips?")


def test_empty_reply_is_refused(thread, member):
    before = forum_snapshot()
    body = assert_error(
        client_for(member).post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "   "}, format="json"),
        400,
        "invalid",
    )
    assert body["errors"] == {"body": ["Please write something before posting."]}
    assert body["detail"] == "Please write something before posting."
    assert forum_snapshot() == before


def test_missing_body_is_refused(thread, member):
    before = forum_snapshot()
    body = assert_error(
        client_for(member).post(f"/api/v1/threads/{thread.pk}/posts/", {}, format="json"), 400
    )
    assert body["errors"] == {"body": ["This field is required."]}
    assert forum_snapshot() == before


def test_oversized_reply_is_refused(thread, member):
    before = forum_snapshot()
    text = "a" * (services.BODY_MAX + 1)
    body = assert_error(
        client_for(member).post(f"/api/v1/threads/{thread.pk}/posts/", {"body": text}, format="json"), 400
    )
    assert body["errors"]["body"] == ["Posts can be at most 10,000 characters (this one has 10,001)."]
    assert forum_snapshot() == before


def test_thread_with_short_title_and_empty_body_is_refused(space, member):
    before = forum_snapshot()
    response = client_for(member).post(
        f"/api/v1/spaces/{space.slug}/threads/", {"title": "Hi", "body": "Hello"}, format="json"
    )
    assert "title" in assert_error(response, 400)["errors"]
    response = client_for(member).post(
        f"/api/v1/spaces/{space.slug}/threads/", {"title": "A proper title", "body": ""}, format="json"
    )
    assert "body" in assert_error(response, 400)["errors"]
    assert forum_snapshot() == before


def test_malformed_json_is_a_json_400(thread, member):
    before = forum_snapshot()
    response = client_for(member).generic(
        "POST",
        f"/api/v1/threads/{thread.pk}/posts/",
        '{"body": "unterminated',
        content_type="application/json",
    )
    assert_error(response, 400, "parse_error")
    assert forum_snapshot() == before


def test_wrong_type_is_a_field_error(thread, member):
    before = forum_snapshot()
    response = client_for(member).post(f"/api/v1/threads/{thread.pk}/posts/", {"body": ["x"]}, format="json")
    assert assert_error(response, 400)["errors"]["body"] == ["Not a valid string."]
    assert forum_snapshot() == before


def test_unknown_space_is_404(member):
    before = forum_snapshot()
    client = client_for(member)
    assert_error(client.get("/api/v1/spaces/no-such-space/"), 404, "not_found")
    assert_error(client.get("/api/v1/spaces/no-such-space/threads/"), 404, "not_found")
    response = client.post(
        "/api/v1/spaces/no-such-space/threads/", {"title": "Hello all", "body": "Hi"}, format="json"
    )
    assert_error(response, 404, "not_found")
    assert_error(client.get("/api/v1/search/", {"q": "hello", "space": "no-such-space"}), 404, "not_found")
    assert forum_snapshot() == before


def test_unknown_thread_and_post_are_404(member):
    client = client_for(member)
    assert_error(client.get("/api/v1/threads/999999/"), 404, "not_found")
    assert_error(client.get("/api/v1/threads/999999/posts/"), 404, "not_found")
    assert_error(client.get("/api/v1/posts/999999/"), 404, "not_found")
    assert_error(client.post("/api/v1/posts/999999/reactions/", {"kind": "support"}, format="json"), 404)


def test_restricted_space_refuses_outsiders_with_a_reason(org_space, outsider):
    before = forum_snapshot()
    response = client_for(outsider).post(
        f"/api/v1/spaces/{org_space.slug}/threads/",
        {"title": "Let me in please", "body": "Hello"},
        format="json",
    )
    body = assert_error(response, 403, "permission_denied")
    assert body["detail"] == "This space is only open to members of its organisation."
    body = assert_error(client_for(outsider).get("/api/v1/search/", {"q": "x", "space": org_space.slug}), 403)
    assert body["detail"] == "This space is only open to members of its organisation."
    assert forum_snapshot() == before


def test_editing_someone_elses_post_is_403(thread, member):
    post = thread.opening_post
    before = forum_snapshot()
    response = client_for(member).patch(
        f"/api/v1/posts/{post.pk}/", {"body": "Changed by someone else"}, format="json"
    )
    assert assert_error(response, 403, "permission_denied")["detail"] == "You can only edit your own posts."
    assert forum_snapshot() == before


def test_deleting_someone_elses_post_is_403(thread, member):
    post = thread.opening_post
    before = forum_snapshot()
    response = client_for(member).delete(f"/api/v1/posts/{post.pk}/")
    assert assert_error(response, 403, "permission_denied")["detail"] == "You can only delete your own posts."
    assert forum_snapshot() == before
    assert Post.objects.get(pk=post.pk).state == PostState.PUBLISHED


def test_guide_cannot_edit_a_members_post_through_the_api(thread, guide):
    before = forum_snapshot()
    response = client_for(guide).patch(
        f"/api/v1/posts/{thread.opening_post_id}/", {"body": "x"}, format="json"
    )
    assert_error(response, 403)
    assert forum_snapshot() == before


def test_editing_own_post_to_empty_is_refused(thread, other_member):
    before = forum_snapshot()
    response = client_for(other_member).patch(
        f"/api/v1/posts/{thread.opening_post_id}/", {"body": ""}, format="json"
    )
    assert assert_error(response, 400)["errors"] == {"body": ["Please write something before posting."]}
    assert forum_snapshot() == before


def test_reacting_twice_is_409_and_keeps_one_reaction(thread, member):
    post = thread.opening_post
    client = client_for(member)
    url = f"/api/v1/posts/{post.pk}/reactions/"
    assert client.post(url, {"kind": "support"}, format="json").status_code == 201
    before = forum_snapshot()
    body = assert_error(client.post(url, {"kind": "support"}, format="json"), 409, "conflict")
    assert body["errors"] == {"kind": ["You've already reacted with “Sending support” to this post."]}
    assert forum_snapshot() == before
    assert Reaction.objects.filter(post=post, user=member).count() == 1


def test_unknown_reaction_kind_is_400(thread, member):
    before = forum_snapshot()
    response = client_for(member).post(
        f"/api/v1/posts/{thread.opening_post_id}/reactions/", {"kind": "downvote"}, format="json"
    )
    assert assert_error(response, 400)["errors"] == {"kind": ['"downvote" is not a valid choice.']}
    assert_error(
        client_for(member).delete(f"/api/v1/posts/{thread.opening_post_id}/reactions/downvote/"), 400
    )
    assert forum_snapshot() == before


def test_reacting_to_own_post_is_403(thread, other_member):
    before = forum_snapshot()
    response = client_for(other_member).post(
        f"/api/v1/posts/{thread.opening_post_id}/reactions/", {"kind": "me_too"}, format="json"
    )
    assert assert_error(response, 403)["detail"] == "You can't react to your own post."
    assert forum_snapshot() == before


def test_taking_back_a_reaction_never_given_is_404(thread, member):
    before = forum_snapshot()
    response = client_for(member).delete(f"/api/v1/posts/{thread.opening_post_id}/reactions/support/")
    assert_error(response, 404, "not_found")
    assert forum_snapshot() == before


def test_commissioner_gets_403_everywhere(thread, commissioner):
    client = client_for(commissioner)
    before = forum_snapshot()
    for method, url, data in [
        ("get", "/api/v1/spaces/", None),
        ("get", f"/api/v1/threads/{thread.pk}/", None),
        ("post", f"/api/v1/threads/{thread.pk}/posts/", {"body": "Hello"}),
        ("post", f"/api/v1/posts/{thread.opening_post_id}/reactions/", {"kind": "support"}),
        ("put", f"/api/v1/threads/{thread.pk}/subscription/", None),
        ("get", "/api/v1/notifications/", None),
        ("get", "/api/v1/search/?q=sleep", None),
    ]:
        response = getattr(client, method)(url, data, format="json")
        assert assert_error(response, 403, "permission_denied")["detail"] == COMMISSIONER_REASON, url
    assert forum_snapshot() == before


def test_anonymous_gets_401_json(thread):
    before = forum_snapshot()
    response = APIClient().post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "hi"}, format="json")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(bad.get("/api/v1/spaces/"), 401, "authentication_failed")
    assert forum_snapshot() == before


def test_bad_page_size_is_400(thread, member):
    response = client_for(member).get(f"/api/v1/threads/{thread.pk}/posts/", {"size": 0})
    assert "size" in assert_error(response, 400)["errors"]
    response = client_for(member).get(f"/api/v1/threads/{thread.pk}/posts/", {"size": 101})
    assert "size" in assert_error(response, 400)["errors"]


def test_garbage_cursor_means_first_page(thread, member):
    response = client_for(member).get(f"/api/v1/threads/{thread.pk}/posts/", {"cursor": "%%%not-base64"})
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [thread.opening_post_id]


def test_new_member_rate_limit_is_429_and_saves_nothing(settings, thread, member):
    settings.COMMUNITY_NEW_MEMBER_POSTS_PER_MINUTE = 1
    client = client_for(member)
    assert (
        client.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "First"}, format="json").status_code
        == 201
    )
    before = forum_snapshot()
    body = assert_error(
        client.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "Second"}, format="json"),
        429,
        "rate_limited",
    )
    assert "new members can post 1 times a minute" in body["detail"]
    assert forum_snapshot() == before


def test_search_bad_input(member):
    client = client_for(member)
    assert assert_error(client.get("/api/v1/search/"), 400)["errors"] == {"q": ["This field is required."]}
    assert "q" in assert_error(client.get("/api/v1/search/", {"q": "   "}), 400)["errors"]
    assert "q" in assert_error(client.get("/api/v1/search/", {"q": "x" * 201}), 400)["errors"]
    assert (
        "from" in assert_error(client.get("/api/v1/search/", {"q": "x", "from": "yesterday"}), 400)["errors"]
    )
    body = assert_error(
        client.get("/api/v1/search/", {"q": "x", "from": "2024-05-02", "to": "2024-05-01"}), 400
    )
    assert body["errors"] == {"to": ["The end date is before the start date."]}


# Script and event-handler payloads render inert in body_html.

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    "<details open ontoggle=alert(1)>",
    "![img](https://evil.example/x.png)",
    '<style>body{background:url("javascript:alert(1)")}</style>',
]


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if name.startswith("on") or name not in ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}:
                self.problems.append(f"attribute {name} on {tag}")
            if name == "href" and not (value or "").lower().startswith(("http://", "https://", "mailto:")):
                self.problems.append(f"href {value}")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_script_payloads_are_inert_in_body_html(thread, member, payload):
    response = client_for(member).post(
        f"/api/v1/threads/{thread.pk}/posts/", {"body": payload}, format="json"
    )
    assert response.status_code == 201
    data = response.json()
    assert data["body"] == payload  # what the member wrote is kept as written
    inspector = _Inspector()
    inspector.feed(data["body_html"])
    assert inspector.problems == []
    assert Post.objects.get(pk=data["id"]).body_html == data["body_html"]
    listed = client_for(thread.author).get(f"/api/v1/threads/{thread.pk}/posts/").json()["results"]
    assert [p["body_html"] for p in listed if p["id"] == data["id"]] == [data["body_html"]]
