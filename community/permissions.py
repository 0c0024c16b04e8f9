"""Who may see and do what in the forums.

``check_<verb>_<object>(actor, obj)`` raise ``PermissionDenied`` with a reason a person can read;
``<object>_visible_to(actor)`` return querysets. Views, the API and consumers call both.

Commissioners are not forum participants: they see aggregates only (outcomes app), so every
forum page and action answers 403 for them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from accounts.models import STAFF_ROLES, Role
from community.models import Post, PostState, Space, Thread

COMMISSIONER_REASON = (
    "Commissioners see aggregate reports only; the forums are for members and the guides who support them."
)


def is_forum_staff(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and actor.role in STAFF_ROLES


def check_access_forums(actor) -> None:
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Please sign in to use the forums.")
    if not actor.is_active:
        raise PermissionDenied("This account is not active.")
    if actor.role == Role.COMMISSIONER:
        raise PermissionDenied(COMMISSIONER_REASON)


def _can_use_forums(actor) -> bool:
    try:
        check_access_forums(actor)
    except PermissionDenied:
        return False
    return True


def spaces_visible_to(actor) -> QuerySet[Space]:
    if not _can_use_forums(actor):
        return Space.objects.none()
    if is_forum_staff(actor):
        return Space.objects.all()
    condition = Q(organisation__isnull=True)
    if actor.organisation_id:
        condition |= Q(organisation_id=actor.organisation_id)
    return Space.objects.filter(condition)


def _space_condition(actor, prefix: str) -> Q:
    condition = Q(**{f"{prefix}organisation__isnull": True})
    if actor.organisation_id:
        condition |= Q(**{f"{prefix}organisation_id": actor.organisation_id})
    return condition


def threads_visible_to(actor) -> QuerySet[Thread]:
    """Threads in visible spaces whose opening post is published (or the actor's own)."""
    if not _can_use_forums(actor):
        return Thread.objects.none()
    if is_forum_staff(actor):
        return Thread.objects.all()
    return Thread.objects.filter(
        _space_condition(actor, "space__"),
        Q(opening_post__state=PostState.PUBLISHED) | Q(author=actor),
    )


def posts_visible_to(actor) -> QuerySet[Post]:
    """Posts the actor may see: published ones in visible threads, plus their own in any state.

    The author sees their own held/hidden/removed posts (with a note about the state); staff
    see everything, marked.
    """
    if not _can_use_forums(actor):
        return Post.objects.none()
    if is_forum_staff(actor):
        return Post.objects.all()
    return Post.objects.filter(
        _space_condition(actor, "thread__space__"),
        Q(thread__opening_post__state=PostState.PUBLISHED) | Q(thread__author=actor),
    ).filter(Q(state=PostState.PUBLISHED) | Q(author=actor))


def post_visible_condition(actor) -> Q:
    """Row filter for posts inside a thread already known to be visible."""
    if is_forum_staff(actor):
        return Q()
    return Q(state=PostState.PUBLISHED) | Q(author=actor)


def check_view_space(actor, space: Space) -> None:
    check_access_forums(actor)
    if is_forum_staff(actor) or space.organisation_id is None:
        return
    if space.organisation_id != actor.organisation_id:
        raise PermissionDenied("This space is only open to members of its organisation.")


def check_view_thread(actor, thread: Thread) -> None:
    check_view_space(actor, thread.space)
    if is_forum_staff(actor) or thread.author_id == actor.pk:
        return
    opening = thread.opening_post
    if opening is None or opening.state != PostState.PUBLISHED:
        raise PermissionDenied("This thread is not available.")


def check_create_thread(actor, space: Space) -> None:
    check_view_space(actor, space)


def check_reply_thread(actor, thread: Thread) -> None:
    check_view_thread(actor, thread)
    opening = thread.opening_post
    if opening is not None and opening.state != PostState.PUBLISHED and not is_forum_staff(actor):
        raise PermissionDenied("Replies open once the first post of this thread is visible.")


def check_view_post(actor, post: Post) -> None:
    check_view_thread(actor, post.thread)
    if is_forum_staff(actor) or post.author_id == actor.pk:
        return
    if post.state != PostState.PUBLISHED:
        raise PermissionDenied("This post is not available.")


def check_edit_post(actor, post: Post) -> None:
    check_view_post(actor, post)
    if post.author_id != actor.pk:
        raise PermissionDenied("You can only edit your own posts.")
    if post.state in (PostState.HIDDEN, PostState.REMOVED):
        raise PermissionDenied("This post can no longer be edited.")


def check_remove_post(actor, post: Post) -> None:
    check_view_post(actor, post)
    if post.author_id != actor.pk:
        raise PermissionDenied("You can only delete your own posts.")


def check_react_post(actor, post: Post) -> None:
    check_view_post(actor, post)
    if post.state != PostState.PUBLISHED:
        raise PermissionDenied("You can only react to visible posts.")
    if post.author_id == actor.pk:
        raise PermissionDenied("You can't react to your own post.")


def check_moderate_post(actor, post: Post) -> None:
    check_access_forums(actor)
    if not is_forum_staff(actor):
        raise PermissionDenied("Only guides, clinicians and admins can do this.")


def check_view_revisions(actor, post: Post) -> None:
    check_moderate_post(actor, post)


def check_control_member(actor, target) -> None:
    check_access_forums(actor)
    if target.pk == actor.pk:
        raise PermissionDenied("You can't mute or block yourself.")
    if target.role in STAFF_ROLES:
        raise PermissionDenied("Guides and clinicians can't be muted or blocked: they keep everyone safe.")
