"""Variants of one model: the plain functions, the catalog's model map, the in-memory retriever,
mappings with a group, and grading by model."""

from __future__ import annotations

import pytest

from retrieval import variants as v
from retrieval.api import Hit, UnknownProductError
from retrieval.catalog import Catalog, load_catalog
from retrieval.evaluate import by_model
from retrieval.filters import Filters
from retrieval.ingest import CatalogMapping, load_mapping, read_catalog
from retrieval.memory import InMemoryRetriever
from retrieval.metrics import ndcg_at_k
from retrieval.schema import Product, StoreStock


def shoe(pid, size, colour, group="RUN1", qty=5, store="downtown", name="Pacer Road Running Shoes", **kw):
    return Product(
        id=pid,
        group=group,
        name=f"{name} - {colour.title()}, {size}",
        brand="Pacer",
        category=["Footwear", "Athletic Shoes", "Running Shoes"],
        price=kw.pop("price", 80.0),
        attributes={"size": size, "colour": colour},
        stock={store: StoreStock(store_id=store, quantity=qty, aisle="Aisle 3")},
        **kw,
    )


@pytest.fixture
def model():
    return [
        shoe("S1", "UK 10", "blue"),
        shoe("S2", "UK 4", "blue"),
        shoe("S3", "UK 7", "burgundy", qty=0),
        shoe("S4", "UK 7", "blue", store="riverside"),
        shoe("S5", "UK 7 Kids", "sky blue"),
    ]


# ------------------------------------------------------------------ plain functions


def test_model_key_is_the_group_or_the_id():
    assert v.model_key(shoe("S1", "UK 4", "blue", group="G")) == "G"
    assert v.model_key(shoe("S1", "UK 4", "blue", group=None)) == "S1"
    assert v.model_key(shoe("S1", "UK 4", "blue", group="  ")) == "S1"  # blank group: its own model


def test_collapse_keeps_the_first_of_each_model_in_order():
    a1, b1, a2, c1, b2 = (
        shoe("A1", "UK 4", "blue", group="A"),
        shoe("B1", "UK 4", "red", group="B"),
        shoe("A2", "UK 5", "blue", group="A"),
        shoe("C1", "UK 6", "tan", group=None),
        shoe("B2", "UK 5", "red", group="B"),
    )
    assert [p.id for p in v.collapse([a1, b1, a2, c1, b2])] == ["A1", "B1", "C1"]
    assert [p.id for p in v.collapse([b2, a2, a1])] == ["B2", "A2"]
    hits = [Hit(p, 1.0) for p in (a2, a1, c1)]
    assert [h.product.id for h in v.collapse(hits)] == ["A2", "C1"]
    rows = [(1, "x"), (0, "y"), (2, "z")]
    assert v.collapse(rows, lambda r: [a1, a2, b1][r[0]]) == [(1, "x"), (2, "z")]
    assert v.collapse([]) == []


def test_options_in_stock_sorted_like_sizes(model):
    assert v.options(model, "size") == ["UK 7 Kids", "UK 4", "UK 7", "UK 10"]  # kids' sizes first
    assert v.options(model, "colour") == ["blue", "sky blue"]  # burgundy is sold out
    assert v.options(model, "colour", in_stock_only=False) == ["blue", "burgundy", "sky blue"]
    assert v.options(model, "size", store_id="riverside") == ["UK 7"]
    assert v.options(model, "size", store_id="eastgate") == []
    assert v.options(model, "material") == []


