"""Moderation's pieces of the members' pages (the project templates include them):

``{% report_link post %}``
    In ``community/_post.html``'s footer: "Report" on another member's visible post, for members.
    Rendered up to 30 times a page, so no ``{% url %}``: the URL is reversed once per URLconf and
    script prefix with a sentinel id (as ``community_posts`` does) and no query is made.
``{{ item.pk|item_url }}``, ``{{ item.pk|item_action_url:"claim" }}``
    The queue list's links, from the same reversed halves (the list has up to 200 rows).
``{% queue_rows entries %}``
    The queue list's rows (up to 200), built here with ``escape`` on every value: the Django
    template for a row cost about as much as the rest of the page.
``{% moderation_messages_panel %}``
    On the notifications page: the member's latest messages from the guides and how many are
    unread, in one query.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from django import template
from django.db.models import Count, Q, Window
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe

from accounts.models import Role
from moderation import selectors

register = template.Library()

SENTINEL_ID = 918273645
PANEL_SIZE = 3


@lru_cache(maxsize=64)
def _url_halves(name: str, extra: tuple, urlconf: str | None, script_prefix: str) -> tuple[str, str]:
    url = reverse(name, args=[SENTINEL_ID, *extra], urlconf=urlconf)
    before, after = url.split(str(SENTINEL_ID), 1)
    return before, after


def _url(name: str, pk: int, *extra: str) -> str:
    before, after = _url_halves(name, extra, get_urlconf(), get_script_prefix())
    return f"{before}{int(pk)}{after}"


def flag_url(post_id: int) -> str:
    return _url("moderation:flag-post", post_id)


@register.filter
def item_url(pk: int) -> str:
    """``{{ item.pk|item_url }}`` is ``{% url 'moderation:item' item.pk %}``, cheaply."""
    return _url("moderation:item", pk)


@register.filter
def item_action_url(pk: int, action: str) -> str:
    """``{{ item.pk|item_action_url:"claim" }}`` is ``{% url 'moderation:item-action' pk 'claim' %}``."""
    return _url("moderation:item-action", pk, action)


@register.simple_tag(takes_context=True)
def report_link(context, post) -> SafeString:
    user = context.get("user")
    if (
        user is None
        or not user.is_authenticated
        or user.role != Role.MEMBER
        or post.author_id == user.pk
        or not post.is_published
    ):
        return mark_safe("")
    return mark_safe(  # noqa: S308 (a constant and an escaped URL)
        f'<a class="link-button flag-link" href="{escape(flag_url(post.pk))}" rel="nofollow">Report</a>'
    )


def _queue_row(entry) -> str:
    item = entry.item
    pk = int(item.pk)
    url = escape(item_url(pk))
    classes = f"card queue-item queue-item--p{int(item.priority)}{' past-due' if entry.past_due else ''}"
    meta = [f"<strong>{escape(item.get_priority_display())}</strong>"]
    if entry.risk_level:
        meta.append(f"risk {escape(entry.risk_level)}")
    meta.append(f"waiting {escape(entry.waiting)}")
    meta.append(f'<span class="due">{escape(entry.due_text)}</span>')
    if item.claimed_by_id:
        name = escape(item.claimed_by.pseudonym)
        if entry.claim_expired:
            meta.append(f'<span class="claim-expired">claim by {name} expired</span>')
        else:
            meta.append(f"claimed by {name}")
    post = item.post
    if post is not None:
        thread = post.thread
        subject = (
            f'<a href="{url}">{escape(post.author.pseudonym)} in “{escape(thread.title)}”</a> '
            f'<span class="meta">({escape(post.get_state_display())}, {escape(thread.space.name)})</span>'
        )
    else:
        concern = item.concern
        subject = (
            f'<a href="{url}">{escape(concern.member.pseudonym)}: {escape(concern.summary)}</a> '
            f'<span class="meta">(not a post: {escape(concern.source)}, level {escape(concern.level)})</span>'
        )
    return (
        f'<li class="{classes}" id="item-{pk}" data-item-id="{pk}" data-item-url="{url}" '
        f'data-claim-url="{escape(item_action_url(pk, "claim"))}" '
        f'data-claimed="{int(item.claimed_by_id) if item.claimed_by_id else ""}" tabindex="-1">'
        f'<p class="meta">{" · ".join(meta)}</p><p>{subject}</p>'
        f'<p class="meta">{escape(entry.sources_text)}{escape(entry.flags_text)}</p></li>'
    )


@register.simple_tag
def queue_rows(entries) -> SafeString:
    if not entries:
        return mark_safe('<li class="card">Nothing is waiting for review.</li>')
    return mark_safe("\n".join(_queue_row(entry) for entry in entries))  # noqa: S308 (escaped values)


@register.inclusion_tag("moderation/_messages_panel.html", takes_context=True)
def moderation_messages_panel(context) -> dict:
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_count": 0, "recent": []}
    # The window counts every unread message before the LIMIT applies: one query for both.
    recent = list(
        selectors.messages_for(user).annotate(
            unread_total=Window(Count("id", filter=Q(read_at__isnull=True)))
        )[:PANEL_SIZE]
    )
    return {"unread_count": recent[0].unread_total if recent else 0, "recent": recent}
