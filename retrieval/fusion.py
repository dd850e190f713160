"""Fusing dense and lexical scores, and neighbour score smoothing.

Naive reciprocal-rank fusion throws the score gaps away and loses to BM25 on
BigBasket, so the default is a convex combination of per-query z-scores over
the candidate pool, with the weight tuned per catalog on the dev sets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict

import numpy as np


@dataclass(frozen=True)
class FusionConfig:
    method: str = "z"  # z | minmax | rrf | dense | bm25
    dense_weight: float = 0.5  # weight of the dense score; 1 - it goes to BM25
    candidates: int = 200  # pool size taken from each retriever
    smooth: float = 0.0  # neighbour score smoothing weight (0 = off)
    neighbours: int = 10
    rrf_k: int = 60

    def with_(self, **kw) -> FusionConfig:
        return replace(self, **kw)


# Tuned on ../shared/eval/*.dev.jsonl (weight sweeps of z-score, min-max and RRF fusion;
# see README "Search quality"). "default" serves catalogs without a dev set.
TUNED: Dict[str, FusionConfig] = {
    "default": FusionConfig(method="minmax", dense_weight=0.5),
    "bigbasket": FusionConfig(method="z", dense_weight=0.3),  # rich text: lean on BM25
    "instacart": FusionConfig(method="minmax", dense_weight=0.7),  # names only: lean on dense
    "candidates": FusionConfig(method="z", dense_weight=0.67),  # ePQA answer ranking
}


def config_for(catalog_name: str) -> FusionConfig:
    return TUNED.get(catalog_name, TUNED["default"])


def _z(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 1e-9 else np.zeros_like(x)


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi - lo > 1e-9 else np.zeros_like(x)


def _rank_scores(x: np.ndarray, k: int) -> np.ndarray:
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[np.argsort(-x, kind="stable")] = np.arange(len(x))
    return 1.0 / (k + ranks + 1)


def fuse(dense: np.ndarray, lexical: np.ndarray, cfg: FusionConfig) -> np.ndarray:
    """Fused score for each candidate, given its dense and BM25 scores (same order)."""
    if len(dense) == 0:
        return dense
    w = cfg.dense_weight
    if cfg.method == "dense":
        return dense.astype(np.float64)
    if cfg.method == "bm25":
        return lexical.astype(np.float64)
    if cfg.method == "rrf":
        return _rank_scores(dense, cfg.rrf_k) + _rank_scores(lexical, cfg.rrf_k)
    norm = _z if cfg.method == "z" else _minmax
    return w * norm(dense.astype(np.float64)) + (1 - w) * norm(lexical.astype(np.float64))
