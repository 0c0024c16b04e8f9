"""Reads for moderation: the queue, an item in context, member standing, the dashboard.

The queue page costs a fixed number of queries whatever its size: items come with their post,
thread, space, author and claimant in one query; flags and assessments for the whole page in
one query each.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from community.models import Post, PostState
from escalation.models import REVIEW_LEVELS, MemberConcern, RiskAssessment
from moderation import conf, permissions
from moderation.models import (
    ActionKind,
    Flag,
    FlagReason,
    ItemStatus,
    ModerationAction,
    ModerationMessage,
    Priority,
    ReviewItem,
    Sanction,
    SanctionKind,
    StaffNote,
)

MAX_PAGE_SIZE = 200


# --- who is on shift, who may post ---------------------------------------------------------------


def guides_on_shift(now: datetime | None = None) -> QuerySet:
    """Guides who logged in, or held a claim, within the on-shift window.

    Kindred's rota (escalation) is for clinicians only, so a guide counts as on shift when they
    were active recently: logged in within the window or holding an unexpired claim.
    """
    now = now or timezone.now()
    since = now - conf.guide_on_shift_window()
    claimants = ReviewItem.objects.filter(status=ItemStatus.OPEN, claim_expires_at__gt=now).values(
        "claimed_by_id"
    )
    return get_user_model().objects.filter(
        Q(last_login__gte=since) | Q(pk__in=claimants), role=Role.GUIDE, is_active=True
    )


def guide_on_shift(now: datetime | None = None) -> bool:
    return guides_on_shift(now).exists()


def sanction_in_force(member, now: datetime | None = None) -> Sanction | None:
    """The ban or current suspension that stops ``member`` posting, if any (bans first)."""
    now = now or timezone.now()
    candidates = (
        Sanction.objects.filter(member=member, lifted_at__isnull=True, starts_at__lte=now)
        .filter(Q(kind=SanctionKind.BAN) | Q(kind=SanctionKind.SUSPENSION, ends_at__gt=now))
        .order_by("kind", "-ends_at")
    )
    return candidates.first()


def posting_refusal(member, now: datetime | None = None) -> str | None:
    """Why ``member`` may not post right now, or None. For community's ``posting_check`` hook."""
    if getattr(member, "role", None) != Role.MEMBER:
        return None  # staff and commissioners are never sanctioned here
    sanction = sanction_in_force(member, now)
    if sanction is None:
        return None
    if sanction.kind == SanctionKind.BAN:
        return (
            "You can read the forums and get help, but your account can no longer post. "
            "Crisis support is always available from the Get help page."
        )
    return (
        "You can read the forums and get help, but you can't post until "
        f"{timezone.localtime(sanction.ends_at):%d %B %Y, %H:%M}. "
        "Crisis support is always available from the Get help page."
    )


# --- the queue -----------------------------------------------------------------------------------


