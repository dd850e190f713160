"""Evaluate search quality and latency against graded query sets, with BM25 in the same run.

    python -m retrieval.evaluate --catalog bigbasket --queries ../shared/eval/bigbasket_queries.dev.jsonl
    python -m retrieval.evaluate --catalog none --queries ../shared/eval/epqa_ranking.dev.jsonl

Protocols (../shared/datasets/README.md): BigBasket indexes name, brand and the
category path, with sale price filterable; Instacart indexes product names only;
``--catalog none`` ranks each query's own candidates (ePQA). The last line of
stdout is ONE JSON object: ndcg@10, recall@50, bm25_ndcg@10, bm25_recall@50,
p50_ms, p95_ms, bm25_p50_ms, n_queries (plus a few descriptive keys).

Grading is by model (``retrieval.variants``): a model counts as relevant with the best grade
any of its variants was given, and a ranking counts each model once, where it first appears.
A catalog without variants is graded product by product, as before.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

os.environ.setdefault("USE_TF", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from retrieval.metrics import ndcg_at_k, percentile, recall_at_k

# Searchable fields per catalog, as the dataset README's protocols require.
PROTOCOL_FIELDS = {
    "bigbasket": ("name", "brand", "category"),
    "instacart": ("name",),
}


def _read_queries(path: Path, limit: Optional[int]) -> List[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"{path}:{n}: invalid JSON ({exc.msg})") from exc
            if limit and len(rows) >= limit:
                break
    if not rows:
        raise SystemExit(f"{path}: no queries")
    return rows


def by_model(
    ranked_ids: Sequence[str], relevant: Dict[str, int], model_of: Callable[[str], str]
) -> Tuple[List[str], Dict[str, int]]:
    """A ranking and its judgements in models instead of products.

    Args:
        ranked_ids: product ids, best first.
        relevant: product id -> grade, as labelled.
        model_of: product id -> model key (an id the catalog does not have is its own model).

    Returns:
        The model keys in rank order, each once, and model key -> the best grade of its variants.
    """
    models: Dict[str, int] = {}
    for pid, grade in relevant.items():
        key = model_of(pid)
        models[key] = max(grade, models.get(key, grade))
    return list(dict.fromkeys(model_of(pid) for pid in ranked_ids)), models


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t0) * 1000


def evaluate_catalog(args) -> Dict:
    from retrieval.catalog import doc_text, load_catalog
    from retrieval.engine import build_engine
    from retrieval.fusion import config_for
    from retrieval.lexical import BM25Index
    from retrieval.variants import model_key

    catalog = load_catalog(args.catalog, mapping=args.mapping, limit=args.limit_products)
    if catalog.errors:
        print(f"note: {len(catalog.errors)} catalog rows skipped; first: {catalog.errors[0]}", file=sys.stderr)
    fields = (
        tuple(args.fields.split(","))
        if args.fields
        else PROTOCOL_FIELDS.get(catalog.name, ("name", "brand", "category", "attributes"))
    )
    fusion = _fusion_arg(args.fusion, config_for(catalog.name))
    engine = build_engine(
        catalog, encoder_name=args.encoder, factory=args.factory, fields=fields, fusion=fusion, progress=True
    )
    baseline = BM25Index([doc_text(p, fields) for p in catalog.products])
    ids = np.array([p.id for p in catalog.products])
    groups = {p.id: model_key(p) for p in catalog.products if p.group}

    def model_of(pid: str) -> str:
        return groups.get(pid, pid)

    queries = _read_queries(Path(args.queries), args.limit)
    depth = max(50, args.k)

    # warm-up (first-call allocations are not a chat turn's cost)
    parse = not args.no_filters
    for q in queries[:3]:
        engine.search_detailed(q["query"], k=depth, parse=parse)
    out: Dict[str, List[float]] = {
        "ndcg": [],
        "recall": [],
        "bm25_ndcg": [],
        "bm25_recall": [],
        "ms": [],
        "bm25_ms": [],
    }
    for i, q in enumerate(queries):
        res, ms = _timed(lambda q=q: engine.search_detailed(q["query"], k=depth, parse=parse))
        ranked = [h.product.id for h in res.hits]
        scores, bms = _timed(lambda q=q: baseline.scores(q["query"]))
        # with variants, BM25 ranks every product so that ``depth`` models remain once each counts once
        top = np.argsort(-scores, kind="stable")[: None if groups else depth]
        rel = {str(k): int(v) for k, v in q["relevant"].items()}
        bm_ranked, bm_rel = by_model(list(ids[top]), rel, model_of)
        bm_ranked = bm_ranked[:depth]
        ranked, rel = by_model(ranked, rel, model_of)
        out["ndcg"].append(ndcg_at_k(ranked, rel, args.k))
        out["recall"].append(recall_at_k(ranked, rel, 50))
        out["bm25_ndcg"].append(ndcg_at_k(bm_ranked, bm_rel, args.k))
        out["bm25_recall"].append(recall_at_k(bm_ranked, bm_rel, 50))
        out["ms"].append(ms)
        out["bm25_ms"].append(bms)
        if (i + 1) % 100 == 0:
            print(f"  {i + 1}/{len(queries)} queries", file=sys.stderr, flush=True)
    return _summary(
        out,
        args.k,
        extra={
            "catalog": catalog.name,
            "n_products": len(catalog),
            "fields": list(fields),
            "factory": args.factory,
            "fusion": fusion.__dict__,
            "query_filters": parse,
            "index_build": engine.index.build_stats,
        },
    )


def evaluate_candidates(args) -> Dict:
    """``--catalog none``: each query ranks its own candidates (ePQA)."""
    from retrieval.encoder import get_encoder
    from retrieval.fusion import config_for
    from retrieval.rerank import CandidateRanker

    queries = _read_queries(Path(args.queries), args.limit)
    cfg = _fusion_arg(args.fusion, config_for("candidates"))
    ranker = CandidateRanker(get_encoder(args.encoder), [c["text"] for q in queries for c in q["candidates"]], cfg)
    for q in queries[:3]:
        ranker.rank(q["query"], [c["text"] for c in q["candidates"]], title=q.get("title"))
    out: Dict[str, List[float]] = {
        "ndcg": [],
        "recall": [],
        "bm25_ndcg": [],
        "bm25_recall": [],
        "ms": [],
        "bm25_ms": [],
    }
    for q in queries:
        cids = [str(c["id"]) for c in q["candidates"]]
        texts = [c["text"] for c in q["candidates"]]
        rel = {str(c["id"]): int(c["label"]) for c in q["candidates"]}
        order, ms = _timed(lambda q=q, texts=texts: ranker.rank(q["query"], texts, title=q.get("title")))
        bm_order, bms = _timed(lambda q=q, texts=texts: ranker.rank_bm25(q["query"], texts))
        for key, o in (("", order), ("bm25_", bm_order)):
            ranked = [cids[i] for i in o]
            out[key + "ndcg"].append(ndcg_at_k(ranked, rel, args.k))
            out[key + "recall"].append(recall_at_k(ranked, rel, 50))
        out["ms"].append(ms)
        out["bm25_ms"].append(bms)
    return _summary(out, args.k, extra={"catalog": "none", "fusion": ranker.cfg.__dict__})


def _fusion_arg(value: Optional[str], tuned):
    """``--fusion dense|bm25|rrf|z:0.3|minmax:0.5`` overrides the tuned fusion."""
    if not value:
        return tuned
    method, _, weight = value.partition(":")
    if method not in ("dense", "bm25", "rrf", "z", "minmax"):
        raise SystemExit(f"--fusion: unknown method {method!r}")
    return tuned.with_(method=method, **({"dense_weight": float(weight)} if weight else {}))


def _summary(out: Dict[str, List[float]], k: int, extra: Dict) -> Dict:
    def mean(xs: List[float]) -> float:
        return round(float(np.mean(xs)), 4)

    return {
        f"ndcg@{k}": mean(out["ndcg"]),
        "recall@50": mean(out["recall"]),
        f"bm25_ndcg@{k}": mean(out["bm25_ndcg"]),
        "bm25_recall@50": mean(out["bm25_recall"]),
        "p50_ms": round(percentile(out["ms"], 50), 2),
        "p95_ms": round(percentile(out["ms"], 95), 2),
        "bm25_p50_ms": round(percentile(out["bm25_ms"], 50), 2),
        "n_queries": len(out["ndcg"]),
        **extra,
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m retrieval.evaluate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", required=True, help="bigbasket | instacart | myntra_fashion | demo | PATH | none")
    ap.add_argument("--queries", required=True, help="graded query file (JSONL)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--mapping", help="column mapping for a PATH catalog")
    ap.add_argument("--fields", help="override the protocol's searchable fields, comma-separated")
    from config import get_settings

    search = get_settings().search
    ap.add_argument("--encoder", default=search.encoder)
    ap.add_argument("--factory", default=search.index_factory, help="FAISS factory string")
    ap.add_argument("--fusion", help="override the tuned fusion: dense | bm25 | rrf | z:W | minmax:W")
    ap.add_argument("--no-filters", action="store_true", help="no query understanding (plain text search)")
    ap.add_argument("--limit", type=int, help="evaluate only the first N queries")
    ap.add_argument("--limit-products", type=int, help="load only the first N catalog rows")
    args = ap.parse_args(argv)
    result = evaluate_candidates(args) if args.catalog == "none" else evaluate_catalog(args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
