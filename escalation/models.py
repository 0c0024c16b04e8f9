"""Risk assessments, crisis cases, the on-duty rota, alerts and their deliveries.

State changes happen only in ``escalation.services`` (and ``escalation.alerts`` for delivery);
reads go through ``escalation.selectors``. Timers live here as database state
(``CrisisCase.next_action_at``, ``DeliveryAttempt.next_attempt_at``) so a restart of any
process loses nothing: the beat sweepers pick up whatever is due.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class RiskLevel(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    IMMINENT = "imminent", "Imminent"


LEVEL_RANK = {level: rank for rank, level in enumerate(RiskLevel.values)}
#: Held from other members at once, in the request that submits the post.
HOLD_LEVELS = frozenset({RiskLevel.HIGH, RiskLevel.IMMINENT})
#: Handed to the review queue (moderation) through the ``risk_assessed`` hook.
REVIEW_LEVELS = frozenset({RiskLevel.MODERATE, RiskLevel.HIGH, RiskLevel.IMMINENT})


def level_at_least(level: str, floor: str) -> bool:
    return LEVEL_RANK.get(level, -1) >= LEVEL_RANK[floor]


class RiskAssessment(models.Model):
    """What the triage engine read in one version of one post. Written once, never changed."""

    post = models.ForeignKey("community.Post", on_delete=models.PROTECT, related_name="risk_assessments")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the text that was assessed.")
    level = models.CharField(max_length=16, choices=RiskLevel.choices)
    score = models.FloatField(default=0.0)
    categories = models.JSONField(default=list, blank=True)
    rules = models.JSONField(default=list, blank=True, help_text="Matched rules with character spans.")
    engine_version = models.CharField(max_length=64)
    case = models.ForeignKey(
        "escalation.CrisisCase",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "content_hash"], name="assessment_once_per_post_version"),
            models.CheckConstraint(condition=Q(level__in=RiskLevel.values), name="assessment_level_valid"),
        ]
        indexes = [models.Index(fields=["level", "created_at"], name="assessment_level_created")]

    def __str__(self) -> str:
        return f"{self.level} for post {self.post_id}"


class TriageHeartbeat(models.Model):
    """One row: when the asynchronous triage last worked, and since when it has been failing."""

    last_success_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"triage heartbeat (last success {self.last_success_at})"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open (waiting for a clinician)"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CONTACTING = "contacting_member", "Contacting the member"
    RESOLVED = "resolved", "Resolved"


ACTIVE_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.ACKNOWLEDGED, CaseStatus.CONTACTING)


class CaseOutcome(models.TextChoices):
    SAFE = "safe", "Member is safe"
    REFERRED = "referred", "Referred to services"
    EMERGENCY = "emergency_services", "Emergency services contacted"
    NO_CONTACT = "no_contact", "No contact possible"


class CrisisCase(models.Model):
    """A member who may be at imminent risk, and everything done about it."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="crisis_cases"
    )
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    outcome = models.CharField(max_length=20, choices=CaseOutcome.choices, blank=True)
    level = models.CharField(max_length=16, choices=RiskLevel.choices, default=RiskLevel.IMMINENT)
    opened_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Escalation state, read and written only by the policy sweeper (see escalation.policy).
    escalation_step = models.IntegerField(default=-1, help_text="-1 before the first alert round.")
    alert_round = models.PositiveIntegerField(default=0)
    last_alert_at = models.DateTimeField(null=True, blank=True)
    needs_reack = models.BooleanField(
        default=False, help_text="Acknowledged too long ago without resolution: re-alerted."
    )
    next_action_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=~Q(status="resolved"),
                name="crisis_case_one_open_per_member",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values), name="crisis_case_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status="resolved") & ~Q(outcome="")) | (~Q(status="resolved") & Q(outcome="")),
                name="crisis_case_outcome_iff_resolved",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_action_at"],
                condition=~Q(status="resolved"),
                name="crisis_case_due",
            ),
            models.Index(fields=["status", "opened_at"], name="crisis_case_status_opened"),
        ]

    def __str__(self) -> str:
        return f"Crisis case {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status != CaseStatus.RESOLVED

    @property
    def awaiting_ack(self) -> bool:
        return self.status == CaseStatus.OPEN or (self.is_active and self.needs_reack)


class CaseEventKind(models.TextChoices):
    OPENED = "opened", "Case opened"
    POST_LINKED = "post_linked", "Another post linked"
    ALERT_ROUND = "alert_round", "Alerts sent"
    ESCALATED = "escalated", "Escalated"
    HAZARD = "hazard", "Hazard"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    REACK_REQUESTED = "reack_requested", "Re-alerted: still unresolved"
    STATUS = "status", "Status changed"
    NOTE = "note", "Note"
    MESSAGE = "message", "Message to the member"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    SAFETY_CONTACT_VIEWED = "safety_contact_viewed", "Safety contact viewed"
    DELIVERY_FAILED = "delivery_failed", "Alert delivery failed"


