"""Every state change in moderation.

Each service: keyword-only arguments, one transaction, permission checks inside, an audit entry
for every staff action, live events on commit. Acting on an item needs a live claim by the
actor; anything else (someone else's claim, an expired claim, a closed item, bad input) raises a
``ValidationError`` subclass with a clear message and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import STAFF_ROLES
from community import services as community_services
from community.hooks import PostDecision
from community.models import Post, PostState
from escalation import engine as escalation_engine
from escalation import services as escalation_services
from escalation.models import REVIEW_LEVELS, MemberConcern, RiskAssessment, RiskLevel
from moderation import conf, detectors, events, permissions, selectors
from moderation.audit import audit_record
from moderation.models import (
    RISK_FLAG_REASONS,
    ActionKind,
    Flag,
    FlagReason,
    ItemStatus,
    MatchKind,
    MessageKind,
    ModerationAction,
    ModerationMessage,
    Priority,
    ReasonSource,
    Redaction,
    Resolution,
    ReviewItem,
    Sanction,
    SanctionKind,
    StaffNote,
    WatchedAction,
    WatchedWord,
)

logger = logging.getLogger(__name__)


# --- errors --------------------------------------------------------------------------------------


class ModerationConflict(ValidationError):
    """The item is not in a state where this actor can do this. Nothing was changed."""


class ItemClosed(ModerationConflict):
    def __init__(self, item: ReviewItem) -> None:
        label = Resolution(item.resolution).label.lower() if item.resolution else "closed"
        super().__init__(f"This item is already closed ({label}); nothing was changed.", code="closed")


class ClaimRequired(ModerationConflict):
    def __init__(self) -> None:
        super().__init__("Please claim this item before acting on it.", code="not_claimed")


class ClaimedByOther(ModerationConflict):
    def __init__(self, item: ReviewItem) -> None:
        name = item.claimed_by.pseudonym if item.claimed_by_id else "another guide"
        super().__init__(f"{name} is working on this item; nothing was changed.", code="claimed_by_other")


class ClaimExpired(ModerationConflict):
    def __init__(self) -> None:
        super().__init__(
            "Your claim on this item expired; please claim it again (another guide may have it).",
            code="claim_expired",
        )


class AlreadyDone(ModerationConflict):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="already_done")


# --- hide reasons and the messages members receive -----------------------------------------------

HIDE_REASONS: dict[str, tuple[str, str]] = {
    # key: (reason shown on the post to its author, the kind message sent to them)
    "identifying_info": (
        "It shared details that could identify someone.",
        "We've hidden your post in “{thread}” because it included details that could identify you "
        "or someone else. Kindred is anonymous so everyone can speak freely, and keeping it that "
        "way protects you too. You're very welcome to post again without those details.",
    ),
    "unsafe_detail": (
        "It described methods of harm in a way that could put others at risk.",
        "We've hidden your post in “{thread}” because it described ways of harming yourself in "
        "detail, which can put other members at risk. We're glad you're here and want to hear how "
        "you're doing: you're welcome to post again without those details. If you need help right "
        "now, the Get help page lists people you can talk to today.",
    ),
    "abusive": (
        "It was unkind to another member.",
        "We've hidden your post in “{thread}” because it was unkind to another member. Kindred "
        "works because people feel safe here. Please take a look at the community guidelines "
        "before posting again.",
    ),
    "spam": (
        "It looked like advertising or spam.",
        "We've hidden your post in “{thread}” because it looked like advertising. If we got this "
        "wrong, reply to this message through a guide and we'll look again.",
    ),
    "guidelines": (
        "It didn't follow the community guidelines.",
        "We've hidden your post in “{thread}” because it didn't follow the community guidelines. "
        "You're welcome to post again; the guidelines explain what works well here.",
    ),
}
HIDE_REASON_CHOICES = [(key, label) for key, (label, _) in HIDE_REASONS.items()]

SANCTION_MESSAGES = {
    SanctionKind.WARNING: (
        "A guide has sent you a warning: {reason}\n\nPlease take a moment to read the community "
        "guidelines. Nothing else has changed on your account."
    ),
    SanctionKind.SUSPENSION: (
        "Your account is read-only until {until}: {reason}\n\nYou can still read the forums, and "
        "crisis support is always available from the Get help page."
    ),
    SanctionKind.BAN: (
        "Your account can no longer post in the forums: {reason}\n\nYou can still sign in to read, "
        "and crisis support is always available from the Get help page."
    ),
}
FLAG_REVIEWED_MESSAGE = (
    "Thank you for reporting a post. A guide has reviewed it. We don't share what was decided, "
    "to protect everyone's privacy, but reports like yours help keep Kindred safe."
)
IDENTIFYING_NOTICE = (
    "Your post looks like it includes details that could identify you or someone else (like an "
    "email address, a phone number, a social-media handle or an address). A guide will check it "
    "and may remove those details before it is shared. This keeps everyone anonymous and safe."
)
BLOCKED_NOTICE = (
    "Your post includes words that aren't allowed on Kindred, so a guide will look at it before "
    "others can see it."
)
NEW_MEMBER_NOTICE = (
    "Welcome! A guide looks at new members' first posts before they are shared. It won't be long."
)
SANCTIONED_NOTICE = "Your account can't post at the moment, so this post is waiting for a guide."


# --- small helpers -------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _priority_for_level(level: str) -> int:
    return {
        RiskLevel.IMMINENT: Priority.IMMINENT,
        RiskLevel.HIGH: Priority.HIGH,
        RiskLevel.MODERATE: Priority.MODERATE,
    }.get(level, Priority.OTHER)


def _record(
    *,
    kind: str,
    actor,
    item: ReviewItem | None = None,
    post: Post | None = None,
    member=None,
    reason: str = "",
    data: dict | None = None,
    now: datetime | None = None,
) -> ModerationAction:
    return ModerationAction.objects.create(
        kind=kind,
        item=item,
        post=post,
        member=member,
        actor=actor,
        actor_name=getattr(actor, "pseudonym", "") if actor is not None else "",
        reason=(reason or "")[:5000],
        data=data or {},
        created_at=_now(now),
    )


def _message(*, recipient, kind: str, body: str, post: Post | None = None) -> ModerationMessage:
    message = ModerationMessage.objects.create(recipient=recipient, kind=kind, body=body, post=post)
    unread = ModerationMessage.objects.filter(recipient=recipient, read_at__isnull=True).count()
    events.message_on_commit(message_id=message.pk, recipient_id=recipient.pk, unread_count=unread)
    return message


def _thread_title(post: Post) -> str:
    return post.thread.title


# --- the queue: opening and joining items ---------------------------------------------------------


def _reason_key(reason: dict) -> tuple:
    detail = reason.get("detail") or {}
    ident = (
        detail.get("flag_id") or detail.get("assessment_id") or detail.get("word_ids") or detail.get("kinds")
    )
    return (reason.get("source"), str(ident) if ident is not None else detail.get("key", ""))


@transaction.atomic
def review_item_open_or_join(
    *,
    post: Post | None = None,
    concern: MemberConcern | None = None,
    source: str,
    priority: int = Priority.OTHER,
    detail: dict | None = None,
    now: datetime | None = None,
) -> tuple[ReviewItem, bool]:
    """Put ``post`` (or a member ``concern`` that is not a post) in the queue for ``source``, or
    add the reason to its open item.

    Returns ``(item, changed)``; the same reason twice changes nothing. A more urgent reason
    raises the item's priority and can only bring its due time forward.
    """
    if source not in ReasonSource.values:
        raise ValidationError({"source": f"Unknown review reason {source!r}."})
    if (post is None) == (concern is None):
        raise ValidationError("A review item is about one post or one concern.")
    now = _now(now)
    priority = Priority(priority)
    reason = {"source": source, "at": now.isoformat(), "detail": detail or {}}
    subject = {"post": post} if post is not None else {"concern": concern}
    subject_data = {"post_id": post.pk} if post is not None else {"concern_id": concern.pk}
    item = ReviewItem.objects.select_for_update().filter(**subject, status=ItemStatus.OPEN).first()
    if item is None:
        try:
            with transaction.atomic():
                item = ReviewItem.objects.create(
                    **subject,
                    priority=priority,
                    reasons=[reason],
                    due_at=now + conf.sla_for(priority),
                    created_at=now,
                )
        except IntegrityError:
            # Another transaction opened it first (the partial unique constraint): join it.
            item = ReviewItem.objects.select_for_update().get(**subject, status=ItemStatus.OPEN)
        else:
            audit_record(
                actor=None,
                action="moderation.item.open",
                object_type="review_item",
                object_id=item.pk,
                data={**subject_data, "source": source, "priority": int(priority)},
            )
            events.item_changed_on_commit(item)
            return item, True
    if _reason_key(reason) in {_reason_key(r) for r in item.reasons}:
        return item, False
    item.reasons = [*item.reasons, reason]
    fields = ["reasons"]
    if priority < item.priority:
        item.priority = priority
        item.due_at = min(item.due_at, now + conf.sla_for(priority))
        fields += ["priority", "due_at"]
    item.save(update_fields=fields)
    audit_record(
        actor=None,
        action="moderation.item.join",
        object_type="review_item",
        object_id=item.pk,
        data={**subject_data, "source": source, "priority": int(item.priority)},
    )
    events.item_changed_on_commit(item)
    return item, True


def risk_assessed(*, assessment: RiskAssessment, needs_review: bool) -> ReviewItem | None:
    """escalation's ``risk_assessed`` hook: moderate and above go in the queue."""
    if not needs_review:
        return None
    item, _ = review_item_open_or_join(
        post=assessment.post,
        source=ReasonSource.RISK_ASSESSMENT,
        priority=_priority_for_level(assessment.level),
        detail={"assessment_id": assessment.pk, "level": assessment.level, "case_id": assessment.case_id},
    )
    return item


