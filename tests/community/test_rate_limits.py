"""New members (under 7 days) have gentle posting limits; nothing is saved when they hit one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from community import services
from community.models import Post, Thread
from tests.community.conftest import make_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_limits(settings):
    del settings.COMMUNITY_NEW_MEMBER_POSTS_PER_MINUTE
    del settings.COMMUNITY_NEW_MEMBER_THREADS_PER_DAY


def test_defaults_five_posts_per_minute(member, other_member, space):
    thread = make_thread(author=other_member, space=space)
    for n in range(5):
        services.post_create(author=member, thread=thread, body=f"post {n}")
    with pytest.raises(services.RateLimited, match="5 times a minute"):
        services.post_create(author=member, thread=thread, body="one too many")
    assert Post.objects.filter(author=member).count() == 5


def test_posts_older_than_a_minute_do_not_count(member, other_member, space):
    thread = make_thread(author=other_member, space=space)
    for n in range(5):
        services.post_create(author=member, thread=thread, body=f"post {n}")
    Post.objects.filter(author=member).update(created_at=timezone.now() - timedelta(seconds=61))
    services.post_create(author=member, thread=thread, body="fine again")


def test_defaults_three_threads_per_day(member, space):
    for n in range(3):
        make_thread(author=member, space=space, title=f"Thread number {n}")
        Post.objects.filter(author=member).update(created_at=timezone.now() - timedelta(minutes=5))
    with pytest.raises(services.RateLimited, match="3 threads a day"):
        make_thread(author=member, space=space, title="Thread number 4")
    assert Thread.objects.filter(author=member).count() == 3
    assert Post.objects.filter(author=member).count() == 3


def test_limits_are_configurable(settings, member, space):
    settings.COMMUNITY_NEW_MEMBER_THREADS_PER_DAY = 1
    make_thread(author=member, space=space)
    with pytest.raises(services.RateLimited, match="1 threads a day"):
        make_thread(author=member, space=space, title="Another one")


def test_established_members_and_staff_are_not_limited(space, guide):
    veteran = UserFactory(pseudonym="OldOak", date_joined=timezone.now() - timedelta(days=8))
    thread = make_thread(author=veteran, space=space)
    for n in range(7):
        services.post_create(author=veteran, thread=thread, body=f"post {n}")
        services.post_create(author=guide, thread=thread, body=f"guide {n}")
    for n in range(4):
        make_thread(author=veteran, space=space, title=f"Veteran thread {n}")


def test_rate_limit_page_shows_a_clear_message_and_keeps_the_text(client, member, other_member, space):
    thread = make_thread(author=other_member, space=space)
    for n in range(5):
        services.post_create(author=member, thread=thread, body=f"post {n}")
    client.force_login(member)
    response = client.post(reverse("community:thread-detail", args=[thread.pk]), {"body": "my careful words"})
    assert response.status_code == 429
    content = response.content.decode()
    assert "posting very quickly" in content
    assert "my careful words" in content  # the form keeps what they wrote
    assert Post.objects.filter(author=member).count() == 5
