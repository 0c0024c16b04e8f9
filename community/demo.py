"""Demo content for the forums: welcoming spaces and gentle, non-graphic conversations.

``seed_community`` is called by the project's ``seed_demo`` command. It is idempotent: spaces
are matched by slug, extra demo members by pseudonym and threads by (space, title), so running
it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from community import services
from community.models import Post, Space, Thread

SPACES = [
    {
        "slug": "anxiety",
        "name": "Anxiety",
        "description": "Worry, panic, and the things that help us feel steadier.",
        "house_rules": (
            "Be kind and patient: everyone is at a different point.\n"
            "Share what helps you, not instructions for others.\n"
            "No numbers about weight, doses or self-harm.\n"
            "If you are in danger now, use the 'Need help now?' link at the top of every page."
        ),
    },
    {
        "slug": "low-mood",
        "name": "Low mood",
        "description": "For the heavy days, the flat days, and the small wins in between.",
        "house_rules": (
            "Listen first; advice only if someone asks for it.\n"
            "Keep details of self-harm out of posts; guides may hide them to keep others safe.\n"
            "Nobody here is a clinician: for medical questions, talk to your GP."
        ),
    },
    {
        "slug": "students",
        "name": "Students",
        "description": "Deadlines, exams, halls and homesickness: a space just for our students.",
        "house_rules": (
            "Only members from this university can see this space.\n"
            "Don't name staff, courses or other students.\n"
            "Be kind about grades: every result is someone's hard work."
        ),
        "restricted": True,
    },
    {
        "slug": "carers",
        "name": "Carers",
        "description": "Looking after someone else, and remembering to look after yourself too.",
        "house_rules": (
            "Respect the privacy of the people you care for: no names or identifying details.\n"
            "Venting is welcome; judging is not."
        ),
    },
    {
        "slug": "introductions",
        "name": "Introductions",
        "description": "New here? Say hello. No need to share more than you want to.",
        "house_rules": (
            "Welcome everyone warmly.\nUse your pseudonym only: no real names, places or contacts."
        ),
    },
]

EXTRA_MEMBERS = ["QuietRiver", "MorningLark", "SlowTide", "HollyBrook", "KindPebble"]


@dataclass(frozen=True)
class DemoThread:
    space: str
    title: str
    body: str
    hours_ago: int
    author: int  # index into the cast of authors
    replies: tuple[tuple[int, str], ...] = ()


THREADS = [
    DemoThread(
        "introductions",
        "Hello from a first-timer",
        "Hi everyone. I found this place through my university. I'm not great at talking about "
        "how I feel, but I'd like to try. Nice to meet you all.",
        72,
        0,
        (
            (1, "Welcome! Taking the first step to post is a big one. Glad you're here."),
            (2, "Hi and welcome. Lurking for a while is fine too, no pressure."),
            (0, "Thank you both, that's really kind."),
        ),
    ),
    DemoThread(
        "anxiety",
        "Racing thoughts before sleep",
        "Every night my mind replays the whole day and I end up awake until 2am. "
        "Has anyone found something that helps them switch off?",
        50,
        1,
        (
            (3, "Writing a quick list of tomorrow's worries on paper helps me put them down for the night."),
            (0, "I use a slow breathing pattern: in for four, out for six. It doesn't fix it but it helps."),
            (1, "I'll try the list tonight. Thank you."),
        ),
    ),
    DemoThread(
        "anxiety",
        "Small win: I made the phone call",
        "I've been putting off calling to book an appointment for weeks. Today I did it. "
        "My hands were shaking but it's done.",
        30,
        2,
        ((4, "That's brilliant. Phone calls are hard, well done!"), (1, "Proud of you. Small wins count.")),
    ),
    DemoThread(
        "low-mood",
        "The grey days",
        "Nothing is wrong exactly, everything just feels grey and slow. I'm still getting up "
        "and going to work, but it takes everything I have.",
        40,
        3,
        (
            (
                0,
                "That sounds exhausting. Getting up on those days is an achievement, "
                "even if it doesn't feel like one.",
            ),
            (2, "Me too lately. Some days I just aim for a short walk and a proper meal."),
        ),
    ),
    DemoThread(
        "low-mood",
        "Things that made today a little better",
        "Let's collect small good things. Mine: the first coffee of the day and a friend's message.",
        20,
        4,
        (
            (1, "A dog in the park decided I was its new best friend for five minutes."),
            (3, "Clean sheets."),
            (0, "Finishing a chapter of my book."),
        ),
    ),
    DemoThread(
        "students",
        "Exam season nerves",
        "First-year exams are coming up and I feel like everyone else is more prepared than me. "
        "How do you all manage revision without burning out?",
        26,
        0,
        (
            (
                2,
                "Short blocks with proper breaks. And remember you're probably more prepared than you think.",
            ),
            (1, "The library quiet room helps me. Also sleep actually matters, annoyingly."),
        ),
    ),
    DemoThread(
        "students",
        "Feeling homesick in halls",
        "It's my first time living away from home and the evenings are the hardest.",
        16,
        1,
        ((0, "Same here. Calling home once a day at a set time has helped me."),),
    ),
    DemoThread(
        "carers",
        "Caring for my mum and forgetting about me",
        "I look after my mum most evenings. I love her, but I've realised I haven't done "
        "anything for myself in months. How do other carers find a bit of time?",
        60,
        3,
        (
            (4, "I book one hour a week that is mine, like an appointment. It felt selfish at first."),
            (2, "Local carers' groups helped me a lot, even just knowing others get it."),
        ),
    ),
    DemoThread(
        "introductions",
        "Back after a while away",
        "I used to post here last year. Things got better for a bit and now it's harder again. "
        "Good to see some familiar names.",
        10,
        4,
        ((1, "Welcome back. Coming back when things are harder takes courage."),),
    ),
    DemoThread(
        "carers",
        "How do you explain burnout to family?",
        "My brother thinks I'm just tired. I'm not sure how to explain that it's more than that. "
        "Has anyone found words that worked?",
        18,
        2,
    ),
]

UNANSWERED_TITLE = "How do you explain burnout to family?"


def _demo_member(pseudonym: str):
    user_model = get_user_model()
    user = user_model.objects.filter(pseudonym__iexact=pseudonym).first()
    if user is None:
        user = user_model(
            pseudonym=pseudonym,
            email=f"{pseudonym.lower()}@demo.kindred.invalid",
            role=Role.MEMBER,
            date_joined=timezone.now() - timedelta(days=60),
        )
        user.set_unusable_password()
        user.save()
    return user


@transaction.atomic
def seed_community(*, members: list, organisation) -> dict[str, int]:
    """Create the demo spaces, members and conversations. Returns counts of what was created."""
    created = {"spaces": 0, "members": 0, "threads": 0, "posts": 0}
    spaces: dict[str, Space] = {}
    for position, spec in enumerate(SPACES):
        space, was_created = Space.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "description": spec["description"],
                "house_rules": spec["house_rules"],
                "organisation": organisation if spec.get("restricted") else None,
                "position": position * 10,
            },
        )
        spaces[spec["slug"]] = space
        created["spaces"] += was_created

    user_model = get_user_model()
    existing = set(user_model.objects.filter(pseudonym__in=EXTRA_MEMBERS).values_list("pseudonym", flat=True))
    extras = [_demo_member(name) for name in EXTRA_MEMBERS]
    created["members"] = len(EXTRA_MEMBERS) - len(existing)
    # Extra members belong to the organisation so they can take part in its restricted space.
    for extra in extras:
        if extra.organisation_id is None and organisation is not None:
            extra.organisation = organisation
            extra.save(update_fields=["organisation"])
    cast = [m for m in members if m.role == Role.MEMBER] + extras

    def pick(index: int, space: Space):
        eligible = [m for m in cast if space.organisation_id in (None, m.organisation_id)]
        return eligible[index % len(eligible)]

    # Create everything first and backdate afterwards: a post that looks old and unscreened
    # would make risk triage report itself degraded and hold the rest of the seed.
    backdates: list[tuple[Thread, timedelta, list[Post]]] = []
    for spec in THREADS:
        space = spaces[spec.space]
        if Thread.objects.filter(space=space, title=spec.title).exists():
            continue
        thread = services.thread_create(
            author=pick(spec.author, space),
            space=space,
            title=spec.title,
            body=spec.body,
            skip_rate_limits=True,
        )
        replies = [
            services.post_create(author=pick(who, space), thread=thread, body=body, skip_rate_limits=True)
            for who, body in spec.replies
        ]
        backdates.append((thread, timedelta(hours=spec.hours_ago), replies))
        created["threads"] += 1
        created["posts"] += 1 + len(replies)

    now = timezone.now()
    for thread, age, replies in backdates:
        started = now - age
        Thread.objects.filter(pk=thread.pk).update(created_at=started)
        Post.objects.filter(pk=thread.opening_post_id).update(created_at=started)
        for offset, post in enumerate(replies, start=1):
            Post.objects.filter(pk=post.pk).update(created_at=started + timedelta(minutes=25 * offset))
        services.thread_refresh_counters(thread_id=thread.pk)
    return created
