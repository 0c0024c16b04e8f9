"""Fixtures for the community tests: spaces, threads and a live-event recorder."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from community import events, hooks, services
from community.models import Post, PostState, Space, Thread
from tests.factories import OrganisationFactory, UserFactory


@pytest.fixture(autouse=True)
def _isolated_hooks(monkeypatch):
    """Community tests run without higher apps' receivers (escalation tests its own).

    Tests of the hooks connect their own receivers; everything is restored afterwards.
    """
    for hook in (hooks.post_submitted, hooks.post_edited):
        monkeypatch.setattr(hook, "_receivers", {})


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """Most tests post a lot as brand-new members; test_rate_limits.py restores the defaults."""
    settings.COMMUNITY_NEW_MEMBER_POSTS_PER_MINUTE = 10_000
    settings.COMMUNITY_NEW_MEMBER_THREADS_PER_DAY = 10_000


@pytest.fixture
def space(db):
    return Space.objects.create(
        slug="anxiety", name="Anxiety", description="Worry and panic.", house_rules="Be kind."
    )


@pytest.fixture
def org_space(organisation):
    return Space.objects.create(slug="students", name="Students", organisation=organisation)


@pytest.fixture
def outsider():
    """A member of a different organisation."""
    return UserFactory(
        pseudonym="FarAwayFinch", role=Role.MEMBER, organisation=OrganisationFactory(slug="elsewhere")
    )


def make_thread(*, author, space, title="A hard week at work", body="Feeling low today.", age=None) -> Thread:
    thread = services.thread_create(author=author, space=space, title=title, body=body)
    if age is not None:
        backdate_thread(thread, age)
    return thread


def backdate_thread(thread: Thread, age: timedelta) -> None:
    moment = timezone.now() - age
    Thread.objects.filter(pk=thread.pk).update(created_at=moment, last_activity_at=moment)
    Post.objects.filter(pk=thread.opening_post_id).update(created_at=moment)
    thread.refresh_from_db()


def make_post_in_state(*, author, thread, state: str, body="A reply", actor=None) -> Post:
    """Create a reply through services and move it to ``state`` through services."""
    post = services.post_create(author=author, thread=thread, body=body)
    if state == PostState.HELD:
        services.post_hold(post=post, reason="test")
    elif state == PostState.HIDDEN:
        services.post_hide(post=post, actor=actor, reason="Shares another person's details")
    elif state == PostState.REMOVED:
        services.post_remove(post=post, actor=author)
    post.refresh_from_db()
    assert post.state == state
    return post


@pytest.fixture
def sent_events(monkeypatch):
    """Record every live event actually sent (after commit), in order."""
    sent: list[tuple[str, dict, list[str]]] = []

    def record(event, payload, groups):
        sent.append((event, payload, list(groups)))

    monkeypatch.setattr(events, "send_event_now", record)
    return sent
