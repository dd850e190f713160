"""The pure parts of `make bench-scale` (scripts/bench_scale.py): synthetic vectors, recall, a small build."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_scale", REPO / "scripts" / "bench_scale.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_scale"] = mod
    spec.loader.exec_module(mod)
    return mod


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_synthetic_vectors_keep_dim_norm_mean_and_covariance(bench):
    rng = np.random.default_rng(0)
    d = 16
    centres = rng.standard_normal((3, d)) * 2
    real = _unit(np.vstack([c + 0.6 * rng.standard_normal((2000, d)) for c in centres]))
    mix = bench.fit_mixture(real, k=6)  # a few components per blob, as the benchmark fits 256 to 121k
    synth, labels = bench.sample_mixture(mix, 6000)
    assert synth.shape == (6000, d) and synth.dtype == np.float32 and labels.shape == (6000,)
    assert np.allclose(np.linalg.norm(synth, axis=1), 1, atol=1e-5)
    assert np.abs(synth.mean(0) - real.mean(0)).max() < 0.05
    cov_r, cov_s = np.cov(real.T), np.cov(synth.T)
    assert np.linalg.norm(cov_s - cov_r) / np.linalg.norm(cov_r) < 0.1


def test_synthetic_texts_draw_words_from_their_cluster(bench):
    texts = ["red apple fruit", "green apple", "steel pan", "iron pan pot"]
    assign = np.array([0, 0, 1, 1])
    labels = np.array([1, 0, 1])
    out = bench.synthetic_texts(texts, assign, labels)
    assert len(out) == 3
    assert set(out[1].split()) <= {"red", "apple", "fruit", "green"}
    assert set(out[0].split()) | set(out[2].split()) <= {"steel", "pan", "iron", "pot"}
    assert all(2 <= len(t.split()) <= 3 for t in out)


def test_recall_at_k_on_a_known_case(bench):
    truth = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    found = np.array([[4, 3, 9, 1], [-1, -1, -1, -1]])
    assert bench.recall_at_k(found, truth, k=4) == pytest.approx((3 / 4 + 0) / 2)
    assert bench.recall_at_k(truth, truth, k=2) == 1.0
    assert bench.recall_at_k(np.array([[2, 1]]), truth[:1], k=2) == 1.0  # order within the top-k does not matter


def test_exact_topk_honours_the_allowed_rows(bench):
    x = np.eye(4, dtype=np.float32)
    q = np.array([[1, 0.5, 0.2, 0]], dtype=np.float32)
    assert bench.exact_topk(q, x, 2).tolist() == [[0, 1]]
    assert bench.exact_topk(q, x, 2, rows=np.array([2, 3])).tolist() == [[2, 3]]


@pytest.mark.parametrize("factory", ["IVF64,SQ8", "IVF64,PQ16", "HNSW16,SQ8"])
def test_factory_build_on_5k_vectors_finds_the_true_neighbours(bench, factory):
    import faiss

    from retrieval.dense import DenseIndex

    rng = np.random.default_rng(1)
    x = _unit(rng.standard_normal((5000, 32)))
    q = _unit(x[:50] + 0.3 * rng.standard_normal((50, 32)))
    truth = bench.exact_topk(q, x, 10)
    dense = DenseIndex.build(x, factory=factory, use_gpu=False)
    faiss.omp_set_num_threads(1)
    found = np.array([dense.search(qi, 10)[1] for qi in q])
    floor = 0.5 if "PQ" in factory else 0.8
    assert bench.recall_at_k(found, truth) > floor
    allowed = np.arange(0, 5000, 10)
    res = bench.run_queries(dense, x, q, bench.exact_topk(q, x, 10, allowed), allowed)
    assert res["recall@10_rescored"] >= res["recall@10"] - 1e-9 and res["p95_ms"] >= res["p50_ms"] > 0
