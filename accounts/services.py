"""Every write to accounts, organisations and consent happens here."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.consents import AGE_CONFIRMATION_VERSION, GUIDELINES_VERSION, PRIVACY_VERSION
from accounts.models import AccessCode, ConsentRecord, Organisation, Role, User
from accounts.regions import REGIONS
from accounts.selectors import access_code_problem, user_by_email, user_by_pseudonym

logger = logging.getLogger(__name__)

STAFF_CREATABLE_ROLES = (Role.GUIDE, Role.CLINICIAN, Role.COMMISSIONER, Role.ADMIN)


class SignupRefused(ValidationError):
    """A signup that must not happen; ``field`` names the form field to attach it to."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message, code=code)
        self.field = field


def _check_region(region: str) -> None:
    if region not in REGIONS:
        raise SignupRefused("Choose one of the listed regions.", field="region", code="region")


@transaction.atomic
def member_signup(
    *,
    pseudonym: str,
    email: str,
    password: str,
    region: str,
    confirmed_age: bool,
    accepted_guidelines_and_privacy: bool,
    access_code: str = "",
) -> User:
    """Create a member, their consent records and their private email; spend the access code.

    Everything happens in one transaction: a refused code, a taken pseudonym or a missing
    consent leaves no user, no consent record and the code's ``uses`` unchanged.
    """
    if not confirmed_age:
        raise SignupRefused("Kindred is for people aged 16 or over.", field="confirm_age", code="age")
    if not accepted_guidelines_and_privacy:
        raise SignupRefused(
            "Please accept the community guidelines and privacy notice to join.",
            field="accept_terms",
            code="consent",
        )
    _check_region(region)
    if user_by_pseudonym(pseudonym) is not None:
        raise SignupRefused("That pseudonym is already taken. Please choose another.", field="username")
    if user_by_email(email) is not None:
        raise SignupRefused("A user is already registered with this email address.", field="email")

    organisation: Organisation | None = None
    code_text = access_code.strip()
    if code_text:
        # Lock the code row so concurrent signups cannot overspend a capped code.
        code = AccessCode.objects.select_for_update().filter(code__iexact=code_text).first()
        problem = access_code_problem(code, email=email)
        if problem:
            raise SignupRefused(problem, field="access_code", code="access_code")
        AccessCode.objects.filter(pk=code.pk).update(uses=F("uses") + 1)
        organisation = code.organisation

    try:
        with transaction.atomic():
            user = User.objects.create_user(
                pseudonym=pseudonym,
                email=email,
                password=password,
                role=Role.MEMBER,
                region=region,
                organisation=organisation,
            )
    except IntegrityError as exc:
        # Someone took the pseudonym or email between the form's check and now.
        raise SignupRefused(
            "That pseudonym or email address was just taken. Please choose another.", code="conflict"
        ) from exc

    now = timezone.now()
    ConsentRecord.objects.bulk_create(
        [
            ConsentRecord(
                user=user,
                document=ConsentRecord.Document.AGE,
                version=AGE_CONFIRMATION_VERSION,
                accepted_at=now,
            ),
            ConsentRecord(
                user=user,
                document=ConsentRecord.Document.GUIDELINES,
                version=GUIDELINES_VERSION,
                accepted_at=now,
            ),
            ConsentRecord(
                user=user,
                document=ConsentRecord.Document.PRIVACY,
                version=PRIVACY_VERSION,
                accepted_at=now,
            ),
        ]
    )
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    logger.info(
        "member signed up", extra={"user_id": user.pk, "organisation_id": organisation and organisation.pk}
    )
    return user


@transaction.atomic
def staff_create(
    *,
    role: str,
    pseudonym: str,
    email: str,
    password: str,
    organisations: Iterable[Organisation] = (),
    region: str = "GB",
) -> User:
    """Create a guide, clinician, commissioner or admin account (never a member)."""
    if role not in STAFF_CREATABLE_ROLES:
        raise ValidationError(
            f"Staff accounts are guides, clinicians, commissioners or admins, not {role!r}."
        )
    organisations = list(organisations)
    if role == Role.COMMISSIONER and not organisations:
        raise ValidationError("A commissioner must be scoped to at least one organisation.")
    if role != Role.COMMISSIONER and organisations:
        raise ValidationError("Only commissioners are scoped to organisations.")
    _check_region(region)
    if user_by_pseudonym(pseudonym) is not None:
        raise ValidationError(f"The pseudonym {pseudonym!r} is already taken.")
    if user_by_email(email) is not None:
        raise ValidationError("A user is already registered with this email address.")
    is_admin = role == Role.ADMIN
    user = User.objects.create_user(
        pseudonym=pseudonym,
        email=email,
        password=password,
        role=role,
        region=region,
        is_staff=is_admin,
        is_superuser=is_admin,
    )
    if organisations:
        user.commissioned_organisations.set(organisations)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


@transaction.atomic
def user_update_region(*, user: User, region: str) -> User:
    _check_region(region)
    if user.region != region:
        user.region = region
        user.save(update_fields=["region"])
    return user


class DeactivationRefused(ValidationError):
    """An account that cannot be closed this way (already closed, or a staff account)."""


@transaction.atomic
def user_deactivate(*, user: User, reason: str = "", now=None) -> User:
    """Close ``user``'s account: they can no longer sign in. Nothing is deleted.

    Posts, check-ins, consent records and anything a clinician or guide may still need stay
    exactly as they are; only ``is_active`` and ``deactivated_at`` change. ``reason`` is a short
    code for the log (``"member"`` when members close their own account), never free text.
    Staff accounts (guides, clinicians, admins, Django staff) are closed by an admin instead.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_kindred_staff or locked.is_staff or locked.is_superuser:
        raise DeactivationRefused("Staff accounts are closed by an admin.", code="staff")
    if not locked.is_active:
        raise DeactivationRefused("This account is already closed.", code="inactive")
    locked.is_active = False
    locked.deactivated_at = now or timezone.now()
    locked.save(update_fields=["is_active", "deactivated_at"])
    user.is_active, user.deactivated_at = locked.is_active, locked.deactivated_at
    logger.info("account deactivated", extra={"user_id": user.pk, "reason": reason[:40]})
    return user
