"""FAISS vector index: built from a factory string, on the GPU when there is one.

Vectors are L2-normalised, so inner product = cosine. Ids are catalog rows
(``IndexIDMap2``), which lets products be added and removed without a rebuild;
index types that cannot remove (HNSW), and IVF ones (whose lists keep the ids they
were given while ``IndexIDMap2.remove_ids`` renumbers its map as if they had been
compacted), get a tombstone set filtered at search time.
"""

from __future__ import annotations

import logging
from typing import Iterable, Optional, Tuple

import numpy as np

log = logging.getLogger(__name__)
# Largest k a FAISS GPU index searches for; past it (many tombstones) the CPU copy answers.
GPU_MAX_K = 2048


def gpu_count() -> int:
    import faiss

    try:
        return int(faiss.get_num_gpus())
    except AttributeError:  # faiss-cpu builds without the GPU symbols
        return 0


def make_index(dim: int, factory: str = "Flat"):
    """An empty ``IndexIDMap2`` around ``faiss.index_factory(dim, factory, IP)``."""
    import faiss

    base = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    return faiss.IndexIDMap2(base)


class DenseIndex:
    """Inner-product FAISS index over catalog rows."""

    def __init__(self, index, use_gpu: Optional[bool] = None, nprobe: int = 32, ef_search: int = 128):
        self.cpu_index = index
        self.deleted: set = set()
        self._gpu_res: Optional[list] = None
        self._set_search_params(nprobe, ef_search)
        self.on_gpu = False
        self.index = index
        want_gpu = gpu_count() > 0 if use_gpu is None else use_gpu
        if want_gpu and gpu_count() > 0:
            try:
                self.index = self._to_gpu(index)
                self.on_gpu = True
            except Exception as exc:  # noqa: BLE001 - some index types have no GPU version (e.g. HNSW)
                log.warning("FAISS index stays on CPU (%s)", exc)

    def _set_search_params(self, nprobe: int, ef_search: int) -> None:
        import faiss

        inner = faiss.downcast_index(self.cpu_index.index)
        if hasattr(inner, "nprobe"):
            inner.nprobe = nprobe
        if hasattr(inner, "hnsw"):
            inner.hnsw.efSearch = ef_search

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        factory: str = "Flat",
        ids: Optional[np.ndarray] = None,
        use_gpu: Optional[bool] = None,
        seed: int = 1234,
    ) -> DenseIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = make_index(vectors.shape[1], factory)
        if not index.is_trained:
            inner = faiss.downcast_index(index.index)
            if hasattr(inner, "cp"):
                inner.cp.seed = seed
            if hasattr(inner, "do_polysemous_training"):
                # the factory's IVF-PQ default; only polysemous (Hamming) search uses it, which
                # neither this class nor a GPU index does, and it dominates the training time
                inner.do_polysemous_training = False
            n_train = min(len(vectors), 100_000)
            rng = np.random.default_rng(seed)
            sample = vectors[rng.choice(len(vectors), n_train, replace=False)] if n_train < len(vectors) else vectors
            index.train(sample)
        inner = faiss.downcast_index(index.index)
        if hasattr(inner, "hnsw"):
            inner.hnsw.efConstruction = max(inner.hnsw.efConstruction, 80)
        ids = np.arange(len(vectors), dtype=np.int64) if ids is None else ids.astype(np.int64)
        index.add_with_ids(vectors, ids)
        return cls(index, use_gpu=use_gpu)

    @property
    def ntotal(self) -> int:
        return int(self.cpu_index.ntotal) - len(self.deleted)

    def search(self, query: np.ndarray, k: int, allowed: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, rows) for one query vector; ``allowed`` restricts to those rows."""
        import faiss

        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        extra = len(self.deleted)
        kk = max(1, min(k + extra, int(self.cpu_index.ntotal)))
        if allowed is not None:
            if len(allowed) == 0:
                return np.zeros(0, np.float32), np.zeros(0, np.int64)
            sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            params = _search_params(self.cpu_index.index, sel)
            # Selectors are a CPU feature; filtered searches run on the CPU copy.
            scores, rows = self.cpu_index.search(q, min(kk, len(allowed) + extra), params=params)
        else:
            index = self.index if kk <= GPU_MAX_K else self.cpu_index
            scores, rows = index.search(q, kk)
        scores, rows = scores[0], rows[0]
        keep = rows >= 0
        if self.deleted:
            keep &= ~np.isin(rows, np.fromiter(self.deleted, dtype=np.int64))
        return scores[keep][:k], rows[keep][:k]

    def add(self, vectors: np.ndarray, rows: Iterable[int]) -> None:
        """Add (or replace) vectors for catalog ``rows``."""
        rows = np.asarray(list(rows), dtype=np.int64)
        self.remove(rows, quiet=True)
        for r in rows.tolist():
            self.deleted.discard(r)
        self.cpu_index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), rows)
        self._sync_gpu()

    def remove(self, rows: Iterable[int], quiet: bool = False) -> None:
        import faiss

        rows = np.asarray(list(rows), dtype=np.int64)
        if len(rows) == 0:
            return
        if faiss.try_extract_index_ivf(self.cpu_index.index) is not None:
            # IndexIDMap2.remove_ids would shift the ids of every later row: tombstones
            if not quiet:
                self.deleted.update(rows.tolist())
        else:
            try:
                self.cpu_index.remove_ids(faiss.IDSelectorBatch(rows))
            except RuntimeError:  # e.g. HNSW: not removable -> tombstones
                if not quiet:
                    self.deleted.update(rows.tolist())
        self._sync_gpu()

    def _to_gpu(self, index):
        """``index`` copied to every GPU, with this index's GPU resources (made once: each
        ``StandardGpuResources`` costs a cuBLAS handle and a scratch allocation, about 0.2 s)."""
        import faiss

        if self._gpu_res is None:
            self._gpu_res = [faiss.StandardGpuResources() for _ in range(gpu_count())]
        return faiss.index_cpu_to_gpu_multiple_py(self._gpu_res, index)

    def _sync_gpu(self) -> None:
        if self.on_gpu:
            self.index = self._to_gpu(self.cpu_index)
        else:
            self.index = self.cpu_index

    def save(self, path: str) -> None:
        import faiss

        faiss.write_index(self.cpu_index, path)

    @classmethod
    def load(cls, path: str, use_gpu: Optional[bool] = None) -> DenseIndex:
        import faiss

        return cls(faiss.read_index(path), use_gpu=use_gpu)


def _search_params(inner, selector):
    import faiss

    inner = faiss.downcast_index(inner)
    if hasattr(inner, "nprobe"):
        return faiss.SearchParametersIVF(sel=selector, nprobe=inner.nprobe)
    if hasattr(inner, "hnsw"):
        return faiss.SearchParametersHNSW(sel=selector, efSearch=max(inner.hnsw.efSearch, 256))
    return faiss.SearchParameters(sel=selector)
