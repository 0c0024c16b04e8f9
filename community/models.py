"""Spaces, threads, posts and the quiet ways members support each other.

State changes happen only in ``community.services``; reads go through ``community.selectors``.
Nothing a member writes is destroyed: a post the author deletes becomes ``removed``, a post
staff take down becomes ``hidden``, and every edit keeps the previous text in a PostRevision.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Space(models.Model):
    """A forum area, e.g. "Anxiety". Optionally restricted to one organisation's members."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    house_rules = models.TextField(
        blank=True, help_text="Shown above the thread list and the new-thread form."
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="spaces",
        help_text="If set, only this organisation's members (and staff) can see the space.",
    )
    premoderate_new_members = models.BooleanField(
        default=False,
        help_text="Reserved for moderation: hold posts by new members for review before they appear.",
    )
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "name", "id"]

    def __str__(self) -> str:
        return self.name


class PostState(models.TextChoices):
    PUBLISHED = "published", "Published"
    HELD = "held", "Held for review"
    HIDDEN = "hidden", "Hidden by staff"
    REMOVED = "removed", "Removed by the author"


class Thread(models.Model):
    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="threads")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads")
    title = models.CharField(max_length=150)
    opening_post = models.OneToOneField(
        "community.Post",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opened_thread",
        help_text="Set in the same transaction that creates the thread.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Denormalised by services (see services._thread_refresh_counters); published replies only.
    reply_count = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Time of the first published reply by someone other than the thread's author.",
    )

    class Meta:
        indexes = [
            models.Index(fields=["space", "last_activity_at", "id"], name="thread_space_activity"),
            models.Index(fields=["author", "created_at", "id"], name="thread_author_created"),
            models.Index(
                fields=["created_at", "id"],
                condition=Q(first_response_at__isnull=True),
                name="thread_unanswered",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Post(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts")
    is_opening = models.BooleanField(default=False)
    body = models.TextField(help_text="Markdown source as the author wrote it.")
    body_html = models.TextField(help_text="Rendered and sanitised; never edit by hand.")
    state = models.CharField(max_length=16, choices=PostState.choices, default=PostState.PUBLISHED)
    hold_reason = models.CharField(max_length=200, blank=True, help_text="For staff: why it was held.")
    author_notice = models.TextField(
        blank=True,
        help_text="Shown to the author while the post is held, e.g. crisis resources.",
    )
    hidden_reason = models.CharField(max_length=500, blank=True, help_text="Shown to the author.")
    state_changed_at = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    screened_at = models.DateTimeField(null=True, blank=True, help_text="When risk triage screened it.")
    screening_level = models.CharField(max_length=16, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(state__in=PostState.values), name="post_state_valid"),
        ]
        indexes = [
            # The thread page: a thread's posts in keyset order, for every viewer. Its filter
            # (published, or the viewer's own) is an OR the index cannot hold, so the order has
            # to come from the index and the filter is checked row by row until the page is full:
            # a page costs ~31 rows however long the thread. (It replaces an index on
            # (thread, state, created_at, id), which that OR could not use for ordering, so a
            # 6,582-post thread was read and sorted in full for every page.)
            models.Index(fields=["thread", "created_at", "id"], name="post_thread_created"),
            models.Index(fields=["author", "created_at", "id"], name="post_author_created"),
            models.Index(fields=["state", "created_at"], name="post_state_created"),
            models.Index(
                fields=["created_at"], condition=Q(screened_at__isnull=True), name="post_unscreened"
            ),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} in thread {self.thread_id}"

    @property
    def is_published(self) -> bool:
        return self.state == PostState.PUBLISHED

    @property
    def is_held(self) -> bool:
        return self.state == PostState.HELD

    @property
    def is_hidden(self) -> bool:
        return self.state == PostState.HIDDEN

    @property
    def is_removed(self) -> bool:
        return self.state == PostState.REMOVED


class PostRevision(models.Model):
    """The text a post had before an edit. Visible to staff only."""

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="revisions")
    body = models.TextField()
    body_html = models.TextField()
    title = models.CharField(max_length=150, blank=True, help_text="Previous thread title, if it changed.")
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["post", "created_at", "id"], name="revision_post_created")]

    def __str__(self) -> str:
        return f"Revision of post {self.post_id} at {self.created_at:%Y-%m-%d %H:%M}"