class CaseEvent(models.Model):
    """The case timeline. Append-only."""

    case = models.ForeignKey(CrisisCase, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=32, choices=CaseEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=30, blank=True, help_text="Pseudonym at the time.")
    text = models.TextField(blank=True, help_text="A note, a message or a reason, as written by staff.")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at", "id"], name="case_event_case_created")]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class CaseMessage(models.Model):
    """A message from the clinical team to the member, shown on the member's home."""

    case = models.ForeignKey(CrisisCase, on_delete=models.PROTECT, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_messages"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "created_at"], name="case_message_recipient")]

    def __str__(self) -> str:
        return f"Message on case {self.case_id}"


class ShiftTier(models.TextChoices):
    PRIMARY = "primary", "Primary"
    BACKUP = "backup", "Backup"
    DUTY_LEAD = "duty_lead", "Duty lead"


#: The order in which the escalation policy alerts the people on duty.
TIER_ORDER = (ShiftTier.PRIMARY, ShiftTier.BACKUP, ShiftTier.DUTY_LEAD)


class Shift(models.Model):
    """A clinician on the rota from ``start`` to ``end`` (half-open) at one tier."""

    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shifts")
    tier = models.CharField(max_length=16, choices=ShiftTier.choices, default=ShiftTier.PRIMARY)
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start", "tier", "id"]
        permissions = [("duty_lead", "Is a duty lead: sees rota hazards and is on the crisis fallback list")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="shift_ends_after_start"),
            models.CheckConstraint(condition=Q(tier__in=ShiftTier.values), name="shift_tier_valid"),
        ]
        indexes = [models.Index(fields=["start", "end"], name="shift_window")]

    def __str__(self) -> str:
        return f"{self.clinician} {self.tier} {self.start:%Y-%m-%d %H:%M} to {self.end:%H:%M}"


class ClinicianContact(models.Model):
    """Where a clinician wants crisis alerts besides the dashboard and their email."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_contact"
    )
    sms_number = models.CharField(
        max_length=32, blank=True, help_text="International format, e.g. +447700900123."
    )
    email_alerts = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Alert contact for {self.user}"


class AlertStatus(models.TextChoices):
    PENDING = "pending", "Waiting for acknowledgement"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    SUPERSEDED = "superseded", "Closed (someone acknowledged, or the case moved on)"


class Alert(models.Model):
    """One person asked to act on one case in one round. Stored before anything is sent."""

    case = models.ForeignKey(CrisisCase, on_delete=models.PROTECT, related_name="alerts")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="crisis_alerts"
    )
    round = models.PositiveIntegerField()
    target = models.CharField(max_length=32, help_text="Which step of the policy: a tier, the fallback list…")
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_via = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "recipient", "round"], name="alert_once_per_round"),
            models.CheckConstraint(condition=Q(status__in=AlertStatus.values), name="alert_status_valid"),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(status="pending"),
                name="alert_pending_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"Alert {self.pk} to {self.recipient_id} for case {self.case_id} round {self.round}"


class AlertChannel(models.TextChoices):
    INAPP = "inapp", "In-app"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WEBHOOK = "webhook", "Webhook"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Failed, will retry"
    FAILED = "failed", "Failed, gave up"
    SKIPPED = "skipped", "Skipped (no address)"


class DeliveryAttempt(models.Model):
    """Delivery of one alert on one channel: its status, tries and the last error."""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=AlertChannel.choices)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    errors = models.JSONField(default=list, blank=True, help_text="Every failed try: time and error.")
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    requeued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the sweeper last put it back on the alerts queue (not again for a lease).",
    )
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "channel"], name="delivery_once_per_channel"),
            models.CheckConstraint(
                condition=Q(channel__in=AlertChannel.values), name="delivery_channel_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "retrying"]),
                name="delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} for alert {self.alert_id}: {self.status}"


class HazardKind(models.TextChoices):
    NOBODY_ON_DUTY = "nobody_on_duty", "Crisis with nobody on duty"
    FALLBACK = "fallback", "Escalated to the fallback list"
    NO_RECIPIENTS = "no_recipients", "Nobody could be alerted"
    DELIVERY_FAILED = "delivery_failed", "Alert delivery failed"


class Hazard(models.Model):
    """A clinical-safety hazard observed in operation, for the hazard log."""

    kind = models.CharField(max_length=32, choices=HazardKind.choices)
    case = models.ForeignKey(
        CrisisCase, null=True, blank=True, on_delete=models.PROTECT, related_name="hazards"
    )
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"


class SafetyContactView(models.Model):
    """Every time a clinician opened a member's sealed safety contact, and why. Append-only."""

    case = models.ForeignKey(CrisisCase, on_delete=models.PROTECT, related_name="safety_contact_views")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    viewer_name = models.CharField(max_length=30)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    fields_shown = models.JSONField(default=list)
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-viewed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.viewer_name} viewed the safety contact on case {self.case_id}"


