"""Server-rendered forum pages. Thin: permissions + selectors to read, services to write.

Every page works without JavaScript: actions are small POST forms. Bad input re-renders the
form with a clear message (status 400; 429 for rate limits) and saves nothing. Commissioners
get 403 everywhere here: they see aggregates only.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from community import permissions, selectors, services
from community.forms import ForumSettingsForm, PostEditForm, ReactionForm, ReplyForm, ThreadForm
from community.models import MemberControlKind, Post, PostState, Space, Thread

CRISIS_HELP_PATH = "/help/"


def forum_view(view):
    """Sign-in required, and only forum participants (not commissioners) get in."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        permissions.check_access_forums(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _error_status(exc: ValidationError) -> int:
    return 429 if isinstance(exc, services.RateLimited) else 400


def _action_error(request: HttpRequest, message: str, *, back: str, status: int = 400) -> HttpResponse:
    return render(request, "community/action_error.html", {"message": message, "back": back}, status=status)


def _first_message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _get_thread(request: HttpRequest, pk: int, *, with_following: bool = False) -> Thread:
    try:
        return selectors.thread_get(actor=request.user, pk=pk, with_following=with_following)
    except Thread.DoesNotExist as exc:
        raise Http404("No such thread.") from exc


def _get_post(request: HttpRequest, pk: int) -> Post:
    post = get_object_or_404(
        Post.objects.select_related("thread__space", "thread__opening_post", "author"), pk=pk
    )
    permissions.check_view_post(request.user, post)
    return post


def _thread_url(thread_id: int, post: Post | None = None) -> str:
    url = reverse("community:thread-detail", args=[thread_id])
    return f"{url}#post-{post.pk}" if post else url


@forum_view
def space_list(request: HttpRequest) -> HttpResponse:
    return render(request, "community/space_list.html", {"spaces": selectors.space_list(actor=request.user)})


def _posting_refusal_up_front(user, form) -> str | None:
    """Why ``user`` can't post, to show in place of the form before they type (the ``posting_check``
    hook: one query for a member). Display only: the services still refuse every submission.
    Staff are never sanctioned, so their pages skip the hook. After a refused POST the form stays,
    with the reason and their text, so nothing typed is lost."""
    if form.is_bound or permissions.is_forum_staff(user):
        return None
    return services.posting_refusal(user)


