"""Full-text search on PostgreSQL: ranking, websearch syntax, stemming, safe highlighted snippets,
and the GIN index. Run with DATABASE_URL pointing at PostgreSQL; skipped on SQLite."""

from __future__ import annotations

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection

from community import search, services
from community.models import Post
from tests.community.conftest import make_thread
from tests.community.test_api_fixtures import _api_setup, client_for  # noqa: F401

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def run(actor, query, **kwargs):
    return search.search_posts(actor=actor, filters=search.SearchFilters(query=query), **kwargs)


def ids(page) -> list[int]:
    return [hit.post.pk for hit in page]


@pytest.fixture
def thread(space, other_member):
    return make_thread(
        author=other_member, space=space, title="Talking about nights", body="Evenings are long."
    )


def reply(thread, author, body) -> Post:
    return services.post_create(author=author, thread=thread, body=body)


def test_more_relevant_posts_rank_first(thread, member):
    once = reply(thread, member, "Some days the panic comes back, most days are fine and calm.")
    often = reply(thread, member, "Panic, panic and more panic: panic attacks every single day.")
    reply(thread, member, "Nothing to do with the search words at all.")
    page = run(member, "panic")
    assert ids(page) == [often.pk, once.pk]
    ranks = [hit.rank for hit in page]
    assert ranks[0] > ranks[1] > 0


def test_stemming_matches_other_forms_of_a_word(thread, member):
    post = reply(thread, member, "I have been sleeping badly for weeks.")
    assert ids(run(member, "sleep")) == [post.pk]
    assert ids(run(member, "sleeps")) == [post.pk]


def test_websearch_syntax_phrases_or_and_exclusion(thread, member):
    phrase = reply(thread, member, "Panic attacks at the supermarket.")
    apart = reply(thread, member, "An attack of nerves, then panic.")
    other = reply(thread, member, "Insomnia again.")
    assert set(ids(run(member, "panic attack"))) == {phrase.pk, apart.pk}
    assert ids(run(member, '"panic attacks"')) == [phrase.pk]
    assert set(ids(run(member, "supermarket or insomnia"))) == {phrase.pk, other.pk}
    assert ids(run(member, "panic -supermarket")) == [apart.pk]
    # Punctuation and stray operators never raise.
    assert ids(run(member, "panic & | ! ( :*")) != []


def test_headline_is_escaped_with_only_our_marks(thread, member):
    reply(
        thread,
        member,
        "<script>alert('x')</script> <img src=x onerror=alert(1)> the lighthouse keeps me going "
        "<mark>forged</mark> [[hl-0000]] lighthouse, I <3 you & them",
    )
    [hit] = list(run(member, "lighthouse"))
    html = hit.snippet_html
    # PostgreSQL's parser drops tag-like tokens from headlines; whatever is left is escaped.
    assert "<script" not in html
    assert "<img" not in html
    assert "I &lt;3 you &amp; them" in html
    assert "<mark>forged" not in html
    assert html.count("<mark>") == 2
    assert html.count("</mark>") == 2
    assert "<mark>lighthouse</mark>" in html
    assert "[[hl-" in html  # looks like a marker, but the real ones are random per search


def test_rank_pagination_walks_ties_without_gaps_or_repeats(thread, member):
    posts = [reply(thread, member, "harbour lights") for _ in range(7)]  # identical rank
    seen, cursor = [], None
    while True:
        page = run(member, "harbour", cursor=cursor, size=3)
        seen += ids(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(p.pk for p in posts)
    assert seen == sorted(seen, reverse=True)


def test_api_returns_ranked_hits_with_snippets(thread, member):
    post = reply(thread, member, "Breathing exercises help with the panic.")
    data = client_for(member).get("/api/v1/search/", {"q": "breathing"}).json()
    assert data["engine"] == "full_text"
    [hit] = data["results"]
    assert hit["post"]["id"] == post.pk
    assert hit["post"]["thread_title"] == "Talking about nights"
    assert hit["rank"] > 0
    assert "<mark>Breathing</mark>" in hit["snippet_html"]


def test_search_uses_the_gin_index(thread, guide):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'post_body_search'")
        [(definition,)] = cursor.fetchall()
    assert "USING gin (to_tsvector('english'::regconfig, COALESCE(body, ''::text)))" in definition
    # The very queryset search_posts runs (staff: no visibility joins to confuse a tiny table).
    candidates = search._candidates(actor=guide, filters=search.SearchFilters(query="lighthouse"))
    query = SearchQuery("lighthouse", search_type="websearch", config=search.SEARCH_CONFIG)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = search.full_text_matches(candidates, query=query).explain()
    assert "Bitmap Index Scan on post_body_search" in plan
