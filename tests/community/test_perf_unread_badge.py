"""The navigation badge's unread count reuses SQL compiled once per query shape.

Whatever the shape (member with or without an organisation, staff) and whoever asked before, it
must count exactly what the ORM query of the notifications page counts.
"""

from __future__ import annotations

import pytest

from community import selectors, services
from community.models import MemberControlKind, PostState
from tests.community.conftest import make_post_in_state, make_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def orm_count(user) -> int:
    return selectors.notifications_for(user).filter(read_at__isnull=True).count()


@pytest.fixture(autouse=True)
def _cold_cache(monkeypatch):
    monkeypatch.setattr(selectors, "_unread_count_sql", {})


def test_counts_match_the_orm_for_every_shape_and_viewer(
    member, other_member, outsider, guide, space, org_space
):
    # member (organisation): replies in an open space and in their organisation's space, one
    # from someone they later block, one held after it was sent.
    helper, blocked = UserFactory(organisation=member.organisation), UserFactory()
    open_thread = make_thread(author=member, space=space)
    org_thread = make_thread(author=member, space=org_space, title="Students only")
    services.post_create(author=helper, thread=open_thread, body="one")
    services.post_create(author=helper, thread=org_thread, body="two")
    services.post_create(author=blocked, thread=open_thread, body="three")
    make_post_in_state(author=helper, thread=open_thread, state=PostState.HELD)
    services.member_control_set(owner=member, target=blocked, kind=MemberControlKind.BLOCK, enabled=True)
    # other_member (no organisation) and outsider (another organisation): one reply each.
    services.post_create(author=helper, thread=make_thread(author=other_member, space=space), body="x")
    services.post_create(author=helper, thread=make_thread(author=outsider, space=space), body="y")
    # guide (staff): follows the open thread, so gets the replies too.
    services.subscription_follow(user=guide, thread=open_thread)
    services.post_create(author=helper, thread=open_thread, body="four")

    expected = {member: 3, other_member: 1, outsider: 1, guide: 1}
    for _ in range(2):  # the second round runs on SQL compiled for someone else
        for user, count in expected.items():
            assert orm_count(user) == count, user
            assert selectors.notifications_unread_count(user=user) == count, user
    # One compiled statement per shape: organisation member, member without one, staff.
    assert len(selectors._unread_count_sql) == 3


def test_reading_and_hiding_change_the_badge(member, other_member, guide, space):
    thread = make_thread(author=member, space=space)
    post = services.post_create(author=other_member, thread=thread, body="hello")
    services.post_create(author=other_member, thread=thread, body="again")
    assert selectors.notifications_unread_count(user=member) == 2
    services.post_hide(post=post, actor=guide, reason="x")
    assert selectors.notifications_unread_count(user=member) == 1
    services.notifications_mark_read(user=member)
    assert selectors.notifications_unread_count(user=member) == 0


def test_the_badge_is_one_query(member, other_member, space, django_assert_num_queries):
    services.post_create(author=other_member, thread=make_thread(author=member, space=space), body="hi")
    selectors.notifications_unread_count(user=member)  # compile
    with django_assert_num_queries(1):
        assert selectors.notifications_unread_count(user=member) == 1


def test_commissioners_get_no_badge(django_assert_num_queries):
    from accounts.models import Role

    commissioner = UserFactory(role=Role.COMMISSIONER)
    with django_assert_num_queries(0):
        assert selectors.notifications_unread_count(user=commissioner) == 0