def concern_raised(*, concern: MemberConcern) -> ReviewItem:
    """escalation's ``concern_raised`` hook: a self-assessment (or other non-post) concern of
    moderate or above goes in the queue, prioritised like a post at the same level."""
    item, _ = review_item_open_or_join(
        concern=concern,
        source=ReasonSource.MEMBER_CONCERN,
        priority=_priority_for_level(concern.level),
        detail={
            "key": f"concern:{concern.pk}",
            "concern_id": concern.pk,
            "level": concern.level,
            "source": concern.source,
            "case_id": concern.case_id,
        },
    )
    return item


# --- screening on submission and edit ------------------------------------------------------------


def post_screen(*, post: Post, decision: PostDecision, submitted: bool) -> list[str]:
    """community's ``post_submitted`` / ``post_edited`` hooks: watched words, identifying details,
    sanctions, pre-moderation and no-guide holds; and queue every hold other receivers asked for.

    Runs inside the submission's transaction before anyone else can see the post. Returns the
    review sources it queued.
    """
    author = post.author
    queued: list[str] = []

    def queue(source: str, priority: int = Priority.OTHER, detail: dict | None = None) -> None:
        review_item_open_or_join(post=post, source=source, priority=priority, detail=detail)
        queued.append(source)

    # Holds asked for by receivers that ran before this one (escalation's inline triage).
    for reason in list(decision.reasons):
        if reason.startswith("risk:"):
            level = reason.split(":", 1)[1]
            queue(
                ReasonSource.RISK_ASSESSMENT,
                _priority_for_level(level),
                {"key": f"inline:{level}", "level": level, "inline": True},
            )
        elif reason in ("triage-degraded", "triage-unavailable"):
            queue(ReasonSource.TRIAGE_DEGRADED, Priority.OTHER, {"key": reason})
        elif reason.startswith("hook-failed:"):
            queue(ReasonSource.OTHER, Priority.OTHER, {"key": reason})

    if author.role in STAFF_ROLES:
        return queued

    if selectors.sanction_in_force(author) is not None:
        decision.hold(reason="moderation:sanctioned", author_notice=SANCTIONED_NOTICE)
        queue(ReasonSource.SANCTIONED_AUTHOR, Priority.OTHER, {"key": "sanctioned"})

    text = post.body
    if post.is_opening:
        text = f"{post.thread.title}\n\n{post.body}"
        offset = len(post.thread.title) + 2
    else:
        offset = 0
    reading = detectors.read_post_text(text)

    def body_spans(matches):
        shifted = [
            detectors.Match(m.kind, m.start - offset, m.end - offset, m.word_id, m.action) for m in matches
        ]
        return [m for m in shifted if m.start >= 0]

    blocking = reading.for_action(WatchedAction.BLOCK)
    holding = reading.for_action(WatchedAction.HOLD)
    if blocking and not holding and not reading.timed_out and _may_refuse(post=post, decision=decision):
        decision.refuse(reason="watched-word", message=_block_message(blocking))
        return queued
    if blocking or holding or reading.timed_out:
        # A blocked word in a post that also needs a human (a risk reading, another rule) is held.
        notice = BLOCKED_NOTICE if blocking else ""
        decision.hold(reason="watched-word", author_notice=notice)
        matches = blocking + holding
        queue(
            ReasonSource.WATCHED_WORD,
            Priority.OTHER,
            {
                "word_ids": sorted({m.word_id for m in matches} | set(reading.timed_out)),
                "actions": sorted(
                    {m.action for m in matches} | ({"timeout"} if reading.timed_out else set())
                ),
                "highlight": detectors.spans_as_rules(body_spans(matches), label="watched word"),
            },
        )
    flagging = reading.for_action(WatchedAction.FLAG)
    if flagging:
        queue(
            ReasonSource.WATCHED_WORD,
            Priority.OTHER,
            {
                "word_ids": sorted({m.word_id for m in flagging}),
                "actions": ["flag"],
                "highlight": detectors.spans_as_rules(body_spans(flagging), label="watched word"),
            },
        )
    censoring = reading.for_action(WatchedAction.CENSOR)
    if censoring:
        # The source text is kept; only the rendered copy others read is censored.
        words = [text[m.start : m.end] for m in censoring]
        Post.objects.filter(pk=post.pk).update(body_html=detectors.censor_html(post.body_html, words))

    if reading.identifying:
        kinds = sorted({m.kind for m in reading.identifying})
        decision.hold(reason="identifying-info", author_notice=IDENTIFYING_NOTICE)
        queue(
            ReasonSource.IDENTIFYING_INFO,
            Priority.OTHER,
            {
                "kinds": kinds,
                "highlight": detectors.spans_as_rules(body_spans(reading.identifying), label="identifying"),
            },
        )

    if submitted and community_services.is_new_member(author):
        if post.thread.space.premoderate_new_members:
            # community holds these posts itself after the receivers; queue the review here.
            queue(ReasonSource.PREMODERATION, Priority.OTHER, {"key": "space"})
        elif conf.hold_new_members_without_guide() and not selectors.guide_on_shift():
            decision.hold(reason="moderation:no-guide-on-shift", author_notice=NEW_MEMBER_NOTICE)
            queue(ReasonSource.NO_GUIDE_ON_SHIFT, Priority.OTHER, {"key": "no-guide"})
    return queued


