"""Fourteen weeks of community history for the demo organisation, so its dashboards show real numbers.

``seed_activity_history`` adds pseudonymous members (most joined through the demo organisation,
a few without one) who joined over the past fourteen weeks and then started threads, replied
and reacted in the ways members do: some once, some every week, some drifting away, some
coming back after a break, some only reading; at all hours, evenings and weekends included.
Some of them complete PHQ-9 and GAD-7 every few weeks. Everything is deterministic (a fixed random seed, times
relative to now) and idempotent: if the history's first member exists, nothing is added.

Rows are written with bulk inserts (a few hundred users, threads and posts in a handful of
queries). Posts are created already screened (gentle, non-graphic text) so the demo's sweeper
does not send them through triage, and thread counters are set from the generated replies.
"""

from __future__ import annotations

import datetime
import html
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, Role, User
from community.models import Post, PostState, Reaction, ReactionKind, Space, Thread
from escalation.models import RiskLevel
from moderation.models import Flag, FlagReason

SEED = 2026
WEEKS = 14
ORGANISATION_MEMBERS = 140
UNAFFILIATED_MEMBERS = 12

_FIRST = [
    "Amber",
    "Birch",
    "Cedar",
    "Dawn",
    "Ember",
    "Fern",
    "Glade",
    "Hazel",
    "Iris",
    "Juniper",
    "Kestrel",
    "Linden",
    "Maple",
    "Nettle",
    "Oak",
    "Pine",
    "Quill",
    "Rowan",
    "Sage",
    "Thistle",
    "Umber",
    "Vale",
    "Willow",
    "Yarrow",
]
_SECOND = ["Harbour", "Meadow", "Lantern", "Brook", "Ridge", "Hollow", "Field"]

TITLES = [
    "Finding it hard to get going this week",
    "Small wins thread",
    "Does anyone else feel tired all the time?",
    "First post, a bit nervous",
    "How do you switch off at night?",
    "Exams are getting to me",
    "A better day today",
    "Feeling far from everyone",
    "Tips for a racing mind",
    "Struggling to ask for help",
    "Trying a new routine",
    "Weekend feels long",
]
OPENINGS = [
    "I don't really know how to put this, but the last few days have felt heavy.",
    "Just wanted to share something small that went well.",
    "I've been reading here for a while and thought I'd finally say something.",
    "Mornings are the hardest for me at the moment. How do others manage?",
    "Does anyone have ideas for getting through the evenings?",
]
REPLIES = [
    "Thank you for sharing this. You're not alone in feeling like that.",
    "That sounds really hard. I'm glad you posted.",
    "Something that helps me is writing three small things down before bed.",
    "Me too. Going for a short walk has helped a little.",
    "Well done for getting through today.",
    "Sending support. Be gentle with yourself this week.",
    "I felt like that last month; it did ease a bit with time.",
]

DEMO_SPACES = ["anxiety", "low-mood", "students", "carers", "introductions"]


@dataclass
class _Member:
    user: User
    active_days: list[datetime.datetime] = field(default_factory=list)


def _pseudonyms(count: int, offset: int = 0) -> list[str]:
    names = [f"{first}{second}" for second in _SECOND for first in _FIRST]
    return names[offset : offset + count]


def _hour(rng: random.Random) -> tuple[int, int]:
    roll = rng.random()
    if roll < 0.55:
        hour = rng.randrange(9, 17)  # working hours
    elif roll < 0.9:
        hour = rng.randrange(17, 24)  # evenings
    else:
        hour = rng.randrange(0, 9)  # nights and early mornings
    return hour, rng.randrange(60)


