"""The engine follows each decision rule of shared/docs/RISK-LEVELS.md (examples per rule)."""
# ruff: noqa: RUF001 - full-width letters are the point of the obfuscation examples

import json

import pytest

from escalation.triage import ENGINE_CODE_VERSION, Assessment, Engine, RuleError, assess


def level(text):
    return assess(text).level


@pytest.mark.parametrize(
    "text",
    [
        "this deadline is killing me",
        "I could kill for a coffee",
        "I was dying of embarrassment in that meeting",
        "my phone is dead, text me later",
        "I'm dead 💀😂 that video",
        "my mum is going to kill me when she sees the car",
    ],
)
def test_rule1_idioms_are_none(text):
    assert level(text) == "none"


def test_rule1_idiom_never_cancels_a_real_signal():
    assert level("This deadline is killing me and I keep thinking about killing myself.") == "high"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm not going to kill myself but I wish I could just disappear.", "moderate"),
        ("I'm not suicidal, just exhausted and sad.", "low"),
        ("I don't want to die, I just want the stress to stop.", "low"),
        ("I'm not going to tell anyone but I've already taken the pills.", "imminent"),
        ("I can't stop thinking about killing myself.", "high"),
    ],
)
def test_rule2_negation_lowers_only_what_it_denies(text, expected):
    assert level(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I cut myself last night.", "high"),
        ("I self-harmed a few weeks ago and the urges are still around.", "moderate"),
        ("Years ago I used to cut. I'm in a good place now, three years clean.", "low"),
        ("Three years ago I tried to take my own life. Therapy helped and I'm doing well.", "low"),
        ("I tried to kill myself last week. I'm out of hospital now.", "high"),
        ("I took 20 paracetamol an hour ago.", "imminent"),
    ],
)
def test_rule3_time_matters(text, expected):
    assert level(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My friend told me she wants to die.", "moderate"),
        ("My friend has been really down since the breakup.", "low"),
        ("My brother bought a rope and has been talking about suicide.", "high"),
        ("My friend just messaged me that she has taken a whole packet of pills.", "imminent"),
        ("My uncle died by suicide when I was small.", "low"),
    ],
)
def test_rule4_other_people(text, expected):
    assert level(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "k i l l  m y s e l f",
        "i want to kiiiill myselfff",
        "i want to k1ll mys3lf",
        "thinking about su1c1de again",
        "i wanna kms",
        "i want to unalive myself",
        "thinking about the sewer slide",
        "ctb thoughts are loud this week",
        "i keep thinking about ending it",
        "i want to kill myslef",
    ],
)
def test_rule5_meaning_not_spelling(text):
    assert level(text) == "high"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Quiero matarme.", "high"),
        ("Je veux mourir.", "moderate"),
        ("Ich will nicht mehr leben.", "moderate"),
        ("Hoje à noite vou me matar. Já tenho os comprimidos.", "imminent"),
        ("Dw i'n meddwl am ladd fy hun.", "high"),
        ("Chcę umrzeć.", "moderate"),
        ("Khudkushi ke baare mein soch raha hoon.", "high"),
        ("Me muero de risa 😂", "none"),
    ],
)
def test_rule5_other_languages(text, expected):
    assert level(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("💀💀 I can't believe he said that", "none"),
        ("Morning meds done 💊 and a walk booked.", "none"),
        ("💊💊💊 tonight", "imminent"),
        ("thinking about it 🪢", "high"),
    ],
)
def test_rule6_emoji_need_context(text, expected):
    assert level(text) == expected


