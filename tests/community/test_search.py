"""Search: the same interface on every database, the simple (SQLite) path, and the search page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from community import search, services
from community.models import Post
from tests.community.conftest import make_thread
from tests.community.test_api_fixtures import _api_setup, client_for  # noqa: F401

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="the simple path; PostgreSQL uses full-text search"
)


def run(actor, query, **filters):
    return search.search_posts(actor=actor, filters=search.SearchFilters(query=query, **filters))


def ids(page) -> list[int]:
    return [hit.post.pk for hit in page]


def backdate(post: Post, days: int) -> None:
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(days=days))


# Pure functions of the simple path.


def test_query_terms_drop_operators_and_duplicates():
    apostrophe = "\u2019"
    text = f'"Panic attacks" or -panic, it{apostrophe}s fine'
    assert search.query_terms(text) == ["panic", "attacks", f"it{apostrophe}s", "fine"]
    assert search.query_terms("  !!  ") == []


def test_simple_snippet_escapes_and_marks_only_the_terms():
    body = "Before <script>alert('x')</script> the lighthouse & the <b>sea</b>"
    snippet = search.simple_snippet(body, ["lighthouse", "sea"])
    assert "<script" not in snippet
    assert "<b>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert "<mark>lighthouse</mark> &amp;" in snippet
    assert "&lt;b&gt;<mark>sea</mark>&lt;/b&gt;" in snippet


def test_simple_snippet_cannot_be_forged_by_the_author():
    snippet = search.simple_snippet("look <mark>here</mark> lighthouse", ["lighthouse"])
    assert snippet == "look &lt;mark&gt;here&lt;/mark&gt; <mark>lighthouse</mark>"


def test_simple_snippet_windows_around_the_first_match():
    words = [f"w{i}" for i in range(100)]
    words[60] = "Lighthouse"
    snippet = search.simple_snippet(" ".join(words), ["lighthouse"], words=12)
    assert snippet.startswith("… w56 ")
    assert "<mark>Lighthouse</mark>" in snippet
    assert snippet.endswith(" …")


# The same interface on every database.


@pytest.fixture
def posts(space, org_space, member, other_member):
    open_thread = make_thread(
        author=other_member, space=space, title="Sleep trouble", body="I cannot sleep at night"
    )
    org_thread = make_thread(
        author=member, space=org_space, title="Exams", body="Exams stop me sleeping, no sleep"
    )
    reply = services.post_create(author=member, thread=open_thread, body="Sleep hygiene helped me a lot")
    return {"open": open_thread.opening_post, "org": org_thread.opening_post, "reply": reply}


def test_space_filter(posts, member, space, org_space):
    assert set(ids(run(member, "sleep"))) == {p.pk for p in posts.values()}
    assert set(ids(run(member, "sleep", space=space))) == {posts["open"].pk, posts["reply"].pk}
    assert ids(run(member, "sleep", space=org_space)) == [posts["org"].pk]


def test_date_filters_are_inclusive_days(posts, member):
    backdate(posts["open"], 10)
    backdate(posts["org"], 5)
    today = timezone.localdate()
    assert set(ids(run(member, "sleep", date_from=today - timedelta(days=5)))) == {
        posts["org"].pk,
        posts["reply"].pk,
    }
    assert ids(run(member, "sleep", date_to=today - timedelta(days=10))) == [posts["open"].pk]
    window = run(member, "sleep", date_from=today - timedelta(days=6), date_to=today - timedelta(days=4))
    assert ids(window) == [posts["org"].pk]
    assert ids(run(member, "sleep", date_from=date(2000, 1, 1), date_to=date(2000, 1, 2))) == []


def test_pages_walk_every_result_once(space, member, other_member):
    thread = make_thread(author=other_member, space=space, title="Lots of replies", body="harbour start")
    for i in range(6):
        services.post_create(author=member, thread=thread, body=f"harbour reply {i}")
    seen, cursor = [], None
    while True:
        page = search.search_posts(
            actor=member, filters=search.SearchFilters(query="harbour"), cursor=cursor, size=3
        )
        seen += ids(page)
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == 7
    assert len(set(seen)) == 7


def test_snippets_are_escaped_everywhere(space, member, other_member):
    make_thread(
        author=other_member,
        space=space,
        title="Tricky text",
        body=("<script>alert(1)</script> <img src=x onerror=alert(1)> lighthouse <mark>fake</mark> I <3 you"),
    )
    [hit] = list(run(member, "lighthouse"))
    # PostgreSQL's headline drops tag-like tokens, the simple path escapes them: either way no markup.
    assert "<script" not in hit.snippet_html
    assert "<img" not in hit.snippet_html
    assert "<mark>fake" not in hit.snippet_html
    assert "onerror=alert(1)&gt;" in hit.snippet_html
    assert "I &lt;3 you" in hit.snippet_html
    assert hit.snippet_html.count("<mark>") == 1
    assert "<mark>lighthouse</mark>" in hit.snippet_html


def test_empty_query_finds_nothing(posts, member):
    assert ids(run(member, "   ")) == []


def test_commissioner_searches_nothing(posts, commissioner):
    assert ids(run(commissioner, "sleep")) == []


# The simple path (SQLite).


@sqlite_only
def test_simple_path_needs_every_word_and_lists_newest_first(posts, member):
    backdate(posts["open"], 2)
    backdate(posts["org"], 1)
    page = run(member, "SLEEP")
    assert ids(page) == [posts["reply"].pk, posts["org"].pk, posts["open"].pk]
    assert [hit.rank for hit in page] == [None, None, None]
    assert ids(run(member, "sleep hygiene")) == [posts["reply"].pk]
    assert ids(run(member, "sleep unicorn")) == []


@sqlite_only
def test_api_reports_the_simple_engine(posts, member):
    data = client_for(member).get("/api/v1/search/", {"q": "hygiene"}).json()
    assert data["engine"] == "simple"
    assert [hit["post"]["id"] for hit in data["results"]] == [posts["reply"].pk]
    assert data["results"][0]["snippet_html"] == "Sleep <mark>hygiene</mark> helped me a lot"


# The search page.


def test_search_page_renders_results_escaped(client, space, member, other_member):
    make_thread(
        author=other_member,
        space=space,
        title="Night <b>thoughts</b>",
        body="<script>x</script> lighthouse <3 calm",
    )
    client.force_login(member)
    response = client.get("/search/", {"q": "lighthouse"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<mark>lighthouse</mark>" in html
    assert "lighthouse</mark> &lt;3 calm" in html
    assert "<script>x</script>" not in html
    assert "Night &lt;b&gt;thoughts&lt;/b&gt;" in html
    assert other_member.email not in html


def test_search_page_without_a_query_shows_only_the_form(client, member):
    client.force_login(member)
    response = client.get("/search/")
    assert response.status_code == 200
    assert b'role="search"' in response.content
    assert b"Results for" not in response.content


def test_search_page_filters_and_refuses_bad_input(client, posts, member, outsider, org_space, space):
    client.force_login(member)
    html = client.get("/search/", {"q": "sleep", "space": org_space.slug}).content.decode()
    assert "Exams" in html
    assert "Sleep trouble" not in html
    response = client.get("/search/", {"q": "sleep", "from": "2024-05-02", "to": "2024-05-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    assert client.get("/search/", {"q": "sleep", "space": "nowhere"}).status_code == 404
    client.force_login(outsider)
    assert client.get("/search/", {"q": "sleep", "space": org_space.slug}).status_code == 403


def test_search_page_paginates(client, space, member, other_member, settings):
    thread = make_thread(author=other_member, space=space, title="Many replies", body="harbour 0")
    for i in range(search.DEFAULT_PAGE_SIZE):
        services.post_create(author=member, thread=thread, body=f"harbour {i + 1}")
    client.force_login(member)
    first = client.get("/search/", {"q": "harbour"})
    assert first.content.decode().count('class="card search-hit"') == search.DEFAULT_PAGE_SIZE
    next_url = first.context["next_url"]
    assert next_url.startswith("?")
    assert "after=" in next_url
    second = client.get("/search/" + next_url)
    assert second.content.decode().count('class="card search-hit"') == 1


def test_search_page_is_for_forum_participants(client, commissioner):
    assert client.get("/search/", {"q": "x"}).status_code == 302
    client.force_login(commissioner)
    assert client.get("/search/", {"q": "x"}).status_code == 403


def test_search_endpoint_uses_a_fixed_number_of_queries(space, member, other_member):
    from django.test.utils import CaptureQueriesContext

    small = make_thread(author=other_member, space=space, title="Few replies here", body="beacon 0")
    large = make_thread(author=other_member, space=space, title="Many replies here", body="signal 0")
    for i in range(2):
        services.post_create(author=member, thread=small, body=f"beacon {i + 1}")
    for i in range(29):
        services.post_create(author=member, thread=large, body=f"signal {i + 1}")
    client = client_for(member)
    counts = []
    for word, expected in (("beacon", 3), ("signal", 30)):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/search/", {"q": word, "size": 50})
        assert len(response.json()["results"]) == expected
        counts.append(len(ctx.captured_queries))
    # token, matches (+ snippets on PostgreSQL)
    per_page = 3 if connection.vendor == "postgresql" else 2
    assert counts == [per_page, per_page]