def _active_days(
    rng: random.Random, joined: datetime.datetime, now: datetime.datetime
) -> list[datetime.datetime]:
    """When a member was active: once, steadily, drifting away, or back after a long break."""
    profile = rng.choices(["never", "once", "steady", "drifting", "returning"], weights=[12, 25, 30, 21, 12])[
        0
    ]
    span = (now - joined).days
    offsets: set[int] = {0}
    if profile == "never":  # signed up, read, never posted
        return []
    if profile == "once":
        offsets |= {d for d in range(1, min(span, 7)) if rng.random() < 0.2}
    elif profile == "steady":
        offsets |= {d for d in range(1, span) if rng.random() < 0.3}
    elif profile == "drifting":
        stop = rng.randrange(14, 45)
        offsets |= {d for d in range(1, min(span, stop)) if rng.random() < 0.35}
    else:
        offsets |= {d for d in range(1, min(span, 12)) if rng.random() < 0.35}
        back = rng.randrange(45, 70)
        offsets |= {d for d in range(back, min(span, back + 21)) if rng.random() < 0.35}
    days = []
    for offset in sorted(offsets):
        day = (joined + datetime.timedelta(days=offset)).date()
        hour, minute = _hour(rng)
        moment = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=joined.tzinfo)
        if joined <= moment < now - datetime.timedelta(hours=2):
            days.append(moment)
    return days


def _post(thread: Thread, author: User, body: str, when: datetime.datetime, *, opening: bool) -> Post:
    return Post(
        thread=thread,
        author=author,
        is_opening=opening,
        body=body,
        body_html=f"<p>{html.escape(body)}</p>",
        state=PostState.PUBLISHED,
        screened_at=when,
        screening_level=RiskLevel.NONE,
        created_at=when,
    )


@transaction.atomic
def seed_activity_history(
    *, organisation: Organisation, now: datetime.datetime | None = None
) -> dict[str, int]:
    """Add the demo history once; return how many members, threads, posts and reactions it created."""
    created = {"members": 0, "threads": 0, "posts": 0, "reactions": 0, "measures": 0}
    names = _pseudonyms(ORGANISATION_MEMBERS + UNAFFILIATED_MEMBERS)
    if User.objects.filter(pseudonym__iexact=names[0]).exists():
        return created
    spaces = {s.slug: s for s in Space.objects.filter(slug__in=DEMO_SPACES)}
    if not spaces:
        return created
    now = now or timezone.now()
    rng = random.Random(SEED)
    zone = datetime.UTC
    start = now - datetime.timedelta(weeks=WEEKS)

    unusable = make_password(None)
    users = []
    for index, name in enumerate(names):
        joined = start + datetime.timedelta(minutes=rng.randrange(WEEKS * 7 * 1440 - 3 * 1440))
        users.append(
            User(
                pseudonym=name,
                email=f"{name.lower()}@demo.kindred.invalid",
                password=unusable,
                role=Role.MEMBER,
                region="GB",
                organisation=organisation if index < ORGANISATION_MEMBERS else None,
                date_joined=joined.astimezone(zone),
            )
        )
    users = User.objects.bulk_create(users)
    created["members"] = len(users)
    members = [_Member(u, _active_days(rng, u.date_joined, now)) for u in users]

    # Every member action, in time order: start a thread, or reply to a recent thread, and react.
    events = sorted(
        ((moment, m) for m in members for moment in m.active_days), key=lambda e: (e[0], e[1].user.pk)
    )
    open_spaces = [s for slug, s in spaces.items() if slug != "students"]
    steady = [m for m in members if len(m.active_days) >= 12]
    threads: list[tuple[Thread, list[Post]]] = []
    reactions: list[Reaction] = []
    reacted: set[tuple[int, int]] = set()  # (id of the opening post object, member)
    for moment, m in events:
        recent = [
            (t, posts)
            for t, posts in threads[-40:]
            if t.author_id != m.user.pk
            and moment - datetime.timedelta(days=4) < t.created_at < moment
            and t.space.organisation_id in (None, m.user.organisation_id)
        ]
        if recent and rng.random() < 0.7:
            thread, posts = rng.choice(recent)
            when = max(moment, posts[-1].created_at + datetime.timedelta(minutes=rng.randrange(5, 90)))
            posts.append(_post(thread, m.user, rng.choice(REPLIES), when, opening=False))
        else:
            member_spaces = open_spaces + (
                [spaces["students"]] if "students" in spaces and m.user.organisation_id else []
            )
            space = rng.choice(member_spaces)
            thread = Thread(
                space=space,
                author=m.user,
                title=rng.choice(TITLES),
                created_at=moment,
                last_activity_at=moment,
            )
            posts = [_post(thread, m.user, rng.choice(OPENINGS), moment, opening=True)]
            threads.append((thread, posts))
            if rng.random() < 0.45:  # someone around right now answers within the hour
                around = [
                    h
                    for h in steady
                    if h is not m
                    and h.user.date_joined < moment
                    and space.organisation_id in (None, h.user.organisation_id)
                ]
                if around:
                    helper = rng.choice(around)
                    soon = moment + datetime.timedelta(minutes=rng.randrange(8, 58))
                    posts.append(_post(thread, helper.user, rng.choice(REPLIES), soon, opening=False))
        for _thread, posts in recent[:3]:
            if rng.random() < 0.35 and (id(posts[0]), m.user.pk) not in reacted:
                reacted.add((id(posts[0]), m.user.pk))
                reactions.append(
                    Reaction(
                        post=posts[0],
                        user=m.user,
                        kind=rng.choice(ReactionKind.values),
                        created_at=max(moment, posts[0].created_at + datetime.timedelta(minutes=10)),
                    )
                )

    # Only what happened before now exists yet (a reply pushed past now is dropped).
    for thread, posts in threads:
        posts[:] = [p for p in posts if p.created_at < now]
        replies = posts[1:]
        thread.reply_count = len(replies)
        thread.last_activity_at = posts[-1].created_at
        others = [p.created_at for p in replies if p.author_id != thread.author_id]
        thread.first_response_at = min(others) if others else None
    Thread.objects.bulk_create([t for t, _ in threads])
    for thread, posts in threads:
        for post in posts:
            post.thread = thread
    all_posts = Post.objects.bulk_create([p for _, posts in threads for p in posts])
    for thread, posts in threads:
        thread.opening_post = posts[0]
    Thread.objects.bulk_update([t for t, _ in threads], ["opening_post"], batch_size=500)
    for reaction in reactions:
        reaction.post_id = reaction.post.pk
    reactions = [r for r in reactions if r.created_at < now]
    Reaction.objects.bulk_create(reactions)
    created.update(threads=len(threads), posts=len(all_posts), reactions=len(reactions))

    # A few posts flagged by other members and already reviewed (nothing left in the queue).
    replies = [p for p in all_posts if not p.is_opening]
    flags = []
    for post in rng.sample(replies, min(12, len(replies))):
        reporter = rng.choice([m.user for m in members if m.user.pk != post.author_id])
        flags.append(
            Flag(
                post=post,
                reporter=reporter,
                reason=FlagReason.values[0],
                created_at=post.created_at + datetime.timedelta(hours=1),
                reviewed_at=post.created_at + datetime.timedelta(hours=3),
            )
        )
    Flag.objects.bulk_create([f for f in flags if f.reviewed_at < now])
    created["measures"] = _seed_measures(rng, [m.user for m in members[:ORGANISATION_MEMBERS]], now)
    return created


