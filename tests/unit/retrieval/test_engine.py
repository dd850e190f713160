"""The search engine on the demo catalog with the real MiniLM encoder and FAISS."""
import pytest

from retrieval.api import UnknownProductError
from retrieval.catalog import load_catalog
from retrieval.engine import build_engine
from retrieval.filters import Filters
from retrieval.schema import Product


@pytest.fixture(scope="module")
def engine():
    return build_engine(load_catalog("demo"), progress=False)


def test_specific_request_applies_every_constraint(engine):
    res = engine.search_detailed("red running shoes under 120", k=10)
    assert res.hits and not res.relaxed
    for h in res.hits:
        assert h.product.price <= 120
        assert h.product.attributes.get("colour") == "red"
    assert res.hits[0].product.category[0] == "Footwear"
    assert any("red" in w for w in res.hits[0].why)


def test_brand_exclusion_and_exclude_ids(engine):
    first = engine.search("shampoo", k=5)
    brand = first[0].product.brand
    hits = engine.search(f"shampoo not {brand}", k=10)
    assert hits and all(h.product.brand != brand for h in hits)
    again = engine.search("shampoo", exclude_ids=[h.product.id for h in first], k=5)
    assert not {h.product.id for h in again} & {h.product.id for h in first}


def test_store_stock_filter(engine):
    res = engine.search_detailed("coffee", filters=Filters(in_stock_at="riverside"), k=10)
    assert res.hits and all(h.product.in_stock_at("riverside") for h in res.hits)
    assert any("Aisle" in w for w in res.hits[0].why)


def test_impossible_constraint_is_relaxed_and_said(engine):
    res = engine.search_detailed("milk under 0.01 dollars", k=5)
    assert res.relaxed == ["price"] and res.hits
    assert res.filters.max_price is None


def test_nonsense_query_relaxes_nothing_it_does_not_have(engine):
    res = engine.search_detailed("qwzxv", k=5)
    assert res.relaxed == []


def test_get_and_similar(engine):
    p = engine.search("dog food", k=1)[0].product
    assert engine.get(p.id) == p
    sims = engine.similar(p.id, k=5)
    assert len(sims) == 5 and p.id not in {h.product.id for h in sims}
    assert sum(h.product.category[0] == p.category[0] for h in sims) >= 4
    with pytest.raises(UnknownProductError, match="nope"):
        engine.get("nope")
    with pytest.raises(UnknownProductError):
        engine.similar("nope")


@pytest.mark.parametrize("text", ["", "🛒🧴🧻", "\x00\x1b[2J", "tea " * 3000, "DROP TABLE products;--"])
def test_odd_messages_do_not_crash(engine, text):
    assert isinstance(engine.search(text, k=3), list)


def test_incremental_upsert_and_remove(engine):
    new = Product(id="X1", name="Zorblax Quantum Toaster", brand="Zorblax", category=["Kitchen", "Appliances"], price=49.0, currency="USD")
    n = engine.index.dense.ntotal
    engine.upsert([new])
    assert engine.search("zorblax quantum toaster", k=1)[0].product.id == "X1"
    assert engine.index.dense.ntotal == n + 1
    engine.remove(["X1"])
    assert all(h.product.id != "X1" for h in engine.search("zorblax quantum toaster", k=5))
    with pytest.raises(UnknownProductError):
        engine.remove(["X1"])


def test_repeated_query_text_is_encoded_once(engine, monkeypatch):
    calls = []
    real = engine.encoder.encode
    monkeypatch.setattr(engine.encoder, "encode", lambda texts, **kw: calls.append(list(texts)) or real(texts, **kw))
    a = engine.search("lavender hand soap", k=3)
    b = engine.search("lavender hand soap", exclude_ids=[a[0].product.id], k=3)
    assert calls == [["lavender hand soap"]]
    assert a[0].product.id not in {h.product.id for h in b}


def test_a_profile_nudges_the_ranking_and_none_leaves_it_as_it_was(engine):
    plain = [h.product for h in engine.search("body wash", k=8)]
    assert [h.product for h in engine.search("body wash", k=8, profile=None)] == plain
    brand = plain[-1].brand  # a brand that ranks low for the request alone
    liked = [h.product for h in engine.search("body wash", k=8, profile={"brands": [brand], "preference_weight": 2})]
    assert liked[0].brand == brand and all("body wash" in (p.leaf_category or "").lower() for p in liked[:3])
    avoided = [h.product for h in engine.search("body wash", k=8, profile={"avoid_brands": [plain[0].brand]})]
    assert plain[0].brand not in {p.brand for p in avoided[:3]}


def test_products_the_shopper_already_looked_at_make_room_for_new_ones(engine):
    from retrieval.variants import model_key

    plain = [h.product for h in engine.search("running shoes", k=10)]
    known = [model_key(p) for p in plain[:2]]
    fresh = [h.product for h in engine.search("running shoes", k=40, profile={"known": known, "preference_weight": 1})]
    assert {model_key(p) for p in fresh[:3]}.isdisjoint(known)
    assert set(known) <= {model_key(p) for p in fresh}  # moved down, not hidden
