"""organisation_report: exact tables from the rollups, organisation isolation, a fixed query count,
and figures equal to the same figures computed from raw rows."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organisation, Role, User
from community.models import Post, Reaction
from outcomes.measures import definitions as measure_definitions
from outcomes.measures import scoring
from outcomes.measures import services as measure_services
from outcomes.reporting import organisation_report
from outcomes.rollups import rollup_days, week_start
from tests.factories import OrganisationFactory
from tests.outcomes.test_rollups_activity import at, make_member, make_reply, make_space, make_thread, react

pytestmark = pytest.mark.django_db

MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))


def test_registrations_and_actives_by_week_with_true_totals():
    org = OrganisationFactory(slug="north")
    ada = make_member("Ada", org, joined=at(2026, 3, 2, 9))
    bo = make_member("Bo", org, joined=at(2026, 3, 3, 9))
    make_member("Cy", org, joined=at(2026, 3, 10, 9))
    thread = make_thread(ada, at(2026, 3, 2, 10))
    make_reply(bo, thread, at(2026, 3, 3, 10))
    make_reply(ada, thread, at(2026, 3, 11, 10))
    rollup_days(start=MARCH[0], end=MARCH[1])

    report = organisation_report(
        organisation_id=org.pk, start=datetime.date(2026, 3, 2), end=datetime.date(2026, 3, 15)
    )

    assert report.organisation_name == org.name
    assert report.rollup_through == MARCH[1]
    registrations = report.table("registrations")
    assert registrations.rows == ["2026-03-02", "2026-03-09"]
    assert registrations.cells == [[2], [1]]
    assert (registrations.column_totals, registrations.grand_total) == ([3], 3)
    weekly = report.table("weekly_active")
    assert weekly.cells == [[2], [1]]
    assert weekly.grand_total is None  # distinct people across weeks do not add up
    assert report.table("monthly_active").cells == [[2]]
    by_space = report.table("activity_by_space")
    assert by_space.rows == ["General"]
    assert by_space.cells == [[1, 2, 0]]
    assert (by_space.row_totals, by_space.column_totals, by_space.grand_total) == ([3], [1, 2, 0], 3)


def test_retention_cohorts_and_weeks_not_yet_known():
    org = OrganisationFactory(slug="north")
    week = datetime.date(2026, 1, 5)  # a Monday
    joined = at(2026, 1, 5, 9)
    ada, bo = make_member("Ada", org, joined=joined), make_member("Bo", org, joined=joined)
    make_member("Cy", org, joined=joined)  # never active
    late = make_member("Late", org, joined=at(2026, 3, 16, 9))
    thread = make_thread(ada, at(2026, 1, 5, 10))  # Ada: week 1
    make_reply(ada, thread, at(2026, 1, 27, 10))  # Ada: day 22, week 4
    make_reply(bo, thread, at(2026, 3, 27, 10))  # Bo: day 81, week 12
    make_reply(late, thread, at(2026, 3, 17, 10))  # Late: week 1 of a recent cohort
    # Week 12 of the 5 January cohort is known once its Sunday joiners' week 12 is over (4 April).
    rollup_days(start=week, end=datetime.date(2026, 4, 3))
    before = organisation_report(organisation_id=org.pk, start=week, end=datetime.date(2026, 3, 22))
    assert before.table("retention").unavailable[0] == [False, False, False, True]
    assert before.table("retention").cells[0] == [3, 1, 1, 0]

    rollup_days(start=datetime.date(2026, 4, 4), end=datetime.date(2026, 4, 4))
    report = organisation_report(organisation_id=org.pk, start=week, end=datetime.date(2026, 3, 22))

    retention = report.table("retention")
    assert retention.columns == ["joined", "active in week 1", "active in week 4", "active in week 12"]
    rows = dict(zip(retention.rows, retention.cells, strict=True))
    assert rows["2026-01-05"] == [3, 1, 1, 1]
    assert rows["2026-03-16"] == [1, 1, 0, 0]
    unavailable = dict(zip(retention.rows, retention.unavailable, strict=True))
    assert unavailable["2026-01-05"] == [False, False, False, False]
    assert unavailable["2026-03-16"] == [False, False, True, True]  # its week 4 is not over yet
    assert retention.denominators[retention.rows.index("2026-01-05")] == 3


def test_disengagement_counts_the_day_30_days_ran_out():
    org = OrganisationFactory(slug="north")
    ada, bo = make_member("Ada", org), make_member("Bo", org)
    thread = make_thread(ada, at(2026, 1, 10, 10))  # Ada then quiet: 30 days run out on 9 February
    make_reply(bo, thread, at(2026, 1, 12, 10))
    make_reply(bo, thread, at(2026, 3, 2, 10))  # Bo: quiet from 12 January (11 Feb), back on 2 March
    rollup_days(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 3, 31))

    february = organisation_report(
        organisation_id=org.pk, start=datetime.date(2026, 2, 1), end=datetime.date(2026, 2, 28)
    )
    march = organisation_report(organisation_id=org.pk, start=MARCH[0], end=MARCH[1])

    assert february.table("disengagement").cells == [[2], [0]]
    assert march.table("disengagement").cells == [[0], [1]]  # Bo's 2 March: 30 days not yet run out


def test_a_report_shows_only_its_organisation_and_the_all_organisations_view_includes_members_without_one():
    north, south = OrganisationFactory(slug="north"), OrganisationFactory(slug="south")
    n, s, loner = make_member("N", north), make_member("S", south), make_member("Loner", None)
    for i, person in enumerate((n, s, s, loner, loner, loner)):
        make_thread(person, at(2026, 3, 2 + i, 10))
    rollup_days(start=MARCH[0], end=MARCH[1])

    def threads(organisation_id):
        table = organisation_report(organisation_id=organisation_id, start=MARCH[0], end=MARCH[1])
        return table.table("activity_by_space").column_totals[0]

    assert (threads(north.pk), threads(south.pk), threads(None)) == (1, 2, 6)
    everyone = organisation_report(organisation_id=None, start=MARCH[0], end=MARCH[1])
    assert everyone.organisation_name == "All organisations"
    assert everyone.table("monthly_active").cells == [[3]]


def test_bad_arguments():
    with pytest.raises(ValueError, match="before its start"):
        organisation_report(organisation_id=None, start=MARCH[1], end=MARCH[0])
    with pytest.raises(Organisation.DoesNotExist):
        organisation_report(organisation_id=987654, start=MARCH[0], end=MARCH[1])


def _answers(measure_key: str, total: int) -> list[int]:
    """Answers adding up to ``total``, item 9 of PHQ-9 always 0 (no safety concern in these tests)."""
    count = {"phq9": 8, "gad7": 7}[measure_key]
    answers = [min(3, max(0, total - 3 * i)) for i in range(count)]
    return answers + ([0] if measure_key == "phq9" else [])


def test_outcomes_from_measures_with_talking_therapies_rules():
    org = OrganisationFactory(slug="north")
    people = {name: make_member(name, org) for name in ("Ada", "Bo", "Cy", "Di")}
    first, last = at(2026, 3, 2), at(2026, 3, 20)

    def take(name, key, total, when):
        measure_services.response_submit(
            member=people[name], measure_key=key, answers=_answers(key, total), now=when
        )

    take("Ada", "phq9", 15, first)  # case, then down 7: reliable improvement and recovery
    take("Ada", "phq9", 8, last)
    take("Ada", "gad7", 10, first)  # case, then down 5: improvement and recovery
    take("Ada", "gad7", 5, last)
    take("Bo", "phq9", 5, first)  # not a case, then up 7: reliable deterioration
    take("Bo", "phq9", 12, last)
    take("Cy", "phq9", 12, first)  # a case, measured once
    take("Di", "gad7", 9, at(2026, 2, 20))  # before the range: not counted
    other = make_member("Other", OrganisationFactory(slug="south"))
    measure_services.response_submit(
        member=other, measure_key="phq9", answers=_answers("phq9", 20), now=first
    )

    report = organisation_report(organisation_id=org.pk, start=MARCH[0], end=MARCH[1])

    completed = report.table("measures_completed")
    assert dict(zip(completed.rows, completed.cells, strict=True)) == {"PHQ-9": [5], "GAD-7": [2]}
    assert completed.grand_total == 7
    phq = report.table("outcomes_phq9")
    #      measured, case at first, repeated, improved, deteriorated, repeated & case, recovered
    assert [c[0] for c in phq.cells] == [3, 2, 2, 1, 1, 1, 1]
    assert phq.denominators == [3, 3, 3, 2, 2, 2, 1]
    gad = report.table("outcomes_gad7")
    assert [c[0] for c in gad.cells] == [1, 1, 1, 1, 0, 1, 1]
    paired = report.table("outcomes_talking_therapies")
    assert [c[0] for c in paired.cells] == [1, 1, 1, 1, 0, 1, 1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_outcome_tables_equal_scoring_each_members_course_one_by_one(seed):
    """The database condenses responses into counts per distinct course; the tables must equal
    scoring every member's own first and last measure (ties in time broken by id, as entered)."""
    rng = random.Random(seed)
    org = OrganisationFactory(slug=f"north-{seed}")
    definitions = measure_definitions.measures()
    series: dict[str, dict[int, list[int]]] = {"phq9": defaultdict(list), "gad7": defaultdict(list)}
    base = at(2026, 3, 2, 9)
    for i in range(40):
        member = make_member(f"M{seed}x{i}", org)
        for key, top in (("phq9", 24), ("gad7", 21)):
            if rng.random() < 0.25:
                continue
            when = base + datetime.timedelta(days=rng.randrange(5))
            for _ in range(rng.choice([1, 1, 2, 3])):
                total = rng.randrange(top + 1)
                measure_services.response_submit(
                    member=member, measure_key=key, answers=_answers(key, total), now=when
                )
                series[key][member.pk].append(total)
                when += datetime.timedelta(days=rng.choice([0, 0, 3]))  # same instant: order by id

    report = organisation_report(organisation_id=org.pk, start=MARCH[0], end=MARCH[1])

    def one_by_one(key: str) -> list[int]:
        measure, counts = definitions[key], [0] * 7
        for scores in series[key].values():
            first, last = scores[0], scores[-1]
            case = bool(scoring.is_case(measure, first))
            counts[0] += 1
            counts[1] += case
            if len(scores) > 1:
                change = scoring.reliable_change(measure, first, last)
                counts[2] += 1
                counts[3] += change == scoring.Change.IMPROVED
                counts[4] += change == scoring.Change.DETERIORATED
                counts[5] += case
                counts[6] += scoring.recovered(measure, first, last)
        return counts

    for key in ("phq9", "gad7"):
        assert [c[0] for c in report.table(f"outcomes_{key}").cells] == one_by_one(key)
    paired = [0] * 7
    for member_id in series["phq9"].keys() & series["gad7"].keys():
        d, a = series["phq9"][member_id], series["gad7"][member_id]
        outcome = scoring.talking_therapies_outcome(
            depression=definitions["phq9"],
            anxiety=definitions["gad7"],
            first_depression=d[0],
            first_anxiety=a[0],
            last_depression=d[-1],
            last_anxiety=a[-1],
        )
        paired[0] += 1
        paired[1] += outcome.case_at_first
        if len(d) > 1 and len(a) > 1:
            paired[2] += 1
            paired[3] += outcome.reliable_improvement
            paired[4] += outcome.reliable_deterioration
            paired[5] += outcome.case_at_first
            paired[6] += outcome.recovered
    assert [c[0] for c in report.table("outcomes_talking_therapies").cells] == paired
    assert paired[2] > 0  # the population exercises the rules
    assert paired[3] + paired[4] > 0
    completed = report.table("measures_completed")
    assert completed.grand_total == sum(len(v) for s in series.values() for v in s.values())


