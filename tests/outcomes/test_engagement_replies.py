"""Time to first reply, threads unanswered after 24 hours, and the reply network (who answers whom)."""

from __future__ import annotations

import datetime

import pytest

from accounts.models import Role
from community.models import PostState
from outcomes.disclosure import disclose_report
from outcomes.models import NetworkMonth, ReplyPair, ThreadResponse
from outcomes.reporting import organisation_report
from outcomes.rollups import rollup_days
from tests.factories import OrganisationFactory
from tests.outcomes.test_rollups_activity import at, make_member, make_reply, make_space, make_thread

pytestmark = pytest.mark.django_db

MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))


def test_first_reply_from_another_member_and_unanswered_after_24_hours():
    org = OrganisationFactory(slug="north")
    ada, bo = make_member("Ada", org), make_member("Bo", org)
    guide = make_member("Guide", None, role=Role.GUIDE)
    start = at(2026, 3, 2, 10)
    quick = make_thread(ada, start)
    make_reply(ada, quick, start + datetime.timedelta(minutes=5))  # the author: not an answer
    make_reply(bo, quick, start + datetime.timedelta(minutes=40))  # within 1 hour
    slow = make_thread(ada, at(2026, 3, 3, 10))
    make_reply(bo, slow, at(2026, 3, 4, 16))  # 30 hours
    staff_only = make_thread(ada, at(2026, 3, 4, 10))
    make_reply(guide, staff_only, at(2026, 3, 4, 10, 5))  # staff reply: not from another member
    hidden = make_thread(ada, at(2026, 3, 5, 10))
    make_reply(bo, hidden, at(2026, 3, 5, 10, 10), state=PostState.HIDDEN)  # not visible: not an answer
    make_reply(bo, hidden, at(2026, 3, 5, 14))  # 4 hours
    make_thread(ada, at(2026, 3, 6, 10), state=PostState.HELD)  # held for review: not counted
    mid = make_thread(bo, at(2026, 3, 6, 10))
    make_reply(ada, mid, at(2026, 3, 7, 9))  # 23 hours

    rollup_days(start=MARCH[0], end=MARCH[1])

    seconds = dict(ThreadResponse.objects.values_list("thread_id", "first_reply_seconds"))
    assert seconds == {
        quick.pk: 40 * 60,
        slow.pk: 30 * 3600,
        staff_only.pk: None,
        hidden.pk: 4 * 3600,
        mid.pk: 23 * 3600,
    }
    report = organisation_report(organisation_id=org.pk, start=MARCH[0], end=MARCH[1])
    first_reply = report.table("first_reply")
    assert first_reply.rows[-1] == "not answered within 24 hours"
    assert first_reply.cells == [[1], [1], [1], [2]]  # slow (30 hours) and staff_only (never)
    assert first_reply.grand_total == 5
    assert first_reply.denominators == [5, 5, 5, 5]


def test_the_unanswered_share_is_one_row_of_first_reply_so_no_other_table_splits_it():
    """A separate answered/unanswered table once gave "answered later + never" beside
    first_reply's hidden "not answered yet" row, so the small count could be worked out. The
    share unanswered after 24 hours is first_reply's last row, under the same suppression."""
    org = OrganisationFactory(slug="north")
    ada, bo = make_member("Ada", org), make_member("Bo", org)
    for i in range(20):
        quick = make_thread(ada, at(2026, 3, 2, 9) + datetime.timedelta(minutes=i))
        make_reply(bo, quick, at(2026, 3, 2, 9, 30) + datetime.timedelta(minutes=i))
    for i in range(10):
        slow = make_thread(ada, at(2026, 3, 3, 9) + datetime.timedelta(minutes=i))
        make_reply(bo, slow, at(2026, 3, 4, 15) + datetime.timedelta(minutes=i))  # 30 hours
    for i in range(3):
        make_thread(ada, at(2026, 3, 5, 9) + datetime.timedelta(minutes=i))  # never answered
    rollup_days(start=MARCH[0], end=MARCH[1])

    disclosed = disclose_report(organisation_report(organisation_id=org.pk, start=MARCH[0], end=MARCH[1]))

    first_reply = disclosed.table("first_reply")
    assert first_reply.body_rows[-1] == ["not answered within 24 hours", "15", "35"]
    assert first_reply.rows_with_percentages[-1] == ("not answered within 24 hours", ["43%"])
    about_24_hours = [t.key for t in disclosed.tables if any("24 hours" in row for row in t.rows)]
    assert about_24_hours == ["first_reply"]
    assert all("not answered yet" not in t.rows for t in disclosed.tables)


