"""Who sees what on the forum pages: roles by post states."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from community import services
from community.models import PostState
from tests.community.conftest import make_post_in_state, make_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STATES = [PostState.PUBLISHED, PostState.HELD, PostState.HIDDEN, PostState.REMOVED]
STATE_LABELS = {
    PostState.HELD: "Held for review",
    PostState.HIDDEN: "Hidden by staff",
    PostState.REMOVED: "Removed by the author",
}
HELD_NOTE = "Your post is waiting for a quick review by our guides"

# viewer -> (status, sees the post body in each state)
EXPECTED = {
    "author": (200, {PostState.PUBLISHED, PostState.HELD, PostState.HIDDEN, PostState.REMOVED}),
    "classmate": (200, {PostState.PUBLISHED}),
    "outsider": (403, set()),
    "guide": (200, {PostState.PUBLISHED, PostState.HELD, PostState.HIDDEN, PostState.REMOVED}),
    "commissioner": (403, set()),
}


@pytest.fixture
def classmate(organisation):
    return UserFactory(pseudonym="SameSchoolSparrow", role=Role.MEMBER, organisation=organisation)


@pytest.fixture
def viewers(member, classmate, outsider, guide, commissioner):
    return {
        "author": member,
        "classmate": classmate,
        "outsider": outsider,
        "guide": guide,
        "commissioner": commissioner,
    }


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("viewer_name", list(EXPECTED))
def test_reply_visibility_matrix(client, viewers, classmate, member, guide, org_space, state, viewer_name):
    thread = make_thread(author=classmate, space=org_space, title="Revision stress")
    marker = f"MARKER-{state}-text"
    make_post_in_state(author=member, thread=thread, state=state, body=marker, actor=guide)
    client.force_login(viewers[viewer_name])
    response = client.get(reverse("community:thread-detail", args=[thread.pk]))
    status, visible_states = EXPECTED[viewer_name]
    assert response.status_code == status
    content = response.content.decode()
    assert (marker in content) is (state in visible_states)
    if viewer_name == "author":
        assert (HELD_NOTE in content) is (state == PostState.HELD)
        if state == PostState.HIDDEN:
            assert "Shares another person&#x27;s details" in content
        if state == PostState.REMOVED:
            assert "You deleted this post" in content
    if viewer_name == "guide" and state in STATE_LABELS:
        assert STATE_LABELS[state] in content
    if viewer_name == "classmate":
        assert HELD_NOTE not in content
        assert "Shares another person" not in content


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("viewer_name", list(EXPECTED))
def test_opening_post_visibility_matrix(client, viewers, member, guide, org_space, state, viewer_name):
    thread = make_thread(author=member, space=org_space, title="Opening state thread", body=f"OPEN-{state}")
    opening = thread.opening_post
    if state == PostState.HELD:
        services.post_hold(post=opening, reason="triage")
    elif state == PostState.HIDDEN:
        services.post_hide(post=opening, actor=guide, reason="Contains a phone number")
    elif state == PostState.REMOVED:
        services.post_remove(post=opening, actor=member)
    client.force_login(viewers[viewer_name])
    thread_page = client.get(reverse("community:thread-detail", args=[thread.pk]))
    space_page = client.get(reverse("community:space-detail", args=[org_space.slug]))
    status, visible_states = EXPECTED[viewer_name]
    visible = state in visible_states
    if status == 403:
        assert thread_page.status_code == 403
        assert space_page.status_code == 403
        return
    assert thread_page.status_code == (200 if visible else 403)
    assert space_page.status_code == 200
    assert ("Opening state thread" in space_page.content.decode()) is visible
    assert (f"OPEN-{state}" in thread_page.content.decode()) is visible


def test_restricted_space_hidden_from_other_organisations(client, outsider, member, org_space, space):
    client.force_login(outsider)
    listing = client.get(reverse("community:space-list")).content.decode()
    assert "Anxiety" in listing
    assert "Students" not in listing
    assert client.get(reverse("community:space-detail", args=[org_space.slug])).status_code == 403
    client.force_login(member)
    assert "Students" in client.get(reverse("community:space-list")).content.decode()


def test_unknown_space_and_thread_are_404(client, member):
    client.force_login(member)
    assert client.get(reverse("community:space-detail", args=["nope"])).status_code == 404
    assert client.get(reverse("community:thread-detail", args=[999999])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, space):
    response = client.get(reverse("community:space-list"))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize(
    "url_name",
    ["community:space-list", "community:unanswered", "community:notifications", "community:my-posts"],
)
def test_commissioners_get_403_on_forum_pages(client, commissioner, url_name):
    client.force_login(commissioner)
    assert client.get(reverse(url_name)).status_code == 403


def test_staff_see_edit_history_members_do_not(client, member, other_member, guide, space):
    thread = make_thread(author=member, space=space, body="ORIGINAL wording")
    services.post_edit(actor=member, post=thread.opening_post, body="Softer wording")
    url = reverse("community:thread-detail", args=[thread.pk])
    client.force_login(guide)
    content = client.get(url).content.decode()
    assert "Edit history (1)" in content
    assert "ORIGINAL wording" in content
    for viewer in (member, other_member):
        client.force_login(viewer)
        content = client.get(url).content.decode()
        assert "ORIGINAL wording" not in content
        assert "Softer wording" in content


def test_muted_members_posts_are_collapsed(client, member, other_member, space):
    thread = make_thread(author=member, space=space)
    services.post_create(author=other_member, thread=thread, body="muted words")
    client.force_login(member)
    url = reverse("community:thread-detail", args=[thread.pk])
    response = client.post(reverse("community:member-control", args=[other_member.pk, "mute"]), {"next": url})
    assert response.status_code == 302
    assert response["Location"] == url
    content = client.get(url).content.decode()
    assert "whom you muted" in content
    assert '<details class="muted-post">' in content
    assert "Unmute BraveHeron" in content
    client.post(reverse("community:member-control", args=[other_member.pk, "block"]), {"next": url})
    assert "Unblock BraveHeron" in client.get(url).content.decode()


def test_email_is_never_rendered(client, member, other_member, guide, space):
    thread = make_thread(author=member, space=space)
    services.post_create(author=other_member, thread=thread, body="hello")
    for viewer in (other_member, guide):
        client.force_login(viewer)
        content = client.get(reverse("community:thread-detail", args=[thread.pk])).content.decode()
        assert member.email not in content
        assert other_member.email not in content
