"""Create a guide, clinician, commissioner or admin account.

    python manage.py create_staff --role guide --pseudonym GuideWillow --email willow@example.org
    python manage.py create_staff --role commissioner --pseudonym NorthfieldLead \
        --email lead@northfield.ac.uk --organisation northfield

Without --password the command prompts for one on a terminal, or generates one and prints it.
"""

import getpass
import secrets
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import Organisation, User
from accounts.regions import DEFAULT_REGION, REGIONS
from accounts.validators import validate_staff_pseudonym


class Command(BaseCommand):
    help = "Create a staff account (guide, clinician, commissioner or admin). Members sign up themselves."

    def add_arguments(self, parser) -> None:
        roles = [role.value for role in services.STAFF_CREATABLE_ROLES]
        parser.add_argument("--role", required=True, choices=roles)
        parser.add_argument("--pseudonym", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument(
            "--organisation",
            action="append",
            default=[],
            metavar="SLUG",
            help="Organisation slug a commissioner may see (repeatable; commissioners only).",
        )
        parser.add_argument("--region", default=DEFAULT_REGION, choices=list(REGIONS))
        parser.add_argument("--password", help="Password; omit to be prompted, or to have one generated.")
        parser.add_argument(
            "--generate-password",
            action="store_true",
            help="Generate a strong password and print it once.",
        )

    def handle(self, *args, **options) -> None:
        pseudonym = options["pseudonym"].strip()
        try:
            validate_staff_pseudonym(pseudonym)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

        slugs = options["organisation"]
        organisations = list(Organisation.objects.filter(slug__in=slugs))
        missing = sorted(set(slugs) - {o.slug for o in organisations})
        if missing:
            raise CommandError(f"No organisation with slug: {', '.join(missing)}")

        password, generated = self._password(options)
        try:
            validate_password(password, User(pseudonym=pseudonym, email=options["email"]))
            user = services.staff_create(
                role=options["role"],
                pseudonym=pseudonym,
                email=options["email"],
                password=password,
                organisations=organisations,
                region=options["region"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

        self.stdout.write(self.style.SUCCESS(f"Created {user.get_role_display().lower()} {user.pseudonym}."))
        if generated:
            self.stdout.write(f"Password (shown once): {password}")

    def _password(self, options) -> tuple[str, bool]:
        if options["password"]:
            return options["password"], False
        if options["generate_password"] or not sys.stdin.isatty():
            return secrets.token_urlsafe(18), True
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords did not match.")
        return first, False
