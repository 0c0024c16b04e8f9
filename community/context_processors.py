"""The unread-notification count for the navigation badge.

Lazy: the query runs only when a template shows the badge (full pages, not live fragments),
and at most once per response.
"""

from functools import cache

from django.http import HttpRequest

from community.selectors import notifications_unread_count


def unread_notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_member:
        return {}

    @cache
    def count() -> int:
        return notifications_unread_count(user=user)

    return {"unread_notifications": count}
