"""Demo data for a fresh checkout: one organisation, its access code, one account per role,
the forum spaces with supportive conversations, the demo clinician on the rota, fourteen weeks
of community history and self-assessments, and the dashboard rollups over them.

Safe to run any number of times: existing rows are found, not duplicated. Lives in
``outcomes`` because outcomes may import every other app, so later seeders plug in here.
"""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AccessCode, Organisation, Role, User
from community.demo import seed_community
from escalation.models import Shift, ShiftTier
from outcomes import rollups
from outcomes.demo_activity import seed_activity_history

DEMO_PASSWORD = "kindred-demo-2026"  # noqa: S105 - published demo login, never production
DEMO_ORGANISATION = {"slug": "northfield", "name": "Northfield University"}
DEMO_ACCESS_CODE = "NORTHFIELD-2026"
DEMO_STAFF = [
    (Role.GUIDE, "demo_guide"),
    (Role.CLINICIAN, "demo_clinician"),
    (Role.COMMISSIONER, "demo_commissioner"),
    (Role.ADMIN, "demo_admin"),
]
DEMO_MEMBER = "demo_member"


def _email(pseudonym: str) -> str:
    return f"{pseudonym}@demo.kindred.invalid"


def seed_accounts() -> tuple[Organisation, list[User]]:
    organisation, _ = Organisation.objects.get_or_create(
        slug=DEMO_ORGANISATION["slug"], defaults={"name": DEMO_ORGANISATION["name"]}
    )
    AccessCode.objects.get_or_create(code=DEMO_ACCESS_CODE, defaults={"organisation": organisation})

    users = []
    member = User.objects.filter(pseudonym__iexact=DEMO_MEMBER).first()
    if member is None:
        member = account_services.member_signup(
            pseudonym=DEMO_MEMBER,
            email=_email(DEMO_MEMBER),
            password=DEMO_PASSWORD,
            region="GB",
            confirmed_age=True,
            accepted_guidelines_and_privacy=True,
            access_code=DEMO_ACCESS_CODE,
        )
    users.append(member)
    for role, pseudonym in DEMO_STAFF:
        user = User.objects.filter(pseudonym__iexact=pseudonym).first()
        if user is None:
            user = account_services.staff_create(
                role=role,
                pseudonym=pseudonym,
                email=_email(pseudonym),
                password=DEMO_PASSWORD,
                organisations=[organisation] if role == Role.COMMISSIONER else [],
            )
        users.append(user)
    return organisation, users


def seed_rota(users: list[User]) -> None:
    """Put the demo clinician on duty for the next week, so a crisis post in the demo alerts them."""
    now = timezone.now()
    for user in users:
        if user.role != Role.CLINICIAN:
            continue
        if not Shift.objects.filter(clinician=user, start__lte=now, end__gt=now + timedelta(days=1)).exists():
            start, end = now - timedelta(hours=1), now + timedelta(days=7)
            Shift.objects.create(clinician=user, tier=ShiftTier.PRIMARY, start=start, end=end)


def seed_measures(member: User) -> int:
    """The demo member's own self-assessment history, from the measures app when it provides one."""
    try:
        from outcomes.measures.demo import seed_measures_demo
    except ImportError:
        return 0
    return seed_measures_demo(member=member) or 0


def roll_up(*, history_created: bool) -> rollups.RollupResult | None:
    """Roll up everything new: the whole history once, then only the days since the last rollup."""
    today = timezone.localdate(timezone=rollups.ZoneInfo(rollups.default_time_zone()))
    through = rollups.rollup_through()
    if history_created or through is None:
        first = User.objects.order_by("date_joined").values_list("date_joined", flat=True).first()
        start = (first or timezone.now()).date() - timedelta(days=1)
    elif through < today:
        start = through
    else:
        return None
    return rollups.rollup_days(start=start, end=today)


class Command(BaseCommand):
    help = "Create demo accounts, forum spaces and conversations, and a rota. Safe to run twice."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            organisation, users = seed_accounts()
            seed_community(members=[u for u in users if u.role == Role.MEMBER], organisation=organisation)
            seed_rota(users)
            began = time.monotonic()
            history = seed_activity_history(organisation=organisation)
            seed_measures(users[0])
            seeded_in = time.monotonic() - began
        rollup = roll_up(history_created=bool(history["members"]))

        summary = f"Demo organisation: {organisation.name} (code {DEMO_ACCESS_CODE})"
        self.stdout.write(self.style.SUCCESS(summary))
        self.stdout.write(f"Every demo account's password: {DEMO_PASSWORD}")
        for user in users:
            self.stdout.write(f"  {user.get_role_display():<13} {user.pseudonym}")
        if history["members"]:
            counts = ", ".join(f"{n} {what}" for what, n in history.items())
            self.stdout.write(f"Community history: {counts} in {seeded_in:.1f} s")
        if rollup is not None:
            span = f"{rollup.start}..{rollup.end}"
            self.stdout.write(f"Dashboard rollups {span}: {rollup.rows} rows in {rollup.seconds:.1f} s")
