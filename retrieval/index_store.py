"""Build, persist and incrementally sync the dense index of a catalog.

On disk (``<cache_dir>/indexes/<catalog>-<key>/``):
  manifest.json  encoder, factory string, text fields, catalog hash, build time
  slots.json     FAISS id -> [product id, text hash] (null once removed)
  vectors.npy    one row per FAISS id
  dense.faiss    the FAISS index (CPU form)

``open_index`` rebuilds nothing when the manifest matches. When only some
products changed it encodes just those and adds/removes them (incremental);
a changed encoder, factory string or text fields means a full rebuild.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from retrieval.catalog import Catalog, doc_text
from retrieval.dense import DenseIndex, gpu_count

log = logging.getLogger(__name__)
FORMAT_VERSION = 1
# Above this share of changed products a full rebuild is cheaper and keeps IVF centroids fresh.
FULL_REBUILD_SHARE = 0.5


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


@dataclass
class IndexState:
    dense: DenseIndex
    vectors: np.ndarray  # slot-aligned
    slots: List[Optional[Tuple[str, str]]]
    manifest: Dict
    path: Path
    row_of_slot: np.ndarray  # slot -> catalog row (-1 when removed)
    slot_of_row: np.ndarray  # catalog row -> slot

    @property
    def build_stats(self) -> Dict:
        return self.manifest.get("last_build", {})


def index_dir(cache_dir: Path, catalog_name: str, encoder: str, factory: str, fields: Sequence[str]) -> Path:
    key = hashlib.sha1(json.dumps([FORMAT_VERSION, encoder, factory, list(fields)]).encode()).hexdigest()[:10]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in catalog_name)
    return Path(cache_dir) / "indexes" / f"{safe}-{key}"


def _encode(encoder, texts: List[str], batch_size: int, progress: bool) -> Tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    vecs = encoder.encode(texts, batch_size=batch_size, progress=progress, desc="encoding products")
    return vecs, time.perf_counter() - t0


def open_index(
    catalog: Catalog,
    encoder_name: str,
    get_encoder: Callable[[], object],
    cache_dir: Path,
    factory: str = "Flat",
    fields: Sequence[str] = ("name", "brand", "category", "attributes"),
    batch_size: int = 128,
    progress: bool = True,
    use_gpu: Optional[bool] = None,
    force: bool = False,
) -> IndexState:
    """Load the cached index for ``catalog``, syncing or building it as needed."""
    path = index_dir(cache_dir, catalog.name, encoder_name, factory, fields)
    texts = [doc_text(p, fields) for p in catalog.products]
    hashes = [text_hash(t) for t in texts]
    manifest_file = path / "manifest.json"
    state = None
    if manifest_file.exists() and not force:
        try:
            state = _load(path, use_gpu)
        except Exception as exc:  # noqa: BLE001 - corrupt or partial cache: rebuild, loudly
            log.warning("index cache at %s unreadable (%s); rebuilding", path, exc)
    if state is not None and state.manifest.get("catalog_hash") == catalog.content_hash:
        align_rows(state, catalog)
        return state
    if state is not None:
        current = {p.id: h for p, h in zip(catalog.products, hashes, strict=True)}
        live = {s[0]: s[1] for s in state.slots if s is not None}
        changed = [pid for pid, h in current.items() if live.get(pid) != h]
        removed = [pid for pid in live if pid not in current]
        if len(changed) + len(removed) <= FULL_REBUILD_SHARE * max(1, len(catalog)):
            _sync(state, catalog, texts, hashes, changed, removed, get_encoder(), batch_size, progress)
            _save(state, catalog)
            return state
    return _build(
        path, catalog, encoder_name, get_encoder(), texts, hashes, factory, fields, batch_size, progress, use_gpu
    )


def _build(
    path, catalog, encoder_name, encoder, texts, hashes, factory, fields, batch_size, progress, use_gpu
) -> IndexState:
    if progress:
        print(
            f">> building index for {catalog.name!r}: {len(texts)} products, encoder {encoder_name}, FAISS {factory!r}",
            flush=True,
        )
    vecs, enc_s = _encode(encoder, texts, batch_size, progress)
    t0 = time.perf_counter()
    dense = DenseIndex.build(vecs, factory=factory, use_gpu=use_gpu)
    faiss_s = time.perf_counter() - t0
    manifest = {
        "format": FORMAT_VERSION,
        "encoder": encoder_name,
        "factory": factory,
        "fields": list(fields),
        "catalog": catalog.name,
        "dim": int(vecs.shape[1]),
        "last_build": {
            "kind": "full",
            "products": len(texts),
            "encode_seconds": round(enc_s, 2),
            "faiss_seconds": round(faiss_s, 3),
            "products_per_s": round(len(texts) / max(enc_s, 1e-9), 1),
            "gpu": gpu_count() > 0,
        },
    }
    slots: List[Optional[Tuple[str, str]]] = [(p.id, h) for p, h in zip(catalog.products, hashes, strict=False)]
    n = len(slots)
    state = IndexState(dense, vecs, slots, manifest, path, np.arange(n), np.arange(n))
    _save(state, catalog)
    if progress:
        lb = manifest["last_build"]
        print(
            f">> index built: {lb['products']} products in {lb['encode_seconds'] + lb['faiss_seconds']:.1f}s "
            f"({lb['products_per_s']:.0f} products/s) -> {path}",
            flush=True,
        )
    return state


def _sync(state: IndexState, catalog, texts, hashes, changed, removed, encoder, batch_size, progress) -> None:
    slot_of = {s[0]: i for i, s in enumerate(state.slots) if s is not None}
    stale = [slot_of[pid] for pid in removed + changed if pid in slot_of]
    state.dense.remove(stale)
    for i in stale:
        state.slots[i] = None
    row_of_id = {p.id: r for r, p in enumerate(catalog.products)}
    rows = [row_of_id[pid] for pid in changed]
    t0 = time.perf_counter()
    if rows:
        vecs = encoder.encode(
            [texts[r] for r in rows], batch_size=batch_size, progress=progress, desc="encoding changed products"
        )
        first = len(state.slots)
        new_slots = list(range(first, first + len(rows)))
        state.dense.add(vecs, new_slots)
        state.vectors = np.vstack([state.vectors, vecs]) if len(state.vectors) else vecs
        state.slots.extend((catalog.products[r].id, hashes[r]) for r in rows)
    state.manifest["last_build"] = {
        "kind": "incremental",
        "added_or_changed": len(rows),
        "removed": len(removed),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    if progress:
        print(f">> index synced: {len(rows)} added/changed, {len(removed)} removed", flush=True)
    align_rows(state, catalog)


def align_rows(state: IndexState, catalog: Catalog) -> None:
    """Recompute the slot <-> catalog row maps."""
    row_of_id = {p.id: r for r, p in enumerate(catalog.products)}
    row_of_slot = np.full(len(state.slots), -1, dtype=np.int64)
    slot_of_row = np.full(len(catalog.products), -1, dtype=np.int64)
    for slot, s in enumerate(state.slots):
        if s is not None and s[0] in row_of_id:
            r = row_of_id[s[0]]
            row_of_slot[slot] = r
            slot_of_row[r] = slot
    state.row_of_slot, state.slot_of_row = row_of_slot, slot_of_row


def _save(state: IndexState, catalog: Catalog) -> None:
    state.path.mkdir(parents=True, exist_ok=True)
    tmp = state.path / ".tmp"
    tmp.mkdir(exist_ok=True)
    state.manifest.update(
        tombstones=sorted(int(x) for x in state.dense.deleted),
        catalog_hash=catalog.content_hash,
        n_products=len(catalog),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    np.save(tmp / "vectors.npy", state.vectors)
    state.dense.save(str(tmp / "dense.faiss"))
    (tmp / "slots.json").write_text(json.dumps(state.slots))
    (tmp / "manifest.json").write_text(json.dumps(state.manifest, indent=2))
    for name in ("vectors.npy", "dense.faiss", "slots.json", "manifest.json"):  # manifest last
        os.replace(tmp / name, state.path / name)
    tmp.rmdir()


def _load(path: Path, use_gpu: Optional[bool]) -> IndexState:
    manifest = json.loads((path / "manifest.json").read_text())
    if manifest.get("format") != FORMAT_VERSION:
        raise ValueError(f"format {manifest.get('format')} != {FORMAT_VERSION}")
    slots = [tuple(s) if s is not None else None for s in json.loads((path / "slots.json").read_text())]
    vectors = np.load(path / "vectors.npy")
    dense = DenseIndex.load(str(path / "dense.faiss"), use_gpu=use_gpu)
    dense.deleted.update(manifest.get("tombstones", []))
    if len(vectors) != len(slots):
        raise ValueError("vectors and slots disagree")
    return IndexState(dense, vectors, slots, manifest, path, np.zeros(0, np.int64), np.zeros(0, np.int64))
