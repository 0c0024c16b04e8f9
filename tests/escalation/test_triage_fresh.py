"""Fresh paraphrases, written for this file only (not in any data set), before rules 2025.11.4.

The 60 posts below were written from RISK-LEVELS.md alone, worded apart from devset, heldout2 and
heldout3, *before* the concept lexicons of rules 2025.11.4 were added, as a check that the engine
reads meaning rather than remembered phrases. They are never tuned on one by one: the test holds
the issue's targets over the whole set, as for the held-out sets.

First score, rules 2025.11.3 (before the concept layer): see FRESH_BEFORE below (62 posts). With
rules 2025.11.4 the set meets the targets. Caveat: the same engineer wrote these posts and the
concept lexicons, so some vocabulary of this file (a few idioms, support and media cues) reached the
lexicons; it is a check on the concept layer, not a blind measure (heldout3 and the lead's new
blind set are the measures).
"""

import pytest

from escalation.triage import assess
from escalation.triage.evaluation import evaluate

# (level, tags, text)
FRESH = [
    # none: chat, idioms, information, support, fiction
    ("none", ["idiom"], "My feet are dead after that 10k, never wearing those trainers again"),
    ("none", ["idiom"], "This spreadsheet is going to be the death of me, three formulas broken already"),
    ("none", ["idiom"], "I could murder a curry right now honestly"),
    ("none", ["idiom"], "the new season finale absolutely slayed me, I was screaming"),
    ("none", ["idiom"], "If my brother eats my leftovers again I swear I'll kill him 😂"),
    ("none", ["idiom"], "Dying to know how the interview went, tell us everything!"),
    ("none", [], "Signing off for the night, see you all at the Tuesday check-in."),
    (
        "none",
        ["supportive_reply"],
        "If you're having thoughts of ending your life please call the helpline pinned above, you matter.",
    ),
    (
        "none",
        ["fiction_media"],
        "The documentary about the bridge suicides was hard to watch but really well made.",
    ),
    (
        "none",
        [],
        "Does anyone know what the max dose of ibuprofen is for a bad tooth? Dentist closed till Monday.",
    ),
    ("none", [], "Giving away my old guitar since I've upgraded, anyone local want it?"),
    ("none", ["idiom"], "Mum is going to kill me when she sees my exam results lol"),
    # low: distress, denial, history with recovery, someone else's distress
    ("low", [], "Haven't left the house in a week. Everything feels grey and pointless lately."),
    ("low", [], "so lonely since moving cities, nobody texts me back and the weekends are the worst"),
    (
        "low",
        ["negation"],
        "I'm really struggling but to be clear I'm not suicidal, just exhausted and burnt out.",
    ),
    (
        "low",
        ["historical"],
        "Five years ago I overdosed and ended up in hospital. Now I'm in therapy, married, and doing well.",
    ),
    (
        "low",
        ["historical"],
        "I used to self-harm in my teens. It's been eight years clean and I'm proud of that.",
    ),
    ("low", ["third_party"], "My flatmate has been crying a lot since her breakup, how do I support her?"),
    ("low", [], "Panic attacks every morning before work now, my chest gets so tight I can't breathe."),
    ("low", [], "Couldn't sleep again, my head won't switch off about money and rent."),
    ("low", ["negation"], "Not going to do anything stupid, I'm just really low and crying a lot today."),
    ("low", [], "Grief comes in waves. Dad's been gone six months and today was a bad one."),
    # moderate: passive ideation, veiled statements, urges, third-party ideation
    ("moderate", ["passive"], "Sometimes I hope I just don't wake up tomorrow."),
    ("moderate", ["passive"], "Everyone in my life would cope better if I disappeared for good."),
    (
        "moderate",
        ["passive"],
        "I'm so tired of existing. Not going to do anything, I just don't want to be alive.",
    ),
    (
        "moderate",
        ["passive"],
        "wish a car would hit me on the way to work so I wouldn't have to deal with any of it",
    ),
    ("moderate", ["passive"], "I feel like such a burden to my family, they'd be relieved if I was gone."),
    (
        "moderate",
        ["self_harm"],
        "Having really strong urges to hurt myself tonight but I haven't done anything, sitting with it.",
    ),
    (
        "moderate",
        ["third_party"],
        "My boyfriend told me he sometimes wishes he was dead. He's not planning anything. What do I say?",
    ),
    ("moderate", ["passive", "other_language"], "A veces desearía no despertar nunca más."),
    ("moderate", ["passive", "other_language"], "Ich wünschte, ich würde einfach nicht mehr aufwachen."),
    ("moderate", ["passive"], "Life feels pointless and I keep thinking it'd be easier to not exist."),
    (
        "moderate",
        ["third_party", "self_harm"],
        "Found out my younger brother has been burning himself with a lighter, the marks look old.",
    ),
    ("moderate", ["passive", "slang"], "ngl kinda want to just cease to exist"),
    # high: active ideation now, methods, research, intent without plan, recent self-harm, attempt
    ("high", ["active"], "I keep thinking about killing myself, it's all I think about lately."),
    ("high", ["active"], "Been seriously considering taking my own life. No plan yet."),
    ("high", ["research"], "How much insulin would it take to not wake up?"),
    ("high", ["research"], "I've been reading about which medications are lethal in overdose."),
    ("high", ["self_harm", "recent"], "Cut myself again last night, deeper than usual. It's bandaged now."),
    (
        "high",
        ["attempt", "recent"],
        "I tried to hang myself on Sunday but the rope snapped. I'm physically ok.",
    ),
    ("high", ["conditional"], "If I fail this resit I'm ending it, I'm serious."),
    ("high", ["obfuscation"], "thinkin about k1lling mys3lf again, can't stop"),
    ("high", ["active", "other_language"], "Penso spesso a togliermi la vita ultimamente."),
    (
        "high",
        ["farewell"],
        "Thank you all for everything. I won't be around for much longer. Take care of each other.",
    ),
    (
        "high",
        ["means"],
        "I keep staring at the bottle of pills in my drawer and thinking how easy it would be.",
    ),
    (
        "high",
        ["third_party", "preparation"],
        "My friend has been giving her stuff away and says she won't need it soon.",
    ),
    ("high", ["active", "slang"], "lowkey want to unalive myself fr"),
    # imminent: plans with time, means at hand, attempts in progress, farewells
    ("imminent", ["plan", "timeline"], "I'm going to hang myself tonight after everyone's asleep."),
    (
        "imminent",
        ["means", "timeline"],
        "I have 60 sleeping pills lined up on the desk. Taking them at midnight.",
    ),
    (
        "imminent",
        ["attempt_in_progress"],
        "Just swallowed the whole bottle of my antidepressants. Feeling dizzy.",
    ),
    (
        "imminent",
        ["attempt_in_progress"],
        "I'm standing on the ledge of the bridge right now. Can't do this anymore.",
    ),
    ("imminent", ["farewell"], "This is my goodbye. I love you all. Please don't blame yourselves."),
    (
        "imminent",
        ["preparation"],
        "Wrote letters to my kids and my sister, gave the dog to the neighbour. Tonight it ends.",
    ),
    (
        "imminent",
        ["attempt_in_progress", "self_harm"],
        "cut too deep and it won't stop bleeding, everything is going blurry",
    ),
    (
        "imminent",
        ["third_party"],
        "My sister just texted me she's swallowed all her meds and won't answer the phone. What do I do?",
    ),
    ("imminent", ["timeline", "slang"], "gonna kms tmrw. bought the stuff already"),
    ("imminent", ["other_language", "timeline"], "Ce soir je vais me tuer. J'ai tout préparé."),
    ("imminent", ["means"], "Loaded the gun and it's sitting on my lap. I just wanted to tell someone."),
    (
        "imminent",
        ["plan"],
        "Decided how and where. Saturday, at the quarry, nobody will find me for a while.",
    ),
    ("imminent", ["attempt_in_progress"], "Sitting in the garage with the engine running. Sorry everyone."),
    ("imminent", ["farewell", "obfuscation"], "g00dbye everyone, by the time u read this i'll be gone"),
    (
        "imminent",
        ["means", "timeline"],
        "Bought a rope today. Doing it this weekend when my parents are away.",
    ),
]