BLOCK_DEFAULT_MESSAGE = (
    "Your post wasn't published because it includes words that aren't allowed on Kindred. Your "
    "text is still below: please change it and post again."
)


def _block_message(matches) -> str:
    """The staff-written message of the matched block words, or the default."""
    ids = sorted({m.word_id for m in matches})
    custom = [
        text
        for text in WatchedWord.objects.filter(pk__in=ids).order_by("pk").values_list("message", flat=True)
        if text
    ]
    message = " ".join(dict.fromkeys(custom)) or BLOCK_DEFAULT_MESSAGE
    return f"{message} Your text is still below, so nothing is lost." if custom else message


def _may_refuse(*, post: Post, decision: PostDecision) -> bool:
    """A blocked word refuses a post only when nothing in it needs a human: no hold asked for by
    earlier receivers, and the triage engine reads no risk of moderate or above (fail closed: a
    refused post is gone, so a crisis post with a blocked word is held for a guide instead)."""
    if decision.should_hold or decision.receiver_failed:
        return False
    if escalation_engine.semantic_enabled():
        # The request only has the rules' reading; the full assessment (rules + semantic stage)
        # runs after commit, and a refusal rolls that back. The rules alone miss about a quarter
        # of urgent posts on unseen writing, so where the full assessment exists, a blocked word
        # holds the post for a guide rather than refusing it unread.
        return False
    text = f"{post.thread.title}\n\n{post.body}" if post.is_opening else post.body
    try:
        level = escalation_engine.screen(text).level
    except Exception:
        logger.exception("Triage unavailable while refusing post %s; holding it instead", post.pk)
        return False
    return level not in REVIEW_LEVELS


