"""The API visibility matrix: who sees which post, over post detail, thread posts and search.

Viewers: the post's author, another member, a member of another organisation, a guide and a
commissioner; posts published, held, hidden and removed.
"""

from __future__ import annotations

import pytest

from accounts.models import Role
from community.models import PostState
from community.permissions import COMMISSIONER_REASON
from tests.community.conftest import make_post_in_state, make_thread
from tests.community.test_api_fixtures import _api_setup, assert_error, client_for  # noqa: F401
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VIEWERS = ["author", "other_member", "outsider", "guide", "commissioner"]
STATES = [PostState.PUBLISHED, PostState.HELD, PostState.HIDDEN, PostState.REMOVED]
SEES = {
    PostState.PUBLISHED: {"author", "other_member", "outsider", "guide"},
    PostState.HELD: {"author", "guide"},
    PostState.HIDDEN: {"author", "guide"},
    PostState.REMOVED: {"author", "guide"},
}
STAFF_ONLY = {
    "hold_reason",
    "author_notice",
    "state_changed_at",
    "state_changed_by",
    "screened_at",
    "revisions",
}


@pytest.fixture
def starter():
    return UserFactory(pseudonym="ThreadStarter", role=Role.MEMBER)


@pytest.fixture
def world(space, starter, member, other_member, outsider, guide, commissioner):
    """A published thread by someone else with one reply by ``member`` in every state."""
    thread = make_thread(author=starter, space=space, title="Evenings are hard", body="Anyone else?")
    posts = {
        state: make_post_in_state(
            author=member,
            thread=thread,
            state=state,
            body=f"lighthouse thoughts, {state} version",
            actor=guide,
        )
        for state in STATES
    }
    viewers = {
        "author": member,
        "other_member": other_member,
        "outsider": outsider,
        "guide": guide,
        "commissioner": commissioner,
    }
    return {"thread": thread, "posts": posts, "viewers": viewers}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_post_detail(world, viewer, state):
    post = world["posts"][state]
    user = world["viewers"][viewer]
    response = client_for(user).get(f"/api/v1/posts/{post.pk}/")
    if viewer == "commissioner":
        assert assert_error(response, 403, "permission_denied")["detail"] == COMMISSIONER_REASON
    elif viewer in SEES[state]:
        assert response.status_code == 200
        assert response.json()["id"] == post.pk
        assert response.json()["state"] == state
    else:
        body = assert_error(response, 403, "permission_denied")
        assert "lighthouse" not in response.content.decode()
        assert body["detail"] == "This post is not available."


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_thread_posts(world, viewer, state):
    post = world["posts"][state]
    response = client_for(world["viewers"][viewer]).get(f"/api/v1/threads/{world['thread'].pk}/posts/")
    if viewer == "commissioner":
        assert_error(response, 403, "permission_denied")
        return
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["results"]}
    assert (post.pk in ids) is (viewer in SEES[state])
    if viewer not in SEES[state]:
        assert f"{state} version" not in response.content.decode()


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_search(world, viewer, state):
    post = world["posts"][state]
    response = client_for(world["viewers"][viewer]).get("/api/v1/search/", {"q": "lighthouse"})
    if viewer == "commissioner":
        assert_error(response, 403, "permission_denied")
        return
    assert response.status_code == 200
    ids = {hit["post"]["id"] for hit in response.json()["results"]}
    assert (post.pk in ids) is (viewer in SEES[state])
    assert ids <= {p.pk for s, p in world["posts"].items() if viewer in SEES[s]}


def test_author_sees_kind_note_on_held_post_and_no_staff_fields(world, member):
    post = world["posts"][PostState.HELD]
    data = client_for(member).get(f"/api/v1/posts/{post.pk}/").json()
    assert data["notice"]["state"] == "held"
    assert "waiting for a quick review" in data["notice"]["message"]
    assert "/help/" in data["notice"]["message"]
    assert not STAFF_ONLY & set(data)


