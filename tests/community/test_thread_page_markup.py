"""The thread page's per-post markup (built cheaply, see community/templatetags/community_posts.py).

Every action stays a plain form without JavaScript: one reaction form per post whose buttons say
add (``kind``) or take back (``remove``), mute/block forms for another member's post, edit and
delete links for one's own; URLs as ``reverse()`` gives them, one CSRF token value per page.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse, set_script_prefix
from django.utils import timezone

from community import services
from community.models import MemberControlKind, Notification, Reaction
from community.templatetags.community_posts import post_urls, relative_time, thread_url
from tests.community.conftest import make_thread

pytestmark = pytest.mark.django_db

FORM = re.compile(r'<form method="post" action="([^"]+)"( class="reactions")?>(.*?)</form>', re.S)
BUTTON = re.compile(r'<button type="submit" name="(\w+)" value="(\w+)"[^>]*aria-pressed="(\w+)"')
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def article(html: str, pk: int) -> str:
    start = html.index(f'id="post-{pk}"')
    return html[start : html.index("</article>", start)]


def test_one_reaction_form_per_post_whose_buttons_add_and_take_back(client, member, other_member, space):
    post = make_thread(author=member, space=space).opening_post
    url = reverse("community:thread-detail", args=[post.thread_id])
    client.force_login(other_member)

    html = article(client.get(url).content.decode(), post.pk)
    reaction_forms = [form for form in FORM.findall(html) if form[1]]
    assert len(reaction_forms) == 1
    action, _, inner = reaction_forms[0]
    assert action == reverse("community:post-react", args=[post.pk])
    assert BUTTON.findall(inner) == [
        ("kind", "support", "false"),
        ("kind", "me_too", "false"),
        ("kind", "thank_you", "false"),
    ]

    assert client.post(action, {"kind": "me_too"}).status_code == 302
    assert list(Reaction.objects.values_list("user_id", "kind")) == [(other_member.pk, "me_too")]
    html = article(client.get(url).content.decode(), post.pk)
    assert ("remove", "me_too", "true") in BUTTON.findall(html)
    assert "Me too · 1 ✓" in html

    assert client.post(action, {"remove": "me_too"}).status_code == 302
    assert not Reaction.objects.exists()
    assert BUTTON.findall(article(client.get(url).content.decode(), post.pk))[1] == (
        "kind",
        "me_too",
        "false",
    )


def test_taking_back_a_reaction_never_given_changes_nothing(client, member, other_member, space):
    post = make_thread(author=member, space=space).opening_post
    client.force_login(other_member)
    url = reverse("community:post-react", args=[post.pk])
    assert client.post(url, {"remove": "support"}).status_code == 302
    assert not Reaction.objects.exists()


@pytest.mark.parametrize(
    "data", [{"remove": "downvote"}, {"remove": ""}, {"kind": "support", "remove": "support"}, {}]
)
def test_bad_reaction_buttons_change_nothing(client, member, other_member, space, data):
    post = make_thread(author=member, space=space).opening_post
    services.reaction_add(user=other_member, post=post, kind="support")
    notifications = Notification.objects.count()
    client.force_login(other_member)
    response = client.post(reverse("community:post-react", args=[post.pk]), data)
    assert response.status_code == 400
    assert "Please choose one of the reactions shown." in response.content.decode()
    assert list(Reaction.objects.values_list("kind", flat=True)) == ["support"]
    assert Notification.objects.count() == notifications


def test_own_post_shows_counts_edit_and_delete_but_no_forms(client, member, other_member, space):
    post = make_thread(author=member, space=space).opening_post
    services.reaction_add(user=other_member, post=post, kind="thank_you")
    client.force_login(member)
    html = article(
        client.get(reverse("community:thread-detail", args=[post.thread_id])).content.decode(), post.pk
    )
    assert FORM.findall(html) == []
    assert '<span class="meta">Thank you: 1</span>' in html
    assert f'<a href="{reverse("community:post-edit", args=[post.pk])}">Edit</a>' in html
    assert f'<a href="{reverse("community:post-delete", args=[post.pk])}">Delete</a>' in html


def test_mute_and_block_forms_follow_the_members_choices(client, member, other_member, space):
    thread = make_thread(author=member, space=space)
    reply = services.post_create(author=other_member, thread=thread, body="A reply <b>in bold</b>")
    url = reverse("community:thread-detail", args=[thread.pk])
    jump = reverse("community:post-jump", args=[reply.pk])
    client.force_login(member)

    forms = FORM.findall(article(client.get(url).content.decode(), reply.pk))
    actions = [action for action, reactions, _ in forms if not reactions]
    assert actions == [
        reverse("community:member-control", args=[other_member.pk, "mute"]),
        reverse("community:member-control", args=[other_member.pk, "block"]),
    ]
    assert all(f'name="next" value="{jump}"' in inner for _, reactions, inner in forms if not reactions)
    for action in actions:
        assert client.post(action, {"next": jump}).status_code == 302

    html = article(client.get(url).content.decode(), reply.pk)
    actions = [action for action, reactions, _ in FORM.findall(html) if not reactions]
    assert actions == [
        reverse("community:member-control", args=[other_member.pk, "unmute"]),
        reverse("community:member-control", args=[other_member.pk, "unblock"]),
    ]
    assert f"Unmute {other_member.pseudonym}" in html
    assert f"Unblock {other_member.pseudonym}" in html
    assert member.member_controls.filter(kind=MemberControlKind.MUTE).exists()


def test_every_form_carries_the_same_working_csrf_token(member, other_member, space):
    thread = make_thread(author=member, space=space)
    services.post_create(author=other_member, thread=thread, body="Hello")
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    html = client.get(reverse("community:thread-detail", args=[thread.pk])).content.decode()
    tokens = TOKEN.findall(html)
    assert len(tokens) >= 4  # logout, follow, mute, block, reply
    assert len(set(tokens)) == 1
    reply = thread.posts.exclude(author=member).get()
    response = client.post(
        reverse("community:post-react", args=[reply.pk]),
        {"kind": "support", "csrfmiddlewaretoken": tokens[0]},
    )
    assert response.status_code == 302
    assert Reaction.objects.filter(user=member, post=reply).exists()
    refused = client.post(reverse("community:post-react", args=[reply.pk]), {"remove": "support"})
    assert refused.status_code == 403
    assert Reaction.objects.filter(user=member, post=reply).exists()


def test_post_and_thread_urls_match_reverse_also_under_a_script_prefix(member, other_member, space):
    reply = services.post_create(
        author=other_member, thread=make_thread(author=member, space=space), body="Hi"
    )
    reply.is_muted, reply.author_blocked = True, False
    for prefix in ("/", "/forum/"):
        set_script_prefix(prefix)
        try:
            urls = post_urls(reply)
            assert urls == {
                "jump": reverse("community:post-jump", args=[reply.pk]),
                "edit": reverse("community:post-edit", args=[reply.pk]),
                "delete": reverse("community:post-delete", args=[reply.pk]),
                "react": reverse("community:post-react", args=[reply.pk]),
                "unreact": reverse("community:post-unreact", args=[reply.pk]),
                "mute_toggle": reverse("community:member-control", args=[other_member.pk, "unmute"]),
                "block_toggle": reverse("community:member-control", args=[other_member.pk, "block"]),
            }
            assert urls["jump"].startswith(prefix)
            assert thread_url(reply.thread) == reverse("community:thread-detail", args=[reply.thread_id])
        finally:
            set_script_prefix("/")


def test_pseudonyms_are_escaped_in_the_action_forms(client, member, space):
    from tests.factories import UserFactory

    odd = UserFactory(pseudonym='Quote"<b>Bold</b>')
    thread = make_thread(author=member, space=space)
    reply = services.post_create(author=odd, thread=thread, body="Hi")
    client.force_login(member)
    html = article(
        client.get(reverse("community:thread-detail", args=[thread.pk])).content.decode(), reply.pk
    )
    assert "<b>Bold</b>" not in html
    assert "Mute Quote&quot;&lt;b&gt;Bold&lt;/b&gt;" in html


@pytest.mark.parametrize(
    ("age", "label"),
    [
        (timedelta(seconds=-5), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=60), "1 minute ago"),
        (timedelta(minutes=59, seconds=59), "59 minutes ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=23, minutes=59), "23 hours ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=6, hours=23), "6 days ago"),
    ],
)
def test_relative_time_within_a_week(age, label):
    now = timezone.now()
    assert relative_time(now - age, now) == label


def test_relative_time_older_than_a_week_is_the_local_date(settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    moment = datetime(2026, 3, 6, 20, 30, tzinfo=UTC)  # 7 Mar 09:30 in Auckland
    assert relative_time(moment, moment + timedelta(days=8)) == "7 Mar 2026"


def test_time_ago_element(client, member, space):
    post = make_thread(author=member, space=space).opening_post
    client.force_login(member)
    html = article(
        client.get(reverse("community:thread-detail", args=[post.thread_id])).content.decode(), post.pk
    )
    assert f'<time datetime="{timezone.localtime(post.created_at).isoformat()}">just now</time>' in html


def test_thread_rows_link_to_their_threads_with_relative_times(client, member, other_member, space):
    thread = make_thread(author=member, space=space, title="Row test", age=timedelta(hours=3))
    services.post_create(author=other_member, thread=thread, body="A reply")
    client.force_login(other_member)
    html = client.get(reverse("community:space-detail", args=[space.slug])).content.decode()
    assert f'<a href="{reverse("community:thread-detail", args=[thread.pk])}">Row test</a>' in html
    assert "· started <time datetime=" in html
    assert ">3 hours ago</time>" in html
    assert "· last reply <time datetime=" in html
    assert ">just now</time>" in html
