"""The evaluation CLI contract, on samples of the real sets (skipped without ../shared)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.metrics import ndcg_at_k, percentile, recall_at_k

REPO = Path(__file__).resolve().parents[2]
KEYS = {"ndcg@10", "recall@50", "bm25_ndcg@10", "bm25_recall@50", "p50_ms", "p95_ms", "bm25_p50_ms", "n_queries"}


def _run(*args, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "SHOPGUIDE_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "retrieval.evaluate", *args], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_catalog_protocol_last_line_is_the_json_contract(shared_dir, tmp_path):
    r = _run("--catalog", "bigbasket", "--queries", str(shared_dir / "eval" / "bigbasket_queries.dev.jsonl"),
             "--limit", "15", "--limit-products", "2000", tmp_path=tmp_path)
    assert KEYS <= set(r) and r["n_queries"] == 15
    assert 0 <= r["ndcg@10"] <= 1 and r["p95_ms"] >= r["p50_ms"] > 0
    assert r["fields"] == ["name", "brand", "category"]


def test_candidate_protocol(shared_dir, tmp_path):
    r = _run("--catalog", "none", "--queries", str(shared_dir / "eval" / "epqa_ranking.dev.jsonl"), "--limit", "20", tmp_path=tmp_path)
    assert KEYS <= set(r) and r["n_queries"] == 20
    assert r["recall@50"] == r["bm25_recall@50"]  # 10 candidates: both rank all of them


def test_bad_query_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"query": "x"\n')
    out = subprocess.run([sys.executable, "-m", "retrieval.evaluate", "--catalog", "none", "--queries", str(bad)],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and "q.jsonl:1: invalid JSON" in out.stderr


def test_metrics_by_hand():
    rel = {"a": 2, "b": 1, "c": 0}
    assert ndcg_at_k(["a", "b", "c"], rel) == pytest.approx(1.0)
    assert ndcg_at_k(["c", "b", "a"], rel) < ndcg_at_k(["b", "a", "c"], rel) < 1
    assert ndcg_at_k(["x"], {}) == 0.0
    assert recall_at_k(["a", "x"], rel, 50) == 0.5
    assert percentile([5, 1, 3, 2, 4], 50) == 3 and percentile([1, 2, 3, 4, 100], 95) == 100
