"""Suspended or banned members see why they can't post before they type, not after."""

from __future__ import annotations

import pytest
from django.urls import reverse

from community.models import Post, Thread
from moderation import services as moderation_services
from tests.community.conftest import make_thread

pytestmark = pytest.mark.django_db

REFUSAL = "You can read the forums and get help, but you can&#x27;t post until "
BANNED = "your account can no longer post"


def pages(thread):
    return (
        reverse("community:thread-detail", args=[thread.pk]),
        reverse("community:space-detail", args=[thread.space.slug]),
    )


def test_members_in_good_standing_see_both_forms(client, member, other_member, space):
    thread = make_thread(author=other_member, space=space)
    client.force_login(member)
    thread_page, space_page = (client.get(url).content.decode() for url in pages(thread))
    assert "Post reply" in thread_page
    assert "Post thread" in space_page
    assert "data-posting-refusal" not in thread_page + space_page


def test_suspended_member_sees_the_reason_in_place_of_both_forms(client, member, other_member, guide, space):
    thread = make_thread(author=other_member, space=space)
    moderation_services.member_suspend(member=member, actor=guide, reason="Cooling off.", days=2)
    client.force_login(member)
    for url, button in zip(pages(thread), ("Post reply", "Post thread"), strict=True):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200  # reading still works
        assert REFUSAL in html
        assert "data-posting-refusal" in html
        assert button not in html
        assert 'name="body"' not in html
        assert reverse("crisis-help") in html


def test_banned_member_sees_the_ban_message(client, member, other_member, guide, space):
    thread = make_thread(author=other_member, space=space)
    moderation_services.member_ban(member=member, actor=guide, reason="Harassing other members.")
    client.force_login(member)
    for url in pages(thread):
        html = client.get(url).content.decode()
        assert BANNED in html
        assert 'name="body"' not in html


def test_a_refused_post_keeps_the_members_text(client, member, other_member, guide, space):
    """If the suspension starts while they type, the form stays with their words and the reason."""
    thread = make_thread(author=other_member, space=space)
    moderation_services.member_suspend(member=member, actor=guide, reason="Cooling off.", days=1)
    client.force_login(member)
    thread_url, space_url = pages(thread)
    response = client.post(thread_url, {"body": "Sorry, everyone."})
    assert response.status_code == 400
    html = response.content.decode()
    assert REFUSAL in html
    assert "Sorry, everyone." in html
    response = client.post(space_url, {"title": "A new thread", "body": "Words I wrote."})
    assert response.status_code == 400
    assert "Words I wrote." in response.content.decode()
    assert not Post.objects.filter(author=member).exists()
    assert not Thread.objects.filter(author=member).exists()


def test_lifting_the_suspension_brings_the_forms_back(client, member, other_member, guide, space):
    thread = make_thread(author=other_member, space=space)
    sanction = moderation_services.member_suspend(member=member, actor=guide, reason="Cooling off.", days=1)
    moderation_services.sanction_lift(sanction=sanction, actor=guide, reason="Talked it through.")
    client.force_login(member)
    thread_url, space_url = pages(thread)
    assert "Post reply" in client.get(thread_url).content.decode()
    assert "Post thread" in client.get(space_url).content.decode()


def test_guides_see_the_forms(client, guide, other_member, space):
    thread = make_thread(author=other_member, space=space)
    client.force_login(guide)
    thread_url, space_url = pages(thread)
    assert "Post reply" in client.get(thread_url).content.decode()
    assert "Post thread" in client.get(space_url).content.decode()
