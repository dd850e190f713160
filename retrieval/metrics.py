"""Ranking metrics: nDCG@k with gain 2^grade - 1, recall@k over graded-relevant items."""

from __future__ import annotations

import math
from typing import Dict, Sequence


def dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked_ids: Sequence[str], relevant: Dict[str, int], k: int = 10) -> float:
    gains = [2 ** relevant.get(pid, 0) - 1 for pid in ranked_ids[:k]]
    ideal = sorted((2**g - 1 for g in relevant.values() if g > 0), reverse=True)[:k]
    best = dcg(ideal)
    return dcg(gains) / best if best > 0 else 0.0


def recall_at_k(ranked_ids: Sequence[str], relevant: Dict[str, int], k: int = 50) -> float:
    rel = {pid for pid, g in relevant.items() if g > 0}
    if not rel:
        return 0.0
    return len(rel.intersection(ranked_ids[:k])) / len(rel)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    idx = min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))
    return s[idx]
