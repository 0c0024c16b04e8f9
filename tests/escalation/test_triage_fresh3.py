"""A third batch of fresh posts, written after rules 2025.11.8 and scored once: never tuned on.

Written from RISK-LEVELS.md without reading the rule data or the misses of any earlier set, then
scored once (FIRST_SCORE). Unlike fresh and fresh2, no rule has been changed because of these
posts; keep it that way so the file stays a check on reach rather than on memory. The test
records the first score: it holds the targets that score met and marks the ones it missed.
"""

import pytest

from escalation.triage import assess
from escalation.triage.evaluation import evaluate

FRESH3 = [
    # none
    ("none", ["idiom"], "if i have to do one more group project with kev i will actually perish"),
    ("none", ["idiom"], "The heat on the tube today was killing me, I was melting"),
    ("none", ["idiom"], "This cold has wiped me out, I feel half dead"),
    ("none", ["idiom"], "my mum would murder me if she knew what I spent on trainers"),
    ("none", [], "Off camping for the long weekend, no signal up there, bye all!"),
    (
        "none",
        ["supportive_reply"],
        "You're not a burden for posting this. Please talk to your GP about the thoughts.",
    ),
    (
        "none",
        ["fiction_media"],
        "Watching a true crime doc about a poisoning case, the forensics bit is wild.",
    ),
    ("none", [], "Does anyone have tips for sleeping after night shifts? The blackout blinds aren't enough."),
    # low
    ("low", [], "I feel like I'm drowning at work and nobody notices. Can't switch off at night."),
    ("low", [], "lonely again this weekend. watched the whole series alone, didn't speak to anyone"),
    (
        "low",
        ["negation"],
        "To be clear I'm safe and not having any thoughts like that, just really low after the breakup.",
    ),
    (
        "low",
        ["historical"],
        "I attempted when I was nineteen. I'm forty now, in recovery, and I run a peer group.",
    ),
    (
        "low",
        ["third_party"],
        "My husband's been so stressed since the redundancy, snapping at everyone. How do I help?",
    ),
    ("low", [], "I keep messing everything up and I hate myself for it."),
    # moderate
    (
        "moderate",
        ["passive"],
        "Sometimes I lie in bed and wish I could just stop. Stop everything. Permanently.",
    ),
    ("moderate", ["passive"], "If I got hit by a bus tomorrow honestly I wouldn't mind that much."),
    (
        "moderate",
        ["passive"],
        "My kids deserve a better mum than me, they'd be happier if I wasn't in their lives.",
    ),
    (
        "moderate",
        ["third_party"],
        "My friend said 'what's even the point of me' last night. She laughed it off but I'm worried.",
    ),
    (
        "moderate",
        ["self_harm"],
        "Fighting the urge to hurt myself again, it's been two months. Really hard today.",
    ),
    ("moderate", ["passive", "other_language"], "Manchmal wünschte ich, ich wäre einfach nicht mehr da."),
    ("moderate", ["passive"], "no plan or anything but i think about being dead a lot"),
    (
        "moderate",
        ["recent", "easing"],
        "A month ago I was thinking about ending it most days. It's quieter now with support.",
    ),
    # high
    (
        "high",
        ["active"],
        "Part of me really wants to kill myself right now. I'm not going to tonight but it's loud.",
    ),
    ("high", ["method"], "I know exactly which pills I'd use and how many. I just haven't decided anything."),
    ("high", ["research"], "been googling how long it takes to bleed out. not sure why i'm telling you"),
    (
        "high",
        ["self_harm", "recent"],
        "Cut again this morning before school, it's worse than usual and I've hidden it.",
    ),
    (
        "high",
        ["attempt", "recent"],
        "After I took those pills on Saturday they kept me in for two nights. Feel numb.",
    ),
    (
        "high",
        ["third_party", "preparation"],
        "My sister has been writing letters to all of us and won't say why.",
    ),
    ("high", ["farewell"], "I hope you all have good lives. I mean that. Thanks for putting up with me."),
    ("high", ["other_language", "active"], "Myślę o tym, żeby się zabić. Nie wiem co robić."),
    # imminent
    (
        "imminent",
        ["attempt_in_progress"],
        "I took a whole box of paracetamol about an hour ago and now I'm scared.",
    ),
    (
        "imminent",
        ["plan", "timeline"],
        "Tonight's the night. Got the rope and I know where I'm going. Don't try to stop me.",
    ),
    ("imminent", ["farewell"], "By the time anyone sees this I'll be gone. Sorry mum."),
    (
        "imminent",
        ["means", "timeline"],
        "Hid my meds for weeks and I'm taking the lot when everyone's asleep.",
    ),
    ("imminent", ["attempt_in_progress"], "I'm on the roof of the car park and I'm going to jump."),
    (
        "imminent",
        ["third_party"],
        "My brother just texted 'goodbye, love you' and his phone's off. He has his pills with him.",
    ),
    ("imminent", ["other_language", "farewell"], "Adeus. Não aguento mais. Hoje à noite acaba tudo."),
    ("imminent", ["preparation"], "Gave away my cat, deleted everything, wrote the note. It's time."),
    ("imminent", ["obfuscation", "timeline"], "gonna s*icide 2nite no more of this"),
    ("imminent", ["attempt_in_progress", "self_harm"], "i cut my wrist and its pouring out, cant stop it"),
]

# From the first and only scoring run. Urgent misses by cause: a pill stash with "the lot" and a time
# read as high (1), someone else's goodbye text with pills (1), Portuguese "acaba tudo" tonight (1),
# "s*icide" with a time (1), bleeding "pouring out" (1), "which pills I'd use" (1), "cut again this
# morning" (1), a soft farewell (1). Never tuned on.
FIRST_SCORE = (
    "rules 2025.11.8, scored once: macro-F1 0.745, urgent recall 0.833, urgent precision 0.938,"
    " 0 imminent rated moderate or lower, idioms 0.00 of 4"
)
MISSED = {"urgent_recall"}


def _report():
    rows = [
        {"id": f"fresh3-{i:02d}", "level": level, "tags": tags, "text": text, "predicted": assess(text).level}
        for i, (level, tags, text) in enumerate(FRESH3, start=1)
    ]
    return evaluate(rows)


def test_fresh3_covers_every_level():
    levels = [level for level, _, _ in FRESH3]
    assert len(FRESH3) >= 40
    assert all(levels.count(level) >= 6 for level in ("none", "low", "moderate", "high", "imminent"))


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=FIRST_SCORE))
        if name in MISSED
        else name
        for name in ("urgent_recall", "imminent_low", "urgent_precision", "idioms", "macro_f1")
    ],
)
def test_fresh3_targets(target):
    report = _report()
    checks = {
        "urgent_recall": report.urgent_recall >= 0.98,
        "imminent_low": report.imminent_rated_moderate_or_lower == 0,
        "urgent_precision": report.urgent_precision >= 0.70,
        "idioms": report.idiom_false_alarm_rate <= 0.10,
        "macro_f1": report.macro_f1 >= 0.55,
    }
    assert checks[target], report.as_text()
