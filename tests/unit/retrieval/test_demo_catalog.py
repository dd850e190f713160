"""The generated demo catalog: size, coherence, determinism and the on-disk cache."""
from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict

import pytest

from retrieval import demo_catalog as dc
from retrieval.schema import Product

FOOD_TOPS = {"Groceries", "Beverages"}
NO_COLOUR_TOPS = {"Groceries", "Beverages", "Household", "Health & Wellness"}


@pytest.fixture(scope="module")
def products():
    return dc.generate()


@pytest.fixture(scope="module")
def vocab():
    return dc.load_vocabulary()


@pytest.fixture(scope="module")
def stores():
    return dc.load_stores()


def _type_ranges(vocab):
    ranges = {}
    for cat in vocab["categories"]:
        for sub in cat["subcategories"]:
            for typ in sub["types"]:
                ranges[(cat["name"], sub["name"], typ["type"])] = tuple(typ["price"])
    return ranges


# ------------------------------------------------------------------ size and shape


def test_size_and_breadth(products):
    tops = Counter(p.category[0] for p in products)
    subs = defaultdict(set)
    for p in products:
        subs[p.category[0]].add(p.category[1])
    assert len(products) >= 2000
    assert len(tops) >= 12
    assert all(3 <= len(s) <= 6 for s in subs.values()), subs
    assert min(tops.values()) >= 50  # no token categories


def test_every_product_is_complete(products):
    for p in products:
        assert isinstance(p, Product)
        assert p.name and p.brand and p.description, p.id
        assert len(p.category) == 3, p.id
        assert p.currency == "USD"
        assert p.price is not None and p.price > 0, p.id
        assert p.list_price is not None and p.list_price >= p.price, p.id
        assert p.rating is not None and 0 <= p.rating <= 5, p.id
        assert p.attributes, p.id
        assert all(k == k.lower() and v for k, v in p.attributes.items()), p.id


def test_some_products_are_discounted(products):
    share = sum(p.list_price > p.price for p in products) / len(products)
    assert 0.05 < share < 0.5


def test_ids_unique_and_stable(products):
    ids = [p.id for p in products]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"D\d{5}", i) for i in ids)
    assert ids[:3] == ["D00001", "D00002", "D00003"]


def test_names_unique(products):
    names = [p.name for p in products]
    assert len(set(names)) / len(names) >= 0.99


# ------------------------------------------------------------------ coherence


def test_each_brand_sells_in_one_top_category(products):
    homes = defaultdict(set)
    for p in products:
        homes[p.brand].add(p.category[0])
    assert {b: t for b, t in homes.items() if len(t) > 1} == {}


def test_prices_fit_the_type(products, vocab):
    ranges = _type_ranges(vocab)
    for p in products:
        lo, hi = ranges[tuple(p.category)]
        assert lo <= p.price <= hi, (p.id, p.name, p.price, (lo, hi))


def test_cheap_and_dear_types_are_priced_apart(products):
    by_type = defaultdict(list)
    for p in products:
        by_type[p.leaf_category].append(p.price)
    assert max(by_type["Milk"]) < 10
    assert all(5 <= x <= 30 for x in by_type["Charging Cable"])
    assert all(15 <= x <= 65 for x in by_type["Throw Blanket"])
    assert min(by_type["Cookware Set"]) > max(by_type["Milk"])


def test_colour_only_where_it_makes_sense(products):
    coloured = Counter(p.category[0] for p in products if "colour" in p.attributes)
    assert not NO_COLOUR_TOPS & set(coloured), coloured
    for top in ("Apparel", "Footwear", "Kitchen", "Electronics Accessories"):
        assert coloured[top] > 0, top
    for p in products:
        colour = p.attributes.get("colour")
        if colour:
            assert colour == colour.lower(), p.id
            assert colour in p.name.lower() or colour in p.description.lower(), p.id


def test_food_has_flavour_or_variety(products):
    food = [p for p in products if p.category[0] in FOOD_TOPS]
    assert sum("flavour" in p.attributes for p in food) >= 100
    assert all(p.attributes for p in food)


def test_footwear_and_apparel_have_sizes(products):
    shoes = [p for p in products if p.category[0] == "Footwear"]
    clothes = [p for p in products if p.category[0] == "Apparel"]
    assert all("size" in p.attributes and "colour" in p.attributes for p in shoes)
    assert sum("size" in p.attributes for p in clothes) / len(clothes) > 0.9
    assert all(p.attributes["size"] in p.name for p in shoes)


