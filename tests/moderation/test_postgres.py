"""Against the real PostgreSQL: the claim race, the one-open-item constraint, the audit trigger.

Run with DATABASE_URL=postgres://...; skipped on SQLite (which has no row locks to race on).
"""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction

from community import services as community_services
from community.models import Space
from moderation import services
from moderation.audit import audit_record
from moderation.models import AuditEntry, ModerationAction, ReasonSource, ReviewItem
from tests.factories import UserFactory
from tests.moderation.conftest import enable_totp

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

RUNS = 25


@pytest.fixture
def setup_posts(transactional_db, settings):
    settings.MODERATION_HOLD_NEW_MEMBERS_WITHOUT_GUIDE = False
    space = Space.objects.create(slug="race", name="Race")
    author = UserFactory(pseudonym="RaceAuthor")
    guides = [UserFactory(pseudonym=f"RaceGuide{i}", role="guide") for i in range(2)]
    for guide in guides:
        enable_totp(guide)
    thread = community_services.thread_create(author=author, space=space, title="Race thread", body="Hello")
    posts = [
        community_services.post_create(author=author, thread=thread, body=f"reply {i}") for i in range(RUNS)
    ]
    return guides, posts


def _race(item_id: int, guides) -> list:
    barrier = threading.Barrier(len(guides))
    results: list = [None] * len(guides)

    def run(index: int, guide) -> None:
        try:
            barrier.wait(timeout=10)
            item = ReviewItem.objects.get(pk=item_id)
            results[index] = services.review_item_claim(item=item, actor=guide)
        except services.ModerationConflict as exc:
            results[index] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, g)) for i, g in enumerate(guides)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_guides_racing_for_an_item_exactly_one_wins_every_time(setup_posts):
    guides, posts = setup_posts
    for post in posts:
        item, _ = services.review_item_open_or_join(post=post, source=ReasonSource.OTHER)
        results = _race(item.pk, guides)
        winners = [r for r in results if r is True]
        losers = [r for r in results if isinstance(r, services.ModerationConflict)]
        assert len(winners) == 1, results
        assert len(losers) == 1, results
        item.refresh_from_db()
        winner = guides[results.index(True)]
        assert item.claimed_by_id == winner.pk
        assert ModerationAction.objects.filter(item=item, kind="claim").count() == 1
        assert AuditEntry.objects.filter(action="moderation.item.claim", object_id=str(item.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_openers_share_one_open_item(setup_posts):
    _, posts = setup_posts
    post = posts[0]
    barrier = threading.Barrier(4)
    errors: list = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            services.review_item_open_or_join(
                post=post, source=ReasonSource.FLAG, detail={"flag_id": 1000 + i}
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    item = ReviewItem.objects.get(post=post, status="open")
    assert len(item.reasons) == 4


@pytest.mark.django_db
def test_database_refuses_a_second_open_item_for_a_post(setup_posts):
    _, posts = setup_posts
    item, _ = services.review_item_open_or_join(post=posts[0], source=ReasonSource.OTHER)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewItem.objects.create(post=posts[0], due_at=item.due_at)


@pytest.mark.django_db
def test_audit_log_refuses_update_and_delete(db):
    entry = audit_record(actor=None, action="moderation.test", object_type="post", object_id=1, reason="why")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE moderation_auditentry SET action = 'x'")
    entry.refresh_from_db()
    assert entry.reason == "why"
    assert entry.action == "moderation.test"
    assert AuditEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_concern_hand_offs_queue_it_exactly_once(settings):
    """The after-commit hand-off and the sweeper may run at the same moment: the concern's row
    lock lets exactly one of them queue it, every time."""
    from escalation import services as escalation_services
    from escalation.models import MemberConcern

    member = UserFactory(pseudonym="RaceMember")
    concerns = [
        MemberConcern.objects.create(member=member, level="high", source="self_assessment", summary=f"c{i}")
        for i in range(RUNS)
    ]
    for concern in concerns:
        barrier = threading.Barrier(2)
        results: list = [None, None]

        def run(index: int, concern_id: int = concern.pk, box: list = results, gate=barrier) -> None:
            try:
                gate.wait(timeout=10)
                box[index] = escalation_services.member_concern_hand_off(concern_id=concern_id)
            finally:
                close_old_connections()
                connection.close()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(results) == [False, True]
        assert ReviewItem.objects.filter(concern=concern).count() == 1
        concern.refresh_from_db()
        assert concern.handed_off_at is not None
