"""The demo's community history: enough members and weeks for real dashboard numbers, deterministic,
idempotent, and rolled up."""

from __future__ import annotations

import datetime

import pytest

from accounts.models import User
from community.demo import SPACES
from community.models import Post, Reaction, Space, Thread
from moderation.models import Flag
from outcomes.demo_activity import ORGANISATION_MEMBERS, seed_activity_history
from outcomes.management.commands.seed_demo import roll_up
from outcomes.models import MemberDay, RollupRun
from outcomes.reporting import organisation_report
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.UTC)


@pytest.fixture
def demo_organisation():
    organisation = OrganisationFactory(slug="northfield", name="Northfield University")
    for position, spec in enumerate(SPACES):
        Space.objects.create(
            slug=spec["slug"],
            name=spec["name"],
            position=position,
            organisation=organisation if spec.get("restricted") else None,
        )
    return organisation


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (User, Thread, Post, Reaction))


def test_history_is_large_enough_deterministic_and_idempotent(demo_organisation):
    created = seed_activity_history(organisation=demo_organisation, now=NOW)
    counts = _counts()

    assert created["members"] >= 60
    assert User.objects.filter(organisation=demo_organisation).count() == ORGANISATION_MEMBERS
    assert created["threads"] >= 150
    assert created["posts"] >= 600
    first = Post.objects.order_by("created_at").first().created_at
    assert (NOW - first).days >= 12 * 7 - 7
    assert not Post.objects.filter(created_at__gte=NOW).exists()
    assert not Post.objects.filter(screened_at__isnull=True).exists()  # the sweeper has nothing to re-drive
    for thread in Thread.objects.all()[:50]:
        assert thread.reply_count == thread.posts.filter(is_opening=False).count()
        assert thread.opening_post.is_opening
    outside = Post.objects.exclude(author__organisation=demo_organisation).filter(
        thread__space__slug="students"
    )
    assert not outside.exists()  # the students' space is the organisation's own

    assert seed_activity_history(organisation=demo_organisation, now=NOW)["members"] == 0
    assert _counts() == counts


def _history_shape() -> list[tuple]:
    posts = Post.objects.values_list(
        "author__pseudonym", "thread__title", "thread__space__slug", "created_at"
    )
    reactions = Reaction.objects.values_list(
        "user__pseudonym", "post__author__pseudonym", "kind", "created_at"
    )
    return sorted(posts) + sorted(reactions)


def _remove_history() -> None:
    Flag.objects.all().delete()
    Reaction.objects.all().delete()
    Thread.objects.update(opening_post=None)
    Post.objects.all().delete()
    Thread.objects.all().delete()
    User.objects.all().delete()


def test_same_history_from_the_same_seed(demo_organisation):
    seed_activity_history(organisation=demo_organisation, now=NOW)
    first = _history_shape()
    _remove_history()

    seed_activity_history(organisation=demo_organisation, now=NOW)

    assert _history_shape() == first
    assert len(first) > 1000


def test_rollups_over_the_history_give_real_numbers(demo_organisation):
    seed_activity_history(organisation=demo_organisation, now=NOW)

    result = roll_up(history_created=True)

    assert result is not None
    assert RollupRun.objects.count() == 1
    assert MemberDay.objects.filter(organisation=demo_organisation).count() > 300
    end = datetime.date(2026, 11, 15)
    report = organisation_report(
        organisation_id=demo_organisation.pk, start=end - datetime.timedelta(weeks=12), end=end
    )
    weekly = [c[0] for c in report.table("weekly_active").cells]
    assert sum(1 for n in weekly if n >= 10) >= 8  # most weeks above the suppression threshold
    assert report.table("registrations").grand_total >= 60
    assert report.table("retention").cells
    assert report.table("first_reply").grand_total >= 100
    assert report.table("measures_completed").grand_total >= 100
    assert roll_up(history_created=False) is not None or RollupRun.objects.count() == 1
