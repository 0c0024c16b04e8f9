"""Who may see and do what in moderation. Each check raises PermissionDenied with a reason.

* guides and admins work the queue (claim, act, sanction, notes, watched words);
* clinicians are staff but work crisis cases, not the queue;
* admins alone read the audit log and who reported a post;
* members flag posts and read their own messages; commissioners see none of it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from accounts.models import STAFF_ROLES, Role
from community import permissions as community_permissions
from moderation.models import AuditEntry, Flag, ModerationMessage, ReviewItem, StaffNote

QUEUE_ROLES = frozenset({Role.GUIDE, Role.ADMIN})


def _active(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active


def can_moderate(actor) -> bool:
    return _active(actor) and actor.role in QUEUE_ROLES


def check_moderate(actor) -> None:
    if not _active(actor):
        raise PermissionDenied("Please sign in as a guide to use the review queue.")
    if actor.role not in QUEUE_ROLES:
        raise PermissionDenied("The review queue is for guides and admins.")


def check_view_queue(actor) -> None:
    check_moderate(actor)


def check_act_on_item(actor, item: ReviewItem) -> None:
    check_moderate(actor)


def check_sanction_member(actor, member) -> None:
    check_moderate(actor)
    if member.pk == actor.pk:
        raise PermissionDenied("You can't sanction your own account.")
    if member.role in STAFF_ROLES or member.role == Role.COMMISSIONER:
        raise PermissionDenied(
            "Staff and commissioner accounts can't be warned, suspended or banned here; "
            "an admin manages them in the staff settings."
        )


def check_view_member_standing(actor, member) -> None:
    check_moderate(actor)


def check_manage_watched_words(actor) -> None:
    check_moderate(actor)


def check_view_audit_log(actor) -> None:
    if not _active(actor) or actor.role != Role.ADMIN:
        raise PermissionDenied("The audit log is for admins only.")


def check_view_reporters(actor) -> None:
    """Who reported a post: admins only (investigating abuse of reporting)."""
    check_view_audit_log(actor)


def check_flag_post(actor, post) -> None:
    community_permissions.check_view_post(actor, post)
    if actor.role != Role.MEMBER:
        raise PermissionDenied("Reporting is for members; staff can act on posts directly.")
    if post.author_id == actor.pk:
        raise PermissionDenied("You can't report your own post. If you need to, you can edit or delete it.")
    if not post.is_published:
        raise PermissionDenied("Only visible posts can be reported.")


def review_items_visible_to(actor) -> QuerySet[ReviewItem]:
    return ReviewItem.objects.all() if can_moderate(actor) else ReviewItem.objects.none()


def staff_notes_visible_to(actor) -> QuerySet[StaffNote]:
    return StaffNote.objects.all() if can_moderate(actor) else StaffNote.objects.none()


def flags_visible_to(actor) -> QuerySet[Flag]:
    """Guides see flags (reasons, never reporters: selectors defer them); members their own."""
    if can_moderate(actor):
        return Flag.objects.all()
    if _active(actor) and actor.role == Role.MEMBER:
        return Flag.objects.filter(reporter=actor)
    return Flag.objects.none()


def audit_entries_visible_to(actor) -> QuerySet[AuditEntry]:
    if _active(actor) and actor.role == Role.ADMIN:
        return AuditEntry.objects.all()
    return AuditEntry.objects.none()


def messages_visible_to(actor) -> QuerySet[ModerationMessage]:
    if not _active(actor):
        return ModerationMessage.objects.none()
    return ModerationMessage.objects.filter(recipient=actor)