@forum_view
@require_http_methods(["GET", "POST"])
def space_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        space = selectors.space_get(actor=request.user, slug=slug)
    except Space.DoesNotExist as exc:
        raise Http404("No such space.") from exc
    status = 200
    if request.method == "POST":
        form = ThreadForm(request.POST)
        if form.is_valid():
            try:
                thread = services.thread_create(
                    author=request.user,
                    space=space,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
                status = _error_status(exc)
            else:
                return redirect(_thread_url(thread.pk))
        else:
            status = 400
    else:
        form = ThreadForm()
    page = selectors.space_threads_page(actor=request.user, space=space, cursor=request.GET.get("after"))
    refusal = _posting_refusal_up_front(request.user, form)
    return render(
        request,
        "community/space_detail.html",
        {"space": space, "page": page, "form": form, "posting_refusal": refusal},
        status=status,
    )


@forum_view
@require_http_methods(["GET", "POST"])
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _get_thread(request, pk, with_following=True)
    status = 200
    if request.method == "POST":
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                post = services.post_create(
                    author=request.user, thread=thread, body=form.cleaned_data["body"]
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
                status = _error_status(exc)
            else:
                return redirect("community:post-jump", pk=post.pk)
        else:
            status = 400
    else:
        form = ReplyForm()
    page = selectors.thread_posts_page(actor=request.user, thread=thread, cursor=request.GET.get("after"))
    opening = thread.opening_post
    can_reply = opening is not None and (
        opening.state == PostState.PUBLISHED or permissions.is_forum_staff(request.user)
    )
    refusal = _posting_refusal_up_front(request.user, form) if can_reply else None
    context = {
        "posting_refusal": refusal,
        "thread": thread,
        "page": page,
        "form": form,
        "can_reply": can_reply,
        "is_following": thread.is_followed,
        "is_staff_viewer": permissions.is_forum_staff(request.user),
        "crisis_help_url": CRISIS_HELP_PATH,
    }
    return render(request, "community/thread_detail.html", context, status=status)


@forum_view
def post_jump(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the thread page that starts at this post (keyset: the page after its predecessor)."""
    post = _get_post(request, pk)
    previous = (
        Post.objects.filter(thread_id=post.thread_id)
        .filter(permissions.post_visible_condition(request.user))
        .filter(created_at__lte=post.created_at)
        .exclude(pk__gte=post.pk, created_at=post.created_at)
        .order_by("-created_at", "-pk")
        .first()
    )
    url = reverse("community:thread-detail", args=[post.thread_id])
    if previous is not None:
        url += "?after=" + selectors.encode_cursor(previous.created_at, previous.pk)
    return redirect(f"{url}#post-{post.pk}")


@forum_view
@require_POST
def thread_follow(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _get_thread(request, pk)
    services.subscription_follow(user=request.user, thread=thread)
    return redirect(_thread_url(thread.pk))


@forum_view
@require_POST
def thread_unfollow(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _get_thread(request, pk)
    services.subscription_unfollow(user=request.user, thread=thread)
    return redirect(_thread_url(thread.pk))


@forum_view
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = _get_post(request, pk)
    permissions.check_edit_post(request.user, post)
    with_title = post.is_opening
    status = 200
    if request.method == "POST":
        form = PostEditForm(request.POST, with_title=with_title)
        if form.is_valid():
            try:
                services.post_edit(
                    actor=request.user,
                    post=post,
                    body=form.cleaned_data["body"],
                    title=form.cleaned_data.get("title") if with_title else None,
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
                status = 400
            else:
                return redirect("community:post-jump", pk=post.pk)
        else:
            status = 400
    else:
        initial = {"body": post.body}
        if with_title:
            initial["title"] = post.thread.title
        form = PostEditForm(initial=initial, with_title=with_title)
    return render(request, "community/post_edit.html", {"post": post, "form": form}, status=status)


@forum_view
@require_http_methods(["GET", "POST"])
def post_delete(request: HttpRequest, pk: int) -> HttpResponse:
    post = _get_post(request, pk)
    permissions.check_remove_post(request.user, post)
    if request.method == "POST":
        services.post_remove(post=post, actor=request.user)
        return redirect(_thread_url(post.thread_id))
    return render(request, "community/post_delete.html", {"post": post})


@forum_view
@require_POST
def post_react(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a reaction (``kind=<kind>``) or take one back (``remove=<kind>``).

    The thread page has one reaction form per post; each button carries its own name and
    value, so the pressed one says what to do.
    """
    post = _get_post(request, pk)
    back = _thread_url(post.thread_id, post)
    removing = "remove" in request.POST
    form = ReactionForm({"kind": request.POST.get("remove" if removing else "kind")})
    if (removing and "kind" in request.POST) or not form.is_valid():
        return _action_error(request, "Please choose one of the reactions shown.", back=back)
    kind = form.cleaned_data["kind"]
    if removing:
        services.reaction_remove(user=request.user, post=post, kind=kind)
    else:
        try:
            services.reaction_add(user=request.user, post=post, kind=kind)
        except ValidationError as exc:
            return _action_error(request, _first_message(exc), back=back)
    return redirect("community:post-jump", pk=post.pk)


@forum_view
@require_POST
def post_unreact(request: HttpRequest, pk: int) -> HttpResponse:
    post = _get_post(request, pk)
    form = ReactionForm(request.POST)
    if not form.is_valid():
        return _action_error(
            request, "Please choose one of the reactions shown.", back=_thread_url(post.thread_id)
        )
    services.reaction_remove(user=request.user, post=post, kind=form.cleaned_data["kind"])
    return redirect("community:post-jump", pk=post.pk)


@forum_view
def unanswered(request: HttpRequest) -> HttpResponse:
    page = selectors.unanswered_threads_page(actor=request.user, cursor=request.GET.get("after"))
    return render(request, "community/unanswered.html", {"page": page})


@forum_view
def notifications(request: HttpRequest) -> HttpResponse:
    page = selectors.notifications_page(user=request.user, cursor=request.GET.get("after"))
    unread = selectors.notifications_unread_count(user=request.user)
    return render(request, "community/notifications.html", {"page": page, "unread_count": unread})


@forum_view
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    return redirect("community:notifications")


@forum_view
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(selectors.notifications_for(request.user), pk=pk)
    services.notifications_mark_read(user=request.user, notification_ids=[notification.pk])
    if notification.is_system:
        # A path on this site (checked when saved, and again here: never another site).
        if url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None) and (
            notification.link.startswith("/")
        ):
            return redirect(notification.link)
        return redirect("community:notifications")
    return redirect("community:post-jump", pk=notification.post_id)


@forum_view
def my_posts(request: HttpRequest) -> HttpResponse:
    threads = selectors.my_threads_page(user=request.user, cursor=request.GET.get("threads_after"), size=10)
    posts = selectors.my_posts_page(user=request.user, cursor=request.GET.get("posts_after"))
    return render(request, "community/my_posts.html", {"threads": threads, "posts": posts})


@forum_view
@require_http_methods(["GET", "POST"])
def forum_settings(request: HttpRequest) -> HttpResponse:
    preference = selectors.preference_for(user=request.user)
    if request.method == "POST":
        form = ForumSettingsForm(request.POST)
        if form.is_valid():
            services.preference_update(user=request.user, email_digest=form.cleaned_data["email_digest"])
            messages.success(request, "Your forum settings are saved.")
            return redirect("community:forum-settings")
    else:
        form = ForumSettingsForm(initial={"email_digest": preference.email_digest})
    controls = request.user.member_controls.select_related("target").order_by("kind", "target__pseudonym")
    return render(request, "community/forum_settings.html", {"form": form, "controls": controls})


MEMBER_ACTIONS = {
    "mute": (MemberControlKind.MUTE, True),
    "unmute": (MemberControlKind.MUTE, False),
    "block": (MemberControlKind.BLOCK, True),
    "unblock": (MemberControlKind.BLOCK, False),
}


@forum_view
@require_POST
def member_control(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in MEMBER_ACTIONS:
        raise Http404("Unknown action.")
    target = get_object_or_404(get_user_model(), pk=pk, is_active=True)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        back = reverse("community:forum-settings")
    kind, enabled = MEMBER_ACTIONS[action]
    try:
        services.member_control_set(owner=request.user, target=target, kind=kind, enabled=enabled)
    except PermissionDenied as exc:
        return _action_error(request, str(exc), back=back, status=403)
    return redirect(back)
