"""Cheap per-item pieces for ``community/_post.html`` and ``_thread_row.html``, included 30 times a page.

``{% post_actions post %}``
    The post's ``<footer>`` content: one reaction form (a button per kind; the pressed button's
    name says add, ``kind``, or take back, ``remove``), Edit/Delete for its author, Mute/Block
    forms for another member's post. Built here in Python rather than with template
    tags: the 40-odd template nodes it replaces, times 30 posts, were most of the page's CPU.
    URLs come from ``post_urls``: ``{% url %}`` resolves the URLconf on every call (≈ 8 per
    post, 230 per page); here each URL name is reversed once per URLconf and script prefix with
    a sentinel id, and a post's URL is the two halves around that id joined with its own.
``{{ post.created_at|time_ago }}``
    ``<time datetime="…">3 hours ago</time>``: "just now", minutes, hours or days ago within a
    week, else the date. A few integer divisions instead of ``naturaltime``'s translated
    ``timesince`` (≈ 0.35 ms a call).
``{{ thread|thread_url }}``
    The thread page's URL, from the same reversed halves.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from html import escape

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# An id no real URL of these patterns contains elsewhere: the reversed URL is split around it.
SENTINEL_ID = 918273645

THREAD_URL_NAME = "community:thread-detail"
POST_URL_NAMES = {
    "jump": "community:post-jump",
    "edit": "community:post-edit",
    "delete": "community:post-delete",
    "react": "community:post-react",
    "unreact": "community:post-unreact",
}
MEMBER_ACTIONS = ("mute", "unmute", "block", "unblock")
TAKE_BACK_HINT = ' ✓<span class="visually-hidden"> (select to take it back)</span>'


def _split(url: str) -> tuple[str, str]:
    before, found, after = url.partition(str(SENTINEL_ID))
    if not found or str(SENTINEL_ID) in after:
        raise ValueError(f"Cannot use {url!r} as a URL template.")
    return before, after


@lru_cache(maxsize=16)
def _url_halves(urlconf: str, script_prefix: str) -> dict[str, tuple[str, str]]:
    """Per URLconf and script prefix (both part of the key, so overrides in tests are honoured)."""
    halves = {
        key: _split(reverse(name, urlconf=urlconf, args=[SENTINEL_ID]))
        for key, name in POST_URL_NAMES.items()
    }
    halves["thread"] = _split(reverse(THREAD_URL_NAME, urlconf=urlconf, args=[SENTINEL_ID]))
    for action in MEMBER_ACTIONS:
        halves[action] = _split(
            reverse("community:member-control", urlconf=urlconf, args=[SENTINEL_ID, action])
        )
    return halves


def _current_halves() -> dict[str, tuple[str, str]]:
    return _url_halves(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@register.filter
def thread_url(thread) -> str:
    """``{{ thread|thread_url }}`` is ``{% url 'community:thread-detail' thread.pk %}``, cheaply."""
    before, after = _current_halves()["thread"]
    return f"{before}{thread.pk}{after}"


def post_urls(post) -> dict[str, str]:
    """The URLs ``_post.html`` links or posts to for this post, as ``{% url %}`` would give them."""
    halves = _current_halves()
    pk, author_id = str(post.pk), str(post.author_id)
    urls = {key: f"{halves[key][0]}{pk}{halves[key][1]}" for key in POST_URL_NAMES}
    mute = "unmute" if getattr(post, "is_muted", False) else "mute"
    block = "unblock" if getattr(post, "author_blocked", False) else "block"
    urls["mute_toggle"] = f"{halves[mute][0]}{author_id}{halves[mute][1]}"
    urls["block_toggle"] = f"{halves[block][0]}{author_id}{halves[block][1]}"
    return urls


def _csrf_input(context) -> str:
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":  # noqa: S105 (Django's marker for "no CSRF middleware")
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(token))}">'


def _reaction_buttons(reactions: list[dict]) -> str:
    buttons = []
    for reaction in reactions:
        mine, count = reaction["mine"], reaction["count"]
        buttons.append(
            f'<button type="submit" name="{"remove" if mine else "kind"}" value="{escape(reaction["kind"])}" '
            f'class="button button--secondary" aria-pressed="{"true" if mine else "false"}">'
            f"{escape(str(reaction['label']))}{f' · {int(count)}' if count else ''}"
            f"{TAKE_BACK_HINT if mine else ''}</button>"
        )
    return "".join(buttons)


def _member_control_form(url: str, csrf: str, back: str, label: str, pseudonym: str) -> str:
    return (
        f'<form method="post" action="{escape(url)}">{csrf}'
        f'<input type="hidden" name="next" value="{escape(back)}">'
        f'<button type="submit" class="link-button">{label} {pseudonym}</button></form>'
    )


@register.simple_tag(takes_context=True)
def post_actions(context, post) -> SafeString:
    """What the viewer can do with this post (see the module docstring).

    Plain f-strings with ``escape`` (the standard library's, which Django's ``escape`` wraps)
    on every value that is not a constant: ``format_html`` costs several times more per call.
    """
    is_mine = getattr(post, "is_mine", None)
    if is_mine is None:
        user = context.get("user")
        is_mine = user is not None and post.author_id == user.pk
    urls = post_urls(post)
    parts: list[str] = []
    summary = getattr(post, "reaction_summary", None)
    if post.is_published and summary is not None:
        reactions = summary.items()
        if is_mine:
            parts.extend(
                f'<span class="meta">{escape(str(r["label"]))}: {int(r["count"])}</span>'
                for r in reactions
                if r["count"]
            )
        else:
            parts.append(
                f'<form method="post" action="{escape(urls["react"])}" class="reactions">'
                f"{_csrf_input(context)}{_reaction_buttons(reactions)}</form>"
            )
    if is_mine:
        if post.is_published or post.is_held:
            parts.append(f'<a href="{escape(urls["edit"])}">Edit</a>')
        if not post.is_removed:
            parts.append(f'<a href="{escape(urls["delete"])}">Delete</a>')
    elif post.author.role == "member":
        csrf, back = _csrf_input(context), urls["jump"]
        pseudonym = escape(post.author.pseudonym)
        mute_label = "Unmute" if getattr(post, "is_muted", False) else "Mute"
        block_label = "Unblock" if getattr(post, "author_blocked", False) else "Block notifications from"
        parts.append(_member_control_form(urls["mute_toggle"], csrf, back, mute_label, pseudonym))
        parts.append(_member_control_form(urls["block_toggle"], csrf, back, block_label, pseudonym))
    return mark_safe("\n".join(parts))  # noqa: S308 (constants and escaped values only)


def _ago(count: int, unit: str) -> str:
    return f"{count} {unit} ago" if count == 1 else f"{count} {unit}s ago"


def relative_time(moment: datetime, now: datetime | None = None) -> str:
    """'just now', 'N minutes/hours/days ago' within a week, else the local date ('7 Mar 2026')."""
    now = now or timezone.now()
    seconds = int((now - moment).total_seconds())
    if seconds < 60:  # also a moment slightly in the future (clock skew between servers)
        return "just now"
    if seconds < 3600:
        return _ago(seconds // 60, "minute")
    if seconds < 86400:
        return _ago(seconds // 3600, "hour")
    if seconds < 7 * 86400:
        return _ago(seconds // 86400, "day")
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y}"


@register.filter
def time_ago(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return mark_safe(  # noqa: S308 (an ISO timestamp and a label made of digits and constants)
        f'<time datetime="{timezone.localtime(moment).isoformat()}">{relative_time(moment)}</time>'
    )


@lru_cache(maxsize=16)
def _crisis_help_url(urlconf: str, script_prefix: str) -> str:
    return reverse("crisis-help", urlconf=urlconf)


def _state_note(post, is_staff_viewer: bool) -> str:
    """What the viewer is told about a post that is not published (nothing when it is)."""
    if post.is_published:
        return ""
    if post.is_held and post.is_mine:
        help_url = escape(_crisis_help_url(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()))
        notice = linebreaks(post.author_notice, autoescape=True) if post.author_notice else ""
        return (
            '<div class="message held-note" role="status">'
            "<p>Your post is waiting for a quick review by our guides. This usually takes a few "
            f'minutes. If you need help now, <a href="{help_url}">see crisis lines and text services</a>.</p>'
            f"{notice}</div>"
        )
    if post.is_held and is_staff_viewer:
        reason = f": {escape(post.hold_reason)}" if post.hold_reason else ""
        return f'<p class="meta">Held for review{reason}. Only the author and staff can see it.</p>'
    if post.is_hidden:
        reason = escape(post.hidden_reason)
        if post.is_mine:
            return (
                '<div class="message message--error" role="status"><p>A guide has hidden this post, so '
                f"only you and the guides can see it. Reason: {reason}</p></div>"
            )
        by = post.state_changed_by.pseudonym if post.state_changed_by_id else ""
        return f'<p class="meta">Hidden by {escape(by or "staff")}: {reason}</p>'
    if post.is_removed:
        if post.is_mine:
            return '<p class="meta">You deleted this post. Only you and the guides can see it.</p>'
        return '<p class="meta">Deleted by its author.</p>'
    return ""


@register.simple_tag(takes_context=True)
def post_article_start(context, post) -> SafeString:
    """``_post.html`` up to its footer's actions: the article, its header, what the viewer is told
    about an unpublished post, the body (collapsed when its author is muted), and the footer's
    start with ``post_actions``. Python rather than template nodes for the same reason as
    ``post_actions``: this is every post of every thread page. The posts come from
    ``selectors.thread_posts_page`` (``is_mine``, ``is_muted`` set on each)."""
    thread = context.get("thread")
    is_staff_viewer = bool(context.get("is_staff_viewer"))
    if getattr(post, "is_mine", None) is None:
        user = context.get("user")
        post.is_mine = user is not None and post.author_id == user.pk
    pseudonym = escape(post.author.pseudonym)
    state = escape(post.state)
    started = (
        " (started this thread)"
        if thread is not None and post.author_id == thread.author_id and not post.is_opening
        else ""
    )
    meta = [f"<strong>{pseudonym}</strong>{started}", time_ago(post.created_at)]
    if post.edited_at:
        meta.append("edited")
    if not post.is_published and is_staff_viewer:
        meta.append(f'<strong class="state state--{state}">{escape(post.get_state_display())}</strong>')
    body = f'<div class="post-body">{post.body_html}</div>'
    if getattr(post, "is_muted", False):
        body = (
            f'<details class="muted-post"><summary>A post by {pseudonym}, whom you muted. Show it</summary>'
            f"{body}</details>"
        )
    return mark_safe(  # noqa: S308 (body_html is sanitised on save; everything else is escaped)
        f'<article class="card post post--{state}" id="post-{int(post.pk)}" data-author="{pseudonym}">\n'
        f'  <header class="meta">{" · ".join(meta)}</header>\n'
        f"  {_state_note(post, is_staff_viewer)}\n"
        f"  {body}\n"
        f'  <footer class="post-actions button-row">{post_actions(context, post)}'
    )


@register.simple_tag(takes_context=True)
def post_article_end(context, post) -> SafeString:
    """The footer's end, the edit history (staff only) and the end of the article."""
    parts = ["</footer>"]
    revisions = getattr(post, "revision_list", None)
    if context.get("is_staff_viewer") and revisions:
        items = []
        for revision in revisions:
            title = f" (title was “{escape(revision.title)}”)" if revision.title else ""
            when = timezone.localtime(revision.created_at)
            items.append(
                f'<li><p class="meta">Before the edit by {escape(revision.editor.pseudonym)} at '
                f'<time datetime="{when.isoformat()}">{when.day} {when:%b %Y %H:%M}</time>{title}:</p>'
                f'<div class="post-body">{revision.body_html}</div></li>'
            )
        parts.append(
            f'<details class="revisions"><summary>Edit history ({len(revisions)}), staff only</summary>'
            f"<ol>{''.join(items)}</ol></details>"
        )
    parts.append("</article>")
    return mark_safe("\n".join(parts))  # noqa: S308 (sanitised bodies and escaped values only)
