"""Hot pages use a fixed number of queries whatever the page size (3 or 30 items)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community import services
from community.models import MemberControlKind
from tests.community.conftest import make_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def fill_thread(thread, n: int, member, guide):
    """n items on the thread page: the opening post plus n-1 replies, with reactions and edits."""
    helpers = [UserFactory() for _ in range(3)]
    for i in range(n - 1):
        author = helpers[i % 3]
        post = services.post_create(author=author, thread=thread, body=f"**Reply** {i}")
        services.reaction_add(user=member, post=post, kind="support")
        services.post_edit(actor=author, post=post, body=f"Edited reply {i}")
    services.member_control_set(owner=member, target=helpers[0], kind=MemberControlKind.MUTE, enabled=True)


@pytest.mark.parametrize("viewer_name", ["member", "guide"])
def test_thread_page_query_count_is_fixed(
    client, member, guide, space, viewer_name, django_assert_num_queries
):
    viewer = {"member": member, "guide": guide}[viewer_name]
    small = make_thread(author=member, space=space, title="Small thread")
    big = make_thread(author=member, space=space, title="Big thread")
    fill_thread(small, 3, member, guide)
    fill_thread(big, 30, member, guide)
    client.force_login(viewer)
    small_count = count_queries(client, reverse("community:thread-detail", args=[small.pk]))
    big_count = count_queries(client, reverse("community:thread-detail", args=[big.pk]))
    assert small_count == big_count
    # session, user, thread (with "following"), posts, reactions, member controls, then the page
    # frame: the unread badge for members; edit history and the triage-health banner (2) for staff.
    # (Production reads the session from Redis: one fewer, see test_perf_sessions.py.)
    # Members also get the posting check (a suspension shows in place of the reply form): one
    # query, inside the hook's own savepoint (SAVEPOINT, SELECT, RELEASE). Staff skip it.
    expected = 7 + 3 if viewer_name == "member" else 9
    with django_assert_num_queries(expected):
        client.get(reverse("community:thread-detail", args=[big.pk]))


def test_space_page_query_count_is_fixed(client, member, other_member, space, django_assert_num_queries):
    from community.models import Space

    other_space = Space.objects.create(slug="carers", name="Carers")
    for i in range(3):
        make_thread(author=other_member, space=space, title=f"Small space thread {i}")
    for i in range(30):
        make_thread(author=UserFactory(), space=other_space, title=f"Big space thread {i}")
    client.force_login(member)
    small = count_queries(client, reverse("community:space-detail", args=[space.slug]))
    big = count_queries(client, reverse("community:space-detail", args=[other_space.slug]))
    assert small == big
    # session, user, space, threads, unread badge, and the posting check (one query in the hook's
    # savepoint: SAVEPOINT, SELECT, RELEASE) so a suspension shows in place of the new-thread form
    with django_assert_num_queries(5 + 3):
        client.get(reverse("community:space-detail", args=[other_space.slug]))


def test_unanswered_page_query_count_is_fixed(client, member, guide, space, django_assert_num_queries):
    client.force_login(guide)
    for i in range(3):
        make_thread(author=member, space=space, title=f"Waiting thread {i}", age=timedelta(hours=13))
    small = count_queries(client, reverse("community:unanswered"))
    for i in range(27):
        make_thread(author=UserFactory(), space=space, title=f"More waiting {i}", age=timedelta(hours=14))
    big = count_queries(client, reverse("community:unanswered"))
    assert small == big
    with django_assert_num_queries(5):  # session, user, threads, triage-health banner (2)
        response = client.get(reverse("community:unanswered"))
    assert len(response.context["page"].items) == 30


def test_notifications_page_query_count_is_fixed(client, member, space, django_assert_num_queries):
    client.force_login(member)
    thread = make_thread(author=member, space=space)
    for i in range(3):
        services.post_create(author=UserFactory(), thread=thread, body=f"reply {i}")
    small = count_queries(client, reverse("community:notifications"))
    for i in range(27):
        services.post_create(author=UserFactory(), thread=thread, body=f"more {i}")
    big = count_queries(client, reverse("community:notifications"))
    assert small == big
    # session, user, notifications, unread count, unread badge, messages from the guides (moderation)
    with django_assert_num_queries(6):
        response = client.get(reverse("community:notifications"))
    assert len(response.context["page"].items) == 30
