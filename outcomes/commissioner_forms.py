"""What a commissioner (or an admin) may ask a dashboard for, and the checks on it.

The same form validates the dashboard page, its CSV export and the API, so the three refuse the
same requests with the same words. A commissioner can choose only among the organisations they
are linked to; another organisation's id is refused exactly like an id that does not exist, so
the refusal tells nothing about other organisations. Admins also get "all organisations".

Every range is snapped to whole, finished weeks (Monday to Sunday) before anything is counted.
Two ranges a day apart would otherwise differ by that one day's counts, and subtracting one from
the other would undo small-count suppression; with whole weeks, such ranges give the same figures,
and a week's figures are published only once it is over.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Organisation, Role
from accounts.permissions import check_role
from outcomes.rollups import default_time_zone, rollup_through

ALL_ORGANISATIONS = "all"
DEFAULT_MAX_RANGE_DAYS = 731  # two years, inclusive of both ends
DEFAULT_RANGE_DAYS = 365


def max_range_days() -> int:
    return int(getattr(settings, "OUTCOMES_DASHBOARD_MAX_RANGE_DAYS", DEFAULT_MAX_RANGE_DAYS))


def check_view_dashboards(user) -> None:
    """Only commissioners and admins see dashboards; PermissionDenied (with the reason) otherwise."""
    check_role(user, Role.COMMISSIONER, Role.ADMIN)


def organisations_visible_to(user) -> QuerySet[Organisation]:
    """The organisations whose dashboards ``user`` may see (call check_view_dashboards first)."""
    if user.role == Role.ADMIN:
        return Organisation.objects.order_by("name")
    return user.commissioned_organisations.order_by("name")


class DashboardForm(forms.Form):
    """Organisation and date range (both ends inclusive, local days of the organisation).

    Once valid, ``cleaned_data["start"]`` is a Monday and ``cleaned_data["end"]`` a Sunday before
    today: the range snapped to whole, finished weeks (see ``snap_to_finished_weeks``).
    """

    organisation = forms.ChoiceField(
        label="Organisation",
        error_messages={
            "invalid_choice": "Choose one of your organisations.",
            "required": "Choose an organisation.",
        },
    )
    start = forms.DateField(
        label="From",
        widget=forms.DateInput(attrs={"type": "date", "aria-describedby": "range-help"}),
        error_messages={"invalid": "Enter a date."},
    )
    end = forms.DateField(
        label="To",
        widget=forms.DateInput(attrs={"type": "date", "aria-describedby": "range-help"}),
        error_messages={"invalid": "Enter a date."},
    )

    def __init__(self, data=None, *, user, today: datetime.date | None = None, **kwargs) -> None:
        self.organisations = list(organisations_visible_to(user).only("id", "name", "slug", "time_zone"))
        self.is_admin = user.role == Role.ADMIN
        choices = [(str(org.pk), org.name) for org in self.organisations]
        if self.is_admin:
            choices.insert(0, (ALL_ORGANISATIONS, "All organisations"))
        asked_for = (data.get("organisation") if data is not None else "") or (
            choices[0][0] if choices else ""
        )
        self.today = today or self.local_today(asked_for)
        if data is not None:
            # Fill in what was left out, so "?organisation=3" alone shows the default range.
            data = data.copy()
            for name, value in self.defaults(choices).items():
                if not data.get(name):
                    data[name] = value
        super().__init__(data, **kwargs)
        self.fields["organisation"].choices = choices

    def local_today(self, organisation: str) -> datetime.date:
        """Today in the organisation's time zone: its days are the ones its figures count.

        For all organisations, the earliest of their todays (a day is over only once it is over
        everywhere); for an organisation this user cannot choose, UTC's (the form refuses it).
        """
        if organisation == ALL_ORGANISATIONS:
            zones = {org.time_zone or default_time_zone() for org in self.organisations} | {
                default_time_zone()
            }
        else:
            zones = {
                org.time_zone or default_time_zone()
                for org in self.organisations
                if str(org.pk) == organisation
            }
        now = timezone.now()
        return min((timezone.localdate(now, ZoneInfo(zone)) for zone in zones), default=now.date())

    def defaults(self, choices: list[tuple[str, str]]) -> dict[str, str]:
        return {
            "organisation": choices[0][0] if choices else "",
            "start": (self.today - datetime.timedelta(days=DEFAULT_RANGE_DAYS - 1)).isoformat(),
            "end": self.today.isoformat(),
        }

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and start > self.today:
            self.add_error("start", "The start date is in the future; choose today or earlier.")
        if end and end > self.today:
            self.add_error("end", "The end date is in the future; choose today or earlier.")
        if start and end and start > end:
            self.add_error("end", "The end date is before the start date.")
        elif start and end and (end - start).days + 1 > max_range_days():
            self.add_error(
                "end",
                f"Choose a range of at most {max_range_days()} days (this one is {(end - start).days + 1}).",
            )
        if start and end and not self.has_error("start") and not self.has_error("end"):
            self.snap_to_finished_weeks(data, start, end)
        return data

    def snap_to_finished_weeks(self, data: dict, start: datetime.date, end: datetime.date) -> None:
        """Start on the Monday of its week, end on the Sunday of the last finished week it touches."""
        start = start - datetime.timedelta(days=start.weekday())
        end = end + datetime.timedelta(days=6 - end.weekday())
        if end >= self.today:  # the week is not over yet (a Sunday that is today is not over either)
            end -= datetime.timedelta(days=7)
        # Nor is a week the rollups have not finished (its Sunday is rolled up the night after):
        # shown before and after that night, the two versions would differ by one day's counts.
        through = rollup_through()
        finished_end = end
        while through is not None and end > through and end >= start:
            end -= datetime.timedelta(days=7)
        if end < start <= finished_end:
            self.add_error(
                "end",
                f"Figures are ready up to {through:%-d %b %Y}; choose a range that includes a whole "
                "week (Monday to Sunday) up to then.",
            )
            return
        if end < start:
            self.add_error(
                "end",
                "Choose a range that includes at least one finished week (Monday to Sunday); "
                "this week's figures appear after Sunday.",
            )
            return
        data["start"], data["end"] = start, end
        # The date inputs show the range the figures are for, not the one typed.
        self.data["start"], self.data["end"] = start.isoformat(), end.isoformat()

    @property
    def organisation_id(self) -> int | None:
        """The chosen organisation's id; None for all organisations (admins only)."""
        value = self.cleaned_data["organisation"]
        return None if value == ALL_ORGANISATIONS else int(value)

    @property
    def chosen_organisation(self) -> Organisation | None:
        chosen = self.organisation_id
        return next((org for org in self.organisations if org.pk == chosen), None)

    def query_string(self) -> str:
        from django.utils.http import urlencode

        return urlencode(
            {
                "organisation": self.cleaned_data["organisation"],
                "start": self.cleaned_data["start"].isoformat(),
                "end": self.cleaned_data["end"].isoformat(),
            }
        )
