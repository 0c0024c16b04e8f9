"""A second batch of fresh posts, written after rules 2025.11.6 and scored once, never tuned on.

test_triage_fresh.py was written before the concept layer but by the engineer who then wrote the
lexicons, so its wording leaked into them. These 45 posts were written afterwards, from
RISK-LEVELS.md, without looking at the rule data, and scored once with rules 2025.11.6; no rule
was changed before that score, recorded in FIRST_SCORE. Its misses were then read (rules 2025.11.7
add the general concepts they lacked: fine-with-not-existing, out of the picture, letters written,
a pet handed on, the surest way, going back to a bridge, inflections no pattern names), so from
2025.11.7 it is development data like heldout3; the test holds the issue's targets over it.
"""

from escalation.triage import assess
from escalation.triage.evaluation import evaluate

FRESH2 = [
    # none
    ("none", ["idiom"], "That plot twist killed me, I actually screamed at the telly"),
    ("none", ["idiom"], "my bank balance is on life support until payday"),
    ("none", ["idiom"], "Honestly I'd rather die than sit through another of his PowerPoints lol"),
    ("none", ["idiom"], "the gym class today absolutely destroyed me, can't feel my legs 😂"),
    ("none", [], "Leaving the group chat for a bit, exams are eating my brain. Back in June!"),
    (
        "none",
        ["supportive_reply"],
        "I'm so glad you told us you'd been thinking of ending things. Well done for reaching out.",
    ),
    (
        "none",
        [],
        "What's the safe number of paracetamol to take in a day for a migraine? Don't want to overdo it.",
    ),
    (
        "none",
        ["fiction_media"],
        "Just finished the episode where the dad dies. Ugly cried for twenty minutes.",
    ),
    ("none", [], "Gave all my kids' old toys to the charity shop today, house feels so much bigger"),
    # low
    ("low", [], "Everyone at work seems to have it together and I'm just faking it every single day."),
    ("low", [], "I can't remember the last time I felt happy about anything. Just numb."),
    (
        "low",
        ["historical"],
        "Ten years since my overdose. Wouldn't have believed back then that I'd have a job and a dog"
        " and a life I like.",
    ),
    (
        "low",
        ["negation"],
        "No thoughts of ending it or anything, I'm just so flat and I don't know how to get out of it.",
    ),
    (
        "low",
        ["third_party"],
        "My son has gone very quiet since his exams, barely comes out of his room. Any advice?",
    ),
    ("low", [], "Been crying in the toilets at work again. The anxiety is through the roof."),
    # moderate
    ("moderate", ["passive"], "I wouldn't be upset if I didn't make it to next year."),
    ("moderate", ["passive"], "Part of me hopes the plane goes down on the way back."),
    (
        "moderate",
        ["passive"],
        "Been feeling like everyone's life would be simpler with me out of the picture.",
    ),
    ("moderate", ["veiled"], "I'm so tired of fighting to stay alive every day."),
    (
        "moderate",
        ["third_party"],
        "My best mate keeps saying she doesn't want to be here anymore. She says she'd never act on it.",
    ),
    (
        "moderate",
        ["self_harm"],
        "The urge to cut is so loud tonight. Holding an ice cube like my therapist said.",
    ),
    ("moderate", ["passive", "other_language"], "Às vezes queria dormir e não acordar mais."),
    ("moderate", ["passive", "other_language"], "Ojalá pudiera desaparecer y ya."),
    ("moderate", ["passive"], "I'd be fine with not existing tbh"),
    # high
    (
        "high",
        ["active"],
        "I've been having thoughts about suicide on and off all week and they're getting stronger.",
    ),
    ("high", ["research"], "What's the most reliable way to go without it hurting? Asking for me."),
    ("high", ["means"], "I keep driving past the bridge on the way home and slowing down."),
    ("high", ["self_harm", "recent"], "Burned my arm with a lighter last night. Hiding it under my hoodie."),
    ("high", ["attempt", "recent"], "Three days ago I took an overdose. They let me go home yesterday."),
    ("high", ["farewell"], "I just want you all to know you've meant the world to me. Whatever happens."),
    (
        "high",
        ["third_party", "preparation"],
        "My dad's been looking up life insurance payouts for suicide and asking who'd get the house.",
    ),
    ("high", ["active", "other_language"], "Je pense à me suicider presque tous les jours maintenant."),
    ("high", ["active", "slang"], "thinking about catching the bus for real this time"),
    ("high", ["conditional"], "If the results come back bad I'm going to end it. I mean that."),
    # imminent
    ("imminent", ["plan", "timeline"], "I'm going to overdose tonight when my flatmate goes out."),
    ("imminent", ["attempt_in_progress"], "I've just swallowed about forty of my sleeping tablets."),
    ("imminent", ["attempt_in_progress"], "I'm on the railway bridge, the train's due in ten minutes."),
    ("imminent", ["farewell"], "Goodbye. Thank you all for trying. I'm sorry I couldn't stay."),
    (
        "imminent",
        ["preparation", "timeline"],
        "Letters are written, the dog's with my sister. Tomorrow morning I'll do it.",
    ),
    ("imminent", ["means"], "I've got the rope tied and I'm standing on the chair."),
    (
        "imminent",
        ["third_party"],
        "My girlfriend just sent me a goodbye text and her location is at the cliffs."
        " I'm calling the police.",
    ),
    ("imminent", ["other_language"], "Me voy a tirar del puente esta noche. Adiós."),
    ("imminent", ["obfuscation"], "t0night's the n1ght. g00dbye all"),
    (
        "imminent",
        ["attempt_in_progress", "self_harm"],
        "blood everywhere and i can't make it stop, i went too deep",
    ),
    ("imminent", ["plan"], "Decided it's happening Friday after work. I've got the pills saved up."),
]

FIRST_SCORE = (
    "rules 2025.11.6, scored once: macro-F1 0.672, urgent recall 0.667, urgent precision 1.000,"
    " 3 imminent rated moderate or lower, idioms 0.00 of 4. Targets missed."
)


def _report():
    rows = [
        {"id": f"fresh2-{i:02d}", "level": level, "tags": tags, "text": text, "predicted": assess(text).level}
        for i, (level, tags, text) in enumerate(FRESH2, start=1)
    ]
    return evaluate(rows)


def test_fresh2_covers_every_level():
    levels = [level for level, _, _ in FRESH2]
    assert len(FRESH2) >= 45
    assert all(levels.count(level) >= 6 for level in ("none", "low", "moderate", "high", "imminent"))


def test_fresh2_targets():
    report = _report()
    assert report.urgent_recall >= 0.98, report.as_text()
    assert report.imminent_rated_moderate_or_lower == 0, report.as_text()
    assert report.urgent_precision >= 0.70, report.as_text()
    assert report.idiom_false_alarm_rate <= 0.10, report.as_text()
    assert report.macro_f1 >= 0.55, report.as_text()
