"""The GPU path, checked and measured against the CPU in the same run (docs/gpu.md).

    python scripts/bench_gpu.py pack                 # here: build .gpu/ (what the GPU machine lacks)
    python scripts/bench_gpu.py run --out DIR        # on the GPU machine: check + measure, JSON + markdown
    python scripts/bench_gpu.py run --small          # anywhere: the same code on small sizes (GPU parts skip)
    python scripts/bench_gpu.py report --json F      # rewrite bench/results/gpu.md (+ .png) from a results JSON

What ``run`` does, each part in its own process (a crash in one leaves the others' figures):

- ``env``: GPU model, driver, torch / transformers / FAISS versions, ``faiss.get_num_gpus()``.
- ``faiss``: the FAISS GPU build on small data: Flat and IVF on the GPU give the CPU's top-10,
  ``DenseIndex`` filters (``IDSelector``) and incremental add / remove with ``use_gpu=True``,
  HNSW (no GPU version) stays on the CPU.
- ``retrieval``: BigBasket and Instacart built through the project's own code
  (``retrieval.ingest`` mappings -> ``open_index`` -> ``DenseIndex``) once on the CPU and once on the
  GPU (encoder on CUDA + FAISS on the GPU); every dev query through ``SearchEngine`` on both:
  top-10 ids identical and scores within 1e-3 (same document vectors), filters, upsert / remove,
  p50 / p95 per query; ePQA answer ranking with the encoder on CPU vs CUDA.
- ``synthetic``: 1,000,000 seeded 384-d vectors, ``Flat`` and ``IVF4096,PQ32``: build time and
  search throughput at batch 1 and 256, CPU vs GPU, recall@10 against exact search.
- ``phraser``: the default phraser (3 x 192 GPT-2 from scratch) trained on CUDA in full and on
  the CPU for one epoch (its time per step gives the full run), then reply latency p50 / p95 of
  ``ModelPhraser.phrase`` on CPU vs CUDA.

``pack`` fetches and trims what the GPU machine lacks into ``.gpu/`` (git-ignored, under 64 MiB):
the ``faiss-gpu`` wheel's files with only the sm_90 (Hopper) kernels kept, its CUDA 12 runtime and a
small ``libcublas.so.12`` that forwards FAISS's eight cuBLAS calls to the machine's CUDA 13
cuBLAS, the MiniLM encoder in fp16 (upcast to fp32 there; word-embedding rows kept for the tokens
of the benchmark's texts), and the catalogs and dev query sets.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
SECTIONS = ("env", "faiss", "retrieval", "synthetic", "phraser")
CATALOGS = ("bigbasket", "instacart")
QUERY_FILES = {
    "bigbasket": "bigbasket_queries.dev.jsonl",
    "instacart": "instacart_queries.dev.jsonl",
    "epqa": "epqa_ranking.dev.jsonl",
}
FAISS_GPU_WHEEL = "faiss-gpu==1.15.1"
CUDART12_WHEEL = "nvidia-cuda-runtime-cu12==12.9.79"
PURE_WHEELS = ("pydantic==1.10.27", "bm25s==0.3.16")
PY312_WHEELS = ("pystemmer==3.1.0",)
SCORE_TOL = 1e-3
# Two results whose scores differ by less than this are a tie: float rounding (about 1e-6 between
# the CPU and GPU query vectors) may order them either way.
TIE_TOL = 1e-5

os.environ.setdefault("USE_TF", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def pct(values: Sequence[float], q: float) -> float:
    from retrieval.metrics import percentile

    return round(float(percentile(list(values), q)), 3) if values else float("nan")


@contextlib.contextmanager
def timer(out: Dict[str, Any], key: str):
    t0 = time.perf_counter()
    yield
    out[key] = round(time.perf_counter() - t0, 3)


def cuda_sync() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
    except ImportError:  # pragma: no cover - torch missing
        pass


def faiss_gpus() -> int:
    from retrieval.dense import gpu_count

    return gpu_count()


def torch_cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def read_jsonl(path: Path, limit: Optional[int] = None) -> List[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
                if limit and len(rows) >= limit:
                    break
    return rows


# ----------------------------------------------------------------------------------------------
# payload: what the GPU machine lacks (built here by `pack`, unpacked there by `run`)
# ----------------------------------------------------------------------------------------------
CUBLAS_SHIM_C = r"""
/* libcublas.so.12 -> libcublas.so.13 forwarder for the cuBLAS calls FAISS makes.
 * FAISS's CUDA 12 wheel links libcublas.so.12; a CUDA 13 machine has libcublas.so.13, whose
 * entry points used here keep the CUDA 12 signatures and enum values. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
typedef int st;
typedef void *H;
static void *lib;
static void *sym(const char *name) {
    if (!lib) {
        const char *p = getenv("CUBLAS13_PATH");
        lib = dlopen("libcublas.so.13", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
        if (!lib && p) lib = dlopen(p, RTLD_NOW | RTLD_GLOBAL);
        if (!lib) lib = dlopen("libcublas.so.13", RTLD_NOW | RTLD_GLOBAL);
        if (!lib) { fprintf(stderr, "cublas12 shim: cannot load libcublas.so.13: %s\n", dlerror()); abort(); }
    }
    void *f = dlsym(lib, name);
    if (!f) { fprintf(stderr, "cublas12 shim: %s missing in libcublas.so.13\n", name); abort(); }
    return f;
}
#define FWD(name, params, args) \
    st name params { static st (*f) params; if (!f) f = (st (*) params) sym(#name); return f args; }
FWD(cublasCreate_v2, (H *h), (h))
FWD(cublasDestroy_v2, (H h), (h))
FWD(cublasSetStream_v2, (H h, void *s), (h, s))
FWD(cublasGetMathMode, (H h, int *m), (h, m))
FWD(cublasSetMathMode, (H h, int m), (h, m))
FWD(cublasSgemmEx, (H h, int ta, int tb, int m, int n, int k, const float *al, const void *A, int At, int lda,
                    const void *B, int Bt, int ldb, const float *be, void *C, int Ct, int ldc),
    (h, ta, tb, m, n, k, al, A, At, lda, B, Bt, ldb, be, C, Ct, ldc))
FWD(cublasGemmEx, (H h, int ta, int tb, int m, int n, int k, const void *al, const void *A, int At, int lda,
                   const void *B, int Bt, int ldb, const void *be, void *C, int Ct, int ldc, int ct, int algo),
    (h, ta, tb, m, n, k, al, A, At, lda, B, Bt, ldb, be, C, Ct, ldc, ct, algo))
FWD(cublasGemmStridedBatchedEx, (H h, int ta, int tb, int m, int n, int k, const void *al, const void *A, int At,
                                 int lda, long long sA, const void *B, int Bt, int ldb, long long sB,
                                 const void *be, void *C, int Ct, int ldc, long long sC, int batch, int ct, int algo),
    (h, ta, tb, m, n, k, al, A, At, lda, sA, B, Bt, ldb, sB, be, C, Ct, ldc, sC, batch, ct, algo))
"""
CUBLAS_SHIM_MAP = """libcublas.so.12 {
  global: cublasCreate_v2; cublasDestroy_v2; cublasSetStream_v2; cublasGetMathMode; cublasSetMathMode;
          cublasSgemmEx; cublasGemmEx; cublasGemmStridedBatchedEx;
  local: *;
};
"""


def strip_fatbin(path: Path, keep_sm: int = 90) -> Dict[str, Any]:
    """Zero every CUDA kernel image in ``path``'s ``.nv_fatbin`` except the sm_``keep_sm`` ELF ones.

    The file keeps its size and layout (the driver picks the sm_90 image by its header), and the
    zeros compress to nothing: the faiss-gpu library drops from ~200 MB to ~13 MB xz-compressed.
    """
    import struct

    data = bytearray(path.read_bytes())
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    stroff = hdrs[shstrndx][4]
    secs = {data[stroff + h[0] : data.index(b"\0", stroff + h[0])].decode(): (h[4], h[5]) for h in hdrs}
    off, size = secs[".nv_fatbin"]
    p, end, kept, zeroed = off, off + size, 0, 0
    while p < end:
        magic, _ver, hsz, fsz = struct.unpack_from("<IHHQ", data, p)
        if magic != 0xBA55ED50:
            p += 8
            continue
        q, bend = p + hsz, p + hsz + fsz
        while q < bend:
            kind, _ev, ehs, pad = struct.unpack_from("<HHIQ", data, q)
            sm = struct.unpack_from("<I", data, q + 28)[0]
            if kind == 2 and sm == keep_sm:
                kept += 1
            else:
                data[q + ehs : q + ehs + pad] = bytes(pad)
                zeroed += pad
            q += ehs + pad
        p = bend
    if not kept:
        raise SystemExit(f"{path}: no sm_{keep_sm} kernels; this FAISS build cannot run on that GPU")
    path.write_bytes(bytes(data))
    return {"kept_images": kept, "zeroed_mb": round(zeroed / 1e6, 1)}


def _pip_download(specs: Sequence[str], dest: Path, platform_args: bool) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(dest)]
    if platform_args:
        cmd += ["--python-version", "3.12", "--implementation", "cp"]
        for tag in (
            "manylinux_2_28_x86_64",
            "manylinux_2_27_x86_64",
            "manylinux_2_17_x86_64",
            "manylinux2014_x86_64",
            "manylinux1_x86_64",
            "manylinux_2_5_x86_64",
        ):
            cmd += ["--platform", tag]
    else:
        cmd += ["--python-version", "3.12", "--platform", "any", "--implementation", "py"]
    subprocess.run(cmd + list(specs), check=True)


def _tar_xz(src: Path, out: Path) -> None:
    subprocess.run(f"tar -C {src} -cf - . | xz -6 -T0 > {out}", shell=True, check=True)


def _bench_texts(datasets: Path, eval_dir: Path) -> List[str]:
    """Every text the benchmark may encode: catalog docs (all field sets), queries, ePQA."""
    from retrieval.catalog import FULL_FIELDS, doc_text, load_catalog
    from retrieval.evaluate import PROTOCOL_FIELDS
    from retrieval.query import Vocabulary, parse_query

    texts: List[str] = []
    for name in CATALOGS:
        cat = load_catalog(name, datasets_dir=datasets)
        for fields in {PROTOCOL_FIELDS[name], FULL_FIELDS}:
            texts += [doc_text(p, fields) for p in cat.products]
        vocab = Vocabulary.from_catalog(cat)
        for q in read_jsonl(eval_dir / QUERY_FILES[name]):
            texts.append(q["query"])
            texts.append(parse_query(q["query"], vocab).text or "")
    for q in read_jsonl(eval_dir / QUERY_FILES["epqa"]):
        texts += [q["query"], q.get("title") or ""] + [c["text"] for c in q["candidates"]]
    for f in list(datasets.rglob("*.csv")) + list(eval_dir.glob("*.jsonl")):
        texts += f.read_text(encoding="utf-8").splitlines()
    return texts


def pack(dest: Path) -> None:
    """Build ``dest`` (.gpu/): site.tar.xz, minilm.tar.xz, data.tar.xz."""
    import numpy as np

    from config import get_settings

    dest.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-gpu-pack-"))
    try:
        # 1. FAISS GPU build, CUDA 12 runtime, cuBLAS forwarder, pure-Python extras
        wh = work / "wheels"
        _pip_download([FAISS_GPU_WHEEL, CUDART12_WHEEL, *PY312_WHEELS], wh, platform_args=True)
        _pip_download(PURE_WHEELS, wh, platform_args=False)
        site = work / "site"
        (site / "cu12").mkdir(parents=True)
        import zipfile

        for w in sorted(wh.glob("*.whl")):
            with zipfile.ZipFile(w) as z:
                if w.name.startswith("nvidia_cuda_runtime"):
                    (site / "cu12" / "libcudart.so.12").write_bytes(z.read("nvidia/cuda_runtime/lib/libcudart.so.12"))
                else:
                    z.extractall(site)
        # the wheel's own preload looks for nvidia-*-cu12 wheels; the run preloads the libraries itself
        (site / "faiss" / "_gpu_build.py").unlink()
        log(f"stripped libfaiss.so: {strip_fatbin(site / 'faiss' / 'libfaiss.so')}")
        (work / "shim.c").write_text(CUBLAS_SHIM_C)
        (work / "shim.map").write_text(CUBLAS_SHIM_MAP)
        subprocess.run(
            [
                "gcc",
                "-O2",
                "-shared",
                "-fPIC",
                "-o",
                str(site / "cu12" / "libcublas.so.12"),
                "-Wl,-soname,libcublas.so.12",
                f"-Wl,--version-script={work / 'shim.map'}",
                str(work / "shim.c"),
                "-ldl",
            ],
            check=True,
        )
        (work / "lt.c").write_text("void shopguide_cublaslt12_stub(void) {}\n")
        subprocess.run(
            [
                "gcc",
                "-O2",
                "-shared",
                "-fPIC",
                "-o",
                str(site / "cu12" / "libcublasLt.so.12"),
                "-Wl,-soname,libcublasLt.so.12",
                str(work / "lt.c"),
            ],
            check=True,
        )
        _tar_xz(site, dest / "site.tar.xz")

        # 2. data: the two catalogs and the three dev query sets
        s = get_settings()
        shared = getattr(s, "shared_dir", None) or REPO.parent / "shared"
        shared = Path(os.environ.get("SHOPGUIDE_SHARED_DIR", shared))
        data = work / "data"
        for name in CATALOGS:
            (data / "datasets" / name).mkdir(parents=True)
            shutil.copy(shared / "datasets" / name / "products.csv", data / "datasets" / name / "products.csv")
        (data / "eval").mkdir(parents=True)
        for f in QUERY_FILES.values():
            shutil.copy(shared / "eval" / f, data / "eval" / f)
        _tar_xz(data, dest / "data.tar.xz")

        # 3. MiniLM: fp16, word-embedding rows only for the tokens the benchmark's texts use
        from safetensors.numpy import load_file, save_file
        from transformers import AutoTokenizer

        from retrieval.encoder import resolve_encoder_path

        src = Path(resolve_encoder_path("all-MiniLM-L6-v2"))
        tok = AutoTokenizer.from_pretrained(str(src))
        texts = _bench_texts(data / "datasets", data / "eval")
        used = set(tok.all_special_ids)
        for i in range(0, len(texts), 4096):
            for ids in tok(texts[i : i + 4096], truncation=True, max_length=512)["input_ids"]:
                used.update(ids)
        kept = np.array(sorted(used), dtype=np.int32)
        weights = load_file(str(src / "model.safetensors"))
        out = {k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in weights.items()}
        out["embeddings.word_embeddings.weight"] = out["embeddings.word_embeddings.weight"][kept]
        out["shopguide.kept_token_ids"] = kept
        mdir = work / "minilm"
        mdir.mkdir()
        save_file(out, str(mdir / "weights_fp16.safetensors"))
        for f in src.iterdir():
            if f.is_file() and f.suffix in (".json", ".txt") and f.name not in ("data_config.json",):
                shutil.copy(f, mdir / f.name)
        (mdir / "pack.json").write_text(
            json.dumps(
                {
                    "source": str(src.name),
                    "kept_tokens": int(len(kept)),
                    "vocab": int(weights["embeddings.word_embeddings.weight"].shape[0]),
                }
            )
        )
        _tar_xz(mdir, dest / "minilm.tar.xz")
        log(f"MiniLM: {len(kept)} of {weights['embeddings.word_embeddings.weight'].shape[0]} token rows kept")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = sum(f.stat().st_size for f in dest.iterdir())
    log(
        f"packed {dest}: "
        + ", ".join(f"{f.name} {f.stat().st_size / 2**20:.1f} MiB" for f in sorted(dest.iterdir()))
        + f"; total {total / 2**20:.1f} MiB"
    )


def unpack(payload: Path, root: Path) -> Dict[str, str]:
    """Unpack ``payload``'s archives under ``root``; rebuild the fp32 MiniLM folder. Idempotent."""
    dirs = {}
    for name in ("site", "data", "minilm"):
        arc, d = payload / f"{name}.tar.xz", root / name
        dirs[name] = str(d)
        if not arc.is_file():
            continue
        if not (d / ".done").exists():
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
            if shutil.which("xz") and shutil.which("tar"):
                subprocess.run(f"xz -d -T0 -c {arc} | tar -C {d} -xf -", shell=True, check=True)
            else:
                import tarfile

                with tarfile.open(arc, "r:xz") as tf:
                    tf.extractall(d)
            (d / ".done").write_text("")
    mdir = Path(dirs["minilm"])
    full = root / "minilm-fp32"
    if (mdir / "weights_fp16.safetensors").is_file() and not (full / "model.safetensors").is_file():
        import numpy as np
        from safetensors.numpy import load_file, save_file

        w = load_file(str(mdir / "weights_fp16.safetensors"))
        kept = w.pop("shopguide.kept_token_ids")
        meta = json.loads((mdir / "pack.json").read_text())
        rows = w["embeddings.word_embeddings.weight"]
        emb = np.zeros((meta["vocab"], rows.shape[1]), dtype=np.float32)
        emb[kept] = rows.astype(np.float32)
        w["embeddings.word_embeddings.weight"] = emb
        w = {k: v.astype(np.float32) if v.dtype == np.float16 else v for k, v in w.items()}
        full.mkdir(parents=True, exist_ok=True)
        save_file(w, str(full / "model.safetensors"), metadata={"format": "pt"})
        for f in mdir.iterdir():
            if f.suffix in (".json", ".txt") and f.name != "pack.json":
                shutil.copy(f, full / f.name)
        np.save(full / "kept_token_ids.npy", kept)
    if (full / "model.safetensors").is_file():
        dirs["encoder"] = str(full)
    return dirs


def setup_env(root: Optional[Path]) -> Dict[str, Any]:
    """Make the unpacked payload importable; preload the CUDA 12 libraries FAISS links to."""
    info: Dict[str, Any] = {"payload": bool(root)}
    if root is None:
        return info
    site = root / "site"
    if site.is_dir():
        sys.path.insert(0, str(site))
        cu12 = site / "cu12"
        if (cu12 / "libcudart.so.12").is_file():
            import ctypes
            import importlib.util

            cublas13 = None
            spec = importlib.util.find_spec("nvidia")
            for base in list(spec.submodule_search_locations or []) if spec else []:
                cand = Path(base) / "cu13" / "lib" / "libcublas.so.13"
                if cand.is_file():
                    cublas13 = cand
                    break
            for base in (
                "/usr/local/cuda/lib64",
                "/usr/local/cuda/targets/x86_64-linux/lib",
                "/usr/lib/x86_64-linux-gnu",
            ):
                if cublas13 is None and (Path(base) / "libcublas.so.13").is_file():
                    cublas13 = Path(base) / "libcublas.so.13"
            if cublas13 is not None:
                os.environ["CUBLAS13_PATH"] = str(cublas13)
                ctypes.CDLL(str(cublas13.parent / "libcublasLt.so.13"), mode=ctypes.RTLD_GLOBAL)
                ctypes.CDLL(str(cublas13), mode=ctypes.RTLD_GLOBAL)
            info["cublas13"] = str(cublas13) if cublas13 else None
            for lib in ("libcudart.so.12", "libcublasLt.so.12", "libcublas.so.12"):
                ctypes.CDLL(str(cu12 / lib), mode=ctypes.RTLD_GLOBAL)
            info["cuda12_preloaded"] = True
    data = root / "data"
    if data.is_dir():
        os.environ["SHOPGUIDE_SHARED_DIR"] = str(data)
    return info


def shared_dirs(root: Optional[Path]):
    if root is not None and (root / "data" / "datasets").is_dir():
        return root / "data" / "datasets", root / "data" / "eval"
    shared = Path(os.environ.get("SHOPGUIDE_SHARED_DIR", REPO.parent / "shared"))
    return shared / "datasets", shared / "eval"


def encoder_path(root: Optional[Path]) -> str:
    if root is not None and (root / "minilm-fp32" / "model.safetensors").is_file():
        return str(root / "minilm-fp32")
    from retrieval.encoder import resolve_encoder_path

    return resolve_encoder_path("all-MiniLM-L6-v2")


# ----------------------------------------------------------------------------------------------
# section: env
# ----------------------------------------------------------------------------------------------
def section_env(ctx: Dict[str, Any]) -> Dict[str, Any]:
    import numpy
    import torch
    import transformers

    out: Dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "numpy": numpy.__version__,
        "cpu_count": os.cpu_count(),
        "cpu": _cpu_model(),
        "cuda": torch.cuda.is_available(),
    }
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        out.update(
            gpu=torch.cuda.get_device_name(0),
            gpu_memory_gib=round(p.total_memory / 2**30, 1),
            capability=f"{p.major}.{p.minor}",
            torch_cuda=torch.version.cuda,
        )
        with contextlib.suppress(Exception):
            smi = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=20,
            )
            out["nvidia_smi"] = smi.stdout.strip()
    try:
        import faiss

        out.update(faiss=faiss.__version__, faiss_file=faiss.__file__, faiss_gpus=faiss_gpus())
    except Exception as exc:  # noqa: BLE001 - reported, not fatal
        out["faiss_error"] = f"{type(exc).__name__}: {exc}"
    return out


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


# ----------------------------------------------------------------------------------------------
# section: faiss (small data, exact checks of the GPU index through DenseIndex)
# ----------------------------------------------------------------------------------------------
def _same(a_scores, a_ids, b_scores, b_ids, tol=SCORE_TOL) -> bool:
    import numpy as np

    return list(a_ids) == list(b_ids) and (
        len(a_scores) == 0 or float(np.max(np.abs(np.asarray(a_scores) - np.asarray(b_scores)))) <= tol
    )


def section_faiss(ctx: Dict[str, Any]) -> Dict[str, Any]:
    import faiss
    import numpy as np

    from retrieval.dense import DenseIndex

    n, d, nq = (2000, 64, 20) if ctx["small"] else (20000, 384, 100)
    rng = np.random.default_rng(7)
    xb = rng.standard_normal((n, d)).astype("float32")
    xb /= np.linalg.norm(xb, axis=1, keepdims=True)
    xq = xb[rng.choice(n, nq, replace=False)] + 0.05 * rng.standard_normal((nq, d)).astype("float32")
    out: Dict[str, Any] = {"n": n, "dim": d, "queries": nq, "gpus": faiss_gpus()}
    gpu = out["gpus"] > 0

    def agree(a: DenseIndex, b: DenseIndex, allowed=None) -> Dict[str, Any]:
        same = 0
        worst = 0.0
        for q in xq:
            sa, ia = a.search(q, 10, allowed=allowed)
            sb, ib = b.search(q, 10, allowed=allowed)
            same += list(ia) == list(ib)
            if len(sa) and len(sa) == len(sb):
                worst = max(worst, float(np.max(np.abs(sa - sb))))
        return {"identical_top10": same, "of": nq, "max_score_diff": worst}

    for factory in ("Flat", "IVF64,Flat"):
        cpu = DenseIndex.build(xb, factory=factory, use_gpu=False)
        dev = DenseIndex(faiss.clone_index(cpu.cpu_index), use_gpu=True)
        r: Dict[str, Any] = {
            "on_gpu": dev.on_gpu,
            "index": type(faiss.downcast_index(dev.index.index)).__name__
            if hasattr(dev.index, "index")
            else type(dev.index).__name__,
        }
        r["plain"] = agree(cpu, dev)
        allowed = np.sort(rng.choice(n, n // 10, replace=False)).astype("int64")
        r["filtered"] = agree(cpu, dev, allowed)
        # filtered rows really are the allowed ones
        _, ids = dev.search(xq[0], 10, allowed=allowed)
        r["filtered_within_allowed"] = bool(np.isin(ids, allowed).all())
        # incremental: replace 5 rows, add 5, remove 5, on both
        new = rng.standard_normal((10, d)).astype("float32")
        new /= np.linalg.norm(new, axis=1, keepdims=True)
        rows = list(range(5)) + list(range(n, n + 5))
        for idx in (cpu, dev):
            t0 = time.perf_counter()
            idx.add(new, rows)
            idx.remove(range(10, 15))
            r.setdefault("sync_ms", []).append(round((time.perf_counter() - t0) * 1000, 2))
        r["after_sync"] = agree(cpu, dev)
        r["on_gpu_after_sync"] = dev.on_gpu and (not gpu or "Gpu" in _index_kinds(dev.index))
        _, ids = dev.search(new[7], 3)
        r["added_found"] = int(ids[0]) == n + 2
        _, ids = dev.search(xb[12], 10)
        r["removed_gone"] = 12 not in set(ids.tolist())
        r["ntotal"] = [cpu.ntotal, dev.ntotal]
        out[factory] = r
    # HNSW has no GPU version: it must stay on the CPU, searchable, with tombstones for removals
    h = DenseIndex.build(xb, factory="HNSW32", use_gpu=True)
    h.remove([3])
    _, ids = h.search(xb[3], 5)
    out["HNSW32"] = {"on_gpu": h.on_gpu, "searchable": len(ids) == 5, "removed_gone": 3 not in set(ids.tolist())}
    if gpu:
        out["native_gpu_selector"] = _native_selector(xb, xq)
    return out


def _index_kinds(index) -> str:
    import faiss

    kinds = [type(index).__name__]
    inner = getattr(index, "index", None)
    if inner is not None:
        kinds.append(type(faiss.downcast_index(inner)).__name__)
    return "/".join(kinds)


def _native_selector(xb, xq) -> Dict[str, Any]:
    """Does this FAISS build take an IDSelector on a GPU index (DenseIndex filters on its CPU copy)?"""
    import faiss
    import numpy as np

    res: Dict[str, Any] = {}
    try:
        gi = faiss.index_cpu_to_all_gpus(faiss.IndexFlatIP(xb.shape[1]))
        gi.add(xb)
        allowed = np.arange(0, len(xb), 7, dtype="int64")
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        _, ids = gi.search(xq[:4], 10, params=params)
        res["supported"] = bool(np.isin(ids[ids >= 0], allowed).all())
    except Exception as exc:  # noqa: BLE001
        res["supported"] = False
        res["error"] = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return res


# ----------------------------------------------------------------------------------------------
# section: retrieval (the shared catalogs through the project's own code)
# ----------------------------------------------------------------------------------------------
def _make_encoder(path: str, device: str):
    from retrieval.encoder import Encoder

    return Encoder(path, device=device)


def _engine(catalog, state, encoder, fields):
    from retrieval.engine import SearchEngine
    from retrieval.fusion import config_for

    return SearchEngine(catalog, state, encoder, fields=fields, fusion=config_for(catalog.name))


def _clone_state(state, dense):
    import dataclasses

    return dataclasses.replace(
        state,
        dense=dense,
        vectors=state.vectors.copy(),
        slots=list(state.slots),
        row_of_slot=state.row_of_slot.copy(),
        slot_of_row=state.slot_of_row.copy(),
    )


def _clone_catalog(cat):
    from retrieval.catalog import Catalog

    return Catalog(cat.name, list(cat.products), cat.currency, cat.errors)


def _run_queries(engine, queries: List[dict], k: int = 50, filters=None) -> Dict[str, Any]:
    from retrieval.metrics import ndcg_at_k

    for q in queries[:3]:  # warm-up (first-call allocations are not a chat turn's cost)
        engine.search_detailed(q["query"], filters, k=k)
    engine._qcache.clear()
    ms, ndcg, tops = [], [], []
    for q in queries:
        t0 = time.perf_counter()
        res = engine.search_detailed(q["query"], filters, k=k)
        cuda_sync()
        ms.append((time.perf_counter() - t0) * 1000)
        ids = [h.product.id for h in res.hits]
        tops.append([(h.product.id, h.score) for h in res.hits[:10]])
        if "relevant" in q:
            ndcg.append(ndcg_at_k(ids, {str(a): int(b) for a, b in q["relevant"].items()}, 10))
    out = {"p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95), "mean_ms": round(sum(ms) / len(ms), 3), "n": len(ms)}
    if ndcg:
        out["ndcg@10"] = round(sum(ndcg) / len(ndcg), 4)
    out["_tops"] = tops
    return out


def _ties_only(x: list, y: list) -> bool:
    """Each rank whose product differs holds scores within TIE_TOL of each other on both sides."""
    return all(p == q or abs(s - t) <= TIE_TOL for (p, s), (q, t) in zip(x, y, strict=False))


def _compare_tops(a: List[list], b: List[list]) -> Dict[str, Any]:
    """Top-10 agreement: identical id lists, and the largest score difference at equal ranks."""
    same = ties = 0
    worst = 0.0
    mismatches: List[int] = []
    details: List[Dict[str, Any]] = []
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if [p for p, _ in x] == [p for p, _ in y]:
            same += 1
            if x:
                worst = max(worst, max(abs(s - t) for (_, s), (_, t) in zip(x, y, strict=False)))
        else:
            # the same set, reordered only among scores within TIE_TOL, is a tie, not a disagreement
            sx, sy = dict(x), dict(y)
            if set(sx) == set(sy) and all(abs(sx[p] - sy[p]) <= TIE_TOL for p in sx) and _ties_only(x, y):
                ties += 1
                worst = max(worst, max(abs(sx[p] - sy[p]) for p in sx))
            elif len(mismatches) < 5:
                mismatches.append(i)
                if len(details) < 3:
                    details.append(
                        {"query": i, "a": [[p, round(v, 6)] for p, v in x], "b": [[p, round(v, 6)] for p, v in y]}
                    )
    return {
        "identical_top10": same,
        "tie_swaps": ties,
        "of": len(a),
        "max_score_diff": worst,
        "first_mismatches": mismatches,
        "mismatch_detail": details,
    }


def section_retrieval(ctx: Dict[str, Any]) -> Dict[str, Any]:
    import numpy as np

    from retrieval.catalog import load_catalog
    from retrieval.dense import DenseIndex
    from retrieval.evaluate import PROTOCOL_FIELDS
    from retrieval.filters import Filters
    from retrieval.index_store import open_index

    small = ctx["small"]
    root = ctx["root"]
    datasets, eval_dir = shared_dirs(root)
    enc_path = encoder_path(root)
    has_cuda = torch_cuda()
    has_fgpu = faiss_gpus() > 0
    enc_cpu = _make_encoder(enc_path, "cpu")
    # --fake-gpu runs the GPU side's code on the CPU (a test of this script, not a figure)
    enc_gpu = (
        _make_encoder(enc_path, "cuda")
        if has_cuda
        else (_make_encoder(enc_path, "cpu") if ctx.get("fake_gpu") else None)
    )
    out: Dict[str, Any] = {
        "encoder": "all-MiniLM-L6-v2" + (" (fp16 weights upcast to fp32)" if root else ""),
        "cuda": has_cuda,
        "faiss_gpu": has_fgpu,
        "catalogs": {},
    }
    save = ctx.get("save") or (lambda _d: None)
    kept = Path(enc_path) / "kept_token_ids.npy"
    kept_ids = set(np.load(kept).tolist()) if kept.is_file() else None
    tmp = Path(tempfile.mkdtemp(prefix="bench-gpu-idx-"))
    try:
        strict_only = bool(ctx.get("strict_only"))
        for name in ctx.get("catalogs") or CATALOGS:
            log(f"retrieval: {name}")
            cat = load_catalog(name, datasets_dir=datasets, limit=3000 if small else None)
            fields = PROTOCOL_FIELDS[name]
            queries = read_jsonl(eval_dir / QUERY_FILES[name], limit=12 if small else None)
            r: Dict[str, Any] = {"products": len(cat), "queries": len(queries), "fields": list(fields)}
            if kept_ids is not None:
                from retrieval.catalog import doc_text

                texts = [doc_text(p, fields) for p in cat.products] + [q["query"] for q in queries]
                unk = sum(1 for ids in enc_cpu.tokenizer(texts)["input_ids"] if not set(ids) <= kept_ids)
                r["texts_with_dropped_tokens"] = unk
            builds = {}
            for dev, enc, use_gpu in (("gpu", enc_gpu, True), ("cpu", enc_cpu, False)):
                if enc is None or (dev == "cpu" and strict_only):
                    continue
                if dev == "cpu":
                    # a probe first: a full CPU build that would not fit the run is estimated from it
                    from retrieval.catalog import doc_text

                    probe = [doc_text(p, fields) for p in cat.products[:2048]]
                    t0 = time.perf_counter()
                    enc.encode(probe, batch_size=128)
                    rate = len(probe) / (time.perf_counter() - t0)
                    if len(cat) / rate > ctx.get("cpu_build_cap_s", 45.0):
                        r["build_cpu"] = {
                            "total_s": round(len(cat) / rate, 2),
                            "products_per_s": round(rate, 1),
                            "estimated_from": len(probe),
                            "faiss_on_gpu": False,
                        }
                        log(f"  build cpu: estimated from {len(probe)} products: {r['build_cpu']}")
                        continue
                cache = tmp / f"{name}-{dev}"
                t0 = time.perf_counter()
                state = open_index(
                    cat,
                    enc_path,
                    lambda e=enc: e,
                    cache,
                    factory="Flat",
                    fields=fields,
                    batch_size=128,
                    progress=False,
                    use_gpu=use_gpu,
                )
                cuda_sync()
                total = time.perf_counter() - t0
                lb = state.build_stats
                builds[dev] = state
                r[f"build_{dev}"] = {
                    "total_s": round(total, 2),
                    "encode_s": lb.get("encode_seconds"),
                    "faiss_s": lb.get("faiss_seconds"),
                    "products_per_s": lb.get("products_per_s"),
                    "faiss_on_gpu": state.dense.on_gpu,
                    "index": _index_kinds(state.dense.index),
                }
                log(f"  build {dev}: {r[f'build_{dev}']}")
            # The CPU engine searches the GPU-encoded vectors when there are some (the same document
            # vectors on both sides makes the strict check possible; latency does not depend on them).
            docs = builds.get("gpu") or builds["cpu"]
            ref_dense = DenseIndex.build(docs.vectors, factory="Flat", use_gpu=False)
            eng_ref = _engine(_clone_catalog(cat), _clone_state(docs, ref_dense), enc_cpu, fields)
            r["queries_cpu"] = _run_queries(eng_ref, queries)
            log(f"  queries cpu: p50 {r['queries_cpu']['p50_ms']} ms")
            if "gpu" in builds:
                gpu_state = builds["gpu"]
                eng_gpu = _engine(_clone_catalog(cat), gpu_state, enc_gpu, fields)
                r["queries_gpu"] = _run_queries(eng_gpu, queries)
                log(f"  queries gpu: p50 {r['queries_gpu']['p50_ms']} ms")
                # the strict check: the same document vectors; FAISS and query encoding on CPU vs GPU
                r["strict_check"] = _compare_tops(r["queries_cpu"]["_tops"], r["queries_gpu"]["_tops"])
                r["strict_check"]["passed"] = (
                    r["strict_check"]["identical_top10"] + r["strict_check"]["tie_swaps"] == len(queries)
                    and r["strict_check"]["max_score_diff"] <= SCORE_TOL
                )
                if not strict_only:
                    if "cpu" in builds:
                        # the deployed paths side by side (documents encoded fp16 on CUDA vs bf16/fp32 on the CPU)
                        eng_cpu = _engine(_clone_catalog(cat), builds["cpu"], enc_cpu, fields)
                        dep = _run_queries(eng_cpu, queries[:200])
                        r["deployed_agreement"] = _compare_tops(dep["_tops"], r["queries_gpu"]["_tops"][:200])
                        r["deployed_agreement"]["ndcg@10_cpu_built"] = dep.get("ndcg@10")
                        del eng_cpu
                    # explicit filters (price or category) through the GPU index's CPU copy
                    f = Filters(max_price=200.0) if name == "bigbasket" else Filters(category="snacks")
                    fq = queries[: min(len(queries), 60)]
                    a, b = _run_queries(eng_ref, fq, filters=f), _run_queries(eng_gpu, fq, filters=f)
                    r["filtered_check"] = {
                        **_compare_tops(a["_tops"], b["_tops"]),
                        "filters": str(f.active()),
                        "p50_ms_gpu": b["p50_ms"],
                        "p50_ms_cpu": a["p50_ms"],
                    }
                    r["incremental_check"] = _incremental(cat, eng_ref, eng_gpu, queries[:40])
                    log(
                        f"  checks: strict {r['strict_check']['passed']}, filtered {r['filtered_check']['identical_top10']}, "
                        f"incremental {r['incremental_check']['identical_top10']}"
                    )
                del eng_gpu
            del eng_ref, ref_dense
            for q in ("queries_cpu", "queries_gpu"):
                if q in r:
                    r[q].pop("_tops", None)
            out["catalogs"][name] = r
            save(out)
        if not strict_only:
            out["epqa"] = _epqa(eval_dir, enc_cpu, enc_gpu, limit=20 if small else 150)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _incremental(cat, eng_ref, eng_gpu, queries: List[dict]) -> Dict[str, Any]:
    """Upsert 20 new products and remove 20 on both engines; the GPU engine must still agree."""
    base = cat.products[:20]
    new = [p.copy(update={"id": f"gpu-check-{i}", "name": f"{p.name} festive gift pack"}) for i, p in enumerate(base)]
    gone = [p.id for p in cat.products[100:120]]
    res: Dict[str, Any] = {}
    for label, eng in (("ref", eng_ref), ("gpu", eng_gpu)):
        t0 = time.perf_counter()
        eng.upsert(new)
        cuda_sync()
        t1 = time.perf_counter()
        eng.remove(gone)
        cuda_sync()
        res[f"{label}_upsert_ms"] = round((t1 - t0) * 1000, 1)
        res[f"{label}_remove_ms"] = round((time.perf_counter() - t1) * 1000, 1)
    a, b = _run_queries(eng_ref, queries), _run_queries(eng_gpu, queries)
    res.update(_compare_tops(a["_tops"], b["_tops"]))
    hit = eng_gpu.search(new[3].name, k=5)
    res["new_product_found"] = any(h.product.id == new[3].id for h in hit)
    gone_set = set(gone)
    res["removed_absent"] = all(p not in gone_set for t in b["_tops"] for p, _ in t)
    res["gpu_index_on_gpu_after_sync"] = eng_gpu.index.dense.on_gpu
    return res


def _epqa(eval_dir: Path, enc_cpu, enc_gpu, limit: int) -> Dict[str, Any]:
    from retrieval.fusion import config_for
    from retrieval.rerank import CandidateRanker

    qs = read_jsonl(eval_dir / QUERY_FILES["epqa"], limit=limit)
    corpus = [c["text"] for q in qs for c in q["candidates"]]
    out: Dict[str, Any] = {"queries": len(qs)}
    orders = {}
    for dev, enc in (("cpu", enc_cpu), ("gpu", enc_gpu)):
        if enc is None:
            continue
        ranker = CandidateRanker(enc, corpus, config_for("candidates"))
        for q in qs[:3]:
            ranker.rank(q["query"], [c["text"] for c in q["candidates"]], title=q.get("title"))
        ms, ords = [], []
        for q in qs:
            t0 = time.perf_counter()
            ords.append(ranker.rank(q["query"], [c["text"] for c in q["candidates"]], title=q.get("title")))
            cuda_sync()
            ms.append((time.perf_counter() - t0) * 1000)
        orders[dev] = ords
        out[f"{dev}_p50_ms"], out[f"{dev}_p95_ms"] = pct(ms, 50), pct(ms, 95)
    if len(orders) == 2:
        out["identical_top10"] = sum(
            list(a[:10]) == list(b[:10]) for a, b in zip(orders["cpu"], orders["gpu"], strict=False)
        )
    return out


# ----------------------------------------------------------------------------------------------
# section: synthetic (1M vectors, Flat and a compressed factory, CPU vs GPU)
# ----------------------------------------------------------------------------------------------
def section_synthetic(ctx: Dict[str, Any]) -> Dict[str, Any]:
    import faiss
    import numpy as np

    from retrieval.dense import DenseIndex

    n = ctx.get("synthetic_n") or (20000 if ctx["small"] else 1_000_000)
    d = 384
    ivf = "IVF4096,PQ32" if n >= 200_000 else "IVF64,PQ32"
    threads = os.cpu_count() or 1
    faiss.omp_set_num_threads(threads)
    rng = np.random.default_rng(1234)
    t0 = time.perf_counter()
    # seeded clustered data (unit vectors around 2,000 centres), like sentence embeddings
    centres = rng.standard_normal((2000, d)).astype("float32")
    xb = centres[rng.integers(0, len(centres), n)]
    xb += 0.6 * rng.standard_normal((n, d), dtype=np.float32)
    xb /= np.linalg.norm(xb, axis=1, keepdims=True)
    xq = xb[rng.choice(n, 1000, replace=False)] + 0.3 * rng.standard_normal((1000, d), dtype=np.float32)
    xq /= np.linalg.norm(xq, axis=1, keepdims=True)
    out: Dict[str, Any] = {
        "n": n,
        "dim": d,
        "cpu_threads": threads,
        "data_s": round(time.perf_counter() - t0, 1),
        "gpus": faiss_gpus(),
        "factories": {},
    }
    gpu = out["gpus"] > 0
    truth = None
    for factory in ("Flat", ivf):
        log(f"synthetic: {factory}")
        r: Dict[str, Any] = {}
        with timer(r, "cpu_build_s"):
            cpu = DenseIndex.build(xb, factory=factory, use_gpu=False)
        r["cpu"] = _throughput(cpu.index, xq, ctx)
        _, ids_cpu = cpu.index.search(xq[:256], 10)
        if factory == "Flat":
            truth = ids_cpu
        r["cpu"]["recall@10"] = _recall(ids_cpu, truth)
        if gpu:
            # the project's path: DenseIndex trains and adds on the CPU, then copies to the GPU
            with timer(r, "gpu_copy_s"):
                dev = DenseIndex(cpu.cpu_index, use_gpu=True)
                cuda_sync()
            r["gpu_build_s_project"] = round(r["cpu_build_s"] + r["gpu_copy_s"], 3)
            r["gpu"] = _throughput(dev.index, xq, ctx)
            _, ids_gpu = dev.index.search(xq[:256], 10)
            r["gpu"]["recall@10"] = _recall(ids_gpu, truth)
            r["gpu"]["same_top10_as_cpu"] = int(sum(list(a) == list(b) for a, b in zip(ids_cpu, ids_gpu, strict=False)))
            del dev
            # for comparison: train and add on the GPU itself (plain FAISS, not the project's code)
            with timer(r, "gpu_native_build_s"):
                idx = faiss.index_factory(d, factory, faiss.METRIC_INNER_PRODUCT)
                g = faiss.index_cpu_to_all_gpus(idx)
                if not g.is_trained:
                    g.train(xb[rng.choice(n, min(n, 100_000), replace=False)])
                g.add(xb)
                cuda_sync()
            if not g.is_trained or g.ntotal != n:
                r["gpu_native_error"] = "not trained / incomplete"
            del g, idx
        del cpu
        out["factories"][factory] = r
        (ctx.get("save") or (lambda _d: None))(out)
        log(f"  {factory}: {json.dumps(r)}")
    return out


def _recall(ids, truth) -> Optional[float]:
    if truth is None:
        return None
    hits = sum(len(set(a.tolist()) & set(b.tolist())) for a, b in zip(ids, truth, strict=False))
    return round(hits / (10 * len(truth)), 4)


def _throughput(index, xq, ctx) -> Dict[str, Any]:
    """Queries per second at batch 1 and 256, and batch-1 latency p50 / p95."""
    budget = 1.5 if ctx["small"] else 3.0
    index.search(xq[:2], 10)  # warm-up
    lat = []
    t_end = time.perf_counter() + budget
    i = 0
    while time.perf_counter() < t_end and i < len(xq):
        t0 = time.perf_counter()
        index.search(xq[i : i + 1], 10)
        lat.append(time.perf_counter() - t0)
        i += 1
    res = {
        "batch1_qps": round(len(lat) / sum(lat), 1),
        "batch1_p50_ms": pct([x * 1000 for x in lat], 50),
        "batch1_p95_ms": pct([x * 1000 for x in lat], 95),
        "batch1_queries": len(lat),
    }
    done, t0 = 0, time.perf_counter()
    while done == 0 or (time.perf_counter() - t0 < budget and done < 4 * len(xq)):
        s = (done // 256 * 256) % (len(xq) - 256)
        index.search(xq[s : s + 256], 10)
        done += 256
    res["batch256_qps"] = round(done / (time.perf_counter() - t0), 1)
    res["batch256_queries"] = done
    return res


# ----------------------------------------------------------------------------------------------
# section: phraser (train the default model; reply latency) on CPU vs CUDA
# ----------------------------------------------------------------------------------------------
def section_phraser(ctx: Dict[str, Any]) -> Dict[str, Any]:
    import torch
    import tqdm.auto as tqdm_auto

    from nlg.train import TrainArgs, train

    small = ctx["small"]
    tmp = Path(tempfile.mkdtemp(prefix="bench-gpu-nlg-"))
    out: Dict[str, Any] = {"cuda": torch.cuda.is_available()}
    stamps: List[float] = []
    base_bar = tqdm_auto.tqdm

    class StepClock(base_bar):  # type: ignore[misc,valid-type]
        """The training loop's progress bar, timing each step (``train`` updates it once per step)."""

        def update(self, n=1):
            stamps.append(time.perf_counter())
            return super().update(n)

    tqdm_auto.tqdm = StepClock
    try:
        runs: List[Any] = []
        if torch.cuda.is_available():
            runs.append(("cuda", 1, 0.05 if small else 12.0))
        runs.append(("cpu", os.cpu_count() or 1, 0.05 if small else 1.0))
        runs.append(("cpu", 1, 0.05 if small else 1.0))
        for device, threads, epochs in runs:
            label = f"{device}" + (f"_{threads}t" if device == "cpu" else "")
            if ctx.get("phraser_runs") and label not in ctx["phraser_runs"]:
                continue
            args = TrainArgs(
                output_dir=str(tmp / label),
                device=device,
                threads=threads,
                epochs=epochs,
                quiet=True,
                force=True,
                eval_draws=1 if (small or device == "cpu") else 4,
            )
            log(f"phraser: train {label}, {epochs} epochs")
            stamps.clear()
            t0 = time.perf_counter()
            model_dir = train(args)
            wall = time.perf_counter() - t0
            m = json.loads((Path(model_dir) / "metrics.json").read_text())
            steps, secs = m["train_steps"], m["train_seconds"]
            step_s = (stamps[-1] - stamps[0]) / (len(stamps) - 1) if len(stamps) > 1 else secs / max(1, steps)
            full_steps = round(steps * 12.0 / epochs)
            fixed = max(0.0, secs - steps * step_s)  # tokenizer, data, model set-up
            out[f"train_{label}"] = {
                "epochs": epochs,
                "steps": steps,
                "train_s": secs,
                "wall_s": round(wall, 1),
                "ms_per_step": round(1000 * step_s, 2),
                "setup_s": round(fixed, 1),
                "full_12_epochs_s_est": round(fixed + full_steps * step_s, 1),
                "full_steps": full_steps,
                "eval_perplexity": round(m["eval_perplexity"], 3),
                "heldout_ser_before_guard": m.get("heldout_ser_before_guard"),
                "n_params": m.get("n_params"),
            }
            out.setdefault("model_dirs", {})[label] = str(model_dir)
            (ctx.get("save") or (lambda _d: None))({k: v for k, v in out.items() if k != "model_dirs"})
        best = out["model_dirs"].get("cuda") or out["model_dirs"]["cpu_1t"]
        out["latency_model"] = "cuda" if "cuda" in out["model_dirs"] else "cpu_1t"
        for device in ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]:
            out[f"reply_{device}"] = _reply_latency(Path(best), device, draws=1 if small else 4)
        out.pop("model_dirs", None)
    finally:
        tqdm_auto.tqdm = base_bar
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _reply_latency(model_dir: Path, device: str, draws: int) -> Dict[str, Any]:
    from config import NLGSettings
    from nlg.corpus import build_examples, load_corpus
    from nlg.model import PhraserModel
    from nlg.phraser import ModelPhraser
    from nlg.synth import facts_for_frame

    corpus = load_corpus()
    frames = list(dict.fromkeys((e.act, e.slots) for e in build_examples(corpus, "heldout")))
    cfg = NLGSettings.from_env(device=device)
    pm = PhraserModel.load(model_dir, device)
    phraser = ModelPhraser(pm, cfg, corpus)
    rng = random.Random(5)
    cases = [(act, facts_for_frame(slots, rng)) for act, slots in frames for _ in range(draws)]
    for act, facts in cases[:5]:
        phraser.phrase(act, facts)
    lat, model = [], 0
    for act, facts in cases:
        r = phraser.phrase(act, facts)
        lat.append(r.latency_ms)
        model += r.source == "model"
    with contextlib.suppress(Exception):
        phraser.close()
    return {
        "replies": len(cases),
        "p50_ms": pct(lat, 50),
        "p95_ms": pct(lat, 95),
        "model_replies": model,
        "timeouts_or_fallbacks": len(cases) - model,
        "latency_budget_ms": cfg.latency_budget_ms,
        "candidates": cfg.num_candidates,
        "threads": cfg.threads,
    }


# ----------------------------------------------------------------------------------------------
# driver and report
# ----------------------------------------------------------------------------------------------
def run_section(name: str, ctx: Dict[str, Any]) -> Dict[str, Any]:
    fn = {
        "env": section_env,
        "faiss": section_faiss,
        "retrieval": section_retrieval,
        "synthetic": section_synthetic,
        "phraser": section_phraser,
    }[name]
    t0 = time.perf_counter()
    res = fn(ctx)
    res["section_s"] = round(time.perf_counter() - t0, 1)
    return res


def drive(args) -> int:
    out_dir = Path(args.out or (REPO / ".run" / "bench-gpu"))
    out_dir.mkdir(parents=True, exist_ok=True)
    root = None
    if args.payload and Path(args.payload).is_dir():
        root = Path(args.unpack_to)
        t0 = time.perf_counter()
        unpack(Path(args.payload), root)
        log(f"payload unpacked in {time.perf_counter() - t0:.1f}s -> {root}")
    results: Dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
        "small": args.small,
        "sections": {},
    }
    deadline = time.perf_counter() + args.deadline
    limits = {"env": 120, "faiss": 120, "retrieval": 300, "synthetic": 240, "phraser": 240}
    for item in (args.limits or "").split(","):
        if "=" in item:
            key, value = item.split("=")
            limits[key] = int(value)
    for name in args.sections.split(","):
        left = deadline - time.perf_counter()
        if left < 20:
            results["sections"][name] = {"skipped": f"out of time ({left:.0f}s left)"}
            continue
        jf = out_dir / f"section-{name}.json"
        jf.unlink(missing_ok=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "section", name, "--json", str(jf)]
        if root:
            cmd += ["--root", str(root)]
        if args.small:
            cmd.append("--small")
        if args.synthetic_n:
            cmd += ["--synthetic-n", str(args.synthetic_n)]
        if args.fake_gpu:
            cmd.append("--fake-gpu")
        for opt in ("catalogs", "phraser_runs"):
            if getattr(args, opt):
                cmd += [f"--{opt.replace('_', '-')}", getattr(args, opt)]
        if args.strict_only:
            cmd.append("--strict-only")
        log(f"== section {name} (limit {min(limits[name], left):.0f}s)")
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=REPO, timeout=min(limits[name], left))
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        if jf.is_file():
            results["sections"][name] = json.loads(jf.read_text())
            jf.unlink()
        else:
            results["sections"][name] = {"error": f"exit {rc} after {time.perf_counter() - t0:.0f}s (see log)"}
        if rc not in (0,) and "error" not in results["sections"][name]:
            results["sections"][name]["error"] = f"exit {rc}"
        if name == "faiss" and rc != 0:
            os.environ["SHOPGUIDE_BENCH_FAISS_GPU"] = "0"
            results["faiss_gpu_disabled_after"] = "faiss"
        (out_dir / "gpu.json").write_text(json.dumps(results, indent=1))
        write_markdown(results, out_dir / "gpu.md")
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    (out_dir / "gpu.json").write_text(json.dumps(results, indent=1))
    write_markdown(results, out_dir / "gpu.md")
    with contextlib.suppress(Exception):
        plot(results, out_dir / "gpu.png")
    log(f"wrote {out_dir / 'gpu.json'}, gpu.md, gpu.png")
    return 0


def section_main(args) -> int:
    root = Path(args.root) if args.root else None
    info = setup_env(root)
    if os.environ.get("SHOPGUIDE_BENCH_FAISS_GPU") == "0":  # the faiss section failed on the GPU
        import retrieval.dense

        retrieval.dense.gpu_count = lambda: 0
        info["faiss_gpu_disabled"] = True

    def save(partial: Dict[str, Any]) -> None:
        Path(args.json).write_text(json.dumps({**partial, "partial": True}, indent=1, default=str))

    ctx = {
        "small": args.small,
        "root": root,
        "synthetic_n": args.synthetic_n,
        "setup": info,
        "fake_gpu": args.fake_gpu,
        "catalogs": args.catalogs.split(",") if args.catalogs else None,
        "strict_only": args.strict_only,
        "phraser_runs": args.phraser_runs.split(",") if args.phraser_runs else None,
        "cpu_build_cap_s": 20.0 if args.small else 30.0,
        "save": save,
    }
    try:
        res = run_section(args.name, ctx)
    except Exception as exc:  # noqa: BLE001 - recorded in the results, then re-raised for the log
        import traceback

        traceback.print_exc()
        res = json.loads(Path(args.json).read_text()) if Path(args.json).is_file() else {}
        res["error"] = f"{type(exc).__name__}: {str(exc)[:500]}"
    if args.name == "env":
        res["setup"] = info
    Path(args.json).write_text(json.dumps(res, indent=1, default=str))
    return 0 if "error" not in res else 1


def _f(v: Any, nd: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _x(a: Optional[float], b: Optional[float]) -> str:
    """Speed-up of b over a (a / b for times)."""
    try:
        return f"{a / b:,.1f}x"
    except (TypeError, ZeroDivisionError):
        return "-"


def write_markdown(results: Dict[str, Any], path: Path) -> None:
    S = results.get("sections", {})
    env = S.get("env", {})
    gpu = env.get("gpu", "no GPU")
    L = ["# GPU path: checks and CPU vs GPU figures", ""]
    L.append(
        f"GPU: **{gpu}**"
        + (
            f" ({env.get('gpu_memory_gib')} GiB, compute capability {env.get('capability')}; "
            f"`nvidia-smi`: {env.get('nvidia_smi', '-')})"
            if env.get("gpu")
            else ""
        )
        + ". "
        f"CPU: {env.get('cpu', '-')}, {env.get('cpu_count', '-')} cores, same machine and run. "
        f"Python {env.get('python', '-')}, torch {env.get('torch', '-')} (CUDA {env.get('torch_cuda', '-')}), "
        f"transformers {env.get('transformers', '-')}, FAISS {env.get('faiss', '-')} "
        f"(`faiss.get_num_gpus()` = {env.get('faiss_gpus', '-')}). Run {results.get('started', '-')}"
        + (" with `--small` sizes" if results.get("small") else "")
        + ". Generated by `scripts/bench_gpu.py`."
    )
    L.append("")
    for name, sec in S.items():
        if "error" in sec or "skipped" in sec:
            L.append(f"- section `{name}`: {sec.get('error') or sec.get('skipped')}")
    fa = S.get("faiss", {})
    if fa and "error" not in fa:
        L += [
            "",
            f"## FAISS GPU index through `DenseIndex` ({_f(fa.get('n'))} x {fa.get('dim')}-d, {fa.get('queries')} queries)",
            "",
            "| factory | on GPU | top-10 = CPU | filtered (IDSelector) = CPU | after add/remove = CPU | added found | removed gone | sync ms CPU / GPU |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for fac in ("Flat", "IVF64,Flat"):
            r = fa.get(fac)
            if not r:
                continue
            agree = lambda k, r=r: f"{r[k]['identical_top10']}/{r[k]['of']} (max diff {r[k]['max_score_diff']:.1e})"  # noqa: E731
            L.append(
                f"| {fac} | {r['on_gpu']} ({r.get('index')}) | {agree('plain')} | {agree('filtered')} | "
                f"{agree('after_sync')} | {r['added_found']} | {r['removed_gone']} | {' / '.join(map(str, r.get('sync_ms', [])))} |"
            )
        h = fa.get("HNSW32", {})
        L.append("")
        L.append(
            f"HNSW32 with `use_gpu=True`: on GPU {h.get('on_gpu')} (no GPU version: stays on the CPU), searchable "
            f"{h.get('searchable')}, removal by tombstone {h.get('removed_gone')}."
        )
        if "native_gpu_selector" in fa:
            ns = fa["native_gpu_selector"]
            L.append(
                f"An `IDSelector` passed straight to a GPU index: supported {ns.get('supported')}"
                + (f" ({ns.get('error')})" if ns.get("error") else "")
                + ". `DenseIndex` runs filtered searches on its CPU copy either way."
            )
    re_ = S.get("retrieval", {})
    if re_ and "error" not in re_:
        L += [
            "",
            "## Catalog search: index build and query latency",
            "",
            f"Encoder {re_.get('encoder')}; FAISS `Flat`; the protocol fields of `retrieval.evaluate`. "
            "Build = encoding + FAISS through `retrieval.index_store.open_index` (documents in batches of 128: "
            "fp16 autocast on CUDA, bf16 on CPUs that have it). Query = `SearchEngine.search_detailed` (query "
            "understanding, encoding, FAISS, BM25, fusion), one at a time, 50 results; both engines search the same "
            "document vectors (encoded on CUDA), so the CPU column is the CPU's query path. A CPU build marked "
            "(est.) would not have fit the run: its time is the catalog size over the encoding rate measured on "
            "its first 2,048 products.",
            "",
            "| catalog | products | build CPU s | build GPU s | speed-up | encode CPU / GPU products/s | queries | p50 CPU ms | p50 GPU ms | p95 CPU ms | p95 GPU ms | nDCG@10 CPU / GPU |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, r in re_.get("catalogs", {}).items():
            bc, bg = r.get("build_cpu", {}), r.get("build_gpu", {})
            qc, qg = r.get("queries_cpu", {}), r.get("queries_gpu", {})
            est = " (est.)" if bc.get("estimated_from") else ""
            L.append(
                f"| {name} | {_f(r['products'])} | {_f(bc.get('total_s'), 2)}{est} | {_f(bg.get('total_s'), 2)} | "
                f"{_x(bc.get('total_s'), bg.get('total_s'))} | {_f(bc.get('products_per_s'), 0)} / {_f(bg.get('products_per_s'), 0)} | "
                f"{r['queries']} | {_f(qc.get('p50_ms'), 2)} | {_f(qg.get('p50_ms'), 2)} | {_f(qc.get('p95_ms'), 2)} | "
                f"{_f(qg.get('p95_ms'), 2)} | {_f(qc.get('ndcg@10'), 3)} / {_f(qg.get('ndcg@10'), 3)} |"
            )
        L += [
            "",
            "Checks (GPU engine against a CPU engine over the same document vectors; ids identical, scores within 1e-3):",
            "",
            "| catalog | dev queries: top-10 identical | max score diff | passed | filtered queries | after upsert 20 / remove 20 | upsert / remove ms (GPU) | deployed CPU vs GPU builds: identical top-10 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, r in re_.get("catalogs", {}).items():
            sc, fc, ic, da = (
                r.get(k) or {} for k in ("strict_check", "filtered_check", "incremental_check", "deployed_agreement")
            )
            if not sc:
                continue
            L.append(
                f"| {name} | {sc['identical_top10']}/{sc['of']}"
                + (f" (+{sc['tie_swaps']} tie swaps)" if sc.get("tie_swaps") else "")
                + f" | {sc['max_score_diff']:.1e} | {sc.get('passed')} | {fc.get('identical_top10')}/{fc.get('of')} ({fc.get('filters')}) | "
                f"{ic.get('identical_top10')}/{ic.get('of')}"
                + (f" (+{ic['tie_swaps']} tie swaps)" if ic.get("tie_swaps") else "")
                + f", new found {ic.get('new_product_found')}, removed absent {ic.get('removed_absent')} | "
                f"{ic.get('gpu_upsert_ms')} / {ic.get('gpu_remove_ms')} | {da.get('identical_top10')}/{da.get('of')} |"
            )
        ep = re_.get("epqa", {})
        if ep:
            L += [
                "",
                f"ePQA answer ranking ({ep.get('queries')} questions, each ranking its own candidates with the encoder + BM25): "
                f"p50 / p95 {_f(ep.get('cpu_p50_ms'), 2)} / {_f(ep.get('cpu_p95_ms'), 2)} ms on the CPU, "
                f"{_f(ep.get('gpu_p50_ms'), 2)} / {_f(ep.get('gpu_p95_ms'), 2)} ms on CUDA; identical top-10 "
                f"{ep.get('identical_top10', '-')}/{ep.get('queries')}.",
            ]
    sy = S.get("synthetic", {})
    if sy and "error" not in sy:
        L += [
            "",
            f"## {_f(sy.get('n'))} synthetic vectors ({sy.get('dim')}-d, seeded, clustered)",
            "",
            f"CPU: FAISS with {sy.get('cpu_threads')} threads. Batch 1 = one query per call (a chat turn); batch 256 = bulk. "
            '"GPU build (project)" is `DenseIndex.build` (train and add on the CPU) plus the copy to the GPU; '
            '"GPU-native build" trains and adds on the GPU (plain FAISS, for comparison).',
            "",
            "| factory | build CPU s | GPU build (project) s | GPU-native build s | batch 1 CPU q/s | batch 1 GPU q/s | batch 1 p50 CPU / GPU ms | batch 256 CPU q/s | batch 256 GPU q/s | recall@10 CPU / GPU | GPU top-10 = CPU |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for fac, r in sy.get("factories", {}).items():
            c, g = r.get("cpu", {}), r.get("gpu", {})
            L.append(
                f"| {fac} | {_f(r.get('cpu_build_s'), 2)} | {_f(r.get('gpu_build_s_project'), 2)} | {_f(r.get('gpu_native_build_s'), 2)} | "
                f"{_f(c.get('batch1_qps'))} | {_f(g.get('batch1_qps'))} | {_f(c.get('batch1_p50_ms'), 3)} / {_f(g.get('batch1_p50_ms'), 3)} | "
                f"{_f(c.get('batch256_qps'), 0)} | {_f(g.get('batch256_qps'), 0)} | {_f(c.get('recall@10'), 3)} / {_f(g.get('recall@10'), 3)} | "
                f"{_f(g.get('same_top10_as_cpu'))}/256 |"
            )
    ph = S.get("phraser", {})
    if ph and "error" not in ph:
        L += [
            "",
            "## Phraser (default model: GPT-2 3 x 192 from scratch)",
            "",
            "Training runs `nlg.train.train` (`--device cuda` / `cpu`, default arguments otherwise). The CPU runs one "
            "epoch of the twelve; its full time is the set-up (tokenizer, data) plus all the steps at the measured "
            "time per step (steady state, the progress bar's step times). Reply latency is `ModelPhraser.phrase` (8 candidates, guard, template "
            "fallback) on the held-out frames, with the model trained on CUDA.",
            "",
            "| run | epochs | steps | train s | set-up s | ms / step | full 12 epochs s | perplexity |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for k, r in ph.items():
            if k.startswith("train_"):
                L.append(
                    f"| {k[6:]} | {r['epochs']} | {r['steps']} | {_f(r['train_s'])} | {_f(r.get('setup_s'))} | {_f(r['ms_per_step'], 2)} | "
                    f"{_f(r['full_12_epochs_s_est'])}{'' if r['epochs'] == 12.0 else ' (est.)'} | {_f(r['eval_perplexity'], 3)} |"
                )
        L += ["", "| device | replies | p50 ms | p95 ms | from the model | budget ms |", "|---|---|---|---|---|---|"]
        for dev in ("cpu", "cuda"):
            r = ph.get(f"reply_{dev}")
            if r:
                L.append(
                    f"| {dev} | {r['replies']} | {_f(r['p50_ms'])} | {_f(r['p95_ms'])} | {r['model_replies']}/{r['replies']} | {r['latency_budget_ms']:.0f} |"
                )
    if results.get("notes"):
        L += ["", "## Notes", ""] + [f"- {n}" for n in results["notes"]]
    path.write_text("\n".join(L) + "\n")


def plot(results: Dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    S = results.get("sections", {})
    panels = []
    re_ = S.get("retrieval", {}).get("catalogs", {})
    if re_:
        panels.append(
            (
                "catalog index build (s)",
                {
                    n: (r.get("build_cpu", {}).get("total_s"), r.get("build_gpu", {}).get("total_s"))
                    for n, r in re_.items()
                },
            )
        )
        panels.append(
            (
                "search p95 per query (ms)",
                {
                    n: (r.get("queries_cpu", {}).get("p95_ms"), r.get("queries_gpu", {}).get("p95_ms"))
                    for n, r in re_.items()
                },
            )
        )
    sy = S.get("synthetic", {}).get("factories", {})
    if sy:
        panels.append(
            (
                f"{_f(S['synthetic'].get('n'))} vectors: batch-256 queries/s",
                {
                    f: (r.get("cpu", {}).get("batch256_qps"), r.get("gpu", {}).get("batch256_qps"))
                    for f, r in sy.items()
                },
            )
        )
    ph = S.get("phraser", {})
    if ph.get("reply_cpu"):
        panels.append(
            (
                "phraser reply p95 (ms)",
                {"reply": (ph["reply_cpu"]["p95_ms"], (ph.get("reply_cuda") or {}).get("p95_ms"))},
            )
        )
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6))
    axes = axes if len(panels) > 1 else [axes]
    for ax, (title, data) in zip(axes, panels, strict=False):
        names = list(data)
        xs = range(len(names))
        ax.bar([x - 0.2 for x in xs], [data[n][0] or 0 for n in names], 0.4, label="CPU")
        ax.bar([x + 0.2 for x in xs], [data[n][1] or 0 for n in names], 0.4, label="GPU")
        ax.set_xticks(list(xs), names, fontsize=8)
        ax.set_title(title, fontsize=9)
        if "queries/s" in title:
            ax.set_yscale("log")
        ax.legend(fontsize=8)
    fig.suptitle(f"CPU vs {S.get('env', {}).get('gpu', 'GPU')}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python scripts/bench_gpu.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack", help="build .gpu/ (FAISS GPU build, CUDA 12 runtime, MiniLM, data)")
    p.add_argument("--dest", default=str(REPO / ".gpu"))
    r = sub.add_parser("run", help="all sections, each in its own process; JSON + markdown + plot")
    r.add_argument("--out", help="results folder (default .run/bench-gpu)")
    r.add_argument("--payload", default=str(REPO / ".gpu"), help="folder made by `pack` (used when present)")
    r.add_argument("--unpack-to", default=os.path.join(tempfile.gettempdir(), "shopguide-gpu-payload"))
    r.add_argument("--sections", default=",".join(SECTIONS))
    r.add_argument("--small", action="store_true", help="small sizes (a CPU test of the whole script)")
    r.add_argument("--synthetic-n", type=int)
    r.add_argument("--fake-gpu", action="store_true", help="run the GPU side's code on the CPU (tests this script)")
    r.add_argument("--catalogs", help="retrieval: these catalogs only (comma-separated)")
    r.add_argument("--strict-only", action="store_true", help="retrieval: only the GPU build and the strict check")
    r.add_argument("--phraser-runs", help="phraser: these training runs only (cuda, cpu_16t, cpu_1t)")
    r.add_argument("--limits", help="section time limits, e.g. phraser=240,retrieval=120")
    r.add_argument("--deadline", type=float, default=360.0, help="seconds for all sections together")
    s = sub.add_parser("section", help=argparse.SUPPRESS)
    s.add_argument("name", choices=SECTIONS)
    s.add_argument("--json", required=True)
    s.add_argument("--root")
    s.add_argument("--small", action="store_true")
    s.add_argument("--synthetic-n", type=int)
    s.add_argument("--fake-gpu", action="store_true")
    s.add_argument("--catalogs")
    s.add_argument("--strict-only", action="store_true")
    s.add_argument("--phraser-runs")
    w = sub.add_parser("report", help="rewrite the markdown (+ png) from a results JSON")
    w.add_argument("--json", required=True)
    w.add_argument("--md", default=str(RESULTS / "gpu.md"))
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    if args.cmd == "pack":
        pack(Path(args.dest))
        return 0
    if args.cmd == "run":
        return drive(args)
    if args.cmd == "section":
        return section_main(args)
    res = json.loads(Path(args.json).read_text())
    write_markdown(res, Path(args.md))
    plot(res, Path(args.md).with_suffix(".png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
