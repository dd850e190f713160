"""Scale benchmark: the dense and lexical indexes at a million products (docs/large-catalogs.md).

    python scripts/bench_scale.py [--size 1000000] [--factories "Flat;IVF4096,SQ8;IVF4096,PQ48;HNSW32,SQ8"]
                                  [--queries 300] [--out bench/results/scale]

The three shared catalogs (bigbasket, instacart, myntra_fashion: about 121k products) are encoded for
real with the project's encoder, through the same cached index ``make index CATALOG=...`` builds (a
rerun only loads the vectors). The rest, up to ``--size``, are synthetic vectors drawn from a mixture
fitted to the real ones: k-means clusters, each a Gaussian with the cluster's mean and covariance
(shrunk towards the pooled within-cluster covariance), L2-normalised like the real ones.

Each FAISS factory string is built with ``retrieval.dense.DenseIndex`` (what the engine uses), saved,
and loaded again as a replica would. Measured: build time (train + add, every core), index bytes on
disk and the resident-set growth of loading it, query latency p50/p95 (one thread, one query at a time,
top-200 as the engine asks for), recall@10 against exact inner-product search on the same vectors, and
the same with filters passed as allowed ids (``IDSelectorBatch``, as the engine does) selecting 10 % and
1 % of rows. Queries are real shopper queries (the graded dev sets, shopper messages asking for products,
WANDS), encoded for real. BM25 (``retrieval.lexical.BM25Index``) is built over the real product texts
and over as many again synthetic texts (words resampled from their cluster's real texts).
Writes ``<out>.md``, ``<out>.json``, ``<out>.png``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np

os.environ.setdefault("USE_TF", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Idle OpenMP threads sleep instead of spinning: on a shared 2-core machine spinning threads made
# FAISS training 3-4x slower (measured). Set before faiss/torch load OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CATALOGS = ("bigbasket", "instacart", "myntra_fashion")
DEFAULT_FACTORIES = "Flat;IVF1024,SQ8;IVF1024,PQ48"
FILTERS = (0.10, 0.01)  # share of rows a filter allows
CANDIDATES = 200  # dense candidates the engine takes per query (retrieval.fusion.FusionConfig.candidates)
K = 10


def say(msg: str) -> None:
    print(f">> {msg}", flush=True)


_LOAD = """
import sys
sys.path.insert(0, sys.argv[4])
import bm25s, faiss, psutil
from retrieval.dense import DenseIndex
from retrieval.lexical import BM25Index
rss = lambda: psutil.Process().memory_info().rss
r0 = rss()
kind, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
index = DenseIndex.load(path, use_gpu=False) if kind == "faiss" else BM25Index.load(path, n)
print(rss() - r0)
"""


def resident_after_load(kind: str, path: Path, n: int) -> int:
    """Resident-set growth of loading a saved index in a fresh process, as a replica starting up does."""
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", _LOAD, kind, str(path), str(n), str(REPO)], check=True, capture_output=True, text=True
    )
    return int(out.stdout.strip().splitlines()[-1])


# -- synthetic vectors and texts ------------------------------------------------------------------


def fit_mixture(x: np.ndarray, k: int = 256, prior: float = 0.0, seed: int = 0) -> Dict[str, np.ndarray]:
    """A Gaussian mixture fitted to unit vectors ``x``: k-means, then each cluster's weight, mean and a
    covariance factor. A cluster's covariance is shrunk towards the pooled within-cluster one as if
    ``prior`` more points (default: the dimension) had that covariance, so small clusters stay full rank."""
    import faiss

    x = np.ascontiguousarray(x, dtype=np.float32)
    n, d = x.shape
    k = max(1, min(k, n // 4))
    prior = float(prior or d)
    km = faiss.Kmeans(d, k, niter=20, seed=seed, verbose=False)
    km.train(x)
    _, assign = km.index.search(x, 1)
    assign = assign[:, 0]
    counts = np.bincount(assign, minlength=k).astype(np.float64)
    means = np.zeros((k, d))
    scatters = np.zeros((k, d, d))
    for c in range(k):
        xc = x[assign == c].astype(np.float64)
        if len(xc):
            means[c] = xc.mean(0)
            dev = xc - means[c]
            scatters[c] = dev.T @ dev
    pooled = scatters.sum(0) / max(1.0, n - k)
    factors = np.zeros((k, d, d), dtype=np.float32)
    for c in range(k):
        cov = (scatters[c] + prior * pooled) / (counts[c] + prior)
        w, v = np.linalg.eigh(cov)
        factors[c] = (v * np.sqrt(np.clip(w, 0, None))).astype(np.float32)
    return {"weights": counts / counts.sum(), "means": means.astype(np.float32), "factors": factors, "assign": assign}


def sample_mixture(mix: Dict[str, np.ndarray], n: int, seed: int = 1) -> Tuple[np.ndarray, np.ndarray]:
    """``n`` L2-normalised vectors drawn from ``mix`` and the cluster each came from."""
    rng = np.random.default_rng(seed)
    k, d = mix["means"].shape
    counts = rng.multinomial(n, mix["weights"])
    out = np.empty((n, d), dtype=np.float32)
    labels = np.repeat(np.arange(k), counts)
    start = 0
    for c in range(k):
        m = int(counts[c])
        if m:
            z = rng.standard_normal((m, d), dtype=np.float32)
            out[start : start + m] = mix["means"][c] + z @ mix["factors"][c].T
            start += m
    out /= np.linalg.norm(out, axis=1, keepdims=True).clip(min=1e-12)
    return out, labels


def synthetic_texts(texts: Sequence[str], assign: np.ndarray, labels: np.ndarray, seed: int = 2) -> List[str]:
    """One text per synthetic row: as many words as a real text of its cluster has, drawn from the words
    of that cluster's real texts (so term frequencies and lengths follow the real catalogs)."""
    rng = np.random.default_rng(seed)
    words = [re.findall(r"\w+", t.lower()) for t in texts]
    out: List[str] = [""] * len(labels)
    for c in np.unique(labels):
        members = np.flatnonzero(assign == c)
        rows = np.flatnonzero(labels == c)
        pool = np.array([w for i in members for w in words[i]] or ["item"], dtype=object)
        lens = np.array([max(1, len(words[i])) for i in members])[rng.integers(len(members), size=len(rows))]
        picks = pool[rng.integers(len(pool), size=int(lens.sum()))]
        ends = np.cumsum(lens)
        for r, e, n in zip(rows, ends, lens, strict=True):
            out[r] = " ".join(picks[e - n : e])
    return out