def _seed_measures(rng: random.Random, users: list[User], now: datetime.datetime) -> int:
    """Half the organisation's members take PHQ-9 and GAD-7 on joining, then every two to three weeks."""
    try:
        from outcomes.measures import services
    except ImportError:  # measures not installed in this build
        return 0
    count = 0
    for user in users[::2]:
        phq, gad = rng.randrange(5, 22), rng.randrange(3, 18)
        trend = rng.choice([-3, -2, -2, -1, 0, 1])  # most feel better over time; some do not
        moment = user.date_joined + datetime.timedelta(hours=1)
        while moment < now:
            services.response_submit(member=user, measure_key="phq9", answers=_answers(phq, 9), now=moment)
            services.response_submit(member=user, measure_key="gad7", answers=_answers(gad, 7), now=moment)
            count += 2
            phq = min(27, max(0, phq + trend + rng.randrange(-1, 2)))
            gad = min(21, max(0, gad + trend + rng.randrange(-1, 2)))
            moment += datetime.timedelta(days=rng.randrange(14, 22))
    return count


def _answers(total: int, items: int) -> list[int]:
    """Answers adding up to ``total``; the last PHQ-9 item (thoughts of self-harm) is always 0."""
    scored = items - 1 if items == 9 else items
    total = min(total, 3 * scored)
    answers = [0] * items
    for index in range(scored):
        answers[index] = min(3, total - sum(answers))
    return answers
