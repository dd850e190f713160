"""The GPU path of the dense index, and the GPU benchmark script, on the CPU.

The parts that need a FAISS GPU build skip without one (``faiss.get_num_gpus() == 0``);
``scripts/bench_gpu.py run`` checks the same things on a GPU machine (docs/gpu.md).
"""

import importlib.util
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from retrieval.dense import GPU_MAX_K, DenseIndex, gpu_count

REPO = Path(__file__).resolve().parents[3]
needs_gpu = pytest.mark.skipif(gpu_count() == 0, reason="needs a FAISS GPU build and a GPU")


def _unit(n, d, seed):
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_gpu", REPO / "scripts" / "bench_gpu.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_gpu"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("factory", ["Flat", "IVF16,Flat"])
def test_rows_keep_their_ids_after_remove_and_add(factory):
    # IndexIDMap2.remove_ids renumbers its id map as if the inner index had compacted;
    # IVF lists keep their ids, so without tombstones every later row got a neighbour's id.
    x = _unit(600, 32, 0)
    index = DenseIndex.build(x, factory, use_gpu=False)
    index.remove([1, 2, 3])
    new = _unit(4, 32, 1)
    index.add(new, [600, 601, 602, 603])
    for row in (0, 5, 100, 599):
        _, rows = index.search(x[row], 1)
        assert rows[0] == row
    for i, row in enumerate(range(600, 604)):
        _, rows = index.search(new[i], 1)
        assert rows[0] == row
    _, rows = index.search(x[2], 10)
    assert 2 not in rows.tolist()
    assert index.ntotal == 601


def test_ivf_pq_skips_polysemous_training():
    # polysemous training only serves Hamming-distance search, which neither DenseIndex nor a
    # GPU index uses; it took most of an IVF-PQ build (68 of 73 s on 5,000 vectors, 2 cores)
    import faiss

    x = _unit(2000, 64, 7)
    index = DenseIndex.build(x, "IVF8,PQ8", use_gpu=False)
    assert not faiss.downcast_index(index.cpu_index.index).do_polysemous_training
    _, rows = index.search(x[9], 5)
    assert 9 in rows.tolist()


def test_use_gpu_without_a_gpu_stays_on_the_cpu():
    x = _unit(300, 16, 2)
    for factory in ("Flat", "HNSW32"):
        index = DenseIndex.build(x, factory, use_gpu=True)
        assert index.on_gpu == (gpu_count() > 0 and factory == "Flat")
        _, rows = index.search(x[7], 3)
        assert rows[0] == 7


def test_more_tombstones_than_a_gpu_search_takes_use_the_cpu_copy():
    x = _unit(GPU_MAX_K + 200, 8, 3)
    index = DenseIndex.build(x, "IVF4,Flat", use_gpu=False)
    index.remove(range(GPU_MAX_K))  # IVF: tombstones, so each search asks for k + 2048

    class NoBigK:
        def search(self, q, k):
            raise AssertionError(f"GPU index asked for k={k}")

    index.index, index.on_gpu = NoBigK(), True
    _, rows = index.search(x[GPU_MAX_K + 5], 5)
    assert rows[0] == GPU_MAX_K + 5
    assert not set(rows.tolist()) & set(range(GPU_MAX_K))


@needs_gpu
@pytest.mark.parametrize("factory", ["Flat", "IVF16,Flat"])
def test_gpu_index_matches_the_cpu_one(factory):
    import faiss

    x, q = _unit(3000, 64, 4), _unit(20, 64, 5)
    cpu = DenseIndex.build(x, factory, use_gpu=False)
    gpu = DenseIndex(faiss.clone_index(cpu.cpu_index), use_gpu=True)
    assert gpu.on_gpu
    allowed = np.arange(0, 3000, 3, dtype=np.int64)
    for v in q:
        for kw in ({}, {"allowed": allowed}):
            s1, r1 = cpu.search(v, 10, **kw)
            s2, r2 = gpu.search(v, 10, **kw)
            assert r1.tolist() == r2.tolist()
            assert np.abs(s1 - s2).max() <= 1e-3
    resources = gpu._gpu_res
    gpu.add(_unit(2, 64, 6), [3000, 3001])
    gpu.remove([10])
    assert gpu.on_gpu and gpu._gpu_res is resources  # re-synced with the same GPU resources
    _, rows = gpu.search(x[10], 5)
    assert 10 not in rows.tolist()


