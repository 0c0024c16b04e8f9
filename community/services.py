"""Every state change in the forums.

Keyword-only arguments, one transaction each, permission checks inside (interfaces check too,
for a good error page). Bad input raises ``ValidationError`` (a dict keyed by field) and
changes nothing. State services (``post_hold``, ``post_publish``, ``post_hide``,
``post_remove``, ``post_restore``) are idempotent and return whether anything changed.

Side effects (live events, notification counts) are sent on commit through
``community.events.send_event_on_commit``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from community import hooks, permissions
from community.events import send_event_on_commit, thread_group, user_group
from community.markdown import render_markdown
from community.models import (
    MemberControl,
    MemberControlKind,
    MemberPreference,
    Notification,
    NotificationKind,
    Post,
    PostRevision,
    PostState,
    Reaction,
    ReactionKind,
    Space,
    Subscription,
    Thread,
    validate_site_link,
)

logger = logging.getLogger(__name__)

TITLE_MIN, TITLE_MAX = 5, 150
BODY_MIN, BODY_MAX = 1, 10_000


class RateLimited(ValidationError):
    """A new member is posting faster than the limits allow. Nothing was saved."""


class PostRefused(ValidationError):
    """A submission hook refused the text (a blocked watched word). Nothing was saved."""


class PostingNotAllowed(ValidationError):
    """The member may read and get help but not post right now (a suspension or a ban)."""


def posting_refusal(user) -> str | None:
    """Why ``user`` may not post right now (from the ``posting_check`` hook), or None."""
    return hooks.posting_check.first_answer(user=user)


def _check_can_post(user) -> None:
    refusal = posting_refusal(user)
    if refusal:
        raise PostingNotAllowed(refusal, code="posting_not_allowed")


# Settings (read on every call so tests can override them).


def new_member_days() -> int:
    return getattr(settings, "COMMUNITY_NEW_MEMBER_DAYS", 7)


def posts_per_minute_limit() -> int:
    return getattr(settings, "COMMUNITY_NEW_MEMBER_POSTS_PER_MINUTE", 5)


def threads_per_day_limit() -> int:
    return getattr(settings, "COMMUNITY_NEW_MEMBER_THREADS_PER_DAY", 3)


# Validation.


def clean_title(title: str) -> str:
    title = (title or "").replace("\x00", "").strip()
    if len(title) < TITLE_MIN:
        raise ValidationError(
            {"title": f"Please give your thread a title of at least {TITLE_MIN} characters."},
            code="too_short",
        )
    if len(title) > TITLE_MAX:
        raise ValidationError(
            {"title": f"Titles can be at most {TITLE_MAX} characters (this one has {len(title)})."},
            code="too_long",
        )
    return title


def clean_body(body: str) -> str:
    body = (body or "").replace("\x00", "").strip()
    if len(body) < BODY_MIN:
        raise ValidationError({"body": "Please write something before posting."}, code="empty")
    if len(body) > BODY_MAX:
        raise ValidationError(
            {"body": f"Posts can be at most {BODY_MAX:,} characters (this one has {len(body):,})."},
            code="too_long",
        )
    return body


def is_new_member(user) -> bool:
    return user.role == Role.MEMBER and user.date_joined > timezone.now() - timedelta(days=new_member_days())


def _check_rate_limits(*, author, creating_thread: bool) -> None:
    """Count recent posts in the database: works with any cache and across processes.

    The caller holds a row lock on the author, so two concurrent submissions cannot both pass.
    """
    if not is_new_member(author):
        return
    now = timezone.now()
    per_minute = posts_per_minute_limit()
    recent_posts = Post.objects.filter(author=author, created_at__gt=now - timedelta(minutes=1)).count()
    if recent_posts >= per_minute:
        raise RateLimited(
            f"You're posting very quickly: new members can post {per_minute} times a minute. "
            "Please wait a minute and try again; your text has not been lost from this page.",
            code="rate_limited",
        )
    if creating_thread:
        per_day = threads_per_day_limit()
        recent_threads = Thread.objects.filter(author=author, created_at__gt=now - timedelta(days=1)).count()
        if recent_threads >= per_day:
            raise RateLimited(
                f"New members can start {per_day} threads a day. You can still reply in existing "
                "threads, or try again tomorrow.",
                code="rate_limited",
            )


def _lock_user(user) -> None:
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


# Creating threads and posts.


@transaction.atomic
def thread_create(*, author, space: Space, title: str, body: str, skip_rate_limits: bool = False) -> Thread:
    """Start a thread. ``skip_rate_limits`` is for trusted imports (demo seeding) only."""
    permissions.check_create_thread(author, space)
    title = clean_title(title)
    body = clean_body(body)
    _check_can_post(author)
    _lock_user(author)
    if not skip_rate_limits:
        _check_rate_limits(author=author, creating_thread=True)
    now = timezone.now()
    thread = Thread.objects.create(
        space=space, author=author, title=title, created_at=now, last_activity_at=now
    )
    post = Post.objects.create(
        thread=thread,
        author=author,
        is_opening=True,
        body=body,
        body_html=render_markdown(body),
        created_at=now,
    )
    thread.opening_post = post
    thread.save(update_fields=["opening_post"])
    Subscription.objects.get_or_create(thread=thread, user=author)
    _submit(post=post, hook=hooks.post_submitted)
    thread.refresh_from_db()
    return thread


@transaction.atomic
def post_create(*, author, thread: Thread, body: str, skip_rate_limits: bool = False) -> Post:
    """Reply in a thread. ``skip_rate_limits`` is for trusted imports (demo seeding) only."""
    thread = Thread.objects.select_related("space", "opening_post").get(pk=thread.pk)
    permissions.check_reply_thread(author, thread)
    body = clean_body(body)
    _check_can_post(author)
    _lock_user(author)
    if not skip_rate_limits:
        _check_rate_limits(author=author, creating_thread=False)
    post = Post.objects.create(thread=thread, author=author, body=body, body_html=render_markdown(body))
    _submit(post=post, hook=hooks.post_submitted)
    return post


def _submit(*, post: Post, hook: hooks.Hook) -> None:
    """Run the hook before anyone else can see the post, then refuse, hold or announce it."""
    decision = hook.run(post=post)
    if decision.should_refuse:
        # Raised inside the caller's transaction: the thread, the post and everything the
        # receivers wrote are rolled back; the view keeps the text in the form.
        raise PostRefused(decision.refusal_message, code="refused")
    space = post.thread.space
    if space.premoderate_new_members and is_new_member(post.author) and hook is hooks.post_submitted:
        decision.hold(reason="premoderation:new-member")
    post.refresh_from_db()
    if decision.should_hold:
        post_hold(
            post=post,
            actor=None,
            reason=decision.reason,
            author_notice=decision.author_notice,
            announce_withdrawal=False,
        )
        post.refresh_from_db()
    if post.state == PostState.PUBLISHED:
        _announce_visible(post=post, event="post.created")


def _announce_visible(*, post: Post, event: str) -> None:
    """A post just became visible to others: counters, notifications, live events."""
    thread = post.thread
    thread_refresh_counters(thread_id=thread.pk)
    if post.is_opening:
        return
    blocked_by = MemberControl.objects.filter(target_id=post.author_id, kind=MemberControlKind.BLOCK).values(
        "owner_id"
    )
    recipients = list(
        Subscription.objects.filter(thread=thread)
        .exclude(user_id=post.author_id)
        .exclude(user_id__in=blocked_by)
        .values_list("user_id", flat=True)
    )
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=uid,
                actor_id=post.author_id,
                kind=NotificationKind.REPLY,
                thread=thread,
                post=post,
            )
            for uid in recipients
        ],
        ignore_conflicts=True,
    )
    send_event_on_commit(event, {"thread_id": thread.pk, "post_id": post.pk}, [thread_group(thread.pk)])
    _announce_unread_counts(user_ids=recipients)


def _announce_unread_counts(*, user_ids: list[int]) -> None:
    if not user_ids:
        return
    from community.selectors import notifications_unread_counts

    counts = notifications_unread_counts(user_ids=user_ids)
    for uid in user_ids:
        send_event_on_commit("notifications.changed", {"unread_count": counts.get(uid, 0)}, [user_group(uid)])


@transaction.atomic
def thread_refresh_counters(*, thread_id: int) -> None:
    """Recompute the denormalised counters from the posts (one locked row, one aggregate)."""
    thread = Thread.objects.select_for_update().get(pk=thread_id)
    published = Q(posts__state=PostState.PUBLISHED)
    reply = published & Q(posts__is_opening=False)
    stats = Thread.objects.filter(pk=thread_id).aggregate(
        reply_count=Count("posts", filter=reply),
        last_activity_at=Max("posts__created_at", filter=published),
        first_response_at=Min("posts__created_at", filter=reply & ~Q(posts__author_id=thread.author_id)),
    )
    thread.reply_count = stats["reply_count"]
    thread.last_activity_at = stats["last_activity_at"] or thread.created_at
    thread.first_response_at = stats["first_response_at"]
    thread.save(update_fields=["reply_count", "last_activity_at", "first_response_at"])


# Editing.


@transaction.atomic
def post_edit(*, actor, post: Post, body: str, title: str | None = None) -> Post:
    post = Post.objects.select_for_update().select_related("thread__space").get(pk=post.pk)
    permissions.check_edit_post(actor, post)
    body = clean_body(body)
    if actor.pk == post.author_id:
        _check_can_post(actor)
    thread = post.thread
    new_title = clean_title(title) if (title is not None and post.is_opening) else thread.title
    if body == post.body and new_title == thread.title:
        return post
    PostRevision.objects.create(
        post=post,
        body=post.body,
        body_html=post.body_html,
        title=thread.title if new_title != thread.title else "",
        editor=actor,
    )
    post.body = body
    post.body_html = render_markdown(body)
    post.edited_at = timezone.now()
    # An edit is new text: it needs screening again.
    post.screened_at = None
    post.save(update_fields=["body", "body_html", "edited_at", "screened_at"])
    if new_title != thread.title:
        thread.title = new_title
        thread.save(update_fields=["title"])
    was_published = post.state == PostState.PUBLISHED
    decision = hooks.post_edited.run(post=post)
    if decision.should_refuse:
        raise PostRefused(decision.refusal_message, code="refused")  # the edit is rolled back
    post.refresh_from_db()
    if decision.should_hold:
        post_hold(post=post, actor=None, reason=decision.reason, author_notice=decision.author_notice)
        post.refresh_from_db()
    if was_published and post.state == PostState.PUBLISHED:
        send_event_on_commit(
            "post.edited", {"thread_id": thread.pk, "post_id": post.pk}, [thread_group(thread.pk)]
        )
    return post


# Post states. Each is idempotent and returns whether anything changed.


def _set_state(post: Post, *, state: str, actor, **fields) -> None:
    post.state = state
    post.state_changed_at = timezone.now()
    post.state_changed_by = actor
    for name, value in fields.items():
        setattr(post, name, value)
    post.save(update_fields=["state", "state_changed_at", "state_changed_by", *fields])


def _locked(post: Post) -> Post:
    return Post.objects.select_for_update().select_related("thread__space").get(pk=post.pk)


@transaction.atomic
def post_hold(
    *, post: Post, actor=None, reason: str = "", author_notice: str = "", announce_withdrawal: bool = True
) -> bool:
    """Hold a published post for review (actor None = the system, e.g. triage).

    Pages that already show the post get a ``post.withdrawn`` event; ``announce_withdrawal=False``
    is for a post being held during its own submission, which nobody has seen yet.
    """
    post = _locked(post)
    if actor is not None:
        permissions.check_moderate_post(actor, post)
    if post.state == PostState.HELD:
        if author_notice and not post.author_notice:
            post.author_notice = author_notice
            post.save(update_fields=["author_notice"])
        return False
    if post.state != PostState.PUBLISHED:
        return False
    _set_state(post, state=PostState.HELD, actor=actor, hold_reason=reason[:200], author_notice=author_notice)
    thread_refresh_counters(thread_id=post.thread_id)
    if announce_withdrawal:
        send_event_on_commit(
            "post.withdrawn",
            {"thread_id": post.thread_id, "post_id": post.pk},
            [thread_group(post.thread_id)],
        )
    return True


@transaction.atomic
def post_publish(*, post: Post, actor=None) -> bool:
    """Release a held post after review (actor None = the system)."""
    post = _locked(post)
    if actor is not None:
        permissions.check_moderate_post(actor, post)
    if post.state != PostState.HELD:
        return False
    _set_state(post, state=PostState.PUBLISHED, actor=actor, author_notice="")
    _announce_visible(post=post, event="post.published")
    return True


@transaction.atomic
def post_hide(*, post: Post, actor, reason: str) -> bool:
    post = _locked(post)
    permissions.check_moderate_post(actor, post)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Please say why the post is hidden; the author will see it."})
    if post.state == PostState.HIDDEN:
        return False
    was_published = post.state == PostState.PUBLISHED
    _set_state(post, state=PostState.HIDDEN, actor=actor, hidden_reason=reason[:500])
    if was_published:
        thread_refresh_counters(thread_id=post.thread_id)
        send_event_on_commit(
            "post.withdrawn",
            {"thread_id": post.thread_id, "post_id": post.pk},
            [thread_group(post.thread_id)],
        )
    return True


@transaction.atomic
def post_redact(*, post: Post, actor, body: str, now=None) -> PostRevision:
    """Staff replace a post's text (removing identifying details). The original is kept as a
    revision (staff see the edit history); the post's state and screening are unchanged: a
    guide has read it. Returns the revision holding the original text."""
    post = _locked(post)
    permissions.check_moderate_post(actor, post)
    body = clean_body(body)
    if body == post.body:
        raise ValidationError({"body": "The redacted text is the same as the original; nothing was removed."})
    now = now or timezone.now()
    revision = PostRevision.objects.create(
        post=post, body=post.body, body_html=post.body_html, editor=actor, created_at=now
    )
    post.body = body
    post.body_html = render_markdown(body)
    post.edited_at = now
    post.save(update_fields=["body", "body_html", "edited_at"])
    if post.state == PostState.PUBLISHED:
        send_event_on_commit(
            "post.edited", {"thread_id": post.thread_id, "post_id": post.pk}, [thread_group(post.thread_id)]
        )
    return revision


@transaction.atomic
def post_remove(*, post: Post, actor) -> bool:
    """The author deletes their post: it becomes ``removed`` and is kept."""
    post = _locked(post)
    permissions.check_remove_post(actor, post)
    if post.state == PostState.REMOVED:
        return False
    was_published = post.state == PostState.PUBLISHED
    _set_state(post, state=PostState.REMOVED, actor=actor)
    if was_published:
        thread_refresh_counters(thread_id=post.thread_id)
        send_event_on_commit(
            "post.withdrawn",
            {"thread_id": post.thread_id, "post_id": post.pk},
            [thread_group(post.thread_id)],
        )
    return True


@transaction.atomic
def post_restore(*, post: Post, actor) -> bool:
    """Staff put a hidden or removed post back into public view."""
    post = _locked(post)
    permissions.check_moderate_post(actor, post)
    if post.state not in (PostState.HIDDEN, PostState.REMOVED):
        return False
    _set_state(post, state=PostState.PUBLISHED, actor=actor, hidden_reason="")
    _announce_visible(post=post, event="post.published")
    return True


@transaction.atomic
def post_mark_screened(*, post: Post, level: str | None) -> bool:
    """Record that risk triage has screened the post's current text."""
    post = _locked(post)
    if post.screened_at is not None and post.screening_level == level:
        return False
    post.screened_at = timezone.now()
    post.screening_level = level
    post.save(update_fields=["screened_at", "screening_level"])
    return True