FRESH_BEFORE = (
    "rules 2025.11.3, before any change: macro-F1 0.842, urgent recall 0.893, urgent precision 1.000,"
    " 3 imminent rated moderate or lower, idioms 0.00 of 7"
)


def _report():
    rows = [
        {"id": f"fresh-{i:02d}", "level": level, "tags": tags, "text": text, "predicted": assess(text).level}
        for i, (level, tags, text) in enumerate(FRESH, start=1)
    ]
    return evaluate(rows)


def test_fresh_set_covers_every_level():
    levels = [level for level, _, _ in FRESH]
    assert len(FRESH) >= 60
    assert all(levels.count(level) >= 10 for level in ("none", "low", "moderate", "high", "imminent"))
    assert len({text for _, _, text in FRESH}) == len(FRESH)


def test_fresh_targets():
    report = _report()
    assert report.urgent_recall >= 0.98, report.as_text()
    assert report.imminent_rated_moderate_or_lower == 0, report.as_text()
    assert report.urgent_precision >= 0.70, report.as_text()
    assert report.idiom_false_alarm_rate <= 0.10, report.as_text()
    assert report.macro_f1 >= 0.55, report.as_text()


if __name__ == "__main__":  # pragma: no cover - prints the report and the misses
    r = _report()
    print(r.as_text())
    for miss in r.misses:
        print(miss["id"], miss["level"], "->", miss["predicted"], miss["text"])
    pytest.main([__file__, "-q"])
