"""Daily rollups and engagement tables: what commissioner dashboards read.

``outcomes.rollups`` fills every table here from the raw community, moderation and escalation
rows, for a range of days, replacing what was there (running it twice gives the same rows).
``outcomes.reporting`` reads only these tables, never posts.

Days are local days in the member's organisation's time zone (members without an organisation:
``settings.OUTCOMES_DEFAULT_TIME_ZONE``). Only members (role "member") are counted: staff replies
are support, not use of the service by the population a commissioner pays for.

``MemberDay`` is the one place raw activity is condensed per person. Distinct counts over a week
or a month cannot be summed from daily counts, so they are counted from ``MemberDay`` once, at
rollup time, into ``ActivePeriod``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

__all__ = [
    "ActivePeriod",
    "MemberDay",
    "NetworkMonth",
    "OrganisationDay",
    "PeriodKind",
    "ReplyPair",
    "RollupRun",
    "SpaceDay",
    "ThreadResponse",
]


def _org_day_constraints(prefix: str, *fields: str) -> list[models.UniqueConstraint]:
    """One row per key: a plain unique constraint cannot do it because NULL organisations are distinct."""
    return [
        models.UniqueConstraint(
            fields=["organisation", *fields], condition=Q(organisation__isnull=False), name=f"{prefix}_once"
        ),
        models.UniqueConstraint(
            fields=list(fields), condition=Q(organisation__isnull=True), name=f"{prefix}_once_no_org"
        ),
    ]


class MemberDay(models.Model):
    """What one member did on one local day. A row exists only for a day with activity."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    threads_started = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    reactions = models.PositiveIntegerField(default=0)
    out_of_hours = models.PositiveIntegerField(
        default=0, help_text="Of the actions that day, how many were outside Mon-Fri 09:00-17:00 local time."
    )
    joined_week = models.DateField(help_text="Monday of the local week the member signed up in.")
    week_of_membership = models.PositiveIntegerField(help_text="1 for the member's first seven days.")
    after_break = models.BooleanField(
        default=False, help_text="No activity in the 30 days before: the member came back (or began)."
    )
    before_break = models.BooleanField(
        default=False, help_text="No activity in the 30 days after (as far as known): the member lapsed."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "day"], name="member_day_once")]
        indexes = [
            models.Index(fields=["organisation", "day"], name="member_day_org_day"),
            models.Index(fields=["day"], name="member_day_day"),
            # Retention reads only weeks 1, 4 and 12 of a membership: small partial indexes. The
            # member comes last, so distinct members per cohort week are counted from the index
            # alone, already in order (no heap reads, no sort): 70 -> 11 ms for a year of 20,000.
            models.Index(
                fields=["organisation", "joined_week", "week_of_membership", "member"],
                condition=Q(week_of_membership__in=[1, 4, 12]),
                name="member_day_cohort",
            ),
            models.Index(
                fields=["joined_week", "week_of_membership", "member"],
                condition=Q(week_of_membership__in=[1, 4, 12]),
                name="member_day_cohort_all",
            ),
            # Disengagement counts distinct members of these days: from the index alone, too.
            models.Index(
                fields=["organisation", "day", "member"],
                condition=Q(before_break=True),
                name="member_day_lapse",
            ),
            models.Index(
                fields=["organisation", "day", "member"],
                condition=Q(after_break=True),
                name="member_day_return",
            ),
            models.Index(
                fields=["day", "member"], condition=Q(before_break=True), name="member_day_lapse_all"
            ),
            models.Index(
                fields=["day", "member"], condition=Q(after_break=True), name="member_day_return_all"
            ),
        ]

    def __str__(self) -> str:
        return f"member {self.member_id} on {self.day}"

    @property
    def actions(self) -> int:
        return self.threads_started + self.replies + self.reactions


class OrganisationDay(models.Model):
    """One organisation's day (organisation NULL: members without one). Every column sums over days."""

    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    registrations = models.PositiveIntegerField(default=0)
    active_members = models.PositiveIntegerField(default=0)
    threads_started = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    reactions = models.PositiveIntegerField(default=0)
    out_of_hours = models.PositiveIntegerField(default=0)
    flags = models.PositiveIntegerField(default=0, help_text="Flags raised on its members' posts.")
    review_items = models.PositiveIntegerField(default=0, help_text="Review items opened on their posts.")
    crisis_cases = models.PositiveIntegerField(default=0, help_text="Crisis cases opened for its members.")
    returned_members = models.PositiveIntegerField(
        default=0, help_text="Members active again after 30 days or more without activity."
    )

    class Meta:
        constraints = _org_day_constraints("organisation_day", "day")
        indexes = [models.Index(fields=["day"], name="organisation_day_day")]

    def __str__(self) -> str:
        return f"organisation {self.organisation_id} on {self.day}"

    @property
    def actions(self) -> int:
        return self.threads_started + self.replies + self.reactions