# Reactions.


@transaction.atomic
def reaction_add(*, user, post: Post, kind: str) -> Reaction:
    if kind not in ReactionKind.values:
        raise ValidationError({"kind": "Unknown reaction."}, code="invalid")
    post = Post.objects.select_related("thread__space", "thread__opening_post").get(pk=post.pk)
    permissions.check_react_post(user, post)
    if Reaction.objects.filter(post=post, user=user, kind=kind).exists():
        raise ValidationError(
            {"kind": f"You've already reacted with “{ReactionKind(kind).label}” to this post."},
            code="duplicate",
        )
    try:
        with transaction.atomic():
            reaction = Reaction.objects.create(post=post, user=user, kind=kind)
    except IntegrityError as exc:
        raise ValidationError(
            {"kind": f"You've already reacted with “{ReactionKind(kind).label}” to this post."},
            code="duplicate",
        ) from exc
    blocked = MemberControl.objects.filter(owner_id=post.author_id, target=user, kind=MemberControlKind.BLOCK)
    if not blocked.exists():
        created = Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=post.author_id,
                    actor=user,
                    kind=NotificationKind.REACTION,
                    thread_id=post.thread_id,
                    post=post,
                    reaction_kind=kind,
                )
            ],
            ignore_conflicts=True,
        )
        if created:
            _announce_unread_counts(user_ids=[post.author_id])
    return reaction


