"""The concept layer of rules 2025.11.4+: lexicons of concepts composed over clauses and sentences.

Each case is worded apart from every data set; the rule sets built here are small and local, so a
test shows the mechanism (inflections, composition scope and order, anchors, negation and subject
of a composed signal, what a composition may hide) rather than a packaged phrase.
"""

import pytest

from escalation.triage import Engine, RuleError, assess
from escalation.triage.rules import inflect


def _engine(compositions, concepts, rules=()):
    return Engine(
        {
            "version": "t1",
            "context": {
                "negation": ["not", "dont", "never"],
                "self_subject": ["i", "me", "my"],
                "other_subject": ["he", "she", "my brother"],
                "trivial": ["football"],
                "timeline": ["tonight"],
            },
            "concepts": concepts,
            "compositions": compositions,
            "rules": list(rules)
            or [{"id": "R-1", "category": "active_ideation", "level": "high", "patterns": ["zzqx myself"]}],
        }
    )


WISH_DEATH = {"wish": ["long to", "wish"], "gone": ["be gone", "vanish"]}
PASSIVE = {
    "id": "C-P",
    "category": "passive_ideation",
    "level": "moderate",
    "all": ["wish", "gone"],
    "window": 6,
}


def test_inflections_expand_regular_forms_and_a_dropped_g():
    assert set(inflect("end+ my life")) == {
        "end my life",
        "ends my life",
        "ended my life",
        "ending my life",
        "endin my life",
    }
    assert {"taking pills", "takin pills"} <= set(inflect("take+ pills"))
    assert "dying" in inflect("die+")
    assert "stashes" in inflect("stash+")
    assert inflect("plain words") == ["plain words"]


def test_a_composition_needs_every_group_within_its_window_and_sentence():
    engine = _engine([PASSIVE], WISH_DEATH)
    assert engine.assess("some nights I long to just vanish").level == "moderate"
    assert (
        engine.assess("I vanish into my books; I long to travel").level == "none"
    )  # no "gone" near "long to"
    assert engine.assess("I long to see the sea. Then the fog made the boats vanish.").level == "none"
    far = "I long to " + "walk and " * 5 + "vanish"
    assert engine.assess(far).level == "none"


def test_an_ordered_composition_reads_its_groups_in_order():
    ordered = {**PASSIVE, "ordered": True}
    engine = _engine([ordered], WISH_DEATH)
    assert engine.assess("I wish I could vanish").level == "moderate"
    assert engine.assess("to vanish is what I wish").level == "none"
    assert _engine([PASSIVE], WISH_DEATH).assess("to vanish is what I wish").level == "moderate"


def test_a_clause_scope_stops_at_a_comma_and_near_reaches_the_next_sentence():
    clause = {**PASSIVE, "scope": "clause"}
    near = {**PASSIVE, "scope": "near", "window": 12}
    text_comma = "I wish, honestly, to vanish"
    text_two = "I wish for one thing. To vanish."
    assert _engine([clause], WISH_DEATH).assess(text_comma).level == "none"
    assert _engine([PASSIVE], WISH_DEATH).assess(text_two).level == "none"
    assert _engine([near], WISH_DEATH).assess(text_two).level == "moderate"


def test_a_composed_signal_is_negated_and_attributed_like_a_rule_match():
    engine = _engine([PASSIVE], WISH_DEATH)
    assert engine.assess("I dont wish to vanish").level == "low"  # negation before it: denied
    assert engine.assess("my brother says he wish he could vanish").level == "moderate"  # someone else
    result = engine.assess("some nights I long to just vanish")
    (rule,) = [r for r in result.rules if r.effect == "counted"]
    text = "some nights I long to just vanish"
    assert rule.rule_id == "C-P"
    assert [text[a:b] for a, b in rule.spans] == ["long to", "vanish"]


def test_a_composition_hides_only_what_it_outranks():
    rules = [{"id": "R-1", "category": "active_ideation", "level": "high", "patterns": ["zzqx myself"]}]
    engine = _engine([PASSIVE], {"wish": ["wish"], "gone": ["be gone"]}, rules)
    result = engine.assess("I wish to zzqx myself and be gone")
    assert result.level == "high"
    assert {r.rule_id for r in result.rules if r.effect == "counted"} >= {"R-1"}


def test_a_trivial_topic_right_after_a_composed_signal_makes_it_harmless():
    done = {"if": ["if"], "over": ["i am done", "im done"]}
    comp = {
        "id": "C-IF",
        "category": "passive_ideation",
        "level": "moderate",
        "all": ["if", "over"],
        "window": 10,
    }
    engine = _engine([comp], done)
    assert engine.assess("if she leaves I'm done").level == "moderate"
    assert engine.assess("if we lose again I'm done with football").level == "none"


