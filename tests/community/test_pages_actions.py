"""Forms and actions on the pages: success paths, and bad input that changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from community import services
from community.models import (
    MemberControl,
    MemberPreference,
    Notification,
    Post,
    PostRevision,
    PostState,
    Reaction,
    Subscription,
    Thread,
)
from tests.community.conftest import make_thread

pytestmark = pytest.mark.django_db


def thread_url(thread):
    return reverse("community:thread-detail", args=[thread.pk])


def test_start_a_thread_from_the_space_page(client, member, space):
    client.force_login(member)
    page = client.get(reverse("community:space-detail", args=[space.slug]))
    assert page.status_code == 200
    assert "Be kind." in page.content.decode()  # house rules
    response = client.post(
        reverse("community:space-detail", args=[space.slug]),
        {"title": "Struggling to sleep", "body": "Any *tips*?"},
    )
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == thread_url(thread)
    content = client.get(thread_url(thread)).content.decode()
    assert "<em>tips</em>" in content
    assert "Struggling to sleep" in content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "body": "hello"}, "at least 5 characters"),
        ({"title": "Hey", "body": "hello"}, "at least 5 characters"),
        ({"title": "x" * 151, "body": "hello"}, "at most 150 characters"),
        ({"title": "A fine title", "body": ""}, "Please write something"),
        ({"title": "A fine title", "body": "   "}, "Please write something"),
        ({"title": "A fine title", "body": "x" * 10_001}, "at most 10,000 characters"),
    ],
)
def test_bad_thread_input_shows_errors_and_saves_nothing(client, member, space, data, message):
    client.force_login(member)
    response = client.post(reverse("community:space-detail", args=[space.slug]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Thread.objects.count() == 0
    assert Post.objects.count() == 0


def test_script_payload_is_stored_as_text_and_rendered_inert(client, member, space):
    client.force_login(member)
    client.post(
        reverse("community:space-detail", args=[space.slug]),
        {
            "title": "<script>alert(1)</script>",
            "body": "<img src=x onerror=alert(1)> [x](javascript:alert(1))",
        },
    )
    thread = Thread.objects.get()
    content = client.get(thread_url(thread)).content.decode()
    assert "<script>alert(1)" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<img src=x" not in content
    assert 'href="javascript:' not in content


def test_reply_and_bad_reply(client, member, other_member, space):
    thread = make_thread(author=member, space=space)
    client.force_login(other_member)
    bad = client.post(thread_url(thread), {"body": "   "})
    assert bad.status_code == 400
    assert "Please write something" in bad.content.decode()
    assert Post.objects.count() == 1
    good = client.post(thread_url(thread), {"body": "You are not alone"})
    reply = Post.objects.get(is_opening=False)
    assert good.status_code == 302
    assert good["Location"] == reverse("community:post-jump", args=[reply.pk])
    jump = client.get(good["Location"])
    assert jump.status_code == 302
    assert jump["Location"].endswith(f"#post-{reply.pk}")
    assert "You are not alone" in client.get(jump["Location"]).content.decode()


def test_reply_to_restricted_thread_from_outside_is_refused(client, member, outsider, org_space):
    thread = make_thread(author=member, space=org_space)
    client.force_login(outsider)
    assert client.post(thread_url(thread), {"body": "hello"}).status_code == 403
    assert Post.objects.count() == 1


def test_post_to_restricted_space_from_outside_is_refused(client, outsider, org_space):
    client.force_login(outsider)
    response = client.post(
        reverse("community:space-detail", args=[org_space.slug]), {"title": "Let me in", "body": "hello"}
    )
    assert response.status_code == 403
    assert Thread.objects.count() == 0


def test_post_to_unknown_space_is_404(client, member):
    client.force_login(member)
    response = client.post(
        reverse("community:space-detail", args=["nowhere"]), {"title": "Hello there", "body": "x"}
    )
    assert response.status_code == 404
    assert Thread.objects.count() == 0


def test_edit_own_post(client, member, space):
    thread = make_thread(author=member, space=space, title="Original title", body="original")
    post = thread.opening_post
    client.force_login(member)
    form = client.get(reverse("community:post-edit", args=[post.pk]))
    assert form.status_code == 200
    assert "original" in form.content.decode()
    response = client.post(
        reverse("community:post-edit", args=[post.pk]), {"title": "Better title", "body": "updated"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.body == "updated"
    assert thread.title == "Better title"
    assert PostRevision.objects.get().body == "original"


def test_edit_with_bad_input_changes_nothing(client, member, space):
    post = make_thread(author=member, space=space, body="original").opening_post
    client.force_login(member)
    response = client.post(
        reverse("community:post-edit", args=[post.pk]), {"title": "Good title", "body": ""}
    )
    assert response.status_code == 400
    post.refresh_from_db()
    assert post.body == "original"
    assert PostRevision.objects.count() == 0


def test_editing_or_deleting_someone_elses_post_is_403(client, member, other_member, space):
    post = make_thread(author=member, space=space, body="original").opening_post
    client.force_login(other_member)
    assert client.get(reverse("community:post-edit", args=[post.pk])).status_code == 403
    assert client.post(reverse("community:post-edit", args=[post.pk]), {"body": "hacked"}).status_code == 403
    assert client.post(reverse("community:post-delete", args=[post.pk])).status_code == 403
    post.refresh_from_db()
    assert post.body == "original"
    assert post.state == PostState.PUBLISHED
    assert PostRevision.objects.count() == 0


def test_delete_own_post_keeps_it(client, member, other_member, space):
    thread = make_thread(author=member, space=space)
    reply = services.post_create(author=other_member, thread=thread, body="I regret this")
    client.force_login(other_member)
    confirm = client.get(reverse("community:post-delete", args=[reply.pk]))
    assert confirm.status_code == 200
    assert client.post(reverse("community:post-delete", args=[reply.pk])).status_code == 302
    reply.refresh_from_db()
    assert reply.state == PostState.REMOVED
    client.force_login(member)
    assert "I regret this" not in client.get(thread_url(thread)).content.decode()


def test_react_and_react_twice(client, member, other_member, space):
    post = make_thread(author=member, space=space).opening_post
    client.force_login(other_member)
    url = reverse("community:post-react", args=[post.pk])
    assert client.post(url, {"kind": "support"}).status_code == 302
    again = client.post(url, {"kind": "support"})
    assert again.status_code == 400
    assert "already reacted" in again.content.decode()
    assert Reaction.objects.count() == 1
    assert Notification.objects.count() == 1
    bad = client.post(url, {"kind": "downvote"})
    assert bad.status_code == 400
    assert Reaction.objects.count() == 1
    content = client.get(thread_url(post.thread)).content.decode()
    assert 'aria-pressed="true"' in content
    assert (
        client.post(reverse("community:post-unreact", args=[post.pk]), {"kind": "support"}).status_code == 302
    )
    assert Reaction.objects.count() == 0


def test_reactions_need_post(client, member, other_member, space):
    post = make_thread(author=member, space=space).opening_post
    client.force_login(other_member)
    assert client.get(reverse("community:post-react", args=[post.pk])).status_code == 405
    assert Reaction.objects.count() == 0


def test_follow_and_unfollow(client, member, other_member, space):
    thread = make_thread(author=member, space=space)
    client.force_login(other_member)
    assert "Follow this thread" in client.get(thread_url(thread)).content.decode()
    client.post(reverse("community:thread-follow", args=[thread.pk]))
    assert Subscription.objects.filter(user=other_member, thread=thread).exists()
    assert "Stop following" in client.get(thread_url(thread)).content.decode()
    client.post(reverse("community:thread-unfollow", args=[thread.pk]))
    assert not Subscription.objects.filter(user=other_member, thread=thread).exists()


def test_notifications_page_open_and_mark_read(client, member, other_member, space):
    thread = make_thread(author=member, space=space, title="Notify me please")
    reply = services.post_create(author=other_member, thread=thread, body="hi")
    client.force_login(member)
    page = client.get(reverse("community:notifications")).content.decode()
    assert "BraveHeron replied in “Notify me please”" in page
    assert 'data-unread-count="1"' in page
    notification = Notification.objects.get()
    response = client.post(reverse("community:notification-open", args=[notification.pk]))
    assert response["Location"] == reverse("community:post-jump", args=[reply.pk])
    notification.refresh_from_db()
    assert notification.read_at is not None
    services.post_create(author=other_member, thread=thread, body="again")
    client.post(reverse("community:notifications-read"))
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_cannot_open_someone_elses_notification(client, member, other_member, space):
    thread = make_thread(author=member, space=space)
    services.post_create(author=other_member, thread=thread, body="hi")
    client.force_login(other_member)
    assert (
        client.post(reverse("community:notification-open", args=[Notification.objects.get().pk])).status_code
        == 404
    )
    assert Notification.objects.get().read_at is None


def test_my_posts_page_shows_states(client, member, other_member, guide, space):
    thread = make_thread(author=member, space=space, title="My own thread")
    reply = services.post_create(author=member, thread=thread, body="my reply")
    services.post_hide(post=reply, actor=guide, reason="Contains a full name")
    client.force_login(member)
    content = client.get(reverse("community:my-posts")).content.decode()
    assert "My own thread" in content
    assert "Hidden by staff" in content
    assert "Contains a full name" in content
    client.force_login(other_member)
    assert "My own thread" not in client.get(reverse("community:my-posts")).content.decode()


def test_forum_settings_digest_and_controls(client, member, other_member):
    client.force_login(member)
    assert client.get(reverse("community:forum-settings")).status_code == 200
    client.post(reverse("community:forum-settings"), {"email_digest": "on"})
    assert MemberPreference.objects.get(user=member).email_digest is True
    client.post(reverse("community:forum-settings"), {})
    assert MemberPreference.objects.get(user=member).email_digest is False
    client.post(reverse("community:member-control", args=[other_member.pk, "block"]))
    assert MemberControl.objects.filter(owner=member, target=other_member, kind="block").exists()
    assert "BraveHeron" in client.get(reverse("community:forum-settings")).content.decode()
    client.post(reverse("community:member-control", args=[other_member.pk, "unblock"]))
    assert not MemberControl.objects.exists()


def test_member_control_rejects_self_staff_and_unknown_actions(client, member, guide):
    client.force_login(member)
    assert client.post(reverse("community:member-control", args=[member.pk, "mute"])).status_code == 403
    assert client.post(reverse("community:member-control", args=[guide.pk, "block"])).status_code == 403
    assert client.post(reverse("community:member-control", args=[guide.pk, "report"])).status_code == 404
    assert not MemberControl.objects.exists()


def test_member_control_next_must_be_local(client, member, other_member):
    client.force_login(member)
    response = client.post(
        reverse("community:member-control", args=[other_member.pk, "mute"]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("community:forum-settings")


def test_keyset_pagination_on_thread_page(client, member, other_member, space, settings):
    settings.COMMUNITY_PAGE_SIZE = 3
    thread = make_thread(author=member, space=space, body="post-0")
    for n in range(1, 7):
        services.post_create(author=other_member, thread=thread, body=f"post-{n}")
    client.force_login(member)
    first = client.get(thread_url(thread))
    page = first.context["page"]
    assert [p.body for p in page.items] == ["post-0", "post-1", "post-2"]
    second = client.get(thread_url(thread), {"after": page.next_cursor}).context["page"]
    assert [p.body for p in second.items] == ["post-3", "post-4", "post-5"]
    third = client.get(thread_url(thread), {"after": second.next_cursor}).context["page"]
    assert [p.body for p in third.items] == ["post-6"]
    assert third.next_cursor is None
    garbage = client.get(thread_url(thread), {"after": "not-a-cursor!!"})
    assert garbage.status_code == 200
    assert [p.body for p in garbage.context["page"].items] == ["post-0", "post-1", "post-2"]