def test_names_read_like_a_store(products):
    by_name = {p.name: p for p in products}
    pattern = re.compile(r"^[A-Z][\w&.' ]+ (Men's|Women's|Kids') .+ Running Shoes - [A-Z][a-z]+, UK \d+( Kids)?$")
    runners = [n for n, p in by_name.items() if p.leaf_category == "Running Shoes"]
    assert runners and all(pattern.match(n) for n in runners), runners[:3]
    assert any(re.fullmatch(r".+ Milk \d L", n) for n in by_name)


def test_descriptions_are_one_or_two_sentences(products):
    for p in products:
        d = p.description
        assert not d[0].islower() and d.endswith("."), (p.id, d)
        assert "{" not in d and "[" not in d and "  " not in d, (p.id, d)
        assert 1 <= len(re.findall(r"[.!?](?:\s|$)", d)) <= 2, (p.id, d)


# ------------------------------------------------------------------ stores and stock


def test_stock_and_aisle_in_every_store(products, stores):
    ids = {s["id"] for s in stores}
    assert len(ids) == 3
    for p in products:
        assert len(p.stock) >= 2 and set(p.stock) <= ids, p.id
        for sid, st in p.stock.items():
            assert st.store_id == sid and st.quantity >= 0 and st.aisle, p.id
    quantities = [st.quantity for p in products for st in p.stock.values()]
    assert 0 in quantities and len(set(quantities)) > 20
    assert any(p.in_stock_anywhere and not all(s.quantity for s in p.stock.values()) for p in products)


def test_aisle_is_consistent_per_store_and_subcategory(products, stores):
    seen = defaultdict(set)
    for p in products:
        for sid, st in p.stock.items():
            seen[(sid, p.category[1])].add(st.aisle)
    assert all(len(a) == 1 for a in seen.values())
    layout = {s["id"]: s["aisles"] for s in stores}
    for (sid, sub), aisles in seen.items():
        assert aisles == {layout[sid][sub]}
        assert re.fullmatch(rf"Aisle \d+ - {re.escape(sub)}", layout[sid][sub])
    subs = {sub for _, sub in seen}
    differing = [sub for sub in subs if len({seen[(s["id"], sub)].pop() for s in stores}) > 1]
    assert len(differing) > len(subs) / 2  # the stores have different layouts


def test_load_stores_shape(stores):
    for s in stores:
        assert {"id", "name", "address", "aisles", "aisle_numbers"} <= set(s)
        assert s["name"] and s["address"]
        assert set(s["aisles"]) == set(s["aisle_numbers"])


# ------------------------------------------------------------------ determinism and files


def test_generation_is_deterministic(products):
    again = dc.generate()
    assert [p.dict() for p in again] == [p.dict() for p in products]


