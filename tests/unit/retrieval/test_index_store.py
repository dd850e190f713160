"""Manifest logic: reuse, incremental sync, full rebuild. The encoder here is a
deterministic hashing stand-in: this logic does not depend on the model."""
import hashlib
import json

import numpy as np

from retrieval.catalog import Catalog
from retrieval.index_store import open_index
from retrieval.schema import Product


class HashEncoder:
    dim = 16

    def __init__(self):
        self.encoded = 0

    def encode(self, texts, batch_size=1, progress=False, desc=""):
        self.encoded += len(texts)
        out = np.stack([np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], dtype=np.uint8).astype(np.float32) for t in texts])
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _catalog(n, rename=()):
    ps = [Product(id=f"p{i}", name=("New " if i in rename else "") + f"Item {i}", price=i) for i in range(n)]
    return Catalog("t", ps)


def _open(cat, enc, tmp_path, **kw):
    return open_index(cat, "hash-enc", lambda: enc, tmp_path, progress=False, **kw)


def test_second_open_reuses_the_index(tmp_path):
    enc = HashEncoder()
    s1 = _open(_catalog(50), enc, tmp_path)
    assert enc.encoded == 50 and s1.manifest["last_build"]["kind"] == "full"
    m = json.loads((s1.path / "manifest.json").read_text())
    assert {"encoder", "factory", "catalog_hash", "built_at", "fields"} <= set(m)
    s2 = _open(_catalog(50), enc, tmp_path)
    assert enc.encoded == 50  # nothing re-encoded
    assert s2.path == s1.path


def test_changed_products_are_synced_incrementally(tmp_path):
    enc = HashEncoder()
    _open(_catalog(50), enc, tmp_path)
    cat = _catalog(53, rename={3})  # 3 new products, 1 renamed
    cat.products = [p for p in cat.products if p.id != "p7"]  # 1 removed
    cat.__post_init__()
    s = _open(cat, enc, tmp_path)
    assert enc.encoded == 50 + 4
    assert s.manifest["last_build"] == {"kind": "incremental", "added_or_changed": 4, "removed": 1, "seconds": s.manifest["last_build"]["seconds"]}
    # every catalog row maps to a live slot whose vector is its own text's
    for row, p in enumerate(cat.products):
        slot = s.slot_of_row[row]
        assert s.slots[slot][0] == p.id
    _, slots = s.dense.search(s.vectors[s.slot_of_row[3]], 1)
    assert s.row_of_slot[slots[0]] == 3
    # and it persisted: a third open encodes nothing
    _open(cat, enc, tmp_path)
    assert enc.encoded == 54


def test_mostly_new_catalog_or_new_factory_rebuilds(tmp_path):
    enc = HashEncoder()
    _open(_catalog(20), enc, tmp_path)
    _open(Catalog("t", [Product(id=f"q{i}", name=f"Other {i}") for i in range(20)]), enc, tmp_path)
    assert enc.encoded == 40
    s = _open(_catalog(20), enc, tmp_path, factory="HNSW8")
    assert enc.encoded == 60 and s.manifest["factory"] == "HNSW8"


def test_corrupt_cache_is_rebuilt(tmp_path):
    enc = HashEncoder()
    s = _open(_catalog(10), enc, tmp_path)
    (s.path / "vectors.npy").write_bytes(b"garbage")
    _open(_catalog(10), enc, tmp_path)
    assert enc.encoded == 20