def _population(seed: int, members: int, days: int) -> None:
    """A random but reproducible population: two organisations in different zones and members without one."""
    rng = random.Random(seed)
    orgs = [
        OrganisationFactory(slug=f"north-{seed}", time_zone="Europe/London"),
        OrganisationFactory(slug=f"east-{seed}", time_zone="Asia/Kolkata"),
        None,
    ]
    spaces = [make_space(f"space-{i}", f"Space {i}", i) for i in range(3)]
    start = at(2026, 3, 1, 0)
    people = [
        make_member(
            f"P{seed}x{i}", orgs[i % 3], joined=start + datetime.timedelta(hours=rng.randrange(days * 24))
        )
        for i in range(members)
    ]
    threads = []
    for _ in range(members * 2):
        author = rng.choice(people)
        threads.append(
            make_thread(
                author, start + datetime.timedelta(minutes=rng.randrange(days * 1440)), rng.choice(spaces)
            )
        )
    for _ in range(members * 5):
        thread = rng.choice(threads)
        reply = make_reply(
            rng.choice(people), thread, thread.created_at + datetime.timedelta(minutes=rng.randrange(1, 4000))
        )
        if rng.random() < 0.5:
            react(
                rng.choice(people),
                reply,
                reply.created_at + datetime.timedelta(minutes=rng.randrange(1, 600)),
            )


