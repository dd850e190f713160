"""The search engine shows one hit per model: on a small catalog with a hashing encoder (the
collapsing logic does not depend on the model), and on the demo catalog with MiniLM."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from retrieval.api import UnknownProductError
from retrieval.catalog import Catalog, load_catalog
from retrieval.engine import SearchEngine, build_engine
from retrieval.filters import Filters
from retrieval.fusion import FusionConfig
from retrieval.index_store import open_index
from retrieval.schema import Product, StoreStock
from retrieval.variants import model_key


class HashEncoder:
    def encode(self, texts, batch_size=1, progress=False, desc=""):
        out = np.stack(
            [
                np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], dtype=np.uint8).astype(np.float32) - 128
                for t in texts
            ]
        )
        return out / np.linalg.norm(out, axis=1, keepdims=True)


class WordEncoder:
    """Bag of hashed words: texts that share words are close, as with a real encoder."""

    def encode(self, texts, batch_size=1, progress=False, desc=""):
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().replace("|", " ").replace(">", " ").replace(",", " ").split():
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % 64] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def _product(pid, name, group=None, colour="black", size="UK 8", price=50.0):
    return Product(
        id=pid,
        group=group,
        name=f"{name} - {colour.title()}, {size}",
        brand=name.split()[0],
        category=["Footwear", "Athletic Shoes", "Running Shoes"],
        price=price,
        attributes={"colour": colour, "size": size},
        stock={"downtown": StoreStock(store_id="downtown", quantity=3)},
    )


def _catalog():
    ps = [
        _product(f"A{i}", "Pacer Road Running Shoes", "A", colour=c, size=f"UK {s}")
        for i, (c, s) in enumerate((c, s) for c in ("red", "black", "white", "grey") for s in range(3, 13))
    ]
    ps += [
        _product("B1", "Stride Running Shoes", "B", colour="blue"),
        _product("B2", "Stride Running Shoes", "B", size="UK 9"),
    ]
    ps.append(_product("C1", "Solo Running Shoes", price=40.0))
    ps += [
        Product(id=f"K{i}", name=f"Steel Kettle {i}", category=["Kitchen", "Appliances", "Kettle"], price=100.0)
        for i in range(40)
    ]
    return Catalog("variants-test", ps)


@pytest.fixture
def small(tmp_path):
    cat = _catalog()
    enc = HashEncoder()
    index = open_index(cat, "hash-enc", lambda: enc, tmp_path, progress=False)
    return SearchEngine(cat, index, enc, fusion=FusionConfig(method="minmax", candidates=5))


def test_one_hit_per_model_even_when_one_model_crowds_the_candidates(small):
    hits = small.search("running shoes", k=3)
    assert sorted(model_key(h.product) for h in hits) == ["A", "B", "C1"]
    keys = [model_key(h.product) for h in small.search("running shoes", k=10)]
    assert len(keys) == 10 and len(set(keys)) == 10 and {"A", "B", "C1"} <= set(keys)


def test_candidates_widen_until_k_models_remain(tmp_path):
    # Each of the 40 Pacer Road variants outranks the other two models in both retrievers, and
    # the many kettles make the average model small: the first candidates hold one model only.
    cat = _catalog()
    for p in cat.products[:40]:
        p.attributes["style"] = "Road"
    kettles = [
        Product(id=f"L{i}", name=f"Copper Kettle {i}", category=["Kitchen", "Appliances", "Kettle"], price=100.0)
        for i in range(200)
    ]
    cat = Catalog("widen", cat.products + kettles)
    enc = WordEncoder()
    engine = SearchEngine(
        cat, open_index(cat, "word-enc", lambda: enc, tmp_path, progress=False), enc, fusion=FusionConfig(candidates=5)
    )
    assert engine._candidate_count(3, 5) < 20
    hits = engine.search("road running shoes", k=3)
    assert [model_key(h.product) for h in hits][0] == "A"
    assert sorted(model_key(h.product) for h in hits) == ["A", "B", "C1"]


def test_filters_choose_the_variant_that_stands_for_the_model(small):
    hits = small.search("running shoes", filters=Filters(colour="blue"), k=5)
    assert [h.product.id for h in hits] == ["B1"]
    hits = small.search("running shoes under 45", k=5)
    assert [h.product.id for h in hits] == ["C1"]


def test_exclude_ids_leaves_out_the_whole_model(small):
    hits = small.search("running shoes", exclude_ids=["A7"], k=10)
    shoes = [model_key(h.product) for h in hits if h.product.leaf_category == "Running Shoes"]
    assert sorted(shoes) == ["B", "C1"]


def test_variants_and_similar(small):
    assert [p.id for p in small.variants("B2")] == ["B1", "B2"]
    assert [p.id for p in small.variants("C1")] == ["C1"]
    with pytest.raises(UnknownProductError):
        small.variants("nope")
    sims = small.similar("A0", k=4)
    keys = [model_key(h.product) for h in sims]
    assert "A" not in keys and len(keys) == len(set(keys)) == 4


def test_a_catalog_without_variants_searches_as_before(tmp_path):
    cat = Catalog("plain", [p.copy(update={"group": None}) for p in _catalog().products])
    enc = HashEncoder()
    engine = SearchEngine(cat, open_index(cat, "hash-enc", lambda: enc, tmp_path, progress=False), enc)
    assert not cat.has_variants and engine._candidate_count(50, 200) == 200
    assert len(engine.search("running shoes", k=10)) == 10  # every shoe is its own model


# ------------------------------------------------------------------ the demo catalog, MiniLM


@pytest.fixture(scope="module")
def demo():
    return build_engine(load_catalog("demo"), progress=False)


def test_demo_running_shoes_are_models(demo):
    hits = demo.search("running shoes", k=10)
    keys = [model_key(h.product) for h in hits]
    assert len(keys) == 10 and len(set(keys)) == 10
    assert all(h.product.leaf_category == "Running Shoes" for h in hits)


def test_demo_blue_running_shoes_shows_models_through_their_blue_variant(demo):
    hits = demo.search("blue running shoes", k=10)
    assert hits and all(h.product.attributes.get("colour") == "blue" for h in hits)
    assert len({model_key(h.product) for h in hits}) == len(hits)
    other_colours = [{p.attributes.get("colour") for p in demo.variants(h.product.id)} - {"blue"} for h in hits]
    assert any(other_colours)  # some model is sold in other colours too, and shows as blue


def test_demo_show_more_never_repeats_a_model(demo):
    first = demo.search("t-shirt", k=5)
    more = demo.search("t-shirt", exclude_ids=[h.product.id for h in first], k=5)
    assert more and not {model_key(h.product) for h in first} & {model_key(h.product) for h in more}


def test_demo_deep_search_and_similar_are_by_model(demo):
    hits = demo.search("shoes", k=50)
    assert len(hits) == 50 and len({model_key(h.product) for h in hits}) == 50
    base = hits[0].product
    sims = demo.similar(base.id, k=5)
    keys = [model_key(h.product) for h in sims]
    assert len(sims) == 5 and model_key(base) not in keys and len(set(keys)) == 5
    family = demo.variants(base.id)
    assert base in family and all(model_key(p) == model_key(base) for p in family)
