"""Flags, the review queue, what guides did, sanctions, watched words and the audit log.

State changes happen only in ``moderation.services``; reads go through ``moderation.selectors``.
Nothing a member wrote is destroyed here either: a redaction keeps the original text, a hidden
post stays in the database, and the audit log refuses UPDATE and DELETE on PostgreSQL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone


class FlagReason(models.TextChoices):
    RISK_TO_AUTHOR = "risk_to_author", "The author may be at risk"
    RISK_TO_OTHERS = "risk_to_others", "Someone else may be at risk"
    ABUSIVE = "abusive", "Abusive or unkind"
    IDENTIFYING_INFO = "identifying_info", "Shares identifying information"
    SPAM = "spam", "Spam or advertising"
    OTHER = "other", "Something else"


#: Flags for these reasons put the item at the "flagged risk" priority.
RISK_FLAG_REASONS = frozenset({FlagReason.RISK_TO_AUTHOR, FlagReason.RISK_TO_OTHERS})


class Flag(models.Model):
    """A member reporting a post. The reporter is never shown to the author or other members."""

    post = models.ForeignKey("community.Post", on_delete=models.PROTECT, related_name="flags")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="flags_made"
    )
    reason = models.CharField(max_length=20, choices=FlagReason.choices)
    note = models.CharField(max_length=500, blank=True)
    review_item = models.ForeignKey(
        "moderation.ReviewItem", null=True, blank=True, on_delete=models.PROTECT, related_name="flags"
    )
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a guide closed the review; the reporter sees only that."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"],
                condition=Q(reviewed_at__isnull=True),
                name="flag_open_once_per_reporter",
            ),
            models.CheckConstraint(condition=Q(reason__in=FlagReason.values), name="flag_reason_valid"),
        ]
        indexes = [
            models.Index(fields=["post"], condition=Q(reviewed_at__isnull=True), name="flag_open_post"),
            models.Index(fields=["reporter", "created_at"], name="flag_reporter_created"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} flag on post {self.post_id}"


class Priority(models.IntegerChoices):
    """Lower sorts first."""

    IMMINENT = 0, "Imminent risk"
    HIGH = 1, "High risk"
    FLAGGED_RISK = 2, "Flagged risk"
    MODERATE = 3, "Moderate risk"
    OTHER = 4, "Other"


PRIORITY_KEYS = {
    Priority.IMMINENT: "imminent",
    Priority.HIGH: "high",
    Priority.FLAGGED_RISK: "flagged_risk",
    Priority.MODERATE: "moderate",
    Priority.OTHER: "other",
}


class ReasonSource(models.TextChoices):
    RISK_ASSESSMENT = "risk_assessment", "Risk assessment"
    FLAG = "flag", "Member flag"
    FLAG_THRESHOLD = "flag_threshold", "Flagged by several members (hidden until reviewed)"
    WATCHED_WORD = "watched_word", "Watched word"
    IDENTIFYING_INFO = "identifying_info", "Identifying information"
    PREMODERATION = "premoderation", "New member's post (pre-moderation)"
    NO_GUIDE_ON_SHIFT = "no_guide_on_shift", "New member's post while no guide was on shift"
    TRIAGE_DEGRADED = "triage_degraded", "Held while risk triage was degraded"
    SANCTIONED_AUTHOR = "sanctioned_author", "Written by a suspended or banned member"
    MEMBER_CONCERN = "member_concern", "A concern outside the forums (e.g. a self-assessment)"
    OTHER = "other", "Other"


class ItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Resolution(models.TextChoices):
    APPROVED = "approved", "Approved"
    REDACTED = "approved_redacted", "Approved with redaction"
    HIDDEN = "hidden", "Hidden"
    ESCALATED = "escalated", "Escalated to a clinician"
    DISMISSED = "dismissed", "Flags dismissed"
    RESTORED = "restored", "Restored"
    WITHDRAWN = "withdrawn", "Removed by its author"
    REVIEWED = "reviewed", "Reviewed (a concern, no post)"


class ReviewItem(models.Model):
    """A post (or a member concern that is not a post, such as a self-assessment answer) waiting
    for a guide, with every reason it is here. One open item per post, one per concern."""

    post = models.ForeignKey(
        "community.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="review_items"
    )
    concern = models.ForeignKey(
        "escalation.MemberConcern",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_items",
    )
    status = models.CharField(max_length=8, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.OTHER)
    reasons = models.JSONField(default=list, help_text='[{"source", "at", "detail": {...}}, ...]')
    due_at = models.DateTimeField(help_text="Time to first action, from the priority's SLA.")
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    first_action_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post"], condition=Q(status="open"), name="review_item_one_open_per_post"
            ),
            models.UniqueConstraint(
                fields=["concern"], condition=Q(status="open"), name="review_item_one_open_per_concern"
            ),
            models.CheckConstraint(
                condition=(Q(post__isnull=False) & Q(concern__isnull=True))
                | (Q(post__isnull=True) & Q(concern__isnull=False)),
                name="review_item_post_xor_concern",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ItemStatus.values), name="review_item_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="review_item_priority_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status="open") & Q(closed_at__isnull=True) & Q(resolution=""))
                | (Q(status="closed") & Q(closed_at__isnull=False) & ~Q(resolution="")),
                name="review_item_closed_iff_resolved",
            ),
            models.CheckConstraint(
                condition=Q(claimed_by__isnull=True) | Q(claim_expires_at__isnull=False),
                name="review_item_claim_has_expiry",
            ),
        ]
        indexes = [
            models.Index(
                fields=["priority", "created_at", "id"], condition=Q(status="open"), name="review_item_queue"
            ),
            models.Index(fields=["closed_at"], condition=Q(status="closed"), name="review_item_closed"),
            models.Index(fields=["due_at"], condition=Q(status="open"), name="review_item_due"),
        ]

    def __str__(self) -> str:
        subject = f"post {self.post_id}" if self.post_id else f"concern {self.concern_id}"
        return f"Review item {self.pk} for {subject} ({self.status})"

    @property
    def is_concern(self) -> bool:
        return self.post_id is None

    @property
    def member(self):
        """Whose post or concern this is (needs ``post__author`` / ``concern__member`` loaded)."""
        return self.concern.member if self.post_id is None else self.post.author

    @property
    def member_id(self) -> int:
        return self.concern.member_id if self.post_id is None else self.post.author_id

    @property
    def is_open(self) -> bool:
        return self.status == ItemStatus.OPEN

    @property
    def priority_key(self) -> str:
        return PRIORITY_KEYS[Priority(self.priority)]

    def is_past_due(self, now=None) -> bool:
        now = now or timezone.now()
        if self.status == ItemStatus.OPEN:
            return self.first_action_at is None and self.due_at < now
        return (self.first_action_at or self.closed_at) > self.due_at

    def claim_active(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.claimed_by_id is not None
            and self.claim_expires_at is not None
            and self.claim_expires_at > now
        )

    @property
    def sources(self) -> list[str]:
        return sorted({reason.get("source", "") for reason in self.reasons or []})


class ActionKind(models.TextChoices):
    CLAIM = "claim", "Claimed"
    RELEASE = "release", "Released"
    APPROVE = "approve", "Approved"
    REDACT = "redact", "Approved with redaction"
    HIDE = "hide", "Hidden"
    ESCALATE = "escalate", "Escalated to a clinician"
    DISMISS = "dismiss", "Flags dismissed"
    RESTORE = "restore", "Restored"
    WARN = "warn", "Warned"
    SUSPEND = "suspend", "Suspended"
    BAN = "ban", "Banned"
    LIFT = "lift", "Sanction lifted"
    NOTE = "note", "Staff note"
    AUTO_HOLD = "auto_hold", "Held automatically"


class ModerationAction(models.Model):
    """What a guide (or the system) did, for the item's history and the member's standing."""

    kind = models.CharField(max_length=16, choices=ActionKind.choices)
    item = models.ForeignKey(
        ReviewItem, null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    post = models.ForeignKey(
        "community.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="moderation_history",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(
        max_length=30, blank=True, help_text="Pseudonym at the time; blank = the system."
    )
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ActionKind.values), name="moderation_action_kind_valid"
            )
        ]
        indexes = [
            models.Index(fields=["item", "created_at"], name="moderation_action_item"),
            models.Index(fields=["member", "created_at"], name="moderation_action_member"),
            models.Index(fields=["actor", "created_at"], name="moderation_action_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor_name or 'system'}"


class SanctionKind(models.TextChoices):
    WARNING = "warning", "Warning"
    SUSPENSION = "suspension", "Suspension"
    BAN = "ban", "Ban"


class Sanction(models.Model):
    """A warning, a suspension for a period (read-only), or a ban. Lifting keeps the row."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sanctions")
    kind = models.CharField(max_length=12, choices=SanctionKind.choices)
    reason = models.TextField()
    item = models.ForeignKey(
        ReviewItem, null=True, blank=True, on_delete=models.PROTECT, related_name="sanctions"
    )
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Suspensions only.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SanctionKind.values), name="sanction_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind="suspension") & Q(ends_at__gt=F("starts_at")))
                | (~Q(kind="suspension") & Q(ends_at__isnull=True)),
                name="sanction_period_only_for_suspensions",
            ),
        ]
        indexes = [models.Index(fields=["member", "kind", "created_at"], name="sanction_member_kind")]

    def __str__(self) -> str:
        return f"{self.kind} of user {self.member_id}"

    def is_in_force(self, now=None) -> bool:
        now = now or timezone.now()
        if self.lifted_at is not None or self.kind == SanctionKind.WARNING:
            return False
        if self.kind == SanctionKind.BAN:
            return self.starts_at <= now
        return self.starts_at <= now < self.ends_at


