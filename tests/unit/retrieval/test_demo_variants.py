"""The demo catalog's models: each sold in several colours and sizes, one product per variant."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from retrieval import demo_catalog as dc
from retrieval import variants as v


@pytest.fixture(scope="module")
def products():
    return dc.generate()


@pytest.fixture(scope="module")
def models(products):
    out = defaultdict(list)
    for p in products:
        if p.group:
            out[p.group].append(p)
    return out


def test_apparel_and_footwear_come_in_models(products, models):
    shoes = [p for p in products if p.category[0] in ("Footwear", "Apparel")]
    assert all(p.group for p in shoes)
    sizes = [len(m) for m in models.values()]
    assert max(sizes) > 5 and sum(s > 1 for s in sizes) > 0.8 * len(sizes)


def test_food_is_its_own_model(products):
    food = [p for p in products if p.category[0] in ("Groceries", "Beverages")]
    assert food and not any(p.group for p in food)


def test_variants_of_a_model_share_all_but_their_axes(models):
    for group, family in models.items():
        assert re.fullmatch(r"M[0-9a-f]{9}", group)
        assert len({(p.brand, tuple(p.category), p.rating) for p in family}) == 1, group
        varying = set(v.axes(family))
        assert varying <= {"colour", "size", "burn_time", "weight_range"}, (group, varying)
        keys = {tuple(sorted((k, x) for k, x in p.attributes.items() if k not in varying)) for p in family}
        assert len(keys) == 1, group
        axes = [(p.attributes.get("colour"), p.attributes.get("size")) for p in family]
        assert len(set(axes)) == len(axes), group  # no variant twice


def test_different_models_have_different_groups(models):
    varying = defaultdict(set)  # product type -> the attributes its models vary in
    for family in models.values():
        varying[family[0].leaf_category].update(v.axes(family))
    groups_of = defaultdict(set)
    for group, family in models.items():
        first = family[0]
        shared = sorted((k, x) for k, x in first.attributes.items() if k not in varying[first.leaf_category])
        groups_of[(first.brand, first.leaf_category, tuple(shared))].add(group)
    assert all(len(groups) == 1 for groups in groups_of.values())
    assert len({p.name for f in models.values() for p in f}) == sum(len(f) for f in models.values())


def test_shoe_sizes_are_a_run_and_price_is_the_models(models):
    runners = [f for f in models.values() if f[0].leaf_category == "Running Shoes"]
    assert len(runners) >= 15
    for family in runners:
        assert len({p.price for p in family}) == 1  # a shoe costs the same in every size
        sizes = v.options(family, "size", in_stock_only=False)
        numbers = [int(re.search(r"\d+", s).group()) for s in sizes if "Kids" not in s]
        assert numbers == list(range(min(numbers, default=0), min(numbers, default=0) + len(numbers)))
        assert 1 <= len(v.options(family, "colour", in_stock_only=False)) <= 3


def test_bed_sizes_cost_more_as_they_grow(models):
    sheets = [f for f in models.values() if f[0].leaf_category == "Sheet Set"]
    assert sheets
    order = ["Twin", "Full", "Queen", "King"]
    for family in sheets:
        by_size = {}
        for p in family:
            by_size.setdefault(p.attributes["size"], p.price)
        prices = [by_size[s] for s in order if s in by_size]
        assert prices == sorted(prices)


def test_a_dependent_attribute_goes_with_its_size(models):
    candles = [f for f in models.values() if f[0].leaf_category == "Scented Candle"]
    assert candles
    hours = {"Small 200 g": "40 Hours", "Medium 400 g": "60 Hours", "Large 3-Wick 600 g": "80 Hours"}
    for family in candles:
        assert all(p.attributes["burn_time"] == hours[p.attributes["size"]] for p in family)


def test_groups_are_stable(products):
    again = dc.generate()
    assert [(p.id, p.group) for p in again] == [(p.id, p.group) for p in products]


def test_variants_setting_in_the_vocabulary(tmp_path):
    vocab = tmp_path / "v.yml"
    stores = tmp_path / "s.yml"
    stores.write_text("stores:\n  - id: downtown\n    name: Downtown\n    aisles: {Tees: 1}\n")
    text = """
variant_axes: [colour, size]
categories:
  - name: Apparel
    subcategories:
      - name: Tees
        brands: [Loomwell]
        types:
          - type: T-Shirts
            count: 2
            title: "{brand} {style} Tee - {colour}, {size}"
            price: [10, 20]
            attributes: {style: [Crew, V-Neck], colour: [red, blue, green], size: [S, M, L, XL]}
            description: ["A {style_lc} tee"]
"""
    vocab.write_text(text)
    tees = dc.generate(vocabulary_path=vocab, stores_path=stores)
    assert len({p.group for p in tees}) == 2 and len(tees) > 2
    vocab.write_text(text.replace("price: [10, 20]", "price: [10, 20]\n            variants: []"))
    plain = dc.generate(vocabulary_path=vocab, stores_path=stores)
    assert len(plain) == 2 and not any(p.group for p in plain)
    vocab.write_text(text.replace("price: [10, 20]", "price: [10, 20]\n            variants: [fit]"))
    with pytest.raises(dc.VocabularyError, match="variants"):
        dc.load_vocabulary(vocab)
    vocab.write_text(text.replace("size: [S, M, L, XL]", "size: {by: colour, default: [S, M]}"))
    with pytest.raises(dc.VocabularyError, match="depends on 'colour'"):
        dc.load_vocabulary(vocab)