# --- flags ---------------------------------------------------------------------------------------


@transaction.atomic
def flag_create(*, reporter, post: Post, reason: str, note: str = "", now: datetime | None = None) -> Flag:
    """A member reports a post. Over the threshold of distinct reporters the post is held."""
    now = _now(now)
    if reason not in FlagReason.values:
        raise ValidationError({"reason": "Please choose why you are reporting this post."}, code="invalid")
    note = (note or "").replace("\x00", "").strip()
    if reason == FlagReason.OTHER and not note:
        raise ValidationError({"note": "Please tell us a little about what's wrong."}, code="required")
    if len(note) > 500:
        raise ValidationError({"note": "Notes can be at most 500 characters."}, code="too_long")
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("thread__space", "thread__opening_post")
        .get(pk=post.pk)
    )
    permissions.check_flag_post(reporter, post)
    recent = Flag.objects.filter(reporter=reporter, created_at__gt=now - timedelta(hours=1)).count()
    if recent >= conf.flags_per_hour():
        raise community_services.RateLimited(
            "You've sent a lot of reports in the last hour. Thank you: our guides are looking at them. "
            "Please try again a little later.",
            code="rate_limited",
        )
    if Flag.objects.filter(post=post, reporter=reporter, reviewed_at__isnull=True).exists():
        raise ValidationError("You've already reported this post; a guide will look at it.", code="duplicate")
    flag = Flag.objects.create(post=post, reporter=reporter, reason=reason, note=note, created_at=now)
    priority = Priority.FLAGGED_RISK if reason in RISK_FLAG_REASONS else Priority.OTHER
    item, _ = review_item_open_or_join(
        post=post,
        source=ReasonSource.FLAG,
        priority=priority,
        detail={"flag_id": flag.pk, "reason": reason},
        now=now,
    )
    flag.review_item = item
    flag.save(update_fields=["review_item"])
    audit_record(
        actor=reporter,
        action="moderation.flag.create",
        object_type="post",
        object_id=post.pk,
        data={"flag_id": flag.pk, "reason": reason, "item_id": item.pk},
    )
    _apply_flag_threshold(post=post, item=item, now=now)
    return flag


def _apply_flag_threshold(*, post: Post, item: ReviewItem, now: datetime) -> bool:
    reporters = (
        Flag.objects.filter(post=post, reviewed_at__isnull=True).values("reporter_id").distinct().count()
    )
    on_shift = selectors.guide_on_shift(now)
    threshold = conf.flag_threshold(guide_on_shift=on_shift)
    if reporters < threshold or post.state != PostState.PUBLISHED:
        return False
    community_services.post_hold(post=post, actor=None, reason="moderation:flag-threshold")
    review_item_open_or_join(
        post=post,
        source=ReasonSource.FLAG_THRESHOLD,
        priority=item.priority,
        detail={
            "key": "threshold",
            "reporters": reporters,
            "threshold": threshold,
            "guide_on_shift": on_shift,
        },
        now=now,
    )
    _record(
        kind=ActionKind.AUTO_HOLD,
        actor=None,
        item=item,
        post=post,
        member=post.author,
        reason=f"Reported by {reporters} members (threshold {threshold}).",
        now=now,
    )
    audit_record(
        actor=None,
        action="moderation.post.auto_hold",
        object_type="post",
        object_id=post.pk,
        reason="flag threshold",
        data={"reporters": reporters, "threshold": threshold, "item_id": item.pk},
    )
    return True


# --- claiming ------------------------------------------------------------------------------------


def _lock_item_nowait_or_skip(item_id: int) -> ReviewItem | None:
    """Lock the item row, or return None if another transaction holds it (SKIP LOCKED)."""
    qs = ReviewItem.objects.filter(pk=item_id)
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True).first()
    return qs.select_for_update().first()


@transaction.atomic
def review_item_claim(*, item: ReviewItem, actor, now: datetime | None = None) -> bool:
    """Claim an item so nobody else works it. Returns False if the actor already holds it."""
    permissions.check_act_on_item(actor, item)
    now = _now(now)
    locked = _lock_item_nowait_or_skip(item.pk)
    if locked is None:
        if ReviewItem.objects.filter(pk=item.pk).exists():
            raise ModerationConflict(
                "Another guide is claiming this item right now.", code="claimed_by_other"
            )
        raise ReviewItem.DoesNotExist("No such review item.")
    item = locked
    if item.status != ItemStatus.OPEN:
        raise ItemClosed(item)
    if item.claim_active(now):
        if item.claimed_by_id == actor.pk:
            return False
        raise ClaimedByOther(ReviewItem.objects.select_related("claimed_by").get(pk=item.pk))
    previous = item.claimed_by_id
    item.claimed_by = actor
    item.claim_expires_at = now + conf.claim_duration()
    item.save(update_fields=["claimed_by", "claim_expires_at"])
    _record(kind=ActionKind.CLAIM, actor=actor, item=item, now=now, data={"previous_claimant_id": previous})
    audit_record(
        actor=actor,
        action="moderation.item.claim",
        object_type="review_item",
        object_id=item.pk,
        data={"expires_at": item.claim_expires_at.isoformat(), "previous_claimant_id": previous},
    )
    events.item_changed_on_commit(item)
    return True