class StaffNote(models.Model):
    """A private note about a member, for staff only. Append-only."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_name = models.CharField(max_length=30)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "created_at"], name="staff_note_member")]

    def __str__(self) -> str:
        return f"Note on user {self.member_id} by {self.author_name}"


class MatchKind(models.TextChoices):
    WORD = "word", "Whole word"
    PHRASE = "phrase", "Phrase"
    REGEX = "regex", "Regular expression"


class WatchedAction(models.TextChoices):
    BLOCK = "block", "Block (refuse the post with a message)"
    HOLD = "hold", "Hold for review"
    FLAG = "flag", "Flag for review (stays visible)"
    CENSOR = "censor", "Censor (hide the word when shown)"


class WatchedWord(models.Model):
    """A staff-managed word, phrase or regular expression, and what to do when a post matches."""

    pattern = models.CharField(max_length=300)
    match = models.CharField(max_length=8, choices=MatchKind.choices, default=MatchKind.WORD)
    action = models.CharField(max_length=8, choices=WatchedAction.choices)
    message = models.CharField(
        max_length=300, blank=True, help_text="Block only: shown to the member (a default is used if blank)."
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["action", "pattern"]
        constraints = [
            models.UniqueConstraint(Lower("pattern"), "match", name="watched_word_unique_pattern"),
            models.CheckConstraint(condition=Q(match__in=MatchKind.values), name="watched_word_match_valid"),
            models.CheckConstraint(
                condition=Q(action__in=WatchedAction.values), name="watched_word_action_valid"
            ),
            models.CheckConstraint(condition=~Q(pattern=""), name="watched_word_pattern_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.match} {self.pattern!r} -> {self.action}"


class Redaction(models.Model):
    """The original text of a post a guide redacted before approving it. Kept for audit."""

    post = models.ForeignKey("community.Post", on_delete=models.PROTECT, related_name="redactions")
    item = models.ForeignKey(
        ReviewItem, null=True, blank=True, on_delete=models.PROTECT, related_name="redactions"
    )
    original_body = models.TextField()
    redacted_body = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Redaction of post {self.post_id}"


class MessageKind(models.TextChoices):
    POST_HIDDEN = "post_hidden", "Your post was hidden"
    POST_REDACTED = "post_redacted", "Your post was edited by a guide"
    POST_RESTORED = "post_restored", "Your post is visible again"
    WARNING = "warning", "A warning from the guides"
    SUSPENSION = "suspension", "Your account is read-only for a while"
    BAN = "ban", "Your account can no longer post"
    SANCTION_LIFTED = "sanction_lifted", "You can post again"
    FLAG_REVIEWED = "flag_reviewed", "A guide has reviewed a post you reported"


class ModerationMessage(models.Model):
    """What the guides tell a member about their content or their account (in-app)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="moderation_messages"
    )
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    post = models.ForeignKey(
        "community.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MessageKind.values), name="moderation_message_kind_valid"
            )
        ]
        indexes = [models.Index(fields=["recipient", "created_at"], name="moderation_message_recipient")]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.recipient_id}"


class AuditEntry(models.Model):
    """Who did what to which object, why and when. Append-only (a trigger on PostgreSQL)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=30, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=64, help_text='e.g. "moderation.post.hide"')
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["object_type", "object_id", "created_at"], name="audit_object"),
            models.Index(fields=["actor", "created_at"], name="audit_actor"),
            models.Index(fields=["action", "created_at"], name="audit_action"),
            models.Index(fields=["created_at", "id"], name="audit_created"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.object_type}:{self.object_id} by {self.actor_name or 'system'}"
