"""BM25 over product text with ``bm25s`` (English stemming and stopwords)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import List, Sequence

import numpy as np


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer

    return Stemmer.Stemmer("english")


_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def tokenize(texts: Sequence[str]) -> List[List[str]]:
    """bm25s's default analysis (lower-case, ``\\w\\w+`` tokens, English stopwords,
    Snowball stemming) without its per-call progress-bar overhead."""
    stop, stem = _stopwords(), _stemmer().stemWords
    return [stem([t for t in _TOKEN.findall(text.lower()) if t not in stop]) for text in texts]


class BM25Index:
    """A BM25 index whose rows line up with the catalog's products.

    Rebuilding is cheap (about a second for 50k products), so adds/removes
    rebuild it; only the dense index is updated incrementally.
    """

    def __init__(self, texts: Sequence[str], k1: float = 1.2, b: float = 0.75):
        import bm25s

        self.k1, self.b = k1, b
        self.n = len(texts)
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        tokens = tokenize(texts)
        # bm25s refuses an empty vocabulary; give empty docs a token no query has.
        tokens = [t if t else ["\x00empty"] for t in tokens]
        self._bm25.index(tokens, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every product for ``query`` (zeros when no term matches)."""
        q = tokenize([query])[0]
        if not q:
            return np.zeros(self.n, dtype=np.float32)
        vocab = self._bm25.vocab_dict
        q = [t for t in q if t in vocab]
        if not q:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(q), dtype=np.float32)

    def save(self, path: str) -> None:
        self._bm25.save(path)

    @classmethod
    def load(cls, path: str, n: int) -> BM25Index:
        import bm25s

        self = cls.__new__(cls)
        self._bm25 = bm25s.BM25.load(path)
        self.k1, self.b, self.n = self._bm25.k1, self._bm25.b, n
        return self
