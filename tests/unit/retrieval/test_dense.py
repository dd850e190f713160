"""FAISS index types against exact search on seeded synthetic data (faiss contrib style)."""
import numpy as np
import pytest

from retrieval.dense import DenseIndex


def _clustered(n, d, seed):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(64, d)).astype(np.float32)
    x = centers[rng.integers(0, 64, n)] + 0.6 * rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _recall_at_10(index, flat, queries):
    hit = 0
    for q in queries:
        _, truth = flat.search(q, 10)
        _, got = index.search(q, 10)
        hit += len(set(truth) & set(got))
    return hit / (10 * len(queries))


@pytest.mark.parametrize("factory", ["IVF64,Flat", "HNSW32"])
def test_approximate_indexes_reach_recall_095(factory):
    data = _clustered(20_200, 64, seed=0)
    x, queries = data[:20_000], data[20_000:]  # held-out points of the same distribution
    flat = DenseIndex.build(x, "Flat")
    approx = DenseIndex.build(x, factory)
    assert _recall_at_10(approx, flat, queries) >= 0.95


def test_filtered_search_returns_only_allowed_rows():
    x = _clustered(2_000, 32, seed=2)
    allowed = np.arange(0, 2_000, 7)
    for factory in ("Flat", "IVF16,Flat", "HNSW16"):
        idx = DenseIndex.build(x, factory)
        _, rows = idx.search(x[3], 20, allowed=allowed)
        assert len(rows) == 20 and set(rows) <= set(allowed)
    assert len(idx.search(x[3], 5, allowed=np.array([], dtype=np.int64))[1]) == 0


@pytest.mark.parametrize("factory", ["Flat", "HNSW16"])
def test_add_and_remove_without_rebuild(factory, tmp_path):
    x = _clustered(1_000, 32, seed=3)
    idx = DenseIndex.build(x[:900], factory)
    idx.add(x[900:], range(900, 1000))
    assert idx.search(x[950], 1)[1][0] == 950
    idx.remove([950])
    assert 950 not in idx.search(x[950], 10)[1]
    assert idx.ntotal == 999
    idx.save(str(tmp_path / "i.faiss"))
    again = DenseIndex.load(str(tmp_path / "i.faiss"))
    again.deleted = set(idx.deleted)
    assert 950 not in again.search(x[950], 10)[1]
