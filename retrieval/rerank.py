"""Ranking a short list of candidate texts for a question (product QA evidence, ePQA).

The evaluation uses it for the ePQA ranking set. It is the piece a product-question
action would use to pick the sentence that answers "is it waterproof?"; no dialogue
action calls it yet.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from retrieval.fusion import FusionConfig, fuse
from retrieval.lexical import BM25Index


class CandidateRanker:
    """Dense (bi-encoder) similarity fused with BM25 over a fixed candidate pool.

    ``corpus`` gives BM25 its document statistics (IDF); candidates ranked later
    must be among its texts or their BM25 score is computed on the fly.
    """

    def __init__(self, encoder, corpus: Sequence[str], cfg: FusionConfig):
        self.encoder = encoder
        self.cfg = cfg
        uniq = list(dict.fromkeys(corpus))
        self._row = {t: i for i, t in enumerate(uniq)}
        self.bm25 = BM25Index(uniq)
        self._cache: dict = {}

    def _lexical(self, question: str, texts: Sequence[str]) -> np.ndarray:
        scores = self.bm25.scores(question)
        return np.array([scores[self._row[t]] if t in self._row else 0.0 for t in texts])

    def rank(self, question: str, texts: Sequence[str], title: Optional[str] = None) -> List[int]:
        """Candidate positions, best first."""
        vecs = self.encoder.encode([question, *texts], batch_size=16)
        dense = vecs[1:] @ vecs[0]
        lex = self._lexical(question, texts)
        score = fuse(dense, lex, self.cfg)
        return list(np.argsort(-score, kind="stable"))

    def rank_bm25(self, question: str, texts: Sequence[str]) -> List[int]:
        return list(np.argsort(-self._lexical(question, texts), kind="stable"))