class ReactionKind(models.TextChoices):
    SUPPORT = "support", "Sending support"
    ME_TOO = "me_too", "Me too"
    THANK_YOU = "thank_you", "Thank you"


class Reaction(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions")
    kind = models.CharField(max_length=16, choices=ReactionKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user", "kind"], name="reaction_once_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=ReactionKind.values), name="reaction_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on post {self.post_id}"


class Subscription(models.Model):
    """The user follows a thread: replies in it notify them."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="subscriptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="subscription_once")]
        indexes = [models.Index(fields=["user", "created_at"], name="subscription_user")]

    def __str__(self) -> str:
        return f"user {self.user_id} follows thread {self.thread_id}"


class NotificationKind(models.TextChoices):
    REPLY = "reply", "Reply in a thread you follow"
    REACTION = "reaction", "Reaction to your post"
    CHECKIN_REMINDER = "checkin_reminder", "Invitation to a check-in"


# About something someone wrote: an actor, a thread and a post, never a link.
FORUM_NOTIFICATION_KINDS = (NotificationKind.REPLY, NotificationKind.REACTION)
# From Kindred itself (no actor, thread or post): a link to a page on this site.
SYSTEM_NOTIFICATION_KINDS = (NotificationKind.CHECKIN_REMINDER,)


def validate_site_link(value: str) -> None:
    """A path on this site ("/checkins/"), never another site ("//evil.example", "https://...")."""
    if (
        not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(c.isspace() for c in value)
    ):
        raise ValidationError("A link must be a path on this site, starting with a single '/'.", code="link")


class Notification(models.Model):
    """In-app notification. Carries ids only; pages render titles through visibility checks.

    Replies and reactions point at an actor, a thread and a post; Kindred's own notifications
    (a check-in reminder) have none of those and carry a ``link`` to a page on this site instead.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    reaction_kind = models.CharField(max_length=16, choices=ReactionKind.choices, blank=True)
    link = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_site_link],
        help_text="For Kindred's own notifications: a path on this site, e.g. /checkins/.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True, help_text="Included in an email digest.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "post", "actor"], name="notification_once"),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notification_kind_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=FORUM_NOTIFICATION_KINDS,
                        actor__isnull=False,
                        thread__isnull=False,
                        post__isnull=False,
                        link="",
                    )
                    | Q(
                        kind__in=SYSTEM_NOTIFICATION_KINDS,
                        actor__isnull=True,
                        thread__isnull=True,
                        post__isnull=True,
                        link__startswith="/",
                    )
                ),
                name="notification_forum_or_system",
            ),
            models.CheckConstraint(
                condition=~Q(link__startswith="//"), name="notification_link_not_another_site"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "created_at", "id"], name="notification_recipient"),
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        about = f"link {self.link}" if self.is_system else f"post {self.post_id}"
        return f"{self.kind} for user {self.recipient_id} ({about})"

    @property
    def is_system(self) -> bool:
        return self.kind in SYSTEM_NOTIFICATION_KINDS


class MemberPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_preference"
    )
    email_digest = models.BooleanField(
        default=False, help_text="Email a summary of unread notifications (never post text)."
    )
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Forum preferences of user {self.user_id}"


class MemberControlKind(models.TextChoices):
    MUTE = "mute", "Muted (their posts are collapsed for me)"
    BLOCK = "block", "Blocked (no notifications from them)"


class MemberControl(models.Model):
    """One member muting or blocking another. Private to the owner."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_controls"
    )
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=MemberControlKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "target", "kind"], name="member_control_once"),
            models.CheckConstraint(condition=~Q(owner=models.F("target")), name="member_control_not_self"),
            models.CheckConstraint(
                condition=Q(kind__in=MemberControlKind.values), name="member_control_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"user {self.owner_id} {self.kind}s user {self.target_id}"