def test_cli_writes_jsonl_that_round_trips(tmp_path, products, capsys):
    out = tmp_path / "cat.jsonl"
    assert dc.main(["--out", str(out)]) == 0
    assert re.search(r"\d+ products, \d+ categories .*3 stores", capsys.readouterr().out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(products)
    assert Product.parse_raw(lines[0]) == products[0]
    assert json.loads(lines[-1]) == json.loads(json.dumps(products[-1].dict()))
    assert dc.is_fresh(out)  # the CLI and ensure_demo_catalog agree on the sidecar
    stamp = out.stat().st_mtime_ns - 10**9
    os.utime(out, ns=(stamp, stamp))
    assert dc.ensure_demo_catalog(out) == out and out.stat().st_mtime_ns == stamp
    assert dc.main(["--out", str(out), "--if-stale"]) == 0
    assert "up to date" in capsys.readouterr().out and out.stat().st_mtime_ns == stamp


def test_ensure_demo_catalog_is_idempotent(tmp_path):
    # The small vocabulary keeps this fast; the logic is the same for the real one.
    vocab, stores = _tiny_files(tmp_path)
    kw = dict(vocabulary_path=vocab, stores_path=stores)
    path = tmp_path / "generated" / "demo.jsonl"
    assert dc.ensure_demo_catalog(path, **kw) == path
    first = path.stat().st_mtime_ns
    os.utime(path, ns=(first - 10**9, first - 10**9))  # make any rewrite visible
    before = path.stat().st_mtime_ns
    text = path.read_text()
    assert dc.ensure_demo_catalog(path, **kw) == path
    assert path.stat().st_mtime_ns == before

    path.unlink()
    assert dc.ensure_demo_catalog(path, **kw) == path
    assert path.read_text() == text and dc.is_fresh(path, **kw)


def test_ensure_demo_catalog_rebuilds_when_stale(tmp_path):
    vocab, stores = _tiny_files(tmp_path)
    path = tmp_path / "demo.jsonl"
    kw = dict(vocabulary_path=vocab, stores_path=stores)
    dc.ensure_demo_catalog(path, **kw)
    old = path.stat().st_mtime_ns - 10**9
    os.utime(path, ns=(old, old))

    dc.sidecar_path(path).write_text("stale\n")  # a catalog from another vocabulary
    assert not dc.is_fresh(path, **kw)
    dc.ensure_demo_catalog(path, **kw)
    assert dc.is_fresh(path, **kw) and path.stat().st_mtime_ns != old

    vocab.write_text(vocab.read_text().replace("Chicken, Beef", "Chicken, Beef, Lamb"))
    assert not dc.is_fresh(path, **kw)  # the vocabulary changed
    dc.ensure_demo_catalog(path, **kw)
    assert "Barkwell Lamb Dry Dog Food" in path.read_text()
    assert dc.is_fresh(path, **kw)


def test_fingerprint_tracks_seed_and_inputs(tmp_path):
    assert dc.fingerprint(seed=1) != dc.fingerprint(seed=2)
    vocab = tmp_path / "vocabulary.yml"
    vocab.write_text(dc.VOCABULARY_PATH.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert dc.fingerprint(vocabulary_path=vocab) != dc.fingerprint()


# ------------------------------------------------------------------ clear errors


TINY_VOCAB = """
categories:
  - name: Pet
    subcategories:
      - name: Dog Food
        brands: [Barkwell]
        types:
          - type: Dry Dog Food
            title: "{brand} {flavour} Dry Dog Food"
            price: [10, 20]
            attributes: {flavour: [Chicken, Beef]}
            description: ["{flavour} kibble"]
  - name: Electronics Accessories
    subcategories:
      - name: Cables
        brands: [Barkwell]
        types:
          - type: Charging Cable
            title: "{brand} {length} Cable"
            price: [8, 25]
            attributes: {length: [1 m, 2 m]}
            description: ["A {length} cable"]
"""

TINY_STORES = """
stores:
  - id: downtown
    name: Downtown
    aisles: {Dog Food: 1, Cables: 2}
  - id: riverside
    name: Riverside
    aisles: {Dog Food: 4}
"""


def test_brand_in_two_top_categories_is_rejected(tmp_path):
    vocab = tmp_path / "v.yml"
    vocab.write_text(TINY_VOCAB)
    with pytest.raises(dc.VocabularyError, match="Barkwell"):
        dc.load_vocabulary(vocab)


def _tiny_files(tmp_path, stores_text=TINY_STORES.replace("{Dog Food: 4}", "{Dog Food: 4, Cables: 1}")):
    vocab, stores = tmp_path / "v.yml", tmp_path / "s.yml"
    second = "brands: [Barkwell]\n        types:\n          - type: Charging"
    vocab.write_text(TINY_VOCAB.replace(second, second.replace("Barkwell", "Ampwire")))
    stores.write_text(stores_text)
    return vocab, stores


def test_tiny_vocabulary_generates(tmp_path):
    vocab, stores = _tiny_files(tmp_path)
    tiny = dc.generate(vocabulary_path=vocab, stores_path=stores)
    assert len(tiny) == 4 and {p.brand for p in tiny} == {"Barkwell", "Ampwire"}
    assert {p.stock["riverside"].aisle for p in tiny} == {"Aisle 4 - Dog Food", "Aisle 1 - Cables"}


def test_store_without_an_aisle_is_rejected(tmp_path):
    vocab, stores = _tiny_files(tmp_path, stores_text=TINY_STORES)
    with pytest.raises(dc.VocabularyError, match="riverside.*Cables"):
        dc.generate(vocabulary_path=vocab, stores_path=stores)


def test_unknown_placeholder_is_rejected(tmp_path):
    vocab = tmp_path / "v.yml"
    vocab.write_text(TINY_VOCAB.replace('"{flavour} kibble"', '"{flavor} kibble"'))
    with pytest.raises(dc.VocabularyError, match=r"\{flavor\}"):
        dc.load_vocabulary(vocab)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(dc.VocabularyError, match="not found"):
        dc.load_stores(tmp_path / "nope.yml")