def test_size_order_is_sensible():
    assert sorted(["XL", "S", "XXL", "M", "XS", "L"], key=v.size_order) == ["XS", "S", "M", "L", "XL", "XXL"]
    assert sorted(["King", "Twin", "Queen", "Full"], key=v.size_order) == ["Twin", "Full", "Queen", "King"]
    assert sorted(["UK 12", "UK 6", "UK 11", "UK 9"], key=v.size_order) == ["UK 6", "UK 9", "UK 11", "UK 12"]
    assert sorted(["12-18 Months", "Newborn", "3-6 Months", "0-3 Months"], key=v.size_order) == [
        "Newborn",
        "0-3 Months",
        "3-6 Months",
        "12-18 Months",
    ]
    assert sorted(["UK 1", "UK 13 Kids", "UK 10 Kids"], key=v.size_order) == ["UK 10 Kids", "UK 13 Kids", "UK 1"]


@pytest.mark.parametrize("asked", ["UK 7", "uk 7", "7", "UK7", " uk7 ", "Uk-7"])
def test_pick_size_spellings(model, asked):
    assert v.pick(model, size=asked).id == "S4"  # the in-stock UK 7, not the sold-out burgundy one


def test_pick_size_and_colour(model):
    assert v.pick(model, size="7", colour="Burgundy").id == "S3"  # sold out, but the one asked for
    assert v.pick(model, size="uk 4", colour="BLUE").id == "S2"
    assert v.pick(model, colour="sky blue").id == "S5"
    assert v.pick(model, colour="blue").id == "S1"  # exact colour before "sky blue"
    assert v.pick(model, size="4", colour="burgundy") is None
    assert v.pick(model, size="8") is None
    assert v.pick(model, size="US 7") is None  # another size system is not UK 7
    assert v.pick(model, size="7 kids").id == "S5"
    assert v.pick([], size="7") is None


def test_pick_number_never_matches_a_kids_size():
    kids = [shoe("K1", "UK 7 Kids", "red")]
    assert v.pick(kids, size="7") is None


def test_pick_words_for_sizes():
    tees = [shoe("T1", "S", "red"), shoe("T2", "M", "red"), shoe("T3", "XL", "red")]
    assert v.pick(tees, size="medium").id == "T2"
    assert v.pick(tees, size="m").id == "T2"
    assert v.pick(tees, size="extra large").id == "T3"
    candles = [shoe("C1", "Small 200 g", "white"), shoe("C2", "Large 3-Wick 600 g", "white")]
    assert v.pick(candles, size="large").id == "C2"


def test_axes_are_the_attributes_that_vary(model):
    assert v.axes(model) == ["size", "colour"]
    assert v.axes([p for p in model if p.attributes["colour"] == "blue"]) == ["size"]
    assert v.axes(model[:1]) == []
    assert v.axes([]) == []


# ------------------------------------------------------------------ catalog and in-memory retriever


def _shop():
    models = [
        shoe("A1", "UK 4", "blue", group="A", price=90.0),
        shoe("A2", "UK 5", "blue", group="A", price=90.0),
        shoe("A3", "UK 5", "red", group="A", price=90.0),
        shoe("B1", "UK 6", "red", group="B", name="Stride Trail Running Shoes", price=70.0),
        shoe("B2", "UK 7", "red", group="B", name="Stride Trail Running Shoes", price=70.0),
        shoe("C1", "UK 8", "black", group=None, name="Solo Running Shoes", price=60.0),
    ]
    kettle = Product(id="K1", name="Steel Kettle", category=["Kitchen", "Appliances", "Kettle"], price=30.0)
    return models + [kettle]


def test_catalog_models_and_variants():
    cat = Catalog("t", _shop())
    assert cat.has_variants
    assert cat.models["A"] == [0, 1, 2] and cat.models["C1"] == [5]
    assert [p.id for p in cat.variants("A2")] == ["A1", "A2", "A3"]
    assert [p.id for p in cat.variants("C1")] == ["C1"]
    with pytest.raises(UnknownProductError):
        cat.variants("nope")
    cat.add(shoe("A4", "UK 6", "red", group="A"))  # the map follows additions
    assert [p.id for p in cat.variants("A1")] == ["A1", "A2", "A3", "A4"]
    assert not Catalog("t", [shoe("X", "UK 4", "blue", group="solo")]).has_variants


