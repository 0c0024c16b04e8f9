"""Reads for the forums: every list is keyset-paginated and uses a fixed number of queries.

Cursors are opaque strings encoding ``(timestamp, id)`` of the last item shown; no OFFSET
anywhere, so page 1,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import STAFF_ROLES
from community import permissions
from community.models import (
    SYSTEM_NOTIFICATION_KINDS,
    MemberControl,
    MemberControlKind,
    MemberPreference,
    Notification,
    Post,
    PostRevision,
    PostState,
    Reaction,
    ReactionKind,
    Space,
    Subscription,
    Thread,
)

MAX_PAGE_SIZE = 100


def default_page_size() -> int:
    return getattr(settings, "COMMUNITY_PAGE_SIZE", 30)


def unanswered_after() -> timedelta:
    return timedelta(hours=getattr(settings, "COMMUNITY_UNANSWERED_AFTER_HOURS", 12))


# Keyset pagination.


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def encode_cursor(moment: datetime, pk: int) -> str:
    raw = f"{moment.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """Return ``(timestamp, id)`` or None for a missing or malformed cursor (first page)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment_text, pk_text = raw.rsplit("|", 1)
        moment = datetime.fromisoformat(moment_text)
        pk = int(pk_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if timezone.is_naive(moment):
        return None
    return moment, pk


def _clamp(size: int | None) -> int:
    if size is None:
        return default_page_size()
    return max(1, min(int(size), MAX_PAGE_SIZE))


def keyset_page(
    qs: QuerySet, *, field_name: str, descending: bool, cursor: str | None, size: int | None
) -> Page:
    size = _clamp(size)
    position = decode_cursor(cursor)
    if position is not None:
        moment, pk = position
        op = "lt" if descending else "gt"
        # The first condition is implied by the second; it is there for the database: as a range
        # on the index's second column it starts the scan at the cursor. Without it PostgreSQL
        # walks the index from the first row of the thread or space and filters its way there.
        qs = qs.filter(**{f"{field_name}__{op}e": moment}).filter(
            Q(**{f"{field_name}__{op}": moment}) | Q(**{field_name: moment, f"pk__{op}": pk})
        )
    order = [f"-{field_name}", "-pk"] if descending else [field_name, "pk"]
    items = list(qs.order_by(*order)[: size + 1])
    next_cursor = None
    if len(items) > size:
        items = items[:size]
        last = items[-1]
        next_cursor = encode_cursor(getattr(last, field_name), last.pk)
    return Page(items=items, next_cursor=next_cursor)


# Spaces and threads.


def space_list(*, actor) -> list[Space]:
    return list(permissions.spaces_visible_to(actor).select_related("organisation"))


def space_get(*, actor, slug: str) -> Space:
    """Raise Space.DoesNotExist for an unknown slug, PermissionDenied for a restricted space."""
    space = Space.objects.select_related("organisation").get(slug=slug)
    permissions.check_view_space(actor, space)
    return space


def space_threads_page(*, actor, space: Space, cursor: str | None = None, size: int | None = None) -> Page:
    qs = (
        permissions.threads_visible_to(actor)
        .filter(space=space)
        .select_related("author", "opening_post", "space")
    )
    return keyset_page(qs, field_name="last_activity_at", descending=True, cursor=cursor, size=size)


def thread_get(*, actor, pk: int, with_following: bool = False) -> Thread:
    """Raise Thread.DoesNotExist, or PermissionDenied when the actor may not see it.

    ``with_following`` sets ``thread.is_followed`` (does the actor follow it?) in the same query.
    """
    qs = Thread.objects.select_related("space", "author", "opening_post")
    if with_following:
        qs = qs.annotate(
            is_followed=Exists(Subscription.objects.filter(user_id=actor.pk, thread=OuterRef("pk")))
        )
    thread = qs.get(pk=pk)
    permissions.check_view_thread(actor, thread)
    return thread


@dataclass
class ReactionSummary:
    counts: dict[str, int]
    mine: set[str]

    def items(self) -> list[dict[str, Any]]:
        return [
            {"kind": kind, "label": label, "count": self.counts.get(kind, 0), "mine": kind in self.mine}
            for kind, label in ReactionKind.choices
        ]


def reactions_for_posts(*, post_ids: list[int], user) -> dict[int, ReactionSummary]:
    """Per post: how many of each kind, and which the user gave. One query."""
    summaries = {pk: ReactionSummary(counts={}, mine=set()) for pk in post_ids}
    if not post_ids:
        return summaries
    rows = (
        Reaction.objects.filter(post_id__in=post_ids)
        .values("post_id", "kind")
        .annotate(n=Count("id"), mine=Count("id", filter=Q(user_id=user.pk)))
        .order_by()
    )
    for row in rows:
        summary = summaries[row["post_id"]]
        summary.counts[row["kind"]] = row["n"]
        if row["mine"]:
            summary.mine.add(row["kind"])
    return summaries


def member_controls(*, user) -> dict[str, set[int]]:
    """{"mute": {user ids}, "block": {user ids}} for the owner. One query."""
    result: dict[str, set[int]] = {kind: set() for kind in MemberControlKind.values}
    for target_id, kind in MemberControl.objects.filter(owner=user).values_list("target_id", "kind"):
        result[kind].add(target_id)
    return result


def thread_posts_page(*, actor, thread: Thread, cursor: str | None = None, size: int | None = None) -> Page:
    """The posts of a thread the actor may see, oldest first, with reactions and mute marks.

    Each post gets ``.reaction_summary``, ``.is_mine``, ``.is_muted``, ``.author_blocked`` and
    (staff only) ``.revision_list``.
    """
    qs = (
        Post.objects.filter(thread=thread)
        .filter(permissions.post_visible_condition(actor))
        .select_related("author", "state_changed_by")
    )
    page = keyset_page(qs, field_name="created_at", descending=False, cursor=cursor, size=size)
    post_ids = [post.pk for post in page.items]
    summaries = reactions_for_posts(post_ids=post_ids, user=actor)
    controls = member_controls(user=actor)
    muted, blocked = controls[MemberControlKind.MUTE], controls[MemberControlKind.BLOCK]
    revisions: dict[int, list[PostRevision]] = defaultdict(list)
    if permissions.is_forum_staff(actor) and post_ids:
        for revision in (
            PostRevision.objects.filter(post_id__in=post_ids)
            .select_related("editor")
            .order_by("created_at", "id")
        ):
            revisions[revision.post_id].append(revision)
    for post in page.items:
        post.reaction_summary = summaries[post.pk]
        post.is_mine = post.author_id == actor.pk
        post.is_muted = post.author_id in muted and post.author_id != actor.pk
        post.author_blocked = post.author_id in blocked
        post.revision_list = revisions.get(post.pk, [])
    return page


def is_following(*, user, thread: Thread) -> bool:
    return Subscription.objects.filter(user=user, thread=thread).exists()


def unanswered_threads_page(*, actor, cursor: str | None = None, size: int | None = None) -> Page:
    """Visible threads with a published opening post and no reply from anyone else for 12h+.

    Oldest first: whoever has waited longest comes first. Uses the partial index
    ``thread_unanswered`` (first_response_at IS NULL) on (created_at, id).
    """
    cutoff = timezone.now() - unanswered_after()
    qs = (
        permissions.threads_visible_to(actor)
        .filter(
            first_response_at__isnull=True,
            created_at__lte=cutoff,
            opening_post__state=PostState.PUBLISHED,
        )
        .select_related("author", "space", "opening_post")
    )
    return keyset_page(qs, field_name="created_at", descending=False, cursor=cursor, size=size)


# A member's own posts.


def my_threads_page(*, user, cursor: str | None = None, size: int | None = None) -> Page:
    qs = Thread.objects.filter(author=user).select_related("space", "opening_post")
    return keyset_page(qs, field_name="created_at", descending=True, cursor=cursor, size=size)


def my_posts_page(*, user, cursor: str | None = None, size: int | None = None) -> Page:
    qs = Post.objects.filter(author=user).select_related("thread", "thread__space")
    return keyset_page(qs, field_name="created_at", descending=True, cursor=cursor, size=size)


def post_revisions(*, actor, post: Post) -> list[PostRevision]:
    permissions.check_view_revisions(actor, post)
    return list(post.revisions.select_related("editor").order_by("created_at", "id"))


# Notifications.


def _notification_visible_q() -> Q:
    """A notification shows only content its recipient may see now (held/hidden never leak)."""
    staff = Q(recipient__role__in=STAFF_ROLES)
    post_ok = Q(post__state=PostState.PUBLISHED) | Q(post__author_id=F("recipient_id"))
    thread_ok = Q(thread__opening_post__state=PostState.PUBLISHED) | Q(thread__author_id=F("recipient_id"))
    space_ok = Q(thread__space__organisation__isnull=True) | Q(
        thread__space__organisation_id=F("recipient__organisation_id")
    )
    blocked = Exists(
        MemberControl.objects.filter(
            owner_id=OuterRef("recipient_id"), target_id=OuterRef("actor_id"), kind=MemberControlKind.BLOCK
        )
    )
    # Kindred's own notifications (a check-in reminder) have no post or thread to hide: the OR
    # makes the joins to them LEFT joins, so these rows are kept.
    return Q(kind__in=SYSTEM_NOTIFICATION_KINDS) | ((staff | (post_ok & thread_ok & space_ok)) & ~blocked)


def _notification_visible_q_for(user) -> Q:
    """``_notification_visible_q`` for one known recipient, with their role, id and organisation
    filled in: no join to the recipient, and a third of the ORM work to build (the navigation
    badge runs this on every page). A new dependency on the recipient must also go into
    ``_unread_count_shape``, which keys the badge's compiled SQL."""
    blocked = Exists(
        MemberControl.objects.filter(
            owner_id=user.pk, target_id=OuterRef("actor_id"), kind=MemberControlKind.BLOCK
        )
    )
    system = Q(kind__in=SYSTEM_NOTIFICATION_KINDS)  # no post or thread: LEFT joins keep these rows
    if user.role in STAFF_ROLES:
        return system | ~blocked
    post_ok = Q(post__state=PostState.PUBLISHED) | Q(post__author_id=user.pk)
    thread_ok = Q(thread__opening_post__state=PostState.PUBLISHED) | Q(thread__author_id=user.pk)
    space_ok = Q(thread__space__organisation__isnull=True)
    if user.organisation_id:
        space_ok |= Q(thread__space__organisation_id=user.organisation_id)
    return system | (post_ok & thread_ok & space_ok & ~blocked)


def notifications_for(user) -> QuerySet[Notification]:
    if not permissions._can_use_forums(user):
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk).filter(_notification_visible_q_for(user))