def test_a_late_first_reply_is_picked_up_by_a_later_nightly_run():
    org = OrganisationFactory(slug="north")
    ada, bo = make_member("Ada", org), make_member("Bo", org)
    thread = make_thread(ada, at(2026, 3, 2, 10))
    rollup_days(start=datetime.date(2026, 3, 2), end=datetime.date(2026, 3, 2))
    assert ThreadResponse.objects.get(thread=thread).first_reply_at is None

    make_reply(bo, thread, at(2026, 3, 9, 10))
    rollup_days(start=datetime.date(2026, 3, 9), end=datetime.date(2026, 3, 9))  # the night after

    assert ThreadResponse.objects.get(thread=thread).first_reply_seconds == 7 * 24 * 3600


def test_reply_network_pairs_reciprocity_and_members_never_answered():
    org = OrganisationFactory(slug="north")
    ada, bo, cy, di = (make_member(name, org) for name in ("Ada", "Bo", "Cy", "Di"))
    outsider = make_member("Out", None)
    calm, loud = make_space("calm", "Calm"), make_space("loud", "Loud")
    ada_thread = make_thread(ada, at(2026, 3, 2), calm)
    bo_thread = make_thread(bo, at(2026, 3, 3), calm)
    make_thread(di, at(2026, 3, 4), calm)  # never answered
    make_reply(bo, ada_thread, at(2026, 3, 2, 13))  # Bo -> Ada
    make_reply(bo, ada_thread, at(2026, 3, 2, 14))  # (same pair, twice)
    make_reply(ada, bo_thread, at(2026, 3, 3, 13))  # Ada -> Bo: reciprocated
    make_reply(cy, ada_thread, at(2026, 3, 5, 13))  # Cy -> Ada: one-way
    make_reply(outsider, bo_thread, at(2026, 3, 6, 13))  # Out -> Bo: one-way, Bo is the org's
    cy_thread = make_thread(cy, at(2026, 3, 10), loud)
    make_reply(ada, cy_thread, at(2026, 3, 10, 13))  # Ada -> Cy in another space: Cy -> Ada was in calm

    rollup_days(start=MARCH[0], end=MARCH[1])

    pairs = {
        (p.space.slug, p.replier.pseudonym, p.recipient.pseudonym): (p.replies, p.reciprocated)
        for p in ReplyPair.objects.select_related("space", "replier", "recipient")
    }
    assert pairs == {
        ("calm", "Bo", "Ada"): (2, True),
        ("calm", "Ada", "Bo"): (1, True),
        ("calm", "Cy", "Ada"): (1, False),
        ("calm", "Out", "Bo"): (1, False),
        ("loud", "Ada", "Cy"): (1, False),
    }
    month = datetime.date(2026, 3, 1)
    calm_row = NetworkMonth.objects.get(organisation=org, space=calm, month=month)
    assert (calm_row.thread_starters, calm_row.starters_answered, calm_row.members_answered) == (3, 2, 2)
    assert (calm_row.pairs, calm_row.reciprocated_pairs) == (4, 2)
    # Across spaces, Cy -> Ada (calm) and Ada -> Cy (loud) answer each other.
    all_row = NetworkMonth.objects.get(organisation=org, space=None, month=month)
    assert (all_row.thread_starters, all_row.starters_answered, all_row.members_answered) == (4, 3, 3)
    assert (all_row.pairs, all_row.reciprocated_pairs) == (5, 4)

    report = organisation_report(organisation_id=org.pk, start=MARCH[0], end=MARCH[1])
    members = report.table("network_members")
    assert members.rows == ["2026-03"]
    assert members.cells == [[3, 1]]
    assert members.row_totals == [4]
    reciprocity = report.table("network_reciprocity")
    assert reciprocity.cells == [[4, 1]]
    assert reciprocity.denominators == [5]


def test_network_is_recomputed_for_whole_months():
    org = OrganisationFactory(slug="north")
    ada, bo = make_member("Ada", org), make_member("Bo", org)
    thread = make_thread(ada, at(2026, 3, 2))
    make_reply(bo, thread, at(2026, 3, 2, 13))
    rollup_days(start=MARCH[0], end=MARCH[1])
    other = make_thread(bo, at(2026, 3, 20))
    make_reply(ada, other, at(2026, 3, 20, 13))

    rollup_days(start=datetime.date(2026, 3, 20), end=datetime.date(2026, 3, 20))

    assert ReplyPair.objects.count() == 2
    row = NetworkMonth.objects.get(organisation=org, space=None)
    assert (row.pairs, row.reciprocated_pairs, row.thread_starters, row.starters_answered) == (2, 2, 2, 2)