def test_the_anchor_only_changes_speed_not_decisions():
    a0 = _engine([PASSIVE], WISH_DEATH)
    a1 = _engine([{**PASSIVE, "anchor": 1}], WISH_DEATH)
    for text in ("I long to vanish", "vanish, I wish", "I wish it would rain", "they vanish"):
        assert a0.assess(text).level == a1.assess(text).level
        assert a1.assess(text).to_dict() == a1.assess(text, reference=True).to_dict()


@pytest.mark.parametrize(
    "bad",
    [
        {"version": "1", "compositions": [{"id": "C", "category": "plan", "level": "high", "all": ["nope"]}]},
        {
            "version": "1",
            "concepts": {"a": ["x"]},
            "compositions": [{"id": "C", "category": "plan", "level": "high", "all": ["a"], "scope": "page"}],
        },
        {
            "version": "1",
            "concepts": {"a": ["x"]},
            "compositions": [{"id": "C", "category": "plan", "level": "high", "all": ["a"], "anchor": 3}],
        },
        {
            "version": "1",
            "concepts": {"a": ["x"]},
            "compositions": [{"id": "C", "category": "plan", "all": []}],
        },
        {
            "version": "1",
            "concepts": {"a": ["x"]},
            "rules": [{"id": "C", "category": "plan", "level": "high", "patterns": ["y"]}],
            "compositions": [{"id": "C", "category": "plan", "level": "high", "all": ["a"]}],
        },
    ],
)
def test_malformed_compositions_are_rejected(bad):
    with pytest.raises(RuleError):
        Engine(extra=[bad])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # unknown inflections read as the form a pattern names
        ("I keep catchin myself thinkin about ending things", "high"),
        # a time that is denied is no timeline
        ("thinking about it again 🔪 not doing anything tonight though", "high"),
        ("thinking about it again 🔪 doing it tonight", "imminent"),
        # passive wish composed from a desire and a death concept, in another language
        ("Quisiera desaparecer para siempre.", "moderate"),
        # burden: others better off without the author
        ("My flatmates would honestly have an easier life if I wasn't around.", "moderate"),
        # someone else's means beside a sign they cannot be reached: danger now (rule 4)
        ("My cousin has her tablets with her and isn't picking up. I'm scared.", "imminent"),
        ("My cousin has been saving her tablets, she says just in case. She's at work right now.", "high"),
        # letters spelled out with dots or dashes read as one word; "planning on" is intent
        ("going to k.i.l.l myself tonight", "imminent"),
        ("thinking about s-u-i-c-i-d-e a lot", "high"),
        ("Meet at 3 p.m. at the U.S.A. stand, e.g. near the gate.", "none"),
        ("planning on su!c!de tomorow", "imminent"),
        # taken with alcohol, bleeding into the bath, car exhaust, goodbyes with a time, other languages
        ("Mixed all my meds with vodka an hour ago. Feeling really weird", "imminent"),
        ("sat in the bath with a blade, the water is going red", "imminent"),
        ("Writing my goodbyes now. Everything will be over by midnight.", "imminent"),
        ("mi novio me mandó un mensaje de despedida y no contesta", "imminent"),
        ("ich habe alle tabletten genommen", "imminent"),
        ("Made penne with vodka sauce tonight, so good", "none"),
        ("Everything will be over by midnight, the sale ends then!", "none"),
        # a veiled "so done" about a trivial topic is hyperbole; a funeral imagined is a passive fantasy
        ("I'm so done with this group project", "none"),
        ("so done with my dissertation but also so done with life", "moderate"),
        ("I keep imagining my funeral and who would come", "moderate"),
        # someone else's death by suicide is grief and exposure, followed up when fresh; an attempt is not
        ("My uncle killed himself two years ago and christmas is hard", "low"),
        ("My brother killed himself last night, I found him", "moderate"),
        ("my brother tried to kill himself last night", "high"),
        ("Three years ago I tried to end my life. Today I graduated.", "low"),
        # an act with a time in its sentence; means in hand now; a note already written; a past day
        ("I can't do this anymore. Tonight I end it.", "imminent"),
        ("I'm having suicidal thoughts again and they're loud tonight.", "high"),
        ("been having ctb thoughts since friday", "high"),
        ("I have the gun in my hand right now", "imminent"),
        ("Told my sister I'm fine but I've already written the note", "imminent"),
        ("I'm at the station, next train I'm stepping off the platform", "imminent"),
        # a hoped-for death by illness, a farewell that will not see it, nothing left; not lateness
        ("I hope this cancer takes me quickly", "moderate"),
        ("I won't be around to see it", "high"),
        ("Life has nothing left for me", "moderate"),
        ("I want to not be late again, new alarm clock bought", "none"),
        # means kept back for later
        ("I've been hiding my antidepressants in a sock instead of taking them.", "high"),
    ],
)
def test_packaged_concepts_read_new_wordings(text, expected):
    assert assess(text).level == expected