@transaction.atomic
def reaction_remove(*, user, post: Post, kind: str) -> bool:
    deleted, _ = Reaction.objects.filter(post=post, user=user, kind=kind).delete()
    return bool(deleted)


# Following threads.


@transaction.atomic
def subscription_follow(*, user, thread: Thread) -> bool:
    permissions.check_view_thread(user, thread)
    _, created = Subscription.objects.get_or_create(thread=thread, user=user)
    return created


@transaction.atomic
def subscription_unfollow(*, user, thread: Thread) -> bool:
    deleted, _ = Subscription.objects.filter(thread=thread, user=user).delete()
    return bool(deleted)


# Notifications.


@transaction.atomic
def notifications_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Mark the given (or all) unread notifications of ``user`` read; return how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    changed = qs.update(read_at=timezone.now())
    if changed:
        _announce_unread_counts(user_ids=[user.pk])
    return changed


@transaction.atomic
def notification_create_reminder(*, recipient, link: str, now=None) -> Notification:
    """Put a check-in reminder in ``recipient``'s notifications, linking to ``link`` (a path on
    this site). No actor, thread or post. Not idempotent: the caller decides when one is due."""
    validate_site_link(link)
    notification = Notification.objects.create(
        recipient=recipient,
        kind=NotificationKind.CHECKIN_REMINDER,
        link=link,
        created_at=now or timezone.now(),
    )
    _announce_unread_counts(user_ids=[recipient.pk])
    return notification