class SpaceDay(models.Model):
    """Activity in one space on one day by one organisation's members."""

    space = models.ForeignKey("community.Space", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    active_members = models.PositiveIntegerField(default=0)
    threads_started = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    reactions = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = _org_day_constraints("space_day", "space", "day")
        indexes = [models.Index(fields=["organisation", "day"], name="space_day_org_day")]

    def __str__(self) -> str:
        return f"space {self.space_id}, organisation {self.organisation_id} on {self.day}"


class PeriodKind(models.TextChoices):
    WEEK = "week", "Week (Monday to Sunday)"
    MONTH = "month", "Calendar month"


class ActivePeriod(models.Model):
    """Distinct members active in a week or a month: counted once from MemberDay, never summed from days."""

    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    start = models.DateField(help_text="First day of the week or month.")
    active_members = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            *_org_day_constraints("active_period", "kind", "start"),
            models.CheckConstraint(condition=Q(kind__in=PeriodKind.values), name="active_period_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"organisation {self.organisation_id}, {self.kind} of {self.start}"


class ThreadResponse(models.Model):
    """How soon a member's thread was first answered by another member (staff replies aside)."""

    thread = models.OneToOneField("community.Thread", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    space = models.ForeignKey("community.Space", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="Local day the thread was started.")
    started_at = models.DateTimeField()
    first_reply_at = models.DateTimeField(null=True, blank=True)
    first_reply_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "day"], name="thread_response_org_day")]

    def __str__(self) -> str:
        return f"thread {self.thread_id}"


class ReplyPair(models.Model):
    """Who answered whom: ``replier`` replied in a thread ``recipient`` started, in a space, in a month."""

    space = models.ForeignKey("community.Space", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the local month of the replies.")
    replier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The recipient's organisation.",
    )
    replies = models.PositiveIntegerField(default=0)
    reciprocated = models.BooleanField(
        default=False, help_text="The recipient also replied to the replier in the same space and month."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "space", "replier", "recipient"], name="reply_pair_once"
            ),
            models.CheckConstraint(condition=~Q(replier=models.F("recipient")), name="reply_pair_not_self"),
        ]
        indexes = [models.Index(fields=["organisation", "month"], name="reply_pair_org_month")]

    def __str__(self) -> str:
        return f"{self.replier_id} -> {self.recipient_id} in space {self.space_id}, {self.month:%Y-%m}"


class NetworkMonth(models.Model):
    """The reply network of one organisation's members in a month, in one space or (space NULL) all.

    Counts are distinct within the row; rows of different months or spaces do not sum to people.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    space = models.ForeignKey(
        "community.Space", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField()
    thread_starters = models.PositiveIntegerField(default=0, help_text="Members who started a thread.")
    starters_answered = models.PositiveIntegerField(
        default=0, help_text="Of those, members with at least one thread answered by another member."
    )
    members_answered = models.PositiveIntegerField(
        default=0, help_text="Members who received a reply from another member in the month."
    )
    pairs = models.PositiveIntegerField(default=0, help_text="Distinct (replier, recipient) pairs.")
    reciprocated_pairs = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "space", "month"],
                condition=Q(organisation__isnull=False, space__isnull=False),
                name="network_month_once",
            ),
            models.UniqueConstraint(
                fields=["organisation", "month"],
                condition=Q(organisation__isnull=False, space__isnull=True),
                name="network_month_once_all_spaces",
            ),
            models.UniqueConstraint(
                fields=["space", "month"],
                condition=Q(organisation__isnull=True, space__isnull=False),
                name="network_month_once_no_org",
            ),
            models.UniqueConstraint(
                fields=["month"],
                condition=Q(organisation__isnull=True, space__isnull=True),
                name="network_month_once_no_org_all",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "month"], name="network_month_org_month")]

    def __str__(self) -> str:
        return f"network of organisation {self.organisation_id}, space {self.space_id}, {self.month:%Y-%m}"


class RollupRun(models.Model):
    """One run of the rollups: the days it covered and when it finished (how fresh reports are)."""

    first_day = models.DateField()
    last_day = models.DateField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0, help_text="Rollup rows written.")

    class Meta:
        indexes = [models.Index(fields=["finished_at"], name="rollup_run_finished")]

    def __str__(self) -> str:
        return f"rollup {self.first_day}..{self.last_day}"