def test_memory_search_shows_each_model_once():
    r = InMemoryRetriever(_shop())
    ids = [h.product.id for h in r.search("running shoes", k=10)]
    assert len(ids) == 3 and {r.get(i).group or i for i in ids} == {"A", "B", "C1"}


def test_memory_search_filters_apply_to_variants():
    r = InMemoryRetriever(_shop())
    red = r.search("running shoes", filters=Filters(colour="red"), k=10)
    assert sorted(h.product.id for h in red) == ["A3", "B1"]  # model A through its red variant
    cheap = r.search("running shoes under 80", k=10)
    assert {h.product.group or h.product.id for h in cheap} == {"B", "C1"}


def test_memory_exclude_ids_leaves_out_the_whole_model():
    r = InMemoryRetriever(_shop())
    ids = [h.product.id for h in r.search("running shoes", exclude_ids=["A2"], k=10)]
    assert ids and not {"A1", "A2", "A3"} & set(ids)


def test_memory_variants_and_similar():
    r = InMemoryRetriever(_shop())
    assert [p.id for p in r.variants("B2")] == ["B1", "B2"]
    with pytest.raises(UnknownProductError):
        r.variants("nope")
    sims = [h.product.id for h in r.similar("A1", k=5)]
    assert sims == ["B1", "C1"]  # other models only, once each


# ------------------------------------------------------------------ mappings


def test_mapping_group_field_and_variant_axes(tmp_path):
    csv = tmp_path / "shop.csv"
    csv.write_text("sku,title,style,size,colour\n1,Tee - Red S,ST-9,S,Red\n2,Tee - Red M,ST-9,M,Red\n3,Mug,,,White\n")
    mapping = CatalogMapping.parse_obj(
        {
            "name": "shop",
            "path": str(csv),
            "fields": {"id": "sku", "name": "title", "group": {"column": "style", "regex": r"ST-(\d+)"}},
            "attributes": {"size": "size", "colour": "colour"},
            "variant_axes": ["size", "colour"],
        }
    )
    load = read_catalog(csv, mapping)
    assert not load.errors
    assert [p.group for p in load.products] == ["9", "9", None]
    cat = Catalog("shop", load.products, variant_axes=tuple(mapping.variant_axes))
    assert [p.id for p in cat.variants("1")] == ["1", "2"]
    with pytest.raises(ValueError, match="variant_axes"):
        CatalogMapping.parse_obj({**mapping.dict(), "variant_axes": ["fit"]})


def test_shipped_mappings():
    assert load_mapping("demo").variant_axes == ["colour", "size"]
    for name in ("bigbasket", "instacart", "myntra_fashion"):
        m = load_mapping(name)
        assert "group" not in m.fields and m.variant_axes == []


# ------------------------------------------------------------------ grading by model


def test_grading_counts_a_model_relevant_through_any_variant():
    model_of = {"A1": "A", "A2": "A", "A3": "A", "B1": "B"}.get
    ranked, rel = by_model(["A2", "A1", "C1", "B1"], {"A3": 2, "A1": 1, "C1": 1}, lambda i: model_of(i, i))
    assert ranked == ["A", "C1", "B"]
    assert rel == {"A": 2, "C1": 1}
    assert ndcg_at_k(ranked, rel, 10) == pytest.approx(1.0)


def test_grading_without_variants_is_by_product():
    rel = {"1": 2, "2": 1}
    assert by_model(["3", "2", "1"], rel, lambda i: i) == (["3", "2", "1"], rel)


# ------------------------------------------------------------------ the demo catalog


def test_demo_catalog_loads_with_groups():
    cat = load_catalog("demo")
    assert cat.variant_axes == ("colour", "size") and cat.has_variants
    runner = next(p for p in cat.products if p.leaf_category == "Running Shoes")
    family = cat.variants(runner.id)
    assert len(family) > 1 and {p.group for p in family} == {runner.group}
