"""Self-assessments (PHQ-9, GAD-7, ...), mood check-ins, reminder preferences and exit surveys.

Everything here belongs to one member and is private to them: other members never see it,
and commissioners see only disclosure-controlled aggregates built by ``outcomes.reporting``.
The measures themselves are data (``outcomes/data/measures/*.json``, loaded by
``outcomes.measures.definitions``); a response records which definition and version it
was scored with, so a later edit of a definition never changes an old result.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

__all__ = [
    "ExitSurveyAnswer",
    "ExitSurveyChoice",
    "ExitSurveyTrigger",
    "MeasureReminderPreference",
    "MeasureResponse",
    "MoodCheckIn",
]


class MeasureResponse(models.Model):
    """One completed self-assessment. Never edited: answering again makes a new response."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="measure_responses"
    )
    measure_key = models.CharField(max_length=32, help_text="e.g. phq9, gad7")
    definition_version = models.CharField(max_length=20)
    answers = models.JSONField(help_text="The value chosen for each item, in item order.")
    total = models.PositiveSmallIntegerField(help_text="Raw score: the sum of the answers.")
    score = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        help_text="The score bands and change are read on: the total, or its converted value "
        "for measures with a conversion table (e.g. SWEMWBS).",
    )
    band = models.CharField(max_length=32)
    is_case = models.BooleanField(help_text="At or above the measure's caseness cut-off.")
    safety_level = models.CharField(
        max_length=16,
        blank=True,
        help_text="Risk level an answer to a safety item (PHQ-9 item 9) maps to; empty when none.",
    )
    concern_raised_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the escalation service recorded the concern; empty while it still has to be.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A member's history of one measure, and their latest result of each.
            models.Index(fields=["member", "measure_key", "created_at"], name="measure_member_key_time"),
            # Aggregates by measure over a date range (reporting).
            models.Index(fields=["measure_key", "created_at"], name="measure_key_time"),
            # The sweeper that re-drives concerns the escalation service did not record.
            models.Index(
                fields=["created_at"],
                condition=~Q(safety_level="") & Q(concern_raised_at__isnull=True),
                name="measure_concern_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure_key} {self.total} for user {self.member_id}"

    def save(self, *args, **kwargs) -> None:
        # A result is a record of what the member answered: a second save may only mark the
        # concern recorded (the one column the escalation hand-off fills in later).
        update_fields = kwargs.get("update_fields")
        if self.pk is not None and (update_fields is None or set(update_fields) - {"concern_raised_at"}):
            raise ValueError("A measure response is never edited; answering again makes a new one.")
        super().save(*args, **kwargs)


class MoodCheckIn(models.Model):
    """A one-tap mood check-in (1 = very low … 5 = very good) with an optional private note."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mood_checkins"
    )
    mood = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=280, blank=True)
    safety_level = models.CharField(
        max_length=16,
        blank=True,
        help_text="Risk level the triage engine read in the note (moderate and above); empty when none.",
    )
    concern_raised_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="For high and imminent notes: when the escalation service recorded the concern.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mood__gte=1) & Q(mood__lte=5), name="mood_checkin_mood_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "created_at"], name="mood_member_time"),
            models.Index(
                fields=["created_at"],
                condition=Q(safety_level__in=["high", "imminent"]) & Q(concern_raised_at__isnull=True),
                name="mood_concern_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"mood {self.mood} for user {self.member_id}"


class MeasureReminderPreference(models.Model):
    """How often a member would like to be invited to retake their self-assessments."""

    DEFAULT_INTERVAL_DAYS = 14
    MIN_INTERVAL_DAYS = 7
    MAX_INTERVAL_DAYS = 90

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="measure_reminder_preference"
    )
    enabled = models.BooleanField(default=True)
    interval_days = models.PositiveSmallIntegerField(default=DEFAULT_INTERVAL_DAYS)
    last_invited_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_days__gte=7) & Q(interval_days__lte=90),
                name="measure_reminder_interval_range",
            ),
        ]

    def __str__(self) -> str:
        state = f"every {self.interval_days} days" if self.enabled else "off"
        return f"reminders {state} for user {self.member_id}"


class ExitSurveyTrigger(models.TextChoices):
    DEACTIVATION = "deactivation", "Leaving Kindred"
    RETURN = "return", "Coming back after a long break"


class ExitSurveyChoice(models.TextChoices):
    FEELING_BETTER = "feeling_better", "I was feeling better"
    NO_REPLIES = "no_replies", "Not enough people replied to me"
    NOT_SAFE = "not_safe", "I didn't feel safe or comfortable"
    NO_TIME = "no_time", "Life got busy"
    OTHER_SUPPORT = "other_support", "I found other support"
    NOT_FOR_ME = "not_for_me", "It wasn't what I was looking for"
    OTHER = "other", "Something else"


class ExitSurveyAnswer(models.Model):
    """The one-question survey ("what would have helped?") offered when a member leaves or returns.

    A skipped prompt is recorded too (``skipped``, no answer), so it is never offered twice for
    the same absence.
    """

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exit_survey_answers"
    )
    trigger = models.CharField(max_length=16, choices=ExitSurveyTrigger.choices)
    answer = models.TextField(max_length=2000, blank=True)
    choice = models.CharField(max_length=24, choices=ExitSurveyChoice.choices, blank=True)
    skipped = models.BooleanField(default=False)
    absent_since = models.DateTimeField(
        null=True, blank=True, help_text="For a return: the member's last activity before the break."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(trigger__in=ExitSurveyTrigger.values), name="exit_survey_trigger_valid"
            ),
            models.CheckConstraint(
                condition=Q(choice="") | Q(choice__in=ExitSurveyChoice.values),
                name="exit_survey_choice_valid",
            ),
            models.CheckConstraint(
                condition=Q(skipped=False) | (Q(answer="") & Q(choice="")),
                name="exit_survey_skipped_is_empty",
            ),
            models.UniqueConstraint(
                fields=["member", "absent_since"],
                condition=Q(trigger="return"),
                name="exit_survey_once_per_absence",
            ),
        ]
        indexes = [models.Index(fields=["member", "trigger", "created_at"], name="exit_survey_member")]

    def __str__(self) -> str:
        return f"exit survey ({self.trigger}) for user {self.member_id}"