def test_author_sees_why_post_was_hidden(world, member):
    post = world["posts"][PostState.HIDDEN]
    data = client_for(member).get(f"/api/v1/posts/{post.pk}/").json()
    assert data["hidden_reason"] == "Shares another person's details"
    assert data["notice"] == {
        "state": "hidden",
        "message": "A guide has hidden this post, so only you and the guides can see it.",
        "reason": "Shares another person's details",
    }


def test_others_get_no_notice_and_no_staff_fields(world, other_member):
    response = client_for(other_member).get(f"/api/v1/threads/{world['thread'].pk}/posts/")
    for item in response.json()["results"]:
        assert item["notice"] is None
        assert item["hidden_reason"] == ""
        assert not STAFF_ONLY & set(item)


def test_guide_sees_staff_fields(world, guide):
    held = world["posts"][PostState.HELD]
    data = client_for(guide).get(f"/api/v1/posts/{held.pk}/").json()
    assert data["hold_reason"] == "test"
    assert data["revisions"] == []
    assert data["notice"] is None  # notices are for the author
    hidden = client_for(guide).get(f"/api/v1/posts/{world['posts'][PostState.HIDDEN].pk}/").json()
    assert hidden["hidden_reason"] == "Shares another person's details"
    assert hidden["state_changed_by"]["pseudonym"] == guide.pseudonym


@pytest.mark.parametrize("viewer", ["author", "other_member", "outsider", "guide"])
def test_no_email_or_organisation_in_any_response(world, viewer, member, organisation):
    client = client_for(world["viewers"][viewer])
    urls = [
        f"/api/v1/threads/{world['thread'].pk}/",
        f"/api/v1/threads/{world['thread'].pk}/posts/",
        f"/api/v1/posts/{world['posts'][PostState.PUBLISHED].pk}/",
        "/api/v1/search/?q=lighthouse",
        "/api/v1/spaces/anxiety/threads/",
        "/api/v1/notifications/",
    ]
    for url in urls:
        content = client.get(url).content.decode()
        for user in world["viewers"].values():
            assert user.email not in content, url
        assert organisation.name not in content, url
        assert "Far Away" not in content


@pytest.mark.parametrize("viewer", ["other_member", "outsider"])
def test_restricted_space_thread_is_closed_to_non_members(org_space, member, guide, viewer, request):
    thread = make_thread(author=member, space=org_space, title="Exam stress again", body="lighthouse exams")
    client = client_for(request.getfixturevalue(viewer))
    for url in (
        f"/api/v1/spaces/{org_space.slug}/",
        f"/api/v1/spaces/{org_space.slug}/threads/",
        f"/api/v1/threads/{thread.pk}/",
        f"/api/v1/threads/{thread.pk}/posts/",
        f"/api/v1/posts/{thread.opening_post_id}/",
    ):
        body = assert_error(client.get(url), 403, "permission_denied")
        assert body["detail"] == "This space is only open to members of its organisation."
    assert client.get("/api/v1/search/", {"q": "lighthouse"}).json()["results"] == []
    assert org_space.slug not in [s["slug"] for s in client.get("/api/v1/spaces/").json()]
    # Its own members and guides do see it.
    for insider in (member, guide):
        hits = client_for(insider).get("/api/v1/search/", {"q": "lighthouse"}).json()["results"]
        assert [hit["post"]["id"] for hit in hits] == [thread.opening_post_id]


def test_held_opening_post_hides_the_whole_thread_from_others(space, member, other_member, guide):
    from community import services

    thread = make_thread(author=member, space=space, title="Not sure I can go on", body="lighthouse night")
    services.post_hold(post=thread.opening_post, reason="risk:high")
    assert_error(client_for(other_member).get(f"/api/v1/threads/{thread.pk}/"), 403)
    listing = client_for(other_member).get(f"/api/v1/spaces/{space.slug}/threads/").json()
    assert thread.pk not in [t["id"] for t in listing["results"]]
    mine = client_for(member).get(f"/api/v1/spaces/{space.slug}/threads/").json()
    assert [t["state"] for t in mine["results"] if t["id"] == thread.pk] == ["held"]
    assert client_for(guide).get(f"/api/v1/threads/{thread.pk}/").status_code == 200
