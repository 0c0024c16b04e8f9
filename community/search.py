"""Search over the posts a person may see.

One interface, two engines:

* PostgreSQL: full-text search. ``websearch_to_tsquery`` (quotes, ``or``, ``-word``), ranked
  with ``ts_rank`` and snippets from ``ts_headline``. The match uses the same expression as the
  GIN index created in migration ``0002_post_body_search_index``
  (``to_tsvector('english', COALESCE(body, ''))``), so it stays fast on millions of posts.
* SQLite (the embedded demo): every word must appear (``icontains``), newest first, with
  snippets cut in Python.

Visibility is never decided here: candidates come from ``permissions.posts_visible_to``, the
same queryset the pages use, so held, hidden and removed posts reach only their authors and
staff.

Snippets are built from the plain Markdown source (never ``body_html``), HTML-escaped, and the
only markup they contain is the ``<mark>`` we insert, so they are safe to render as HTML.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, FloatField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.html import escape

from community import permissions
from community.models import Post, Space
from community.selectors import MAX_PAGE_SIZE, Page

SEARCH_CONFIG = "english"
MAX_QUERY_LENGTH = 200
DEFAULT_PAGE_SIZE = 20
SNIPPET_WORDS = 30
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"

# The indexed expression: migration 0002 builds its GIN index from the same expression, and a
# PostgreSQL test checks with EXPLAIN that searches use that index.
POST_SEARCH_VECTOR = SearchVector("body", config=SEARCH_CONFIG)


@dataclass(frozen=True)
class SearchFilters:
    query: str
    space: Space | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class SearchHit:
    post: Post
    snippet_html: str
    rank: float | None


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def search_posts(
    *, actor, filters: SearchFilters, cursor: str | None = None, size: int | None = None
) -> Page:
    """A page of :class:`SearchHit` for ``filters.query``, only over posts ``actor`` may see.

    The caller has already checked that ``actor`` may view ``filters.space``. Fixed number of
    queries per page: the matches, then (PostgreSQL) the snippets of that page.
    """
    size = DEFAULT_PAGE_SIZE if size is None else max(1, min(int(size), MAX_PAGE_SIZE))
    text = (filters.query or "").strip()[:MAX_QUERY_LENGTH]
    if not text:
        return Page(items=[])
    candidates = _candidates(actor=actor, filters=filters)
    if uses_full_text():
        return _search_postgres(candidates, text=text, cursor=cursor, size=size)
    return _search_simple(candidates, text=text, cursor=cursor, size=size)


def _candidates(*, actor, filters: SearchFilters) -> QuerySet[Post]:
    qs = permissions.posts_visible_to(actor)
    if filters.space is not None:
        qs = qs.filter(thread__space=filters.space)
    if filters.date_from is not None:
        qs = qs.filter(created_at__gte=_start_of(filters.date_from))
    if filters.date_to is not None:
        qs = qs.filter(created_at__lt=_start_of(filters.date_to + timedelta(days=1)))
    return qs.select_related("author", "thread", "thread__space")


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


# Cursors: opaque, and a malformed one simply means "first page".


def _encode_cursor(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


# PostgreSQL: ranked full-text search.


def _search_postgres(candidates: QuerySet[Post], *, text: str, cursor: str | None, size: int) -> Page:
    query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    qs = full_text_matches(candidates, query=query)
    position = _decode_cursor(cursor)
    if position is not None:
        try:
            rank, pk = float(position["r"]), int(position["i"])
        except (KeyError, TypeError, ValueError):
            pass
        else:
            qs = qs.filter(Q(rank__lt=rank) | Q(rank=rank, pk__lt=pk))
    posts = list(qs.order_by(F("rank").desc(), "-pk")[: size + 1])
    next_cursor = None
    if len(posts) > size:
        posts = posts[:size]
        next_cursor = _encode_cursor({"r": posts[-1].rank, "i": posts[-1].pk})
    snippets = _postgres_snippets([post.pk for post in posts], query=query)
    hits = [SearchHit(post=post, snippet_html=snippets.get(post.pk, ""), rank=post.rank) for post in posts]
    return Page(items=hits, next_cursor=next_cursor)


def full_text_matches(candidates: QuerySet[Post], *, query: SearchQuery) -> QuerySet[Post]:
    """Posts matching ``query`` (answered from the GIN index), with ``rank``.

    The rank is cast to double precision so the value a cursor carries round-trips exactly
    (``ts_rank`` returns ``real``, which would not compare equal after a trip through Python).
    """
    return (
        candidates.annotate(search_document=POST_SEARCH_VECTOR)
        .filter(search_document=query)
        .annotate(rank=Cast(SearchRank(POST_SEARCH_VECTOR, query), output_field=FloatField()))
    )


def _postgres_snippets(post_ids: list[int], *, query: SearchQuery) -> dict[int, str]:
    """Headlines for one page only (ts_headline is costly), with unguessable markers.

    The markers are random per call, so text a member wrote can never forge a highlight; the
    headline is escaped first and only then are the markers turned into ``<mark>``.
    """
    if not post_ids:
        return {}
    nonce = secrets.token_hex(8)
    start, stop = f"[[hl-{nonce}]]", f"[[/hl-{nonce}]]"
    rows = Post.objects.filter(pk__in=post_ids).annotate(
        headline=SearchHeadline(
            "body",
            query,
            config=SEARCH_CONFIG,
            start_sel=start,
            stop_sel=stop,
            max_words=SNIPPET_WORDS,
            min_words=12,
        )
    )
    return {
        pk: str(escape(headline)).replace(start, MARK_OPEN).replace(stop, MARK_CLOSE)
        for pk, headline in rows.values_list("pk", "headline")
    }


# SQLite (and any other database): every word must appear; newest first.

_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*", re.UNICODE)


def query_terms(text: str) -> list[str]:
    """The words of a query, lower-cased and de-duplicated, in order (operators dropped)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if word != "or":
            seen.setdefault(word, None)
    return list(seen)[:10]