@transaction.atomic
def review_item_claim_next(*, actor, now: datetime | None = None) -> ReviewItem | None:
    """Claim the most urgent unclaimed item, skipping rows other guides are locking."""
    permissions.check_moderate(actor)
    now = _now(now)
    qs = (
        ReviewItem.objects.filter(status=ItemStatus.OPEN)
        .exclude(claim_expires_at__gt=now)
        .order_by("priority", "created_at", "id")
    )
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    else:
        qs = qs.select_for_update()
    item = qs.first()
    if item is None:
        return None
    review_item_claim(item=item, actor=actor, now=now)
    item.refresh_from_db()
    return item


@transaction.atomic
def review_item_release(*, item: ReviewItem, actor, now: datetime | None = None) -> bool:
    now = _now(now)
    item = _lock_for_action(item=item, actor=actor, now=now)
    item.claimed_by = None
    item.claim_expires_at = None
    item.save(update_fields=["claimed_by", "claim_expires_at"])
    _record(kind=ActionKind.RELEASE, actor=actor, item=item, now=now)
    audit_record(actor=actor, action="moderation.item.release", object_type="review_item", object_id=item.pk)
    events.item_changed_on_commit(item)
    return True


@transaction.atomic
def claims_release_expired(*, actor=None, now: datetime | None = None, limit: int = 500) -> int:
    """Clear claims that ran out, so the queue shows those items as free again. ``actor`` is the
    guide who asked (the queue page's button) or None for the beat task. Rows another
    transaction is acting on are skipped (SKIP LOCKED) and picked up next time. Returns how
    many were released."""
    if actor is not None:
        permissions.check_moderate(actor)
    now = _now(now)
    qs = ReviewItem.objects.filter(
        status=ItemStatus.OPEN, claimed_by__isnull=False, claim_expires_at__lte=now
    ).order_by("claim_expires_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    else:
        qs = qs.select_for_update()
    items = list(qs[:limit])
    for item in items:
        previous = item.claimed_by_id
        expired_at = item.claim_expires_at
        item.claimed_by = None
        item.claim_expires_at = None
        item.save(update_fields=["claimed_by", "claim_expires_at"])
        _record(
            kind=ActionKind.RELEASE,
            actor=actor,
            item=item,
            now=now,
            data={"expired": True, "previous_claimant_id": previous},
        )
        audit_record(
            actor=actor,
            action="moderation.item.release_expired",
            object_type="review_item",
            object_id=item.pk,
            data={"previous_claimant_id": previous, "expired_at": expired_at.isoformat()},
        )
        events.item_changed_on_commit(item)
    return len(items)


def _lock_for_action(*, item: ReviewItem, actor, now: datetime) -> ReviewItem:
    permissions.check_act_on_item(actor, item)
    item = (
        ReviewItem.objects.select_for_update(of=("self",))
        .select_related("post__thread", "post__author", "concern__member", "claimed_by")
        .get(pk=item.pk)
    )
    if item.status != ItemStatus.OPEN:
        raise ItemClosed(item)
    if item.claimed_by_id is None:
        raise ClaimRequired()
    if item.claimed_by_id != actor.pk:
        if item.claim_active(now):
            raise ClaimedByOther(item)
        raise ClaimRequired()
    if not item.claim_active(now):
        raise ClaimExpired()
    return item


def _close(*, item: ReviewItem, actor, resolution: str, now: datetime) -> None:
    item.status = ItemStatus.CLOSED
    item.resolution = resolution
    item.closed_at = now
    item.closed_by = actor
    item.first_action_at = item.first_action_at or now
    item.claimed_by = None
    item.claim_expires_at = None
    item.save(
        update_fields=[
            "status",
            "resolution",
            "closed_at",
            "closed_by",
            "first_action_at",
            "claimed_by",
            "claim_expires_at",
        ]
    )
    # Reporters learn only that a guide looked.
    flags = []
    if item.post_id is not None:
        flags = list(
            Flag.objects.filter(post_id=item.post_id, reviewed_at__isnull=True).select_related("reporter")
        )
    if flags:
        Flag.objects.filter(pk__in=[f.pk for f in flags]).update(reviewed_at=now)
        for reporter in {f.reporter_id: f.reporter for f in flags}.values():
            _message(recipient=reporter, kind=MessageKind.FLAG_REVIEWED, body=FLAG_REVIEWED_MESSAGE)
    events.item_changed_on_commit(item)


def _audit_item(actor, action: str, item: ReviewItem, *, reason: str = "", data: dict | None = None) -> None:
    audit_record(
        actor=actor,
        action=f"moderation.{action}",
        object_type="review_item",
        object_id=item.pk,
        reason=reason,
        data={
            "post_id": item.post_id,
            "concern_id": item.concern_id,
            "member_id": item.member_id,
            **(data or {}),
        },
    )


def _require_post(item: ReviewItem) -> Post:
    if item.post_id is None:
        raise ModerationConflict(
            "This item is a concern from outside the forums, not a post: mark it reviewed or "
            "escalate it to a clinician.",
            code="not_a_post",
        )
    return item.post


# --- actions on an item --------------------------------------------------------------------------


@transaction.atomic
def review_item_approve(*, item: ReviewItem, actor, note: str = "", now: datetime | None = None) -> bool:
    """The post is fine: publish it if held, close the item."""
    now = _now(now)
    item = _lock_for_action(item=item, actor=actor, now=now)
    if item.is_concern:
        return _concern_mark_reviewed(item=item, actor=actor, note=note, now=now)
    post = item.post
    published = False
    if post.state == PostState.HELD:
        published = community_services.post_publish(post=post, actor=actor)
    _close(item=item, actor=actor, resolution=Resolution.APPROVED, now=now)
    _record(
        kind=ActionKind.APPROVE,
        actor=actor,
        item=item,
        post=post,
        member=post.author,
        reason=note,
        now=now,
        data={"published": published},
    )
    _audit_item(actor, "post.approve", item, reason=note, data={"published": published})
    return True


def _concern_mark_reviewed(*, item: ReviewItem, actor, note: str, now: datetime) -> bool:
    """A guide has looked at a concern (and followed it up as the guidance says): close it."""
    _close(item=item, actor=actor, resolution=Resolution.REVIEWED, now=now)
    _record(
        kind=ActionKind.APPROVE,
        actor=actor,
        item=item,
        member=item.concern.member,
        reason=note,
        now=now,
        data={"concern_id": item.concern_id},
    )
    _audit_item(actor, "concern.review", item, reason=note)
    return True


@transaction.atomic
def review_item_approve_with_redaction(
    *, item: ReviewItem, actor, body: str, reason: str, now: datetime | None = None
) -> bool:
    """Replace identifying details, keep the original for audit, publish, tell the author."""
    now = _now(now)
    body = (body or "").replace("\x00", "").strip()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": "Please say what was removed (the author will see it)."}, code="required"
        )
    item = _lock_for_action(item=item, actor=actor, now=now)
    _require_post(item)
    post = Post.objects.select_for_update().select_related("thread").get(pk=item.post_id)
    try:
        revision = community_services.post_redact(post=post, actor=actor, body=body, now=now)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({"body": exc.messages}) from exc
    post.refresh_from_db()
    # The original stays in community's revision history and here, for the audit.
    Redaction.objects.create(
        post=post,
        item=item,
        original_body=revision.body,
        redacted_body=post.body,
        actor=actor,
        reason=reason[:500],
        created_at=now,
    )
    if post.state == PostState.HELD:
        community_services.post_publish(post=post, actor=actor)
    _message(
        recipient=post.author,
        kind=MessageKind.POST_REDACTED,
        post=post,
        body=(
            f"A guide removed some details from your post in “{post.thread.title}” before sharing it: "
            f"{reason}\n\nThis keeps you and others anonymous. Thank you for understanding."
        ),
    )
    _close(item=item, actor=actor, resolution=Resolution.REDACTED, now=now)
    _record(
        kind=ActionKind.REDACT, actor=actor, item=item, post=post, member=post.author, reason=reason, now=now
    )
    _audit_item(actor, "post.redact", item, reason=reason)
    return True