# --- triage rules that clinical leads manage from the admin -----------------------------------


class TriageRuleKind(models.TextChoices):
    SIGNAL = "signal", "Signal (raises the level)"
    IDIOM = "idiom", "Idiom (silences the risk words it contains)"


class TriageRule(models.Model):
    """A triage rule added (or a packaged rule overridden) by a clinical lead, without a deploy.

    ``data`` holds the rest of the rule in the shape of the engine's data files (``patterns``,
    ``person``, ``tense``, ``act``, ``weak``, ``hyperbole_ok``, ``subcategory``); ``rule_id``,
    ``kind``, ``category`` and ``level`` are columns so the admin can list and filter them. A
    row whose ``rule_id`` is a packaged rule's id replaces that rule; a disabled row with such an
    id switches the packaged rule off. Rows are never deleted: every change goes through
    ``escalation.rules`` and leaves a :class:`TriageRuleChange`.
    """

    rule_id = models.CharField(
        max_length=64,
        unique=True,
        help_text="e.g. LOCAL-1. Using a packaged rule's id replaces (or, disabled, switches off) that rule.",
    )
    kind = models.CharField(max_length=8, choices=TriageRuleKind.choices, default=TriageRuleKind.SIGNAL)
    category = models.CharField(max_length=32)
    level = models.CharField(max_length=16, choices=RiskLevel.choices)
    data = models.JSONField(default=dict, help_text="Patterns and options, as in the engine's rules.json.")
    enabled = models.BooleanField(default=True)
    note = models.TextField(blank=True, help_text="Why this rule exists, for the next clinical lead.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rule_id"]
        permissions = [("clinical_lead", "Is a clinical lead: adds, disables and tests triage rules")]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=RiskLevel.values), name="triage_rule_level_valid"),
            models.CheckConstraint(
                condition=Q(kind__in=TriageRuleKind.values), name="triage_rule_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} ({self.level}{'' if self.enabled else ', disabled'})"

    def as_rule_data(self) -> dict:
        """The rule as the engine reads it from a rule set."""
        return {
            **self.data,
            "id": self.rule_id,
            "kind": self.kind,
            "category": self.category,
            "level": self.level,
        }


class TriageRuleChangeAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"


class TriageRuleChange(models.Model):
    """The audit trail of triage rule changes: who, why, when, before and after. Append-only."""

    rule = models.ForeignKey(TriageRule, on_delete=models.PROTECT, related_name="changes")
    action = models.CharField(max_length=16, choices=TriageRuleChangeAction.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=30, help_text="Pseudonym at the time.")
    reason = models.TextField()
    rules_version = models.PositiveIntegerField(help_text="The rules version this change produced.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["rule", "created_at"], name="triage_rule_change_rule")]

    def __str__(self) -> str:
        return f"{self.rule.rule_id} {self.action} by {self.actor_name} (v{self.rules_version})"


class TriageRulesVersion(models.Model):
    """One row: a counter raised by every rule change. Engines are rebuilt when it moves."""

    number = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"triage rules version {self.number}"


class MemberConcern(models.Model):
    """A risk signal about a member that is not a post: a self-assessment answer (PHQ-9 item 9
    above 0), and in future other self-help tools. Written once by ``member_concern_raise``.

    ``summary`` is short staff-facing text (what guides and clinicians read first); ``detail``
    keeps the structured facts (instrument, item, answer). Moderate and above are handed to the
    review queue (the ``concern_raised`` hook) after commit; ``handed_off_at`` stays empty until
    that worked, so the sweeper re-drives a hand-off lost to a crash. Imminent opens (or joins)
    the member's crisis case, linked in ``case`` like a post's assessment.
    """

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="concerns")
    level = models.CharField(max_length=16, choices=RiskLevel.choices)
    source = models.CharField(max_length=32, help_text='Where it came from, e.g. "self_assessment".')
    summary = models.CharField(
        max_length=300, help_text="Short text for staff; never shown to other members."
    )
    detail = models.JSONField(default=dict, blank=True)
    case = models.ForeignKey(
        CrisisCase, null=True, blank=True, on_delete=models.PROTECT, related_name="concerns"
    )
    created_at = models.DateTimeField(default=timezone.now)
    handed_off_at = models.DateTimeField(
        null=True, blank=True, help_text="When the review queue (and the case, if any) had it."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=RiskLevel.values), name="member_concern_level_valid"
            ),
            models.CheckConstraint(condition=~Q(source=""), name="member_concern_source_not_empty"),
            models.CheckConstraint(condition=~Q(summary=""), name="member_concern_summary_not_empty"),
        ]
        indexes = [
            models.Index(fields=["member", "created_at"], name="member_concern_member"),
            models.Index(
                fields=["created_at"], condition=Q(handed_off_at__isnull=True), name="member_concern_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} concern ({self.source}) about user {self.member_id}"