# -- measuring ------------------------------------------------------------------------------------


def recall_at_k(found: np.ndarray, truth: np.ndarray, k: int = K) -> float:
    """Mean share of each query's true top-``k`` ids found in its returned top-``k`` (-1 = no result)."""
    hits = [len(set(f[:k].tolist()) - {-1} & set(t[:k].tolist())) / k for f, t in zip(found, truth, strict=True)]
    return float(np.mean(hits)) if hits else 0.0


def exact_topk(q: np.ndarray, x: np.ndarray, k: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Exact inner-product top-``k`` row ids of ``x`` (only ``rows`` when given) for each query."""
    import faiss

    base = x if rows is None else x[rows]
    _, idx = faiss.knn(np.ascontiguousarray(q), np.ascontiguousarray(base), k, metric=faiss.METRIC_INNER_PRODUCT)
    return idx if rows is None else np.where(idx >= 0, rows[np.clip(idx, 0, None)], -1)


def rescored(x: np.ndarray, q: np.ndarray, ids: np.ndarray, k: int = K) -> np.ndarray:
    """Top-``k`` of the candidate ``ids`` by exact score, as the engine ranks its dense candidates."""
    ids = ids[ids >= 0]
    return ids[np.argsort(-(x[ids] @ q), kind="stable")[:k]]


def pct(ms: Sequence[float], p: float) -> float:
    return round(float(np.percentile(ms, p)), 2)


def run_queries(dense, x: np.ndarray, q: np.ndarray, truth: np.ndarray, allowed: np.ndarray | None) -> Dict:
    """Time ``dense.search`` one query at a time; recall@10 raw and after exact rescoring of the top 200."""
    ms, cpu, raw, res = [], [], [], []
    for qi in q:
        t0, c0 = time.perf_counter(), time.process_time()
        _, ids = dense.search(qi, CANDIDATES, allowed=allowed)
        ms.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        raw.append(np.pad(ids[:K], (0, K - len(ids[:K])), constant_values=-1))
        r = rescored(x, qi, ids)
        res.append(np.pad(r, (0, K - len(r)), constant_values=-1))
    return {
        "p50_ms": pct(ms, 50),
        "p95_ms": pct(ms, 95),
        "cpu_p50_ms": pct(cpu, 50),
        "recall@10": round(recall_at_k(np.array(raw), truth), 4),
        "recall@10_rescored": round(recall_at_k(np.array(res), truth), 4),
    }


def bench_factory(factory: str, x: np.ndarray, q: np.ndarray, truths: Dict, filters: Dict, tmp: Path) -> Dict:
    import faiss

    from retrieval.dense import DenseIndex

    say(f"FAISS {factory!r}: build (train + add) on {len(x):,} vectors, {os.cpu_count()} threads")
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    t0 = time.perf_counter()
    built = DenseIndex.build(x, factory=factory, use_gpu=False)
    build_s = time.perf_counter() - t0
    path = tmp / "dense.faiss"
    built.save(str(path))
    size = path.stat().st_size
    del built
    gc.collect()
    rss_growth = resident_after_load("faiss", path, len(x))
    dense = DenseIndex.load(str(path), use_gpu=False)  # as a replica loads it
    path.unlink()
    say(f"  built in {build_s:.1f}s, {size / 2**20:.0f} MiB on disk, +{rss_growth / 2**20:.0f} MiB resident on load")
    faiss.omp_set_num_threads(1)  # the engine's query_threads
    row = {"factory": factory, "build_s": round(build_s, 1), "index_mib": round(size / 2**20, 1)}
    row["rss_mib"] = round(rss_growth / 2**20, 1)
    row["bytes_per_vector"] = round(size / len(x), 1)
    row["none"] = run_queries(dense, x, q, truths["none"], None)
    say(f"  no filter: {row['none']}")
    for name, allowed in filters.items():
        row[name] = run_queries(dense, x, q, truths[name], allowed)
        say(f"  filter {name}: {row[name]}")
    del dense
    gc.collect()
    return row


def bench_bm25(texts: List[str], queries: List[str], tmp: Path) -> Dict:
    from retrieval.lexical import BM25Index

    say(f"BM25: index {len(texts):,} texts")
    t0 = time.perf_counter()
    bm25 = BM25Index(texts)
    build_s = time.perf_counter() - t0
    out = tmp / "bm25"
    bm25.save(str(out))
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    rss_growth = resident_after_load("bm25", out, len(texts))
    shutil.rmtree(out)
    ms, cpu = [], []
    for text in queries:
        t0, c0 = time.perf_counter(), time.process_time()
        s = bm25.scores(text)
        np.argpartition(-s, CANDIDATES)[:CANDIDATES]  # the engine's lexical top-200
        ms.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    row = {
        "products": len(texts),
        "build_s": round(build_s, 1),
        "index_mib": round(size / 2**20, 1),
        "rss_mib": round(rss_growth / 2**20, 1),
        "p50_ms": pct(ms, 50),
        "p95_ms": pct(ms, 95),
        "cpu_p50_ms": pct(cpu, 50),
    }
    say(f"  {row}")
    return row


# -- inputs ---------------------------------------------------------------------------------------


def real_catalogs() -> Tuple[np.ndarray, List[str], Dict[str, int]]:
    """Vectors and texts of the three shared catalogs, through the index cache ``make index`` fills."""
    from config import get_settings
    from retrieval.catalog import FULL_FIELDS, doc_text, load_catalog
    from retrieval.encoder import get_encoder
    from retrieval.index_store import open_index

    s = get_settings().search
    vecs, texts, sizes = [], [], {}
    for name in CATALOGS:
        catalog = load_catalog(name)
        say(f"catalog {name}: {len(catalog):,} products (vectors from the index cache, encoded if missing)")
        state = open_index(
            catalog,
            s.encoder,
            lambda: get_encoder(s.encoder),
            s.cache_dir,
            factory=s.index_factory,
            fields=FULL_FIELDS,
            batch_size=s.encode_batch_size,
            progress=True,
            use_gpu=False,
        )
        vecs.append(state.vectors[state.slot_of_row])
        texts += [doc_text(p, FULL_FIELDS) for p in catalog.products]
        sizes[name] = len(catalog)
    return np.ascontiguousarray(np.vstack(vecs), dtype=np.float32), texts, sizes


def shopper_queries(eval_dir: Path, datasets_dir: Path, n: int, seed: int = 3) -> Tuple[List[str], Dict[str, int]]:
    """Real shopper queries: the graded dev sets, shopper messages asking for products, WANDS."""
    found: Dict[str, List[str]] = {}
    for name in ("bigbasket_queries.dev.jsonl", "instacart_queries.dev.jsonl"):
        path = eval_dir / name
        if path.exists():
            found[name.split("_")[0]] = [json.loads(line)["query"] for line in path.open() if line.strip()]
    path = eval_dir / "shopper_messages.dev.jsonl"
    if path.exists():
        rows = [json.loads(line) for line in path.open() if line.strip()]
        found["shopper_messages"] = [r["text"] for r in rows if r["expect"].startswith("products:")]
    path = datasets_dir / "wands" / "query.csv"
    if path.exists():
        found["wands"] = [line.split("\t")[1] for line in path.read_text().splitlines()[1:] if "\t" in line]
    pool = sorted({(src, t) for src, ts in found.items() for t in ts})
    if not pool:
        raise SystemExit(f"no query sets found under {eval_dir}")
    rng = np.random.default_rng(seed)
    picked = [pool[i] for i in rng.choice(len(pool), min(n, len(pool)), replace=False)]
    counts: Dict[str, int] = {}
    for src, _ in picked:
        counts[src] = counts.get(src, 0) + 1
    return [t for _, t in picked], counts


def machine() -> Dict:
    import faiss

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import psutil

    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "faiss": faiss.__version__,
    }


# -- main -----------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    from config import get_settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=1_000_000, help="products in the index (real + synthetic)")
    ap.add_argument("--factories", default=DEFAULT_FACTORIES, help="FAISS factory strings, separated by ';'")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--clusters", type=int, default=256, help="mixture components fitted to the real vectors")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "scale"))
    args = ap.parse_args(argv)
    s = get_settings().search
    if not s.datasets_dir.is_dir():
        print(f"error: shared catalogs not found at {s.datasets_dir} (set SHOPGUIDE_SHARED_DIR)", file=sys.stderr)
        return 2
    t_start = time.time()
    real, texts, sizes = real_catalogs()
    n_real = min(len(real), args.size)
    real, texts = real[:n_real], texts[:n_real]
    say(f"fitting a {args.clusters}-component mixture to {n_real:,} real vectors")
    mix = fit_mixture(real, k=args.clusters)
    say(f"sampling {args.size - n_real:,} synthetic vectors")
    synth, labels = sample_mixture(mix, args.size - n_real)
    x = np.ascontiguousarray(np.vstack([real, synth]))
    del synth

    from retrieval.encoder import get_encoder

    queries, query_sources = shopper_queries(s.eval_dir, s.datasets_dir, args.queries)
    say(f"encoding {len(queries)} shopper queries {query_sources}")
    enc = get_encoder(s.encoder)
    q = np.stack([enc.encode_one(t) for t in queries])  # one at a time, fp32, as a chat turn does

    rng = np.random.default_rng(4)
    filters = {f"{share:.0%}": np.sort(rng.choice(len(x), int(share * len(x)), replace=False)) for share in FILTERS}
    say("exact search (ground truth) for every query, with and without filters")
    import faiss

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    truths = {"none": exact_topk(q, x, K)}
    truths.update({name: exact_topk(q, x, K, rows) for name, rows in filters.items()})
    check = realism_check(x, n_real, rng)
    say(f"neighbour similarity, real vs synthetic points: {check}")

    rows = []
    with tempfile.TemporaryDirectory(prefix="shopguide-scale-") as tmp:
        for factory in [f.strip() for f in args.factories.split(";") if f.strip()]:
            rows.append(bench_factory(factory, x, q, truths, filters, Path(tmp)))
        bm25_texts = texts + synthetic_texts(texts, mix["assign"], labels)
        del x
        gc.collect()
        bm25 = [bench_bm25(texts, queries, Path(tmp)), bench_bm25(bm25_texts, queries, Path(tmp))]
    result = {
        "size": args.size,
        "real_products": n_real,
        "catalogs": sizes,
        "clusters": args.clusters,
        "queries": len(queries),
        "query_sources": query_sources,
        "filters": {name: len(r) for name, r in filters.items()},
        "neighbour_check": check,
        "faiss": rows,
        "bm25": bm25,
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M"),
        "seconds": round(time.time() - t_start),
        "load_average": round(os.getloadavg()[0], 1),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2))
    out.with_suffix(".md").write_text(render_md(result))
    plot(result, out.with_suffix(".png"))
    say(f"wrote {out}.md, .json, .png in {result['seconds'] / 60:.1f} min")
    return 0


def realism_check(x: np.ndarray, n_real: int, rng, n: int = 500) -> Dict:
    """Mean cosine to the 1st and 10th nearest neighbour (in the whole set) of real and synthetic points:
    synthetic data much easier or harder for an ANN index would show here."""
    out = {}
    for name, lo, hi in (("real", 0, n_real), ("synthetic", n_real, len(x))):
        if hi - lo < n:
            continue
        pick = rng.choice(np.arange(lo, hi), n, replace=False)
        import faiss

        sims, _ = faiss.knn(x[pick], x, K + 1, metric=faiss.METRIC_INNER_PRODUCT)  # [:, 0] is the point itself
        out[name] = {"nn1": round(float(sims[:, 1].mean()), 3), "nn10": round(float(sims[:, K].mean()), 3)}
    return out


def render_md(r: Dict) -> str:
    m = r["machine"]
    f_names = list(r["filters"])
    lines = [
        f"# Scale benchmark: {r['size']:,} products",
        "",
        f"Measured {r['measured_at']} on {m['cpus']} CPU cores ({m['cpu']}), {m['ram_gib']} GiB RAM, no GPU; "
        f"faiss {m['faiss']}; {r['seconds'] / 60:.0f} min; load average {r['load_average']} at the end "
        "(other jobs share the machine). Generated by `make bench-scale` (scripts/bench_scale.py); "
        "recommendations in docs/large-catalogs.md.",
        "",
        f"**Data.** {r['real_products']:,} real products "
        f"({', '.join(f'{k} {v:,}' for k, v in r['catalogs'].items())}) encoded with the project's MiniLM encoder, "
        f"plus {r['size'] - r['real_products']:,} synthetic vectors drawn from a {r['clusters']}-component Gaussian mixture "
        "fitted to the real ones (k-means; per cluster its mean and full covariance, shrunk towards the pooled "
        "within-cluster covariance; then L2-normalised). Check that the synthetic points are not easier or "
        "harder neighbours than the real ones, mean cosine to the 1st / 10th nearest neighbour in the whole set: "
        + "; ".join(f"{k} {v['nn1']} / {v['nn10']}" for k, v in r["neighbour_check"].items())
        + ".",
        "",
        f"**Queries.** {r['queries']} real shopper queries encoded for real "
        f"({', '.join(f'{k} {v}' for k, v in r['query_sources'].items())}), one at a time on one thread (the "
        f"engine's `query_threads`), top-{CANDIDATES} as the engine asks for. Recall@10 is against exact "
        "inner-product search over the same vectors (and the same filter); *rescored* is recall@10 after the "
        f"top-{CANDIDATES} are re-ranked by their exact scores, which is what the engine does with its "
        "candidates. Filters are allowed-id sets (`IDSelectorBatch`, built per query as the engine does) "
        "drawn at random, uncorrelated with the query (like a price cap or one store's stock): "
        + ", ".join(f"{k} = {v:,} rows" for k, v in r["filters"].items())
        + ". Build uses every core. *Resident* is the resident-set growth of loading the saved index in a "
        "fresh process, as a replica starting up does. *CPU ms* is the query's CPU time, which other jobs on "
        "the machine inflate less than the wall-clock p50 / p95.",
        "",
        "| FAISS factory | build s | index MiB | resident MiB | bytes/vector | p50 ms | p95 ms | CPU ms | recall@10 | rescored | "
        + " | ".join(f"{f} filter p50 / p95 ms | {f} recall@10 (rescored)" for f in f_names)
        + " |",
        "|---|---|---|---|---|---|---|---|---|---|" + "---|---|" * len(f_names),
    ]
    for row in r["faiss"]:
        n = row["none"]
        cells = [
            f"`{row['factory']}`",
            row["build_s"],
            row["index_mib"],
            row["rss_mib"],
            row["bytes_per_vector"],
            n["p50_ms"],
            n["p95_ms"],
            n["cpu_p50_ms"],
            f"{n['recall@10']:.3f}",
            f"{n['recall@10_rescored']:.3f}",
        ]
        for f in f_names:
            cells += [
                f"{row[f]['p50_ms']} / {row[f]['p95_ms']}",
                f"{row[f]['recall@10']:.3f} ({row[f]['recall@10_rescored']:.3f})",
            ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines += [
        "",
        "BM25 (`retrieval.lexical.BM25Index`, bm25s): the real texts alone, then with synthetic texts up to the "
        "full size (each as many words as a real text of its cluster, drawn from that cluster's words; the "
        "vocabulary stays the real one's, where a real catalog's would keep growing). Latency = scores for every "
        f"product + the top-{CANDIDATES}, as the engine does.",
        "",
        "| products | build s | index MiB | resident MiB | p50 ms | p95 ms | CPU ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for b in r["bm25"]:
        lines.append(
            f"| {b['products']:,} | {b['build_s']} | {b['index_mib']} | {b['rss_mib']} | {b['p50_ms']} | {b['p95_ms']} | {b['cpu_p50_ms']} |"
        )
    vec_mib = r["size"] * 384 * 4 / 2**20
    lines += [
        "",
        f"Not in the FAISS column: the engine also keeps every float32 vector in memory (`IndexState.vectors`, "
        f"{vec_mib:,.0f} MiB at this size) to rescore candidates exactly, whatever the factory.",
        "",
    ]
    return "\n".join(lines)


def plot(r: Dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.4))
    styles = {"none": "o", **{f: m for f, m in zip(r["filters"], "s^", strict=False)}}
    for i, row in enumerate(r["faiss"]):
        for f, marker in styles.items():
            ax.scatter(row[f]["p50_ms"], row[f]["recall@10"], marker=marker, s=50, color=f"C{i}")
        ax.annotate(
            row["factory"],
            (row["none"]["p50_ms"], row["none"]["recall@10"]),
            fontsize=8,
            xytext=(4, 4),
            textcoords="offset points",
        )
    for f, marker in styles.items():
        ax.scatter([], [], marker=marker, color="grey", label="no filter" if f == "none" else f"filter {f}")
    ax.set_xscale("log")
    ax.set_xlabel("p50 ms per query (1 thread, top-200)")
    ax.set_ylabel("recall@10 vs exact")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    ax.set_title(f"FAISS at {r['size']:,} products")
    names = [row["factory"] for row in r["faiss"]] + [f"BM25 ({r['bm25'][-1]['products']:,})"]
    mib = [row["rss_mib"] for row in r["faiss"]] + [r["bm25"][-1]["rss_mib"]]
    ax2.barh(names, mib)
    for i, v in enumerate(mib):
        ax2.text(v, i, f" {v:,.0f}", va="center", fontsize=8)
    ax2.set_xlabel("MiB resident per replica (index load)")
    ax2.set_title("Memory")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