@transaction.atomic
def review_item_hide(
    *, item: ReviewItem, actor, reason_key: str, note: str = "", now: datetime | None = None
) -> bool:
    """Hide the post with a reason and send the author a kind, templated message."""
    now = _now(now)
    if reason_key not in HIDE_REASONS:
        raise ValidationError({"reason_key": "Please choose why the post is hidden."}, code="invalid")
    note = (note or "").strip()
    if len(note) > 1000:
        raise ValidationError({"note": "The note can be at most 1,000 characters."}, code="too_long")
    item = _lock_for_action(item=item, actor=actor, now=now)
    post = _require_post(item)
    shown_reason, template = HIDE_REASONS[reason_key]
    community_services.post_hide(post=post, actor=actor, reason=shown_reason)
    body = template.format(thread=post.thread.title)
    if note:
        body += f"\n\nA note from the guide: {note}"
    _message(recipient=post.author, kind=MessageKind.POST_HIDDEN, post=post, body=body)
    _close(item=item, actor=actor, resolution=Resolution.HIDDEN, now=now)
    _record(
        kind=ActionKind.HIDE,
        actor=actor,
        item=item,
        post=post,
        member=post.author,
        reason=note,
        data={"reason_key": reason_key},
        now=now,
    )
    _audit_item(actor, "post.hide", item, reason=shown_reason, data={"reason_key": reason_key, "note": note})
    return True


@transaction.atomic
def review_item_escalate(*, item: ReviewItem, actor, reason: str, now: datetime | None = None) -> bool:
    """Open (or join) a crisis case for the author through escalation. The item stays open so a
    guide still decides about the post; the escalation counts as its first action."""
    now = _now(now)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Please say why a clinician is needed."}, code="required")
    item = _lock_for_action(item=item, actor=actor, now=now)
    if item.actions.filter(kind=ActionKind.ESCALATE).exists():
        raise AlreadyDone("This item was already escalated to a clinician; nothing was changed.")
    if item.is_concern:
        case = escalation_services.case_open_for_concern(
            concern=item.concern, actor=actor, reason=reason, now=now
        )
    else:
        case = escalation_services.case_open_for_post(post=item.post, actor=actor, reason=reason, now=now)
    item.first_action_at = item.first_action_at or now
    item.save(update_fields=["first_action_at"])
    _record(
        kind=ActionKind.ESCALATE,
        actor=actor,
        item=item,
        post=item.post,
        member=item.member,
        reason=reason,
        data={"case_id": case.pk},
        now=now,
    )
    action = "concern.escalate" if item.is_concern else "post.escalate"
    _audit_item(actor, action, item, reason=reason, data={"case_id": case.pk})
    events.item_changed_on_commit(item)
    return True


@transaction.atomic
def review_item_dismiss(*, item: ReviewItem, actor, note: str = "", now: datetime | None = None) -> bool:
    """The flags were unfounded: close the item; a post held only by the flag threshold is published."""
    now = _now(now)
    item = _lock_for_action(item=item, actor=actor, now=now)
    post = _require_post(item)
    sources = set(item.sources)
    published = False
    if post.state == PostState.HELD and sources <= {ReasonSource.FLAG, ReasonSource.FLAG_THRESHOLD}:
        published = community_services.post_publish(post=post, actor=actor)
    _close(item=item, actor=actor, resolution=Resolution.DISMISSED, now=now)
    _record(
        kind=ActionKind.DISMISS,
        actor=actor,
        item=item,
        post=post,
        member=post.author,
        reason=note,
        data={"published": published},
        now=now,
    )
    _audit_item(actor, "flag.dismiss", item, reason=note, data={"published": published})
    return True