# Member controls.


@transaction.atomic
def member_control_set(*, owner, target, kind: str, enabled: bool) -> bool:
    """Mute/block (``enabled=True``) or undo it. Returns whether anything changed."""
    if kind not in MemberControlKind.values:
        raise ValidationError({"kind": "Unknown action."})
    if enabled:
        permissions.check_control_member(owner, target)
        _, created = MemberControl.objects.get_or_create(owner=owner, target=target, kind=kind)
        return created
    deleted, _ = MemberControl.objects.filter(owner=owner, target=target, kind=kind).delete()
    return bool(deleted)


# Preferences and the email digest.


@transaction.atomic
def preference_update(*, user, email_digest: bool) -> MemberPreference:
    pref, _ = MemberPreference.objects.select_for_update().get_or_create(user=user)
    if pref.email_digest != email_digest:
        pref.email_digest = email_digest
        pref.save(update_fields=["email_digest"])
    return pref


def _site_url() -> str:
    return getattr(settings, "KINDRED_SITE_URL", "http://localhost:8000").rstrip("/")


@transaction.atomic
def digest_send(*, user_id: int) -> bool:
    """Email one member a summary of unread notifications not yet emailed. Idempotent.

    The email holds counts and a link only: no post text, no thread titles, no pseudonyms,
    because an inbox is not a private place and held/hidden content must never leak.
    """
    from community.selectors import notifications_for

    pref = MemberPreference.objects.select_for_update().select_related("user").filter(user_id=user_id).first()
    if pref is None or not pref.email_digest or not pref.user.is_active:
        return False
    user = pref.user
    pending = notifications_for(user).filter(read_at__isnull=True, emailed_at__isnull=True)
    counts = dict(pending.order_by().values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    if not counts:
        return False
    replies, reactions = counts.get(NotificationKind.REPLY, 0), counts.get(NotificationKind.REACTION, 0)
    lines = [f"Hello {user.pseudonym},", ""]
    if replies:
        lines.append(f"- {replies} new {'reply' if replies == 1 else 'replies'} in threads you follow")
    if reactions:
        lines.append(f"- {reactions} {'person' if reactions == 1 else 'people'} reacted to your posts")
    if counts.get(NotificationKind.CHECKIN_REMINDER):
        lines.append("- an invitation to a check-in, whenever you're ready")
    lines += [
        "",
        f"Read them here: {_site_url()}{reverse('community:notifications')}",
        "",
        "You can turn these emails off in your forum preferences.",
        "Kindred is not an emergency service. If you need help now, see " + f"{_site_url()}/help/",
    ]
    now = timezone.now()
    Notification.objects.filter(pk__in=list(pending.values_list("pk", flat=True))).update(emailed_at=now)
    pref.last_digest_at = now
    pref.save(update_fields=["last_digest_at"])
    # Sent inside the transaction on purpose: if the mail server fails, the marks roll back and
    # the next run tries again (a rare duplicate digest is better than a lost one).
    send_mail("Your Kindred notifications", "\n".join(lines), None, [user.email], fail_silently=False)
    return True


def digests_send_all() -> int:
    sent = 0
    for user_id in MemberPreference.objects.filter(email_digest=True).values_list("user_id", flat=True):
        try:
            sent += digest_send(user_id=user_id)
        except Exception:
            logger.exception("Digest for user %s failed", user_id)
    return sent


__all__ = [
    "PermissionDenied",
    "PostRefused",
    "PostingNotAllowed",
    "RateLimited",
    "ValidationError",
    "digest_send",
    "digests_send_all",
    "member_control_set",
    "notification_create_reminder",
    "notifications_mark_read",
    "post_create",
    "post_edit",
    "post_hide",
    "post_hold",
    "post_mark_screened",
    "post_publish",
    "post_redact",
    "post_remove",
    "post_restore",
    "posting_refusal",
    "preference_update",
    "reaction_add",
    "reaction_remove",
    "subscription_follow",
    "subscription_unfollow",
    "thread_create",
]
