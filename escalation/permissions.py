"""Who may see and do what in the crisis workflow. Each check raises PermissionDenied with a reason."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from accounts.models import Role
from escalation.models import CrisisCase

CASE_ROLES = frozenset({Role.CLINICIAN, Role.ADMIN})
DUTY_LEAD_PERMISSION = "escalation.duty_lead"


def _active(actor) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active


def can_work_cases(actor) -> bool:
    return _active(actor) and actor.role in CASE_ROLES


def is_duty_lead(actor) -> bool:
    return _active(actor) and actor.role == Role.CLINICIAN and actor.has_perm(DUTY_LEAD_PERMISSION)


def duty_leads() -> QuerySet:
    """Clinicians holding the standing duty-lead permission (directly or through a group)."""
    User = get_user_model()
    perm = Q(user_permissions__codename="duty_lead", user_permissions__content_type__app_label="escalation")
    group_perm = Q(
        groups__permissions__codename="duty_lead", groups__permissions__content_type__app_label="escalation"
    )
    return User.objects.filter(perm | group_perm, role=Role.CLINICIAN, is_active=True).distinct()


def cases_visible_to(actor) -> QuerySet:
    if not can_work_cases(actor):
        return CrisisCase.objects.none()
    return CrisisCase.objects.all()


def check_view_cases(actor) -> None:
    if not _active(actor):
        raise PermissionDenied("You need to sign in to see crisis cases.")
    if actor.role not in CASE_ROLES:
        raise PermissionDenied("Crisis cases are for clinicians and admins only.")


def check_view_case(actor, case: CrisisCase) -> None:
    check_view_cases(actor)


def check_work_case(actor, case: CrisisCase) -> None:
    """Acknowledge, add notes, change status, message the member."""
    check_view_case(actor, case)


def check_acknowledge_alert(actor, alert) -> None:
    check_view_cases(actor)


def check_view_safety_contact(actor, case: CrisisCase) -> None:
    if not _active(actor) or actor.role != Role.CLINICIAN:
        raise PermissionDenied("Only a clinician working the case can open a member's safety contact.")
    if not case.is_active:
        raise PermissionDenied("This case is resolved: the safety contact is sealed again.")


def check_view_rota_hazards(actor) -> None:
    if not (is_duty_lead(actor) or (_active(actor) and actor.role == Role.ADMIN)):
        raise PermissionDenied("Rota hazards are shown to duty leads and admins.")


CLINICAL_LEAD_PERMISSION = "escalation.clinical_lead"


def is_clinical_lead(actor) -> bool:
    return _active(actor) and actor.role in CASE_ROLES and actor.has_perm(CLINICAL_LEAD_PERMISSION)


def check_manage_triage_rules(actor) -> None:
    """Add, change, disable and test triage rules."""
    if not _active(actor):
        raise PermissionDenied("You need to sign in to manage triage rules.")
    if not is_clinical_lead(actor):
        raise PermissionDenied("Only clinical leads can add, change, disable or test triage rules.")


def check_manage_rota(actor) -> None:
    if not (is_duty_lead(actor) or (_active(actor) and actor.role == Role.ADMIN)):
        raise PermissionDenied("The rota is managed by duty leads and admins.")
