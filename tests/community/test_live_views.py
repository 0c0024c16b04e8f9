"""The HTTP half of live updates: catch-up fragments and the unread count, with visibility rules."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from community import live_views, services
from community.models import PostState
from tests.community.conftest import make_post_in_state, make_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

POST_ARTICLE = re.compile(r'<article class="card post post--(\w+)" id="post-(\d+)"')


def article_ids(html: str) -> list[int]:
    return [int(pk) for _, pk in POST_ARTICLE.findall(html)]


def posts_url(thread) -> str:
    return reverse("live:thread-posts", args=[thread.pk])


@pytest.fixture
def thread(member, space):
    return make_thread(author=member, space=space)


@pytest.fixture
def replier():
    return UserFactory(pseudonym="KindMoth")


@pytest.fixture
def mixed_replies(thread, member, other_member, replier, guide):
    """After the opening post: published, held, hidden, removed (by other_member), then published."""
    first = services.post_create(author=replier, thread=thread, body="First reply")
    held = make_post_in_state(author=other_member, thread=thread, state=PostState.HELD, body="held words")
    hidden = make_post_in_state(
        author=other_member, thread=thread, state=PostState.HIDDEN, body="hidden words", actor=guide
    )
    removed = make_post_in_state(author=other_member, thread=thread, state=PostState.REMOVED, body="gone")
    last = services.post_create(author=replier, thread=thread, body="Last reply")
    return {"first": first, "held": held, "hidden": hidden, "removed": removed, "last": last}


def test_after_post_returns_newer_published_posts_for_another_member(client, thread, member, mixed_replies):
    client.force_login(member)
    response = client.get(posts_url(thread), {"after_post": thread.opening_post_id})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert "X-Live-More" not in response
    html = response.content.decode()
    assert article_ids(html) == [mixed_replies["first"].pk, mixed_replies["last"].pk]
    for secret in ("held words", "hidden words", "gone"):
        assert secret not in html
    assert "KindMoth" in html
    assert "community/_post.html" in [t.name for t in response.templates]


def test_after_post_starts_strictly_after_the_anchor(client, thread, member, mixed_replies):
    client.force_login(member)
    response = client.get(posts_url(thread), {"after_post": mixed_replies["first"].pk})
    assert article_ids(response.content.decode()) == [mixed_replies["last"].pk]
    response = client.get(posts_url(thread), {"after_post": mixed_replies["last"].pk})
    assert response.status_code == 200
    assert article_ids(response.content.decode()) == []


def test_author_of_held_hidden_removed_posts_sees_their_own(client, thread, other_member, mixed_replies):
    client.force_login(other_member)
    response = client.get(posts_url(thread), {"after_post": thread.opening_post_id})
    m = mixed_replies
    assert article_ids(response.content.decode()) == [
        m["first"].pk,
        m["held"].pk,
        m["hidden"].pk,
        m["removed"].pk,
        m["last"].pk,
    ]
    assert "waiting for a quick review" in response.content.decode()


def test_guide_sees_every_post(client, thread, guide, mixed_replies):
    client.force_login(guide)
    response = client.get(posts_url(thread), {"after_post": thread.opening_post_id})
    assert len(article_ids(response.content.decode())) == 5


def test_batches_are_capped_and_marked(client, thread, member, replier, monkeypatch):
    monkeypatch.setattr(live_views, "LIVE_BATCH", 2)
    replies = [services.post_create(author=replier, thread=thread, body=f"Reply {n}") for n in range(3)]
    client.force_login(member)
    response = client.get(posts_url(thread), {"after_post": thread.opening_post_id})
    assert article_ids(response.content.decode()) == [replies[0].pk, replies[1].pk]
    assert response["X-Live-More"] == "1"
    response = client.get(posts_url(thread), {"after_post": replies[1].pk})
    assert article_ids(response.content.decode()) == [replies[2].pk]
    assert "X-Live-More" not in response


def test_fragment_uses_a_fixed_number_of_queries(client, thread, member, replier, django_assert_num_queries):
    client.force_login(member)
    services.post_create(author=replier, thread=thread, body="one")
    # Session, user, thread, anchor, posts, reactions, member controls.
    with django_assert_num_queries(7):
        response = client.get(posts_url(thread), {"after_post": thread.opening_post_id})
    assert len(article_ids(response.content.decode())) == 1
    for n in range(8):
        services.post_create(author=replier, thread=thread, body=f"more {n}")
    with django_assert_num_queries(7):
        response = client.get(posts_url(thread), {"after_post": thread.opening_post_id})
    assert len(article_ids(response.content.decode())) == 9


def test_single_post_rendered_when_visible(client, thread, member, mixed_replies):
    client.force_login(member)
    response = client.get(posts_url(thread), {"post": mixed_replies["last"].pk})
    assert response.status_code == 200
    assert article_ids(response.content.decode()) == [mixed_replies["last"].pk]


@pytest.mark.parametrize("key", ["held", "hidden", "removed"])
def test_single_post_of_another_member_not_visible_is_no_content(client, thread, member, mixed_replies, key):
    client.force_login(member)
    response = client.get(posts_url(thread), {"post": mixed_replies[key].pk})
    assert response.status_code == 204
    assert response.content == b""


def test_single_held_post_is_rendered_for_its_author(client, thread, other_member, mixed_replies):
    client.force_login(other_member)
    response = client.get(posts_url(thread), {"post": mixed_replies["held"].pk})
    assert response.status_code == 200
    assert POST_ARTICLE.findall(response.content.decode()) == [("held", str(mixed_replies["held"].pk))]


def test_anonymous_gets_401(client, thread):
    response = client.get(posts_url(thread), {"after_post": thread.opening_post_id})
    assert response.status_code == 401
    assert client.get(reverse("live:unread-count")).json() == {"detail": "Please sign in."}


def test_commissioner_gets_403(client, thread, commissioner):
    client.force_login(commissioner)
    response = client.get(posts_url(thread), {"after_post": thread.opening_post_id})
    assert response.status_code == 403
    assert "aggregate" in response.content.decode()
    assert client.get(reverse("live:unread-count")).status_code == 403


def test_restricted_space_thread_is_403_for_outsider(client, member, org_space, outsider):
    thread = make_thread(author=member, space=org_space)
    client.force_login(outsider)
    response = client.get(posts_url(thread), {"after_post": thread.opening_post_id})
    assert response.status_code == 403
    assert "organisation" in response.content.decode()
    assert "Feeling low" not in response.content.decode()


def test_held_thread_is_403_for_other_member(client, thread, other_member):
    services.post_hold(post=thread.opening_post, reason="test")
    client.force_login(other_member)
    response = client.get(posts_url(thread), {"after_post": thread.opening_post_id})
    assert response.status_code == 403


def test_unknown_thread_is_404(client, member):
    client.force_login(member)
    response = client.get(reverse("live:thread-posts", args=[999_999]), {"after_post": 1})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params",
    [{}, {"after_post": "1", "post": "1"}, {"after_post": "abc"}, {"after_post": "-3"}, {"post": "0"}],
)
def test_bad_parameters_are_400(client, thread, member, params):
    client.force_login(member)
    response = client.get(posts_url(thread), params)
    assert response.status_code == 400
    assert response.content


def test_anchor_from_another_thread_is_400(client, thread, member, space):
    other = make_thread(author=member, space=space, title="Another thread here")
    client.force_login(member)
    response = client.get(posts_url(thread), {"after_post": other.opening_post_id})
    assert response.status_code == 400
    assert article_ids(response.content.decode()) == []


def test_only_get_is_allowed(client, thread, member):
    client.force_login(member)
    assert client.post(posts_url(thread), {"after_post": thread.opening_post_id}).status_code == 405
    assert client.post(reverse("live:unread-count")).status_code == 405


def test_unread_count_counts_only_visible_notifications(client, thread, member, replier, other_member):
    client.force_login(member)
    assert client.get(reverse("live:unread-count")).json() == {"unread_count": 0}
    services.post_create(author=replier, thread=thread, body="hello")
    reply = services.post_create(author=other_member, thread=thread, body="hi")
    assert client.get(reverse("live:unread-count")).json() == {"unread_count": 2}
    # A reply held after it notified no longer counts: its text is not visible to the author.
    services.post_hold(post=reply, reason="test")
    response = client.get(reverse("live:unread-count"))
    assert response.json() == {"unread_count": 1}
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    services.notifications_mark_read(user=member)
    assert client.get(reverse("live:unread-count")).json() == {"unread_count": 0}
