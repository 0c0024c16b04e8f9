"""seed_bench at a tiny scale: exact counts, consistent counters, deterministic, resettable."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min, Q

from accounts.models import Role
from community.management.commands.seed_bench import DEFAULT_PASSWORD, GUIDE_COUNT, bench_users
from community.models import Post, PostState, Reaction, Space, Subscription, Thread
from tests.factories import UserFactory

# transaction=True: on PostgreSQL the seeder drops and re-adds foreign keys, which cannot happen
# inside the test-case transaction ("pending trigger events").
pytestmark = pytest.mark.django_db(transaction=True)

END = "2025-01-01T00:00:00+00:00"


def seed(**options):
    defaults = {"posts": 300, "threads": 25, "members": 12, "seed": 7, "end": END}
    defaults.update(options)
    out = StringIO()
    call_command("seed_bench", stdout=out, stderr=StringIO(), **defaults)
    return out.getvalue()


def snapshot():
    """The data set without its ids, which depend on what the database already held."""
    threads = list(Thread.objects.filter(author__in=bench_users()).order_by("created_at", "id"))
    index = {thread.pk: n for n, thread in enumerate(threads)}
    return {
        "members": list(bench_users().order_by("pseudonym").values_list("pseudonym", "role", "date_joined")),
        "threads": [
            (t.title, t.space.slug, t.author.pseudonym, t.created_at, t.reply_count, t.last_activity_at)
            for t in threads
        ],
        "posts": [
            (index[p.thread_id], p.author.pseudonym, p.body, p.state, p.is_opening, p.created_at)
            for p in Post.objects.filter(thread_id__in=index).select_related("author").order_by("id")
        ],
        "reactions": sorted(
            Reaction.objects.filter(post__thread_id__in=index).values_list(
                "user__pseudonym", "kind", "created_at"
            )
        ),
    }


def test_creates_the_requested_counts():
    output = seed()
    assert "300 posts" in output
    assert bench_users().filter(role=Role.MEMBER).count() == 12
    assert bench_users().filter(role=Role.GUIDE).count() == GUIDE_COUNT
    threads = Thread.objects.filter(author__in=bench_users())
    assert threads.count() == 25
    assert Post.objects.filter(thread__in=threads).count() == 300
    assert Post.objects.filter(thread__in=threads, is_opening=True).count() == 25
    assert Subscription.objects.filter(thread__in=threads).count() == 25
    assert Post.objects.filter(thread__in=threads, screened_at__isnull=True).count() == 0
    assert Space.objects.filter(slug__startswith="bench-").count() == 4
    member = bench_users().get(pseudonym="bench_member_000001")
    assert member.check_password(DEFAULT_PASSWORD)
    assert member.email == "bench_member_000001@bench.kindred.invalid"


def test_counters_match_what_services_would_compute():
    seed(posts=600, threads=30)
    published = Q(posts__state=PostState.PUBLISHED)
    reply = published & Q(posts__is_opening=False)
    threads = Thread.objects.filter(author__in=bench_users()).annotate(
        replies=Count("posts", filter=reply), last=Max("posts__created_at", filter=published)
    )
    for thread in threads.select_related("opening_post"):
        assert thread.opening_post.thread_id == thread.pk
        assert thread.opening_post.is_opening
        assert thread.opening_post.created_at == thread.created_at
        assert thread.reply_count == thread.replies
        assert thread.last_activity_at == (thread.last or thread.created_at)
        first = (
            Post.objects.filter(thread=thread, state=PostState.PUBLISHED, is_opening=False)
            .exclude(author_id=thread.author_id)
            .aggregate(first=Min("created_at"))["first"]
        )
        assert thread.first_response_at == first


def test_thread_sizes_are_skewed_and_states_varied():
    seed(posts=3000, threads=100, members=40)
    sizes = sorted(Thread.objects.filter(author__in=bench_users()).values_list("reply_count", flat=True))
    median = sizes[len(sizes) // 2]
    assert sizes[-1] > 5 * max(median, 1)
    states = set(Post.objects.filter(author__in=bench_users()).values_list("state", flat=True))
    assert PostState.PUBLISHED in states
    assert states & {PostState.HELD, PostState.HIDDEN, PostState.REMOVED}


def test_same_seed_gives_the_same_data_set():
    seed()
    first = snapshot()
    seed(reset=True)
    assert snapshot() == first
    seed(reset=True, seed=8)
    assert snapshot() != first


def test_refuses_to_run_twice_without_reset():
    seed()
    with pytest.raises(CommandError, match="--reset"):
        seed()
    assert Post.objects.filter(author__in=bench_users()).count() == 300


def test_reset_deletes_only_bench_rows():
    outsider = UserFactory(pseudonym="RealPerson")
    seed()
    space = Space.objects.get(slug="anxiety")
    real_thread = Thread.objects.create(space=space, author=outsider, title="A real thread")
    real_post = Post.objects.create(thread=real_thread, author=outsider, body="hi", body_html="<p>hi</p>")
    bench_post = Post.objects.filter(author__in=bench_users(), state=PostState.PUBLISHED).first()
    Reaction.objects.create(post=bench_post, user=outsider, kind="support")
    # A bench member replies in the real thread (as a load test might).
    Post.objects.create(
        thread=real_thread, author=bench_users().first(), body="bench", body_html="<p>bench</p>"
    )

    seed(reset=True, posts=100, threads=10)

    assert Post.objects.filter(author__in=bench_users()).count() == 100
    assert Thread.objects.filter(author__in=bench_users()).count() == 10
    assert Post.objects.filter(pk=real_post.pk).exists()
    assert Thread.objects.filter(pk=real_thread.pk).exists()
    assert Space.objects.filter(slug="anxiety").exists()
    assert list(Post.objects.filter(thread=real_thread).values_list("author__pseudonym", flat=True)) == [
        "RealPerson"
    ]
    assert not Reaction.objects.filter(user=outsider).exists()