def _search_simple(candidates: QuerySet[Post], *, text: str, cursor: str | None, size: int) -> Page:
    terms = query_terms(text)
    if not terms:
        return Page(items=[])
    qs = candidates
    for term in terms:
        qs = qs.filter(body__icontains=term)
    position = _decode_cursor(cursor)
    if position is not None:
        try:
            moment, pk = datetime.fromisoformat(position["t"]), int(position["i"])
        except (KeyError, TypeError, ValueError):
            pass
        else:
            qs = qs.filter(Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=pk))
    posts = list(qs.order_by("-created_at", "-pk")[: size + 1])
    next_cursor = None
    if len(posts) > size:
        posts = posts[:size]
        next_cursor = _encode_cursor({"t": posts[-1].created_at.isoformat(), "i": posts[-1].pk})
    hits = [SearchHit(post=post, snippet_html=simple_snippet(post.body, terms), rank=None) for post in posts]
    return Page(items=hits, next_cursor=next_cursor)


def simple_snippet(body: str, terms: list[str], *, words: int = SNIPPET_WORDS) -> str:
    """About ``words`` words of ``body`` around the first match, escaped, terms in ``<mark>``."""
    body = " ".join(body.split())
    if not body:
        return ""
    lowered = body.lower()
    first = min((i for i in (lowered.find(term) for term in terms) if i >= 0), default=0)
    tokens = body.split(" ")
    # Index of the token that holds the first match, then a window around it.
    offset, hit_token = 0, 0
    for index, token in enumerate(tokens):
        if offset + len(token) >= first:
            hit_token = index
            break
        offset += len(token) + 1
    start = max(0, hit_token - words // 3)
    window = tokens[start : start + words]
    excerpt = " ".join(window)
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + words < len(tokens) else ""
    return prefix + _highlight(excerpt, terms) + suffix


def _highlight(text: str, terms: list[str]) -> str:
    """Escape ``text`` piece by piece, wrapping case-insensitive matches of ``terms``."""
    if not terms:
        return str(escape(text))
    pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.I)
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        pieces.append(str(escape(text[last : match.start()])))
        pieces.append(MARK_OPEN + str(escape(match.group(0))) + MARK_CLOSE)
        last = match.end()
    pieces.append(str(escape(text[last:])))
    return "".join(pieces)
