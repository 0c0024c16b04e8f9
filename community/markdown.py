"""Markdown to safe HTML for post bodies.

Two layers, on purpose: markdown-it-py's CommonMark preset with raw HTML switched off (so
``<script>`` arrives as text) and images switched off, then nh3 (ammonia) with an explicit
allowlist of tags, attributes and URL schemes. Either layer alone should be enough; together a
bug in one is not a hole.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def render_markdown(source: str) -> str:
    """Return sanitised HTML for a post body written in Markdown."""
    return sanitise_html(_markdown.render(source))


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
