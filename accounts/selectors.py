"""Reads for accounts: look-ups, access-code checks and organisation aggregates."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import AccessCode, Organisation, Role, User


def user_by_pseudonym(pseudonym: str) -> User | None:
    return User.objects.filter(pseudonym__iexact=pseudonym.strip()).first()


def user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def access_code_by_text(code: str) -> AccessCode | None:
    return AccessCode.objects.select_related("organisation").filter(code__iexact=code.strip()).first()


def email_domain_allowed(organisation: Organisation, email: str) -> bool:
    domains = [d.strip().lower().lstrip("@") for d in organisation.eligible_email_domains or [] if d.strip()]
    if not domains:
        return True
    domain = email.rsplit("@", 1)[-1].strip().lower()
    # "ac.uk"-style entries also admit subdomains such as "student.northfield.ac.uk".
    return any(domain == d or domain.endswith("." + d) for d in domains)


def access_code_problem(code: AccessCode | None, *, email: str) -> str | None:
    """Why this code cannot be used to join, or None when it can."""
    if code is None:
        return "We don't recognise that access code. Check it with your organisation, or leave it blank."
    if not code.is_active:
        return "That access code is no longer active. Ask your organisation for a current code."
    if code.expires_at is not None and code.expires_at <= timezone.now():
        return "That access code has expired. Ask your organisation for a current code."
    if code.max_uses is not None and code.uses >= code.max_uses:
        return (
            "That access code has been used the maximum number of times. Ask your organisation for a new one."
        )
    if email and not email_domain_allowed(code.organisation, email):
        domains = ", ".join(code.organisation.eligible_email_domains)
        return (
            f"This access code is only for {code.organisation.name} email addresses ({domains}). "
            "Use that email address, or leave the code blank."
        )
    return None


def organisations_for_commissioner(user: User) -> QuerySet[Organisation]:
    """The commissioner's organisations, each annotated with ``member_count`` (active members)."""
    return user.commissioned_organisations.annotate(
        member_count=Count("members", filter=Q(members__role=Role.MEMBER, members__is_active=True))
    ).order_by("name")
