"""Answering a shopper's question about one product from that product's own catalog text.

"Is the second one unscented?", "does it have pockets?", "will it fit a Pixel 8?":
the candidates are the product's description sentences and its attributes
("scent: unscented"), ranked by the same bi-encoder that ranks ePQA evidence
(cosine of mean-pooled MiniLM vectors). The best candidate answers when its
similarity clears ``MIN_ANSWER_SCORE``; otherwise the catalog does not say, and the
caller must not guess. Answers are always quoted catalog text, never generated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np

from retrieval.schema import Product

# Below this cosine the best sentence is about something else (checked on the demo
# catalog: answering pairs scored 0.40-0.75, unrelated questions 0.05-0.30).
MIN_ANSWER_SCORE = 0.35
MAX_QUESTION_CHARS = 300
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Evidence:
    text: str
    score: float
    source: str  # "description" | "attribute"


def evidence_texts(product: Product) -> List[Tuple[str, str]]:
    """(text, source) candidates: description sentences, then "name: value" attributes."""
    out = [(s.strip(), "description") for s in _SENTENCE.split(product.description or "") if len(s.strip()) > 3]
    for key, value in (product.attributes or {}).items():
        if value not in (None, ""):
            out.append((f"{key.replace('_', ' ')}: {value}", "attribute"))
    return out


def answer(question: str, product: Product, encoder, min_score: float = MIN_ANSWER_SCORE) -> Optional[Evidence]:
    """The catalog text that best answers ``question``, or ``None`` when nothing does."""
    question = " ".join((question or "").split())[:MAX_QUESTION_CHARS]
    candidates = evidence_texts(product)
    if not question or not candidates:
        return None
    vecs = encoder.encode([question] + [t for t, _ in candidates], batch_size=16)
    scores = vecs[1:] @ vecs[0]
    best = int(np.argmax(scores))
    if float(scores[best]) < min_score:
        return None
    text, source = candidates[best]
    return Evidence(text=text, score=float(scores[best]), source=source)
