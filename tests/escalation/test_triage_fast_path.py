"""The fast reader (chunk cache, key-word prefilter, Aho-Corasick passes) decides exactly as the
word-by-word reference path does, and never skips what the reference would have read."""
# ruff: noqa: RUF001 - full-width letters are the point of the obfuscation examples

import json
import random
from pathlib import Path

import pytest

from escalation.triage import Engine, default_engine

DEVSET = Path(__file__).resolve().parents[2] / "escalation/triage/data/devset.jsonl"
FILLER = (
    "I went to the shop after work and the queue was long. My sister phoned about the weekend. "
    "The bus was late again so I walked part of the way. Work has been busy this week. "
)


def _texts():
    texts = [json.loads(line)["text"] for line in DEVSET.open(encoding="utf-8")]
    rng = random.Random(11)
    variants = []
    for text in texts[:300]:
        words = text.split(" ")
        k = rng.randrange(len(words))
        variants.append(" ".join([*words[:k], " ".join(words[k]), *words[k + 1 :]]))  # spaced letters
        variants.append("\n\n".join(text.split(". ")))  # line breaks
        variants.append(text.replace(" ", "  \t", 3).replace("e", "3", 2))  # odd spacing, digits
        variants.append(f"({text.upper()}) - {FILLER}")
        variants.append(FILLER * rng.randint(1, 6) + text + " " + FILLER)  # signal in the middle
    return texts + variants


@pytest.fixture(scope="module")
def engine():
    return Engine()


def test_fast_path_equals_reference_path(engine):
    texts = _texts()
    assert len(texts) > 1500
    different = [t for t in texts if engine.assess(t).to_dict() != engine.assess(t, reference=True).to_dict()]
    assert different == []


@pytest.mark.parametrize(
    "text",
    [
        # distress and a supportive frame, no rule match: the "anywhere" cues are still read
        "You don't have to be alone with this, please reach out to the helpline.",
        # only a later piece of a '*' pattern ("gave my * to"): nothing can start
        "I went to the shop. Then I walked to the park.",
        # concepts composed across a sentence break, anchors far apart in a long post
        FILLER * 4 + "I keep hoping I just won't wake up. " + FILLER * 4,
        "Sitting on the edge of the quarry. " + FILLER + "Took all of them, feel dizzy.",
        # letters spelled out with separators, then a sentence break
        "i will k.i.l.l. myself, then s-u-i-c-i-d-e... e.g. U.S.A.",
    ],
)
def test_fast_path_equals_reference_path_on_composed_and_cue_only_posts(engine, text):
    assert engine.assess(text).to_dict() == engine.assess(text, reference=True).to_dict()


def test_fast_reader_gives_the_same_words_spans_sentences_and_clauses(engine):
    normaliser = engine.normaliser
    for text in _texts():
        fast, slow = normaliser.read(text), normaliser.words(text)
        if fast is None:
            # Skipped only when the reference words hold no key word at all.
            assert not set(slow.words) & normaliser.keys, text
            continue
        assert fast.words == slow.words, text
        assert fast.sentence == slow.sentence, text
        assert fast.clause == slow.clause, text
        assert (fast.starts, fast.ends) == (slow.starts, slow.ends), text


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("i w a n t  t o  d i e", "moderate"),  # spaced letters
        ("gonna k1ll mys3lf tonite", "imminent"),  # digits for letters, slang
        ("I am going to ｋｉｌｌ ｍｙｓｅｌｆ tonight", "imminent"),  # full-width letters
        ("Esta noche me voy a suicidar. Ya tengo las pastillas.", "imminent"),
        ("Ich denke ständig daran, mich umzubringen.", "high"),
        ("sewer slide thoughts again", "high"),
    ],
)
def test_prefilter_never_skips_obfuscation_languages_or_long_tails(tail, expected):
    post = FILLER * 300 + "\n\n" + tail  # over 5,000 words before the signal
    assert len(post.split()) > 5000
    assert default_engine().assess(post).level == expected
    assert default_engine().assess(post, reference=True).level == expected


def test_plain_chat_is_skipped_with_an_empty_result(engine):
    result = engine.assess("Planted tomatoes in the garden, fingers crossed.")
    assert engine.normaliser.read("Planted tomatoes in the garden, fingers crossed.") is None
    assert (result.level, result.score, result.categories, result.rules) == ("none", 0.0, (), ())
    assert result == engine.assess("Planted tomatoes in the garden, fingers crossed.", reference=True)


def test_keys_cover_every_rule_pattern(engine):
    keys = engine.normaliser.keys
    for rule in engine.rules:
        for pattern in rule.patterns:
            words = {w for piece in pattern.split("*") for w in engine._phrase(piece)}
            assert words & keys, (rule.id, pattern)