def test_report_query_count_does_not_grow_with_the_data_and_never_reads_posts():
    def count_queries() -> tuple[int, list[str]]:
        rollup_days(start=datetime.date(2026, 2, 1), end=datetime.date(2026, 5, 31))
        with CaptureQueriesContext(connection) as captured:
            organisation_report(
                organisation_id=None, start=datetime.date(2026, 2, 1), end=datetime.date(2026, 5, 31)
            )
            org = Organisation.objects.order_by("pk").first()
            organisation_report(
                organisation_id=org.pk, start=datetime.date(2026, 2, 1), end=datetime.date(2026, 5, 31)
            )
        return len(captured), [q["sql"] for q in captured.captured_queries]

    _population(seed=1, members=3, days=10)
    small, _ = count_queries()
    _population(seed=2, members=40, days=80)
    large, sql = count_queries()

    assert small == large
    assert large <= 30
    raw_tables = ('"community_post"', '"community_reaction"', '"community_thread"', '"moderation_flag"')
    assert not [q for q in sql if any(table in q for table in raw_tables)]


def test_rollup_figures_equal_the_same_figures_computed_from_raw_rows():
    _population(seed=7, members=45, days=70)
    rollup_days(start=datetime.date(2026, 2, 20), end=datetime.date(2026, 6, 10))
    start, end = datetime.date(2026, 3, 2), datetime.date(2026, 5, 10)  # whole weeks, Monday to Sunday

    # From raw rows: every member action, on the member's organisation's local clock.
    actions = []  # (organisation_id, member_id, local datetime)
    zones = {o.pk: ZoneInfo(o.time_zone) for o in Organisation.objects.all()}
    default = ZoneInfo("Europe/London")
    for post in Post.objects.select_related("author"):
        actions.append((post.author.organisation_id, post.author_id, post.created_at))
    for reaction in Reaction.objects.select_related("user"):
        actions.append((reaction.user.organisation_id, reaction.user_id, reaction.created_at))
    for organisation_id in [*zones, None]:
        zone = zones.get(organisation_id, default)
        local = [(m, t.astimezone(zone)) for o, m, t in actions if o == organisation_id]
        local = [(m, t) for m, t in local if start <= t.date() <= end]
        weekly = defaultdict(set)
        for member_id, t in local:
            weekly[week_start(t.date())].add(member_id)
        outside = sum(1 for _, t in local if t.isoweekday() >= 6 or not 9 <= t.hour < 17)
        joined = defaultdict(int)
        for u in User.objects.filter(organisation_id=organisation_id, role=Role.MEMBER):
            day = u.date_joined.astimezone(zone).date()
            if start <= day <= end:
                joined[week_start(day)] += 1

        report = organisation_report(organisation_id=organisation_id, start=start, end=end)

        if organisation_id is not None:  # None is the all-organisations view, not "no organisation"
            weeks = [datetime.date.fromisoformat(w) for w in report.table("weekly_active").rows]
            assert [c[0] for c in report.table("weekly_active").cells] == [len(weekly[w]) for w in weeks]
            assert report.table("out_of_hours").cells == [[outside], [len(local) - outside]]
            assert [c[0] for c in report.table("registrations").cells] == [joined[w] for w in weeks]
            assert sum(len(weekly[w]) for w in weeks) > 0