@transaction.atomic
def post_restore(*, post: Post, actor, reason: str, now: datetime | None = None) -> bool:
    """Put a hidden post back into public view and tell its author."""
    now = _now(now)
    permissions.check_moderate(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Please say why the post is restored."}, code="required")
    post = Post.objects.select_related("thread", "author").get(pk=post.pk)
    if post.state != PostState.HIDDEN:
        raise AlreadyDone("Only a hidden post can be restored; nothing was changed.")
    community_services.post_restore(post=post, actor=actor)
    item = ReviewItem.objects.select_for_update().filter(post=post, status=ItemStatus.OPEN).first()
    if item is not None:
        _close(item=item, actor=actor, resolution=Resolution.RESTORED, now=now)
    _message(
        recipient=post.author,
        kind=MessageKind.POST_RESTORED,
        post=post,
        body=f"Good news: a guide looked again and your post in “{post.thread.title}” is visible again.",
    )
    _record(
        kind=ActionKind.RESTORE, actor=actor, item=item, post=post, member=post.author, reason=reason, now=now
    )
    audit_record(
        actor=actor,
        action="moderation.post.restore",
        object_type="post",
        object_id=post.pk,
        reason=reason,
        data={"member_id": post.author_id},
    )
    return True


# --- sanctions and notes -------------------------------------------------------------------------


def _clean_reason(reason: str) -> str:
    reason = (reason or "").replace("\x00", "").strip()
    if len(reason) < 5:
        raise ValidationError({"reason": "Please give the reason (the member will see it)."}, code="required")
    if len(reason) > 2000:
        raise ValidationError({"reason": "Reasons can be at most 2,000 characters."}, code="too_long")
    return reason


def _lock_member(member):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.select_for_update().get(pk=member.pk)


def _sanction(
    *, member, actor, kind: str, reason: str, item: ReviewItem | None, ends_at, now: datetime
) -> Sanction:
    sanction = Sanction.objects.create(
        member=member,
        kind=kind,
        reason=reason,
        item=item,
        starts_at=now,
        ends_at=ends_at,
        created_by=actor,
        created_at=now,
    )
    until = f"{timezone.localtime(ends_at):%d %B %Y, %H:%M}" if ends_at else ""
    message_kind = {
        SanctionKind.WARNING: MessageKind.WARNING,
        SanctionKind.SUSPENSION: MessageKind.SUSPENSION,
        SanctionKind.BAN: MessageKind.BAN,
    }[kind]
    _message(
        recipient=member, kind=message_kind, body=SANCTION_MESSAGES[kind].format(reason=reason, until=until)
    )
    action = {
        SanctionKind.WARNING: ActionKind.WARN,
        SanctionKind.SUSPENSION: ActionKind.SUSPEND,
        SanctionKind.BAN: ActionKind.BAN,
    }[kind]
    _record(
        kind=action,
        actor=actor,
        item=item,
        member=member,
        reason=reason,
        now=now,
        data={"sanction_id": sanction.pk, "ends_at": ends_at.isoformat() if ends_at else None},
    )
    audit_record(
        actor=actor,
        action=f"moderation.member.{action}",
        object_type="user",
        object_id=member.pk,
        reason=reason,
        data={
            "sanction_id": sanction.pk,
            "item_id": item.pk if item else None,
            "ends_at": ends_at.isoformat() if ends_at else None,
        },
    )
    return sanction


@transaction.atomic
def member_warn(
    *, member, actor, reason: str, item: ReviewItem | None = None, now: datetime | None = None
) -> Sanction:
    now = _now(now)
    permissions.check_sanction_member(actor, member)
    reason = _clean_reason(reason)
    member = _lock_member(member)
    if (
        item is not None
        and Sanction.objects.filter(member=member, item=item, kind=SanctionKind.WARNING).exists()
    ):
        raise AlreadyDone("This member was already warned about this item; nothing was changed.")
    return _sanction(
        member=member, actor=actor, kind=SanctionKind.WARNING, reason=reason, item=item, ends_at=None, now=now
    )


MAX_SUSPENSION_DAYS = 365


@transaction.atomic
def member_suspend(
    *, member, actor, reason: str, days: int, item: ReviewItem | None = None, now: datetime | None = None
) -> Sanction:
    """Read-only for ``days``: the member can read and get help, not post."""
    now = _now(now)
    permissions.check_sanction_member(actor, member)
    reason = _clean_reason(reason)
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_SUSPENSION_DAYS:
        raise ValidationError(
            {"days": f"Please choose between 1 and {MAX_SUSPENSION_DAYS} days."}, code="invalid"
        )
    member = _lock_member(member)
    ends_at = now + timedelta(days=days)
    current = selectors.sanction_in_force(member, now)
    if current is not None and (current.kind == SanctionKind.BAN or current.ends_at >= ends_at):
        if current.kind == SanctionKind.BAN:
            raise AlreadyDone("This member is already banned; nothing was changed.")
        until = f"{timezone.localtime(current.ends_at):%d %B %Y, %H:%M}"
        raise AlreadyDone(f"This member is already suspended until {until}; nothing was changed.")
    return _sanction(
        member=member,
        actor=actor,
        kind=SanctionKind.SUSPENSION,
        reason=reason,
        item=item,
        ends_at=ends_at,
        now=now,
    )


@transaction.atomic
def member_ban(
    *, member, actor, reason: str, item: ReviewItem | None = None, now: datetime | None = None
) -> Sanction:
    now = _now(now)
    permissions.check_sanction_member(actor, member)
    reason = _clean_reason(reason)
    member = _lock_member(member)
    current = selectors.sanction_in_force(member, now)
    if current is not None and current.kind == SanctionKind.BAN:
        raise AlreadyDone("This member is already banned; nothing was changed.")
    return _sanction(
        member=member, actor=actor, kind=SanctionKind.BAN, reason=reason, item=item, ends_at=None, now=now
    )


@transaction.atomic
def sanction_lift(*, sanction: Sanction, actor, reason: str, now: datetime | None = None) -> bool:
    now = _now(now)
    sanction = Sanction.objects.select_for_update().select_related("member").get(pk=sanction.pk)
    permissions.check_sanction_member(actor, sanction.member)
    reason = _clean_reason(reason)
    if not sanction.is_in_force(now):
        raise AlreadyDone("This sanction is not in force; nothing was changed.")
    sanction.lifted_at = now
    sanction.lifted_by = actor
    sanction.save(update_fields=["lifted_at", "lifted_by"])
    _message(
        recipient=sanction.member,
        kind=MessageKind.SANCTION_LIFTED,
        body="You can post in the forums again. Welcome back.",
    )
    _record(
        kind=ActionKind.LIFT,
        actor=actor,
        member=sanction.member,
        reason=reason,
        now=now,
        data={"sanction_id": sanction.pk},
    )
    audit_record(
        actor=actor,
        action="moderation.member.lift",
        object_type="user",
        object_id=sanction.member_id,
        reason=reason,
        data={"sanction_id": sanction.pk},
    )
    return True


@transaction.atomic
def staff_note_add(*, member, actor, body: str) -> StaffNote:
    permissions.check_view_member_standing(actor, member)
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise ValidationError({"body": "Please write the note."}, code="required")
    if len(body) > 5000:
        raise ValidationError({"body": "Notes can be at most 5,000 characters."}, code="too_long")
    note = StaffNote.objects.create(member=member, author=actor, author_name=actor.pseudonym, body=body)
    audit_record(
        actor=actor,
        action="moderation.member.note",
        object_type="user",
        object_id=member.pk,
        data={"note_id": note.pk},
    )
    return note


# --- watched words -------------------------------------------------------------------------------


@transaction.atomic
def watched_word_create(*, actor, pattern: str, match: str, action: str, message: str = "") -> WatchedWord:
    permissions.check_manage_watched_words(actor)
    pattern = (pattern or "").replace("\x00", "").strip()
    errors: dict[str, str] = {}
    if match not in MatchKind.values:
        errors["match"] = "Please choose word, phrase or regular expression."
    if action not in WatchedAction.values:
        errors["action"] = "Please choose what happens when a post matches."
    if not pattern:
        errors["pattern"] = "Please enter the word, phrase or pattern."
    elif match == MatchKind.REGEX:
        problem = detectors.validate_regex(pattern)
        if problem:
            errors["pattern"] = problem
    elif len(pattern) > detectors.MAX_PATTERN_LENGTH:
        errors["pattern"] = f"At most {detectors.MAX_PATTERN_LENGTH} characters."
    elif match == MatchKind.WORD and len(pattern.split()) > 1:
        errors["pattern"] = "A single word has no spaces; choose “phrase” for several words."
    if errors:
        raise ValidationError(errors, code="invalid")
    if WatchedWord.objects.filter(pattern__iexact=pattern, match=match).exists():
        raise ValidationError({"pattern": "This is already on the list."}, code="duplicate")
    try:
        with transaction.atomic():
            word = WatchedWord.objects.create(
                pattern=pattern,
                match=match,
                action=action,
                message=(message or "").strip()[:300],
                created_by=actor,
            )
    except IntegrityError as exc:
        raise ValidationError({"pattern": "This is already on the list."}, code="duplicate") from exc
    audit_record(
        actor=actor,
        action="moderation.watched_word.create",
        object_type="watched_word",
        object_id=word.pk,
        data={"pattern": pattern, "match": match, "action": action},
    )
    return word


@transaction.atomic
def watched_word_set_active(*, actor, word: WatchedWord, active: bool) -> bool:
    permissions.check_manage_watched_words(actor)
    word = WatchedWord.objects.select_for_update().get(pk=word.pk)
    if word.is_active == active:
        return False
    word.is_active = active
    word.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="moderation.watched_word." + ("enable" if active else "disable"),
        object_type="watched_word",
        object_id=word.pk,
        data={"pattern": word.pattern},
    )
    return True


# --- members' messages ---------------------------------------------------------------------------


@transaction.atomic
def messages_mark_read(*, user, now: datetime | None = None) -> int:
    return ModerationMessage.objects.filter(recipient=user, read_at__isnull=True).update(read_at=_now(now))


def audit_view(*, actor, what: str, object_type: str, object_id: Any, reason: str = "") -> None:
    """Record a staff view of sensitive data (a member's history, a reporter)."""
    audit_record(
        actor=actor,
        action=f"moderation.view.{what}",
        object_type=object_type,
        object_id=object_id,
        reason=reason,
    )


__all__ = [
    "AlreadyDone",
    "ClaimExpired",
    "ClaimRequired",
    "ClaimedByOther",
    "ItemClosed",
    "ModerationConflict",
    "PermissionDenied",
    "ValidationError",
]
