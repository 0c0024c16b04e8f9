"""Rollups of member activity against small hand-built populations with known answers.

The builders here write raw rows directly (with the timestamps a test needs); the other
rollup/reporting/engagement test modules import them.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Role
from community.models import Post, PostState, Reaction, Space, Thread
from outcomes.models import ActivePeriod, MemberDay, OrganisationDay, PeriodKind, SpaceDay
from outcomes.rollups import rollup_days
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
UTC = datetime.UTC


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0, tz=UTC) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=tz)


def make_member(pseudonym: str, organisation=None, joined: datetime.datetime | None = None, role=Role.MEMBER):
    return UserFactory(
        pseudonym=pseudonym,
        organisation=organisation,
        role=role,
        date_joined=joined or at(2026, 1, 5),
        totp=False,
    )


def make_space(slug: str = "general", name: str = "General", position: int = 0) -> Space:
    return Space.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})[0]


def make_thread(
    author, when: datetime.datetime, space: Space | None = None, state=PostState.PUBLISHED
) -> Thread:
    space = space or make_space()
    thread = Thread.objects.create(space=space, author=author, title="A hard week", created_at=when)
    post = Post.objects.create(
        thread=thread,
        author=author,
        is_opening=True,
        body="x",
        body_html="<p>x</p>",
        created_at=when,
        state=state,
    )
    thread.opening_post = post
    thread.save(update_fields=["opening_post"])
    return thread


def make_reply(author, thread: Thread, when: datetime.datetime, state=PostState.PUBLISHED) -> Post:
    return Post.objects.create(
        thread=thread, author=author, body="y", body_html="<p>y</p>", created_at=when, state=state
    )


def react(user, post: Post, when: datetime.datetime, kind: str = "support") -> Reaction:
    return Reaction.objects.create(post=post, user=user, kind=kind, created_at=when)


def rows(model) -> list[dict]:
    """Every row of a rollup table without its id, sorted: to compare two runs."""
    values = [{k: v for k, v in row.items() if k != "id"} for row in model.objects.values()]
    return sorted(values, key=lambda r: sorted((k, str(v)) for k, v in r.items()))


def test_weekly_and_monthly_actives_are_distinct_members_not_sums_of_days():
    org = OrganisationFactory(slug="north", time_zone="Europe/London")
    ada, bo = make_member("Ada", org), make_member("Bo", org)
    thread = make_thread(ada, at(2026, 3, 2, 10))  # Monday of week 2026-03-02
    make_reply(ada, thread, at(2026, 3, 3, 10))  # Ada again on Tuesday
    make_reply(bo, thread, at(2026, 3, 4, 10))  # Bo on Wednesday
    make_reply(bo, thread, at(2026, 3, 9, 10))  # Bo on the next Monday

    rollup_days(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31))

    daily = OrganisationDay.objects.filter(organisation=org, day__range=("2026-03-02", "2026-03-08"))
    assert sum(d.active_members for d in daily) == 3  # three active member-days that week...
    weeks = dict(
        ActivePeriod.objects.filter(organisation=org, kind=PeriodKind.WEEK).values_list(
            "start", "active_members"
        )
    )
    assert weeks == {datetime.date(2026, 3, 2): 2, datetime.date(2026, 3, 9): 1}  # ...but two members
    month = ActivePeriod.objects.get(organisation=org, kind=PeriodKind.MONTH, start=datetime.date(2026, 3, 1))
    assert month.active_members == 2
    ada_days = MemberDay.objects.filter(member=ada).order_by("day")
    assert [(d.day, d.threads_started, d.replies) for d in ada_days] == [
        (datetime.date(2026, 3, 2), 1, 0),
        (datetime.date(2026, 3, 3), 0, 1),
    ]


def test_out_of_hours_in_the_organisations_time_zone_across_dst_changes():
    london = OrganisationFactory(slug="london", time_zone="Europe/London")
    new_york = OrganisationFactory(slug="ny", time_zone="America/New_York")
    tokyo = OrganisationFactory(slug="tokyo", time_zone="Asia/Tokyo")
    lon, ny, tok = make_member("Lon", london), make_member("Ny", new_york), make_member("Tok", tokyo)
    space = make_space()
    # London: 08:30 UTC is 08:30 GMT on Monday 23 March (out), 09:30 BST on Monday 30 March (in);
    # 16:30 UTC on 30 March is 17:30 BST (out).
    make_thread(lon, at(2026, 3, 23, 8, 30), space)
    make_thread(lon, at(2026, 3, 30, 8, 30), space)
    make_thread(lon, at(2026, 3, 30, 16, 30), space)
    # New York (DST from 8 March): 13:30 UTC is 08:30 EST on Mon 2 March (out), 09:30 EDT on Mon 9 March (in);
    # 03:00 UTC on Tue 3 March is 22:00 on Monday 2 March locally (out, and Monday's row).
    make_thread(ny, at(2026, 3, 2, 13, 30), space)
    make_thread(ny, at(2026, 3, 9, 13, 30), space)
    make_thread(ny, at(2026, 3, 3, 3, 0), space)
    # Tokyo: 23:30 UTC on Friday 27 March is 08:30 on Saturday 28 March (a weekend day: out);
    # 00:30 UTC on Monday 30 March is 09:30 JST on Monday (in).
    make_thread(tok, at(2026, 3, 27, 23, 30), space)
    make_thread(tok, at(2026, 3, 30, 0, 30), space)

    rollup_days(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31))

    def by_day(member):
        return {d.day: (d.threads_started, d.out_of_hours) for d in MemberDay.objects.filter(member=member)}

    assert by_day(lon) == {datetime.date(2026, 3, 23): (1, 1), datetime.date(2026, 3, 30): (2, 1)}
    assert by_day(ny) == {datetime.date(2026, 3, 2): (2, 2), datetime.date(2026, 3, 9): (1, 0)}
    assert by_day(tok) == {datetime.date(2026, 3, 28): (1, 1), datetime.date(2026, 3, 30): (1, 0)}
    totals = {
        org.slug: (sum(d.threads_started for d in days), sum(d.out_of_hours for d in days))
        for org in (london, new_york, tokyo)
        for days in [OrganisationDay.objects.filter(organisation=org)]
    }
    assert totals == {"london": (3, 2), "ny": (3, 2), "tokyo": (2, 1)}


def test_only_members_count_and_members_without_an_organisation_have_their_own_rows():
    org = OrganisationFactory(slug="north")
    member, loner = make_member("Member", org), make_member("Loner", None)
    guide = make_member("Guide", None, role=Role.GUIDE)
    thread = make_thread(member, at(2026, 3, 2, 10))
    make_reply(guide, thread, at(2026, 3, 2, 11))
    reply = make_reply(loner, thread, at(2026, 3, 2, 12))
    react(member, reply, at(2026, 3, 2, 13))
    react(guide, reply, at(2026, 3, 2, 13))

    rollup_days(start=datetime.date(2026, 3, 2), end=datetime.date(2026, 3, 2))

    assert set(MemberDay.objects.values_list("member__pseudonym", flat=True)) == {"Member", "Loner"}
    days = {d.organisation_id: d for d in OrganisationDay.objects.all()}
    assert (days[org.pk].threads_started, days[org.pk].reactions, days[org.pk].replies) == (1, 1, 0)
    assert (days[None].replies, days[None].active_members) == (1, 1)
    spaces = {(s.organisation_id, s.space_id): s for s in SpaceDay.objects.all()}
    assert spaces[org.pk, thread.space_id].active_members == 1
    assert spaces[None, thread.space_id].replies == 1


def test_registrations_by_local_day():
    org = OrganisationFactory(slug="north", time_zone="Europe/London")
    # 23:30 UTC on 31 May is 00:30 BST on 1 June.
    make_member("Late", org, joined=at(2026, 5, 31, 23, 30))
    make_member("Early", org, joined=at(2026, 6, 1, 8))
    make_member("Staff", org, joined=at(2026, 6, 1, 8), role=Role.GUIDE)

    rollup_days(start=datetime.date(2026, 5, 31), end=datetime.date(2026, 6, 1))

    days = dict(OrganisationDay.objects.filter(organisation=org).values_list("day", "registrations"))
    assert days == {datetime.date(2026, 6, 1): 2}


def test_running_twice_gives_the_same_rows_and_a_narrower_rerun_replaces_only_its_days():
    org = OrganisationFactory(slug="north")
    ada, bo = make_member("Ada", org), make_member("Bo", None)
    for day in (2, 3, 10, 20):
        thread = make_thread(ada, at(2026, 3, day, 10))
        make_reply(bo, thread, at(2026, 3, day, 15))
    rollup_days(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31))
    models = (MemberDay, OrganisationDay, SpaceDay, ActivePeriod)
    first = {m.__name__: rows(m) for m in models}

    rollup_days(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31))
    rollup_days(start=datetime.date(2026, 3, 9), end=datetime.date(2026, 3, 12))

    assert {m.__name__: rows(m) for m in models} == first
    assert MemberDay.objects.filter(member=ada).count() == 4


def test_a_rerun_reflects_changed_raw_data():
    org = OrganisationFactory(slug="north")
    ada = make_member("Ada", org)
    thread = make_thread(ada, at(2026, 3, 2, 10))
    rollup_days(start=datetime.date(2026, 3, 2), end=datetime.date(2026, 3, 2))
    make_reply(ada, thread, at(2026, 3, 2, 11))
    Post.objects.filter(pk=thread.opening_post_id).update(created_at=at(2026, 3, 1, 10))

    rollup_days(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 2))

    assert list(MemberDay.objects.order_by("day").values_list("day", "threads_started", "replies")) == [
        (datetime.date(2026, 3, 1), 1, 0),
        (datetime.date(2026, 3, 2), 0, 1),
    ]


def test_breaks_mark_members_who_went_quiet_and_came_back():
    org = OrganisationFactory(slug="north")
    ada = make_member("Ada", org)
    thread = make_thread(ada, at(2026, 1, 5, 10))  # day 0
    make_reply(ada, thread, at(2026, 1, 20, 10))  # 15 days later: no break
    make_reply(ada, thread, at(2026, 2, 25, 10))  # 36 days later: a break before, and after (none follows)

    rollup_days(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 3, 31))

    days = list(
        MemberDay.objects.filter(member=ada).order_by("day").values_list("day", "after_break", "before_break")
    )
    assert days == [
        (datetime.date(2026, 1, 5), False, False),
        (datetime.date(2026, 1, 20), False, True),
        (datetime.date(2026, 2, 25), True, True),
    ]
    returned = OrganisationDay.objects.get(organisation=org, day=datetime.date(2026, 2, 25)).returned_members
    assert returned == 1

    # Activity 30 days after the last: rolling up only that day updates the earlier row's flag.
    make_reply(ada, thread, at(2026, 3, 27, 10))
    rollup_days(start=datetime.date(2026, 3, 27), end=datetime.date(2026, 3, 27))
    last_two = (
        MemberDay.objects.filter(member=ada).order_by("-day").values_list("after_break", "before_break")[:2]
    )
    assert list(last_two) == [(False, True), (True, False)]


def test_week_of_membership_counts_from_the_local_signup_day():
    org = OrganisationFactory(slug="north", time_zone="Europe/London")
    ada = make_member("Ada", org, joined=at(2026, 3, 4, 9))  # a Wednesday
    thread = make_thread(ada, at(2026, 3, 4, 10))
    make_reply(ada, thread, at(2026, 3, 10, 10))  # day 6: still week 1
    make_reply(ada, thread, at(2026, 3, 11, 10))  # day 7: week 2
    make_reply(ada, thread, at(2026, 5, 26, 10))  # day 83: week 12

    rollup_days(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 5, 31))

    weeks = list(MemberDay.objects.order_by("day").values_list("joined_week", "week_of_membership"))
    assert weeks == [(datetime.date(2026, 3, 2), w) for w in (1, 1, 2, 12)]


def test_rolling_up_one_day_corrects_the_breaks_on_either_side_of_it():
    org = OrganisationFactory(slug="north")
    ada = make_member("Ada", org)
    thread = make_thread(ada, at(2026, 1, 5, 10))
    middle = make_reply(ada, thread, at(2026, 1, 25, 10))
    make_reply(ada, thread, at(2026, 2, 14, 10))
    rollup_days(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 2, 28))
    flags = MemberDay.objects.filter(member=ada).order_by("day").values_list("after_break", "before_break")
    assert list(flags) == [(False, False), (False, False), (False, True)]

    middle.delete()  # (test-only: posts are never deleted in the app) the 25 January activity is gone
    rollup_days(start=datetime.date(2026, 1, 25), end=datetime.date(2026, 1, 25))

    assert list(flags.all()) == [(False, True), (True, True)]


def test_activity_dated_before_the_recorded_signup_is_in_no_cohort_week():
    org = OrganisationFactory(slug="north")
    imported = make_member("Imported", org, joined=at(2026, 3, 10, 9))
    thread = make_thread(imported, at(2026, 3, 2, 10))  # e.g. history imported from an older system
    make_reply(imported, thread, at(2026, 3, 11, 10))

    rollup_days(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31))

    weeks = list(MemberDay.objects.order_by("day").values_list("day", "joined_week", "week_of_membership"))
    assert weeks == [
        (datetime.date(2026, 3, 2), datetime.date(2026, 3, 9), 0),
        (datetime.date(2026, 3, 11), datetime.date(2026, 3, 9), 1),
    ]
