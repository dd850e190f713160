"""Store-service answers from the store's own policies (``data/policies/*.md``).

Each policy is a Markdown file: a level-1 title, then short ``## `` sections that
carry the concrete numbers. Two HTML comments, invisible when the file is
rendered, steer the search:

* ``<!-- topic: NAME -->`` sets the topic of the file (after the title) or of one
  section (inside it); without one, the topic is the file's stem.
* ``<!-- asks: question | question -->`` lists ways shoppers ask what the section
  answers; they are searched with the section but never quoted.

The stores' sections are generated from ``data/demo/stores.yml`` at load time.
A question is matched against every section by BM25 (``bm25s``) and MiniLM
cosine, fused; :meth:`PolicyIndex.topic_of` turns the best fused score into a
calibrated confidence. Nothing is loaded or encoded at import time.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
POLICIES_DIR = REPO_ROOT / "data" / "policies"

# The topics the evaluation labels use (``service:<topic>``); every one must exist.
EVAL_TOPICS = ("returns", "order_status", "cancel_order", "delivery_area", "payment", "stores", "change_address")

# Fusion: fused = DENSE_WEIGHT * cosine + (1 - DENSE_WEIGHT) * bm25 / (bm25 + BM25_HALF).
DENSE_WEIGHT = 0.8
BM25_HALF = 4.0
# Calibration: confidence = sigmoid(CAL_A * (fused - CAL_B)), fitted by logistic regression
# on the dev shopper messages (positive = a service message whose best topic is right).
CAL_A = 23.0
CAL_B = 0.50
# topic_of answers None below this confidence (see docs/policies.md for the measured trade-off).
MIN_TOPIC_CONFIDENCE = 0.3

MAX_ANSWER_CHARS = 350
MAX_ANSWER_SENTENCES = 2
# Questions longer than this are cut before search (the encoder reads 128 tokens anyway).
MAX_QUESTION_CHARS = 1000

_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_DIRECTIVE = re.compile(r"^\s*(topic|asks)\s*:\s*(.*)$", re.S | re.I)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9$\"'(])")


class PolicyError(ValueError):
    """A policy file that cannot be used (the message names the file and line)."""


@dataclass(frozen=True)
class PolicySection:
    """One ``## `` section of a policy file (or one generated store section).

    Attributes:
        topic: what the section answers, e.g. ``returns`` or ``change_address``.
        title: the policy's title (the file's ``# `` heading), used in citations.
        heading: the section's ``## `` heading.
        text: the section's prose, comments removed, as shoppers may be shown it.
        source: the file it came from.
        policy: the file's stem (``delivery``), which may differ from ``topic``.
        asks: ways of asking that the section answers (searched, never shown).
    """

    topic: str
    title: str
    heading: str
    text: str
    source: str
    policy: str = ""
    asks: Tuple[str, ...] = field(default=())

    @property
    def search_text(self) -> str:
        return " ".join([self.title, self.heading, self.text, *self.asks])


class PolicyHit(NamedTuple):
    """A section and its fused score (cosine and BM25, both in [0, 1])."""

    section: PolicySection
    score: float


# --------------------------------------------------------------------------- loading


def load_policies(
    folder: Optional[Union[str, Path]] = None,
    stores_path: Optional[Union[str, Path]] = None,
    include_stores: bool = True,
) -> List[PolicySection]:
    """Read every ``*.md`` policy in ``folder`` and add the stores' sections.

    Args:
        folder: the policies folder; defaults to ``data/policies``.
        stores_path: the stores file; defaults to ``data/demo/stores.yml``.
        include_stores: add one section per store and one for all stores.

    Returns:
        The sections, files in name order, sections in file order, stores last.

    Raises:
        PolicyError: a file without a ``# `` title or with an empty section.
    """
    root = Path(folder) if folder is not None else POLICIES_DIR
    files = sorted(root.glob("*.md"))
    if not files:
        raise PolicyError(f"{root}: no policy files (*.md)")
    sections: List[PolicySection] = []
    for path in files:
        sections.extend(parse_policy(path.read_text(encoding="utf-8"), path))
    if include_stores:
        sections.extend(store_sections(stores_path))
    return sections


def parse_policy(markdown: str, path: Union[str, Path]) -> List[PolicySection]:
    """Split one policy file into its sections (see the module docstring for the format)."""
    path = Path(path)
    title = ""
    file_topic = path.stem
    current: Optional[Dict[str, Any]] = None
    raw: List[Dict[str, Any]] = []
    # Comments may span lines: replace each by a placeholder line first.
    comments: List[str] = []

    def keep(m: re.Match) -> str:
        comments.append(m.group(1))
        return f"\n\x00{len(comments) - 1}\n"

    text = _COMMENT.sub(keep, markdown)
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("\x00"):
            key, value = _directive(comments[int(stripped[1:])])
            if key == "topic" and value:
                if current is None:
                    file_topic = value
                else:
                    current["topic"] = value
            elif key == "asks" and current is not None:
                current["asks"].extend(a.strip() for a in value.split("|") if a.strip())
            continue
        if stripped.startswith("# ") and not title:
            title = stripped[2:].strip()
        elif stripped.startswith("## "):
            current = {"heading": stripped[3:].strip(), "lines": [], "asks": [], "topic": None, "line": lineno}
            raw.append(current)
        elif current is not None and stripped:
            current["lines"].append(_plain(stripped))
    if not title:
        raise PolicyError(f"{path}: needs a level-1 title ('# ...') before its sections")
    if not raw:
        raise PolicyError(f"{path}: has no '## ' sections")
    sections = []
    for sec in raw:
        body = " ".join(sec["lines"]).strip()
        if not body:
            raise PolicyError(f"{path}:{sec['line']}: section {sec['heading']!r} is empty")
        sections.append(
            PolicySection(
                topic=sec["topic"] or file_topic,
                title=title,
                heading=sec["heading"],
                text=body,
                source=str(path),
                policy=path.stem,
                asks=tuple(sec["asks"]),
            )
        )
    return sections


def _directive(comment: str) -> Tuple[str, str]:
    m = _DIRECTIVE.match(comment.strip())
    if not m:
        return "", ""
    return m.group(1).lower(), " ".join(m.group(2).split())


def _plain(line: str) -> str:
    """A Markdown line as plain text: list markers and emphasis removed, list items end a sentence."""
    item = re.match(r"^(?:[-*+]|\d+[.)])\s+", line)
    line = re.sub(r"(\*\*|__|`)", "", line[item.end() :] if item else line)
    if item and not line.endswith((".", "!", "?", ":", ";")):
        line += "."
    return line


def store_sections(stores_path: Optional[Union[str, Path]] = None) -> List[PolicySection]:
    """One section per store (name, address, hours) and one for all stores, from ``stores.yml``."""
    from retrieval.demo_catalog import STORES_PATH, load_stores

    path = Path(stores_path) if stores_path is not None else STORES_PATH
    stores = load_stores(path)
    title = "Our stores"
    sections = []
    for s in stores:
        name, address, hours = s["name"], s["address"], s["hours"]
        sections.append(
            PolicySection(
                topic="stores",
                title=title,
                heading=name,
                text=f"{name} is at {address}. It is open {hours}.",
                source=str(path),
                policy="stores",
                asks=(
                    f"where is {name}",
                    f"when is the {s['id']} store open",
                    f"{s['id']} store address and opening hours",
                ),
            )
        )
    listing = "; ".join(f"{s['name']}, {s['address']}, open {s['hours']}" for s in stores)
    sections.append(
        PolicySection(
            topic="stores",
            title=title,
            heading="All stores",
            text=(
                f"We have {len(stores)} stores: {listing}. You can shop, pay by cash or card "
                "and collect online orders in every one of them."
            ),
            source=str(path),
            policy="stores",
            asks=(
                "where are your stores",
                "are your shops open today",
                "what are your opening hours",
                "can I visit a store and buy in person",
                "do you have a physical shop near me",
            ),
        )
    )
    return sections


# --------------------------------------------------------------------------- search


class PolicyIndex:
    """Searches policy sections with BM25 + MiniLM cosine; encodes the sections once, on first use.

    Args:
        sections: from :func:`load_policies`.
        encoder: anything with ``encode(texts) -> (n, d)`` L2-normalised vectors
            (the project's :func:`retrieval.encoder.get_encoder`).
    """

    def __init__(self, sections: Sequence[PolicySection], encoder: Any):
        if not sections:
            raise PolicyError("no policy sections to search")
        self.sections = list(sections)
        self.encoder = encoder
        self._bm25: Any = None
        self._vectors: Optional[np.ndarray] = None
        self._owner: Optional[np.ndarray] = None  # row of _vectors -> section index
        self._lock = threading.Lock()
        self._last: Tuple[str, Optional[np.ndarray]] = ("", None)  # search then topic_of: encode once

    def _build(self) -> None:
        from retrieval.lexical import BM25Index

        texts: List[str] = []
        owner: List[int] = []
        for i, s in enumerate(self.sections):
            for t in (f"{s.heading}. {s.text}", *s.asks):
                texts.append(t)
                owner.append(i)
        self._bm25 = BM25Index([s.search_text for s in self.sections])
        self._owner = np.asarray(owner, dtype=np.int64)
        self._vectors = np.asarray(self.encoder.encode(texts), dtype=np.float32)  # set last: marks built

    def scores(self, question: str) -> np.ndarray:
        """The fused score of every section for ``question`` (zeros for an empty question)."""
        n = len(self.sections)
        question = _clean(question)
        if not question:
            return np.zeros(n, dtype=np.float32)
        if self._vectors is None:
            with self._lock:
                if self._vectors is None:
                    self._build()
        assert self._vectors is not None and self._owner is not None
        last_question, last_vector = self._last
        q = last_vector if last_question == question else None
        if q is None:
            q = np.asarray(self.encoder.encode([question]), dtype=np.float32)[0]
            self._last = (question, q)
        cos = self._vectors @ q
        dense = np.full(n, -1.0, dtype=np.float32)
        np.maximum.at(dense, self._owner, cos)
        bm25 = self._bm25.scores(question)
        lexical = bm25 / (bm25 + BM25_HALF)
        return (DENSE_WEIGHT * np.clip(dense, 0.0, 1.0) + (1.0 - DENSE_WEIGHT) * lexical).astype(np.float32)

    def search(self, question: str, k: int = 3) -> List[PolicyHit]:
        """The ``k`` best sections for ``question``, best first ([] for an empty question)."""
        fused = self.scores(question)
        if not fused.any():
            return []
        order = np.argsort(-fused, kind="stable")[: max(k, 0)]
        return [PolicyHit(self.sections[i], float(fused[i])) for i in order]

    def topic_of(self, question: str) -> Optional[Tuple[str, float]]:
        """The topic of the best section and a calibrated confidence, or None when unsure.

        The confidence estimates the chance that the question is a store-service
        question and that this topic is the right one (fitted on the dev shopper
        messages); below ``MIN_TOPIC_CONFIDENCE`` the answer is None.
        """
        hits = self.search(question, k=1)
        if not hits:
            return None
        conf = confidence(hits[0].score)
        if conf < MIN_TOPIC_CONFIDENCE:
            return None
        return hits[0].section.topic, conf


def confidence(fused: float) -> float:
    """Calibrated probability that a fused score's section answers the question."""
    return 1.0 / (1.0 + math.exp(-CAL_A * (fused - CAL_B)))


def _clean(question: str) -> str:
    """Control characters removed, whitespace collapsed, repeated sentences dropped, cut to
    ``MAX_QUESTION_CHARS`` (a pasted or repeated wall of text would blur the sentence vector)."""
    text = "".join(ch if ch.isprintable() else " " for ch in (question or "")[: MAX_QUESTION_CHARS * 20])
    seen, kept = set(), []
    for sentence in _SENTENCE_SPLIT.split(" ".join(text.split())):
        key = sentence.lower()
        if sentence and key not in seen:
            seen.add(key)
            kept.append(sentence)
    return " ".join(kept)[:MAX_QUESTION_CHARS].strip()


# --------------------------------------------------------------------------- answers


def answer_text(hit: Union[PolicyHit, PolicySection]) -> str:
    """A short quotable answer: the section's first sentences, at most 2 or about 350 characters.

    Cuts only between sentences (or, for one over-long sentence, between words),
    so a number such as ``$5.99`` or ``7:00-23:00`` is never split.
    """
    section = hit.section if isinstance(hit, PolicyHit) else hit
    sentences = [s.strip() for s in _SENTENCE_END.split(section.text) if s.strip()]
    out: List[str] = []
    for s in sentences:
        if len(out) >= MAX_ANSWER_SENTENCES:
            break
        if out and len(" ".join([*out, s])) > MAX_ANSWER_CHARS:
            break
        out.append(s)
    text = " ".join(out)
    if len(text) > MAX_ANSWER_CHARS + 100:  # one very long sentence: cut between words
        cut = text.rfind(" ", 0, MAX_ANSWER_CHARS)
        text = text[: cut if cut > 0 else MAX_ANSWER_CHARS].rstrip(" ,;:") + "…"
    return text


def cite(hit: Union[PolicyHit, PolicySection]) -> str:
    """Where an answer comes from, e.g. ``(from our Returns and refunds policy)``."""
    section = hit.section if isinstance(hit, PolicyHit) else hit
    if section.policy == "stores":
        return "(from our store list)"
    return f"(from our {section.title} policy)"
