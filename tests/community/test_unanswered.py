"""Threads waiting 12 hours or more for a reply from someone else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from community import selectors, services
from community.models import PostState
from tests.community.conftest import backdate_thread, make_post_in_state, make_thread

pytestmark = pytest.mark.django_db


def titles(page):
    return [thread.title for thread in page]


def test_unanswered_lists_old_threads_without_replies(member, other_member, guide, space):
    old = make_thread(author=member, space=space, title="Waiting a long time", age=timedelta(hours=13))
    make_thread(author=member, space=space, title="Just posted")
    answered = make_thread(author=member, space=space, title="Already answered", age=timedelta(hours=20))
    services.post_create(author=other_member, thread=answered, body="here for you")
    assert titles(selectors.unanswered_threads_page(actor=guide)) == [old.title]
    assert titles(selectors.unanswered_threads_page(actor=other_member)) == [old.title]


def test_own_replies_do_not_count_as_an_answer(member, other_member, space):
    thread = make_thread(author=member, space=space, title="Bumping my own", age=timedelta(hours=13))
    services.post_create(author=member, thread=thread, body="anyone?")
    assert titles(selectors.unanswered_threads_page(actor=other_member)) == ["Bumping my own"]


def test_held_or_hidden_replies_do_not_count(member, other_member, guide, space):
    thread = make_thread(author=member, space=space, title="Still waiting", age=timedelta(hours=13))
    make_post_in_state(author=other_member, thread=thread, state=PostState.HELD)
    make_post_in_state(author=other_member, thread=thread, state=PostState.HIDDEN, actor=guide)
    assert titles(selectors.unanswered_threads_page(actor=guide)) == ["Still waiting"]


def test_held_opening_posts_are_not_listed(member, other_member, guide, space):
    thread = make_thread(author=member, space=space, title="Held opening", age=timedelta(hours=13))
    services.post_hold(post=thread.opening_post, reason="triage")
    assert titles(selectors.unanswered_threads_page(actor=guide)) == []
    assert titles(selectors.unanswered_threads_page(actor=member)) == []


def test_restricted_space_threads_only_for_its_members(member, outsider, org_space, guide):
    make_thread(author=member, space=org_space, title="Student thread", age=timedelta(hours=14))
    assert titles(selectors.unanswered_threads_page(actor=outsider)) == []
    assert titles(selectors.unanswered_threads_page(actor=guide)) == ["Student thread"]


def test_boundary_is_twelve_hours(member, other_member, space):
    thread = make_thread(author=member, space=space, title="Almost twelve hours")
    backdate_thread(thread, timedelta(hours=11, minutes=59))
    assert titles(selectors.unanswered_threads_page(actor=other_member)) == []
    backdate_thread(thread, timedelta(hours=12, seconds=1))
    assert titles(selectors.unanswered_threads_page(actor=other_member)) == ["Almost twelve hours"]


def test_oldest_first_with_keyset_pages(member, other_member, space):
    for hours in (30, 20, 15, 13):
        make_thread(author=member, space=space, title=f"Waiting {hours} hours", age=timedelta(hours=hours))
    first = selectors.unanswered_threads_page(actor=other_member, size=3)
    assert titles(first) == ["Waiting 30 hours", "Waiting 20 hours", "Waiting 15 hours"]
    second = selectors.unanswered_threads_page(actor=other_member, size=3, cursor=first.next_cursor)
    assert titles(second) == ["Waiting 13 hours"]
    assert second.next_cursor is None
