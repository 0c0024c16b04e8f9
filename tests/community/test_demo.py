"""seed_community: five spaces, gentle threads, one left unanswered; idempotent."""

from __future__ import annotations

import pytest

from accounts.models import Role
from community import selectors
from community.demo import UNANSWERED_TITLE, seed_community
from community.models import Post, PostState, Space, Thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_seed_is_complete_and_idempotent(organisation, member, guide):
    other = UserFactory(pseudonym="DemoMember2", role=Role.MEMBER, organisation=organisation)
    first = seed_community(members=[member, other], organisation=organisation)
    assert first["spaces"] == 5
    assert 8 <= first["threads"] <= 12
    counts = (Space.objects.count(), Thread.objects.count(), Post.objects.count())
    second = seed_community(members=[member, other], organisation=organisation)
    assert second == {"spaces": 0, "members": 0, "threads": 0, "posts": 0}
    assert (Space.objects.count(), Thread.objects.count(), Post.objects.count()) == counts

    assert list(Space.objects.values_list("name", flat=True)) == [
        "Anxiety",
        "Low mood",
        "Students",
        "Carers",
        "Introductions",
    ]
    assert Space.objects.get(slug="students").organisation == organisation
    assert all(space.house_rules and space.description for space in Space.objects.all())
    assert not Post.objects.exclude(state=PostState.PUBLISHED).exists()
    assert Post.objects.filter(author=member).exists()
    assert Post.objects.filter(author__pseudonym="QuietRiver").exists()
    unanswered = [t.title for t in selectors.unanswered_threads_page(actor=guide)]
    assert unanswered == [UNANSWERED_TITLE]
    for thread in Thread.objects.all():
        replies = thread.posts.filter(is_opening=False, state=PostState.PUBLISHED)
        assert thread.reply_count == replies.count()