def notifications_page(*, user, cursor: str | None = None, size: int | None = None) -> Page:
    qs = notifications_for(user).select_related("actor", "thread", "post")
    return keyset_page(qs, field_name="created_at", descending=True, cursor=cursor, size=size)


# The navigation badge counts unread notifications on every full page. Building that query in the
# ORM costs over ten times what running it does (bench/RESULTS.md), so its SQL is compiled once per
# database and query shape, for a stand-in recipient, and then run with the viewer's ids.
_STAND_IN_USER_ID = -720_101_001
_STAND_IN_ORGANISATION_ID = -720_101_002
_unread_count_sql: dict[tuple, tuple[str, tuple]] = {}


def _unread_count_shape(user) -> tuple:
    """What about the recipient changes the SQL of ``_notification_visible_q_for``: keep in step."""
    return (user.role in STAFF_ROLES, bool(user.organisation_id))


def notifications_unread_count(*, user) -> int:
    if not permissions._can_use_forums(user):
        return 0
    alias = router.db_for_read(Notification)
    key = (alias, *_unread_count_shape(user))
    compiled = _unread_count_sql.get(key)
    if compiled is None:
        stand_in = copy.copy(user)
        stand_in.pk = _STAND_IN_USER_ID
        stand_in.organisation_id = _STAND_IN_ORGANISATION_ID if user.organisation_id else None
        ids = notifications_for(stand_in).filter(read_at__isnull=True).values("pk")
        sql, params = ids.query.get_compiler(using=alias).as_sql()
        count_sql = f"SELECT COUNT(*) FROM ({sql}) unread"  # noqa: S608 (the ORM's SQL; values stay parameters)
        compiled = _unread_count_sql[key] = (count_sql, tuple(params))
    sql, params = compiled
    stand_ins = {_STAND_IN_USER_ID: user.pk, _STAND_IN_ORGANISATION_ID: user.organisation_id}
    values = [stand_ins.get(p, p) if type(p) is int else p for p in params]
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone()[0]


def notifications_unread_counts(*, user_ids: list[int]) -> dict[int, int]:
    """Unread counts for several recipients in one query (for live events)."""
    rows = (
        Notification.objects.filter(recipient_id__in=user_ids, read_at__isnull=True)
        .filter(_notification_visible_q())
        .values("recipient_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["recipient_id"]: row["n"] for row in rows}


def preference_for(*, user) -> MemberPreference:
    return MemberPreference.objects.filter(user=user).first() or MemberPreference(user=user)