def span(delta: timedelta) -> str:
    """A short human duration ("45 min", "3 h 5 min", "2 d 4 h"): a few integer divisions where
    ``timesince`` costs a fraction of a millisecond a call, times several a row."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@dataclass
class QueueEntry:
    item: ReviewItem
    past_due: bool
    flag_counts: dict[str, int] = field(default_factory=dict)
    risk_level: str | None = None
    claim_expired: bool = False
    now: datetime | None = None

    @property
    def waiting(self) -> str:
        return span(self.now - self.item.created_at)

    @property
    def due_text(self) -> str:
        if self.past_due:
            return f"past due by {span(self.now - self.item.due_at)}"
        return f"due in {span(self.item.due_at - self.now)}"

    @property
    def sources_text(self) -> str:
        return ", ".join(reason.get("source", "") for reason in self.item.reasons or [])

    @property
    def flags_text(self) -> str:
        return "".join(f" · {n}\u00d7 {reason}" for reason, n in self.flag_counts.items())


def _clamp(size: int | None) -> int:
    if not size:
        return 50
    return max(1, min(int(size), MAX_PAGE_SIZE))


#: What a queue row shows: the post's text and the people's other columns stay in the database
#: (a page of 200 rows would otherwise carry 200 post bodies and 400 full user rows).
QUEUE_ROW_FIELDS = (
    "id",
    "post_id",
    "concern_id",
    "status",
    "priority",
    "reasons",
    "due_at",
    "claimed_by_id",
    "claim_expires_at",
    "created_at",
    "first_action_at",
    "closed_at",
    "resolution",
    "post__id",
    "post__state",
    "post__thread_id",
    "post__author_id",
    "post__thread__id",
    "post__thread__title",
    "post__thread__space_id",
    "post__thread__space__id",
    "post__thread__space__name",
    "post__author__id",
    "post__author__pseudonym",
    "concern__id",
    "concern__member_id",
    "concern__level",
    "concern__source",
    "concern__summary",
    "concern__case_id",
    "concern__member__id",
    "concern__member__pseudonym",
    "claimed_by__id",
    "claimed_by__pseudonym",
)


def queue_items(*, actor) -> QuerySet[ReviewItem]:
    return (
        permissions.review_items_visible_to(actor)
        .filter(status=ItemStatus.OPEN)
        .select_related("post__thread__space", "post__author", "concern__member", "claimed_by")
        .only(*QUEUE_ROW_FIELDS)
        .order_by("priority", "created_at", "id")
    )


def queue_page(*, actor, size: int | None = None, priority: int | None = None, now=None) -> list[QueueEntry]:
    """Open items, most urgent first then oldest, with flag counts and risk levels. 3 queries."""
    permissions.check_view_queue(actor)
    now = now or timezone.now()
    qs = queue_items(actor=actor)
    if priority is not None and priority in Priority.values:
        qs = qs.filter(priority=priority)
    items = list(qs[: _clamp(size)])
    post_ids = [item.post_id for item in items if item.post_id is not None]
    flag_counts: dict[int, dict[str, int]] = defaultdict(dict)
    if post_ids:
        for row in (
            Flag.objects.filter(post_id__in=post_ids, reviewed_at__isnull=True)
            .values("post_id", "reason")
            .annotate(n=Count("id"))
            .order_by()
        ):
            flag_counts[row["post_id"]][row["reason"]] = row["n"]
    levels: dict[int, str] = {}
    if post_ids:
        for post_id, level in (
            RiskAssessment.objects.filter(post_id__in=post_ids).order_by("post_id", "created_at", "id")
        ).values_list("post_id", "level"):
            levels[post_id] = level  # the latest assessment wins
    return [
        QueueEntry(
            item=item,
            past_due=item.is_past_due(now),
            flag_counts=flag_counts.get(item.post_id, {}),
            risk_level=levels.get(item.post_id),
            claim_expired=item.claimed_by_id is not None and not item.claim_active(now),
            now=now,
        )
        for item in items
    ]


def queue_counts(*, actor, now=None) -> dict:
    """Depth by priority, the oldest item, past-due items and expired claims: one query."""
    permissions.check_view_queue(actor)
    now = now or timezone.now()
    rows = list(
        ReviewItem.objects.filter(status=ItemStatus.OPEN)
        .values("priority")
        .annotate(
            n=Count("id"),
            oldest=Min("created_at"),
            past_due=Count("id", filter=Q(first_action_at__isnull=True, due_at__lt=now)),
            expired_claims=Count("id", filter=Q(claimed_by__isnull=False, claim_expires_at__lte=now)),
        )
        .order_by("priority")
    )
    by_priority = {row["priority"]: row["n"] for row in rows}
    oldest = min((row["oldest"] for row in rows), default=None)
    return {
        "by_priority": [(Priority(p), by_priority.get(p, 0)) for p in Priority.values],
        "total": sum(by_priority.values()),
        "oldest_at": oldest,
        "oldest_age": (now - oldest) if oldest else None,
        "past_due": sum(row["past_due"] for row in rows),
        "expired_claims": sum(row["expired_claims"] for row in rows),
    }


# --- one item in context -------------------------------------------------------------------------


@dataclass
class ItemContext:
    item: ReviewItem
    thread_posts: list[Post]
    author_posts: list[Post]
    assessment: RiskAssessment | None
    flags: list[Flag]
    flag_counts: dict[str, int]
    standing: MemberStanding
    actions: list[ModerationAction]
    highlight_rules: list[dict]


def item_context(*, actor, item_id: int) -> ItemContext:
    permissions.check_view_queue(actor)
    item = (
        permissions.review_items_visible_to(actor)
        .select_related("post__thread__space", "post__author", "concern__member", "claimed_by", "closed_by")
        .get(pk=item_id)
    )
    if item.is_concern:
        return _concern_item_context(actor=actor, item=item)
    post = item.post
    thread_posts = list(
        Post.objects.filter(thread_id=post.thread_id, created_at__lte=post.created_at)
        .exclude(pk=post.pk)
        .select_related("author")
        .order_by("-created_at", "-id")[:5]
    )[::-1]
    author_posts = list(
        Post.objects.filter(author_id=post.author_id)
        .exclude(pk=post.pk)
        .select_related("thread")
        .order_by("-created_at", "-id")[:5]
    )
    assessment = RiskAssessment.objects.filter(post=post).order_by("-created_at", "-id").first()
    # Reporters are deferred: guides see why a post was reported, never by whom.
    flags = list(Flag.objects.filter(post=post).defer("reporter").order_by("created_at", "id"))
    counts: dict[str, int] = defaultdict(int)
    for flag in flags:
        if flag.reviewed_at is None:
            counts[flag.reason] += 1
    rules = list(assessment.rules) if assessment and assessment.post_id == post.pk else []
    for reason in item.reasons:
        rules.extend((reason.get("detail") or {}).get("highlight") or [])
    return ItemContext(
        item=item,
        thread_posts=thread_posts,
        author_posts=author_posts,
        assessment=assessment,
        flags=flags,
        flag_counts={FlagReason(k).label: v for k, v in counts.items()},
        standing=member_standing(actor=actor, member=post.author, log_view=False),
        actions=list(item.actions.select_related("actor").order_by("created_at", "id")),
        highlight_rules=rules,
    )


def _concern_item_context(*, actor, item: ReviewItem) -> ItemContext:
    """A concern that is not a post (a self-assessment answer): the member's recent posts and
    standing; there is no thread, flag or post text."""
    member = item.concern.member
    return ItemContext(
        item=item,
        thread_posts=[],
        author_posts=list(
            Post.objects.filter(author_id=member.pk)
            .select_related("thread")
            .order_by("-created_at", "-id")[:5]
        ),
        assessment=None,
        flags=[],
        flag_counts={},
        standing=member_standing(actor=actor, member=member, log_view=False),
        actions=list(item.actions.select_related("actor").order_by("created_at", "id")),
        highlight_rules=[],
    )


# --- member standing -----------------------------------------------------------------------------


@dataclass
class MemberStanding:
    member: object
    sanctions: list[Sanction]
    in_force: Sanction | None
    warnings: int
    hidden_posts: int
    notes: list[StaffNote]
    history: list[ModerationAction]
    concerns: list[MemberConcern] = field(default_factory=list)


def member_standing(*, actor, member, log_view: bool = True, now=None) -> MemberStanding:
    """Warnings, suspensions and notes. Viewing the full history is audited."""
    permissions.check_view_member_standing(actor, member)
    now = now or timezone.now()
    sanctions = list(Sanction.objects.filter(member=member).select_related("created_by", "lifted_by"))
    in_force = next((s for s in sanctions if s.is_in_force(now)), None)
    if log_view:
        from moderation.audit import audit_record

        audit_record(
            actor=actor, action="moderation.member.history.view", object_type="user", object_id=member.pk
        )
    return MemberStanding(
        member=member,
        sanctions=sanctions,
        in_force=in_force,
        warnings=sum(1 for s in sanctions if s.kind == SanctionKind.WARNING),
        hidden_posts=Post.objects.filter(author=member, state=PostState.HIDDEN).count(),
        notes=list(permissions.staff_notes_visible_to(actor).filter(member=member)[:20]),
        history=list(
            ModerationAction.objects.filter(member=member)
            .select_related("actor")
            .order_by("-created_at", "-id")[:30]
        ),
        # Concerns of moderate and above reached the queue; guides following one up see the rest.
        concerns=list(
            MemberConcern.objects.filter(member=member, level__in=REVIEW_LEVELS).order_by(
                "-created_at", "-id"
            )[:10]
        ),
    )


# --- the guide dashboard -------------------------------------------------------------------------


@dataclass
class Dashboard:
    counts: dict
    breaches_today: int
    handled_today: list[tuple[str, int]]
    median_first_action: timedelta | None
    closed_today: int


def dashboard(*, actor, now=None) -> Dashboard:
    permissions.check_view_queue(actor)
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    touched_today = ReviewItem.objects.filter(
        Q(first_action_at__gte=start) | Q(status=ItemStatus.OPEN, due_at__gte=start, due_at__lt=now)
    )
    breaches = touched_today.filter(
        Q(first_action_at__gt=F("due_at")) | Q(first_action_at__isnull=True, due_at__lt=now)
    ).count()
    handled = (
        ModerationAction.objects.filter(created_at__gte=start, actor__isnull=False)
        .exclude(kind__in=[ActionKind.CLAIM, ActionKind.RELEASE])
        .values("actor_name")
        .annotate(n=Count("item_id", distinct=True))
        .order_by("-n", "actor_name")
    )
    durations = [
        (first - created).total_seconds()
        for created, first in ReviewItem.objects.filter(first_action_at__gte=start).values_list(
            "created_at", "first_action_at"
        )
    ]
    return Dashboard(
        counts=queue_counts(actor=actor, now=now),
        breaches_today=breaches,
        handled_today=[(row["actor_name"], row["n"]) for row in handled],
        median_first_action=timedelta(seconds=statistics.median(durations)) if durations else None,
        closed_today=ReviewItem.objects.filter(status=ItemStatus.CLOSED, closed_at__gte=start).count(),
    )


# --- messages and flags for members --------------------------------------------------------------


def messages_for(user) -> QuerySet[ModerationMessage]:
    return permissions.messages_visible_to(user).select_related("post__thread").order_by("-created_at", "-id")


def messages_unread_count(user) -> int:
    return permissions.messages_visible_to(user).filter(read_at__isnull=True).count()


def my_flags(user) -> QuerySet[Flag]:
    """A member's own reports: the post, the reason and whether a guide has reviewed it."""
    return permissions.flags_visible_to(user).filter(reporter=user).select_related("post__thread")
