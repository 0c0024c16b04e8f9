"""What a live page fetches after the WebSocket rings: rendered posts and the unread count.

The WebSocket carries ids only. When it says a thread has a new post, ``static/js/live.js``
asks here for the posts it has not shown yet, so every visibility rule of the thread page
applies again (held, hidden and removed posts of others never arrive), and a client that was
disconnected catches up from the database with the same request.

``GET /live/threads/<thread_id>/posts/?after_post=<id>``
    HTML fragment: the posts the requester may see that come after post ``<id>`` in the
    thread's keyset order ``(created_at, id)``, oldest first, at most ``LIVE_BATCH`` of them,
    rendered with the thread page's own ``community/_post.html``. ``X-Live-More: 1`` when more
    follow (ask again after the last one returned).
``GET /live/threads/<thread_id>/posts/?post=<id>``
    HTML fragment of that one post (e.g. a held post just published, or an edited one), or
    ``204 No Content`` when the requester may not see it (any more).
``GET /live/unread-count/``
    ``{"unread_count": <n>}``: the requester's unread notifications, as the notifications page counts them.

Errors: 401 not signed in, 403 no access (with the reason), 404 unknown thread, 400 bad
parameters; each with a short body and nothing changed (these views only read).
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from community import permissions, selectors
from community.models import Post, Thread

LIVE_BATCH = 20


def _problem(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if request.path.endswith("/unread-count/"):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def live_view(view):
    """GET only, never cached (the answer is private and changes), short error bodies."""

    @require_GET
    @never_cache
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return _problem(request, 401, "Please sign in.")
        try:
            permissions.check_access_forums(request.user)
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return _problem(request, 403, str(exc) or "Not allowed.")

    return wrapper


def _positive_int(value: str | None) -> int | None:
    if value is None or not value.isdigit() or len(value) > 18:
        return None
    number = int(value)
    return number if number > 0 else None


@live_view
def thread_posts(request: HttpRequest, thread_id: int) -> HttpResponse:
    try:
        thread = selectors.thread_get(actor=request.user, pk=thread_id)
    except Thread.DoesNotExist:
        return _problem(request, 404, "No such thread.")
    after_raw, single_raw = request.GET.get("after_post"), request.GET.get("post")
    if (after_raw is None) == (single_raw is None):
        return _problem(request, 400, "Give exactly one of after_post or post.")
    anchor_id = _positive_int(after_raw if after_raw is not None else single_raw)
    anchor = (
        Post.objects.filter(thread=thread, pk=anchor_id).values("pk", "created_at").first()
        if anchor_id
        else None
    )
    if anchor is None:
        return _problem(request, 400, "That post is not in this thread.")

    if after_raw is not None:
        cursor = selectors.encode_cursor(anchor["created_at"], anchor["pk"])
        page = selectors.thread_posts_page(actor=request.user, thread=thread, cursor=cursor, size=LIVE_BATCH)
        posts = page.items
    else:
        # The keyset position just before this post: (its created_at, its id - 1). The first
        # visible post from there is this post exactly when the requester may see it.
        cursor = selectors.encode_cursor(anchor["created_at"], anchor["pk"] - 1)
        page = selectors.thread_posts_page(actor=request.user, thread=thread, cursor=cursor, size=1)
        posts = [post for post in page.items if post.pk == anchor["pk"]]
        if not posts:
            return HttpResponse(status=204)

    context = {
        "posts": posts,
        "thread": thread,
        "is_staff_viewer": permissions.is_forum_staff(request.user),
    }
    response = render(request, "community/live/posts_fragment.html", context)
    if after_raw is not None and page.has_next:
        response["X-Live-More"] = "1"
    return response


@live_view
def unread_count(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"unread_count": selectors.notifications_unread_count(user=request.user)})