def _fake_elf_with_fatbin(images):
    """A minimal ELF64 file whose .nv_fatbin holds one fatbin with ``images`` [(kind, sm, payload)]."""
    entries = b""
    for kind, sm, payload in images:
        head = bytearray(64)
        struct.pack_into("<HHIQ", head, 0, kind, 1, 64, len(payload))
        struct.pack_into("<I", head, 28, sm)
        entries += bytes(head) + payload
    fatbin = struct.pack("<IHHQ", 0xBA55ED50, 1, 16, len(entries)) + entries
    shstr = b"\0.nv_fatbin\0.shstrtab\0"
    fat_off = 64
    str_off = fat_off + len(fatbin)
    sh_off = str_off + len(shstr)
    ehdr = bytearray(64)
    ehdr[:4] = b"\x7fELF"
    struct.pack_into("<Q", ehdr, 0x28, sh_off)
    struct.pack_into("<HHH", ehdr, 0x3A, 64, 3, 2)
    sections = bytes(64)
    sections += struct.pack("<IIQQQQIIQQ", 1, 1, 0, 0, fat_off, len(fatbin), 0, 0, 8, 0)
    sections += struct.pack("<IIQQQQIIQQ", 12, 3, 0, 0, str_off, len(shstr), 0, 0, 1, 0)
    return bytes(ehdr) + fatbin + shstr + sections


def test_strip_fatbin_keeps_only_the_hopper_kernels(bench, tmp_path):
    lib = tmp_path / "libfake.so"
    lib.write_bytes(_fake_elf_with_fatbin([(2, 80, b"\x08" * 32), (1, 90, b"\x07" * 16), (2, 90, b"\x09" * 32)]))
    size = lib.stat().st_size
    info = bench.strip_fatbin(lib)
    data = lib.read_bytes()
    assert info["kept_images"] == 1 and len(data) == size
    assert b"\x09" * 32 in data and b"\x08" * 32 not in data and b"\x07" * 16 not in data
    lib.write_bytes(_fake_elf_with_fatbin([(2, 80, b"\x08" * 32)]))
    with pytest.raises(SystemExit, match="no sm_90"):
        bench.strip_fatbin(lib)


def test_top10_comparison_counts_ties_and_score_drift(bench):
    a = [[("1", 0.9), ("2", 0.8)], [("3", 0.5), ("4", 0.5)], [("5", 0.7), ("6", 0.6)]]
    b = [[("1", 0.9004), ("2", 0.8)], [("4", 0.5), ("3", 0.5)], [("6", 0.7), ("5", 0.6)]]
    res = bench._compare_tops(a, b)
    assert (res["identical_top10"], res["tie_swaps"], res["first_mismatches"]) == (1, 1, [2])
    assert abs(res["max_score_diff"] - 0.0004) < 1e-9


def test_faiss_section_on_the_cpu(bench):
    res = bench.section_faiss({"small": True})
    for factory in ("Flat", "IVF64,Flat"):
        r = res[factory]
        for check in ("plain", "filtered", "after_sync"):
            assert r[check]["identical_top10"] == r[check]["of"]
        assert r["added_found"] and r["removed_gone"] and r["filtered_within_allowed"]
    assert res["HNSW32"] == {"on_gpu": False, "searchable": True, "removed_gone": True}


def test_report_names_the_gpu_and_shows_failures(bench, tmp_path):
    results = {
        "started": "2026-01-01 00:00:00Z",
        "sections": {
            "env": {"gpu": "NVIDIA H200", "gpu_memory_gib": 139.8, "capability": "9.0", "cpu": "x", "cpu_count": 16},
            "synthetic": {"error": "exit -11"},
            "phraser": {
                "train_cuda": {
                    "epochs": 12.0,
                    "steps": 2160,
                    "train_s": 30.0,
                    "setup_s": 3.0,
                    "ms_per_step": 12.5,
                    "full_12_epochs_s_est": 30.0,
                    "eval_perplexity": 1.9,
                },
                "reply_cpu": {
                    "replies": 84,
                    "p50_ms": 40.0,
                    "p95_ms": 90.0,
                    "model_replies": 82,
                    "latency_budget_ms": 300.0,
                },
            },
        },
    }
    md = tmp_path / "gpu.md"
    bench.write_markdown(results, md)
    text = md.read_text()
    assert "NVIDIA H200" in text and "exit -11" in text and "| cuda | 12.0 | 2160 |" in text
