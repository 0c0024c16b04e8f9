"""Moderation pages: the queue, an item in context, the guide dashboard, member standing,
watched words, the audit log (admins), and for members: reporting a post, messages, reports.

Thin: permissions and selectors to read, services to write. Every action is a small POST form
that works without JavaScript; a refused action re-renders the item page with the reason
(409 for a claim conflict or a closed item, 400 for bad input) and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from community import permissions as community_permissions
from community.models import Post
from community.services import RateLimited
from moderation import permissions, selectors, services
from moderation.forms import (
    FlagForm,
    HideForm,
    NoteForm,
    ReasonForm,
    RedactForm,
    SuspendForm,
    WatchedWordForm,
)
from moderation.mfa import staff_page
from moderation.models import Priority, ReviewItem, Sanction, WatchedWord

QUEUE_ROLES = (Role.GUIDE, Role.ADMIN)


def _messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _status_for(exc: ValidationError) -> int:
    if isinstance(exc, RateLimited):
        return 429
    if isinstance(exc, services.ModerationConflict):
        return 409
    return 400


# --- the queue and the dashboard -----------------------------------------------------------------


def _queue_context(request: HttpRequest) -> dict:
    try:
        priority = int(request.GET.get("priority", ""))
    except ValueError:
        priority = None
    try:
        size = int(request.GET.get("size", 50))
    except ValueError:
        size = 50
    return {
        "entries": selectors.queue_page(actor=request.user, size=size, priority=priority),
        "counts": selectors.queue_counts(actor=request.user),
        "priorities": Priority.choices,
        "selected_priority": priority,
    }


@staff_page(*QUEUE_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "moderation/queue.html", _queue_context(request))


@staff_page(*QUEUE_ROLES)
def queue_fragment(request: HttpRequest) -> HttpResponse:
    """Just the list, for the live reload (the WebSocket only rings the doorbell)."""
    return render(request, "moderation/_queue_list.html", _queue_context(request))


@staff_page(*QUEUE_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request, "moderation/dashboard.html", {"dashboard": selectors.dashboard(actor=request.user)}
    )


@staff_page(*QUEUE_ROLES)
@require_POST
def claim_next(request: HttpRequest) -> HttpResponse:
    item = services.review_item_claim_next(actor=request.user)
    if item is None:
        messages.info(request, "Nothing is waiting. Thank you!")
        return redirect("moderation:queue")
    return redirect("moderation:item", pk=item.pk)


@staff_page(*QUEUE_ROLES)
@require_POST
def release_expired(request: HttpRequest) -> HttpResponse:
    released = services.claims_release_expired(actor=request.user)
    if released:
        messages.success(request, f"Released {released} expired claim{'s' if released != 1 else ''}.")
    else:
        messages.info(request, "No claims had expired.")
    return redirect("moderation:queue")


# --- one item ------------------------------------------------------------------------------------


def _item_page(request: HttpRequest, pk: int, *, error: str = "", status: int = 200, **forms) -> HttpResponse:
    try:
        context = selectors.item_context(actor=request.user, item_id=pk)
    except ReviewItem.DoesNotExist as exc:
        raise Http404("No such review item.") from exc
    item = context.item
    return render(
        request,
        "moderation/item.html",
        {
            "ctx": context,
            "item": item,
            "post": item.post,
            "member": item.member,
            "holds_claim": item.claimed_by_id == request.user.pk and item.claim_active(),
            "error": error,
            "hide_form": forms.get("hide_form") or HideForm(),
            "redact_form": forms.get("redact_form")
            or RedactForm(initial={"body": item.post.body if item.post_id else ""}),
            "reason_form": ReasonForm(),
            "suspend_form": forms.get("suspend_form") or SuspendForm(),
        },
        status=status,
    )


@staff_page(*QUEUE_ROLES)
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_page(request, pk)


ITEM_ACTIONS = {
    "claim",
    "release",
    "approve",
    "redact",
    "hide",
    "escalate",
    "dismiss",
    "warn",
    "suspend",
    "ban",
}


@staff_page(*QUEUE_ROLES)
@require_POST
def item_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ITEM_ACTIONS:
        raise Http404("No such action.")
    item = get_object_or_404(
        permissions.review_items_visible_to(request.user).select_related("post__author", "concern__member"),
        pk=pk,
    )
    actor, data = request.user, request.POST
    forms: dict = {}
    try:
        if action == "claim":
            services.review_item_claim(item=item, actor=actor)
        elif action == "release":
            services.review_item_release(item=item, actor=actor)
        elif action == "approve":
            services.review_item_approve(item=item, actor=actor, note=data.get("note", ""))
        elif action == "redact":
            forms["redact_form"] = RedactForm(data)
            services.review_item_approve_with_redaction(
                item=item, actor=actor, body=data.get("body", ""), reason=data.get("reason", "")
            )
        elif action == "hide":
            forms["hide_form"] = HideForm(data)
            services.review_item_hide(
                item=item, actor=actor, reason_key=data.get("reason_key", ""), note=data.get("note", "")
            )
        elif action == "escalate":
            services.review_item_escalate(item=item, actor=actor, reason=data.get("reason", ""))
        elif action == "dismiss":
            services.review_item_dismiss(item=item, actor=actor, note=data.get("note", ""))
        elif action == "warn":
            services.member_warn(member=item.member, actor=actor, reason=data.get("reason", ""), item=item)
        elif action == "suspend":
            forms["suspend_form"] = SuspendForm(data)
            services.member_suspend(
                member=item.member,
                actor=actor,
                reason=data.get("reason", ""),
                days=data.get("days"),
                item=item,
            )
        elif action == "ban":
            services.member_ban(member=item.member, actor=actor, reason=data.get("reason", ""), item=item)
    except ValidationError as exc:
        return _item_page(request, pk, error=_messages_of(exc), status=_status_for(exc), **forms)
    except PermissionDenied as exc:
        return _item_page(request, pk, error=str(exc), status=403, **forms)
    done = {
        "claim": "You have claimed this item.",
        "release": "Released: another guide can pick it up.",
        "approve": "Approved.",
        "redact": "Redacted and approved; the original is kept for audit.",
        "hide": "Hidden; the author has been sent a message.",
        "escalate": "Escalated: the clinicians on duty have been alerted.",
        "dismiss": "Flags dismissed.",
        "warn": "Warning sent.",
        "suspend": "Suspended.",
        "ban": "Banned.",
    }[action]
    messages.success(request, done)
    if action in {"approve", "redact", "hide", "dismiss"}:
        return redirect("moderation:queue")
    return redirect("moderation:item", pk=pk)


# --- member standing -----------------------------------------------------------------------------


def _member(pk: int):
    return get_object_or_404(get_user_model(), pk=pk)


@staff_page(*QUEUE_ROLES)
@require_http_methods(["GET", "POST"])
def member_standing(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(pk)
    form, status = NoteForm(), 200
    if request.method == "POST":
        form = NoteForm(request.POST)
        try:
            services.staff_note_add(member=member, actor=request.user, body=request.POST.get("body", ""))
        except ValidationError as exc:
            form.add_error("body", _messages_of(exc))
            status = 400
        else:
            messages.success(request, "Note added.")
            return redirect("moderation:member", pk=pk)
    standing = selectors.member_standing(actor=request.user, member=member)
    return render(
        request,
        "moderation/member.html",
        {"standing": standing, "member": member, "form": form, "reason_form": ReasonForm()},
        status=status,
    )


@staff_page(*QUEUE_ROLES)
@require_POST
def sanction_lift(request: HttpRequest, pk: int) -> HttpResponse:
    sanction = get_object_or_404(Sanction, pk=pk)
    try:
        services.sanction_lift(sanction=sanction, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, "Lifted; the member has been told.")
    return redirect("moderation:member", pk=sanction.member_id)


@staff_page(*QUEUE_ROLES)
@require_POST
def post_restore(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post, pk=pk)
    try:
        services.post_restore(post=post, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, "Restored; the author has been told.")
    return redirect("moderation:member", pk=post.author_id)


# --- watched words and the audit log -------------------------------------------------------------


@staff_page(*QUEUE_ROLES)
@require_http_methods(["GET", "POST"])
def watched_words(request: HttpRequest) -> HttpResponse:
    form, status = WatchedWordForm(), 200
    if request.method == "POST":
        form = WatchedWordForm(request.POST)
        try:
            services.watched_word_create(
                actor=request.user,
                pattern=request.POST.get("pattern", ""),
                match=request.POST.get("match", ""),
                action=request.POST.get("action", ""),
            )
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
            status = 400
        else:
            messages.success(request, "Added to the watched list.")
            return redirect("moderation:watched-words")
    words = WatchedWord.objects.select_related("created_by").order_by("-is_active", "action", "pattern")
    return render(request, "moderation/watched_words.html", {"form": form, "words": words}, status=status)


@staff_page(*QUEUE_ROLES)
@require_POST
def watched_word_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    word = get_object_or_404(WatchedWord, pk=pk)
    services.watched_word_set_active(actor=request.user, word=word, active=not word.is_active)
    return redirect("moderation:watched-words")


@staff_page(Role.ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    permissions.check_view_audit_log(request.user)
    qs = permissions.audit_entries_visible_to(request.user)
    for key in ("action", "object_type", "object_id"):
        if request.GET.get(key):
            qs = qs.filter(**{key: request.GET[key]})
    return render(request, "moderation/audit_log.html", {"entries": qs.select_related("actor")[:200]})


# --- members: reporting, messages, my reports ----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def flag_post(request: HttpRequest, pk: int) -> HttpResponse:
    community_permissions.check_access_forums(request.user)
    post = get_object_or_404(
        Post.objects.select_related("thread__space", "thread__opening_post", "author"), pk=pk
    )
    permissions.check_flag_post(request.user, post)
    form, status = FlagForm(), 200
    if request.method == "POST":
        form = FlagForm(request.POST)
        try:
            services.flag_create(
                reporter=request.user,
                post=post,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
            status = _status_for(exc)
        else:
            messages.success(
                request,
                "Thank you. A guide will look at this post soon. We never tell anyone who reported it.",
            )
            return redirect(reverse("community:thread-detail", args=[post.thread_id]) + f"#post-{post.pk}")
    return render(request, "moderation/flag_form.html", {"form": form, "post": post}, status=status)


@login_required
def member_messages(request: HttpRequest) -> HttpResponse:
    items = list(selectors.messages_for(request.user)[:50])
    unread = [m.pk for m in items if m.read_at is None]
    response = render(
        request, "moderation/messages.html", {"messages_list": items, "unread_ids": set(unread)}
    )
    if unread:
        services.messages_mark_read(user=request.user)
    return response


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    return render(request, "moderation/my_reports.html", {"flags": selectors.my_flags(request.user)[:50]})