def test_rule7_long_posts_are_read_to_the_last_word():
    filler = "I went to the shop and then walked home by the river with my sister. " * 400
    assert len(filler.split()) > 5000
    assert level(filler + "I'm going to end my life tonight.") == "imminent"
    assert level(filler) == "none"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm sorry for everything. Please don't worry about me anymore.", "high"),  # veiled farewell
        ("If I fail this resit I'm done, and I'm not joking this time.", "high"),  # conditional intent
        ("Off to bed, see you all tomorrow!", "none"),  # harmless goodbye stays none
        ("If you're having thoughts of killing yourself, please reach out.", "none"),  # supportive reply
    ],
)
def test_rule8_higher_of_two_defensible_levels(text, expected):
    assert level(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("I want to kill myself", "kill myself"),
        ("so tired. k i l l  m y s e l f", "k i l l  m y s e l f"),
        ("i want to kiiiill myselfff", "kiiiill myselfff"),
        ("honestly i want to k1ll mys3lf", "k1ll mys3lf"),
        ("ｉ ｗａｎｔ ｔｏ ｋｉｌｌ ｍｙｓｅｌｆ", "ｋｉｌｌ ｍｙｓｅｌｆ"),
        ("Café first. Then I'll end my life", "end my life"),
    ],
)
def test_spans_point_into_the_original_text(text, words):
    result = assess(text)
    counted = [rule for rule in result.rules if rule.effect == "counted"]
    assert counted
    highlighted = [text[start:end] for rule in counted for start, end in rule.spans]
    assert words in highlighted


def test_assessment_shape_and_versions():
    result = assess("I keep thinking about killing myself")
    assert isinstance(result, Assessment)
    assert result.level == "high"
    assert 0.0 <= result.score <= 1.0
    assert "active_ideation" in result.categories
    data = json.loads(json.dumps(result.to_dict()))
    assert data["engine_version"] == result.engine_version
    assert result.engine_version.startswith(ENGINE_CODE_VERSION + "+rules.")
    assert data["rules"][0]["spans"] == [[22, 36]]


def test_scores_rise_with_level():
    scores = [assess(t).score for t in ("hello", "I feel lonely", "I want to die", "I want to kill myself")]
    assert scores == sorted(scores)
    assert len(set(scores)) == 4


def test_extra_rules_and_disabled_rules_change_the_version():
    extra = {
        "version": "7",
        "name": "local",
        "rules": [{"id": "LOCAL-1", "kind": "signal", "category": "active_ideation", "level": "high",
                   "patterns": ["go to the quiet place forever"]}],
    }  # fmt: skip
    engine = Engine(extra=[extra], disabled=["AI-001"])
    assert engine.version.startswith(ENGINE_CODE_VERSION + "+rules.")
    assert "+local.7" in engine.version
    assert "+disabled." in engine.version
    assert engine.assess("I want to go to the quiet place forever").level == "high"
    assert engine.assess("I keep thinking about killing myself").level != "high"
    assert assess("I want to go to the quiet place forever").level != "high"


@pytest.mark.parametrize(
    "bad",
    [
        {"rules": []},
        {"version": "1", "rules": [{"id": "X", "category": "nonsense", "level": "high", "patterns": ["a"]}]},
        {"version": "1", "rules": [{"id": "X", "category": "plan", "level": "urgent", "patterns": ["a"]}]},
        {"version": "1", "rules": [{"id": "X", "category": "plan", "level": "high", "patterns": []}]},
        {"version": "1", "context": {"unknown": ["a"]}},
    ],
)
def test_malformed_rule_sets_are_rejected(bad):
    with pytest.raises(RuleError):
        Engine(extra=[bad])


def test_engine_has_no_django_imports():
    import re
    from pathlib import Path

    import escalation.triage

    for path in Path(escalation.triage.__file__).parent.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+django", source, re.MULTILINE), path


@pytest.mark.parametrize(
    "text",
    [
        "I look after my mum most evenings. I love her, but I haven't done anything for myself in months.",
        "I take care of my dad since his stroke and I'm shattered, how do other carers cope?",
    ],
)
def test_carers_looking_after_family_is_not_a_farewell(text):
    """Rules 2025.11.16: 'look after my' / 'take care of my' alone read every carer's post as a
    farewell (high) and held the demo's carers thread; a farewell asks someone else to do it."""
    from escalation.triage import assess

    assert assess(text).level == "none"


def test_asking_someone_to_look_after_a_pet_is_still_a_farewell():
    from escalation.triage import assess

    assert assess("please look after my cat, she likes the window seat. thank you for everything").level in {
        "high",
        "imminent",
    }
