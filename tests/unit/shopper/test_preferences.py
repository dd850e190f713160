"""Preferences read from what shoppers say about themselves, and which products break them."""
from __future__ import annotations

import pytest

from retrieval.schema import Product
from shopper.preferences import extract, is_food, violates

BRANDS = {"greenleaf naturals": "greenleaf naturals", "greenleaf": "greenleaf naturals", "copperline": "copperline"}
STORES = {"riverside": "riverside", "downtown": "downtown"}


def brand_of(phrase):
    return BRANDS.get(phrase.lower())


def prefs(text):
    return [(p.kind, p.value, p.scope) for p in extract(text, brand_of, lambda s: STORES.get(s.lower().strip()))]


@pytest.mark.parametrize("text,expected", [
    ("I only buy vegan food, and I love Greenleaf Naturals", [("diet", "vegan", ""), ("brand_like", "greenleaf naturals", "")]),
    ("I'm allergic to nuts and sesame", [("allergen", "nuts", ""), ("allergen", "sesame", "")]),
    ("I never buy Copperline", [("brand_avoid", "copperline", "")]),
    ("I'm a UK 8 in shoes", [("size", "UK 8", "shoes")]),
    ("I wear a size M", [("size", "M", "clothing")]),
    ("I usually spend under $60", [("budget", "60", "")]),
    ("something for my 2-year-old", [("shops_for", "a 2-year-old", "")]),
    ("my local store is Riverside", [("store", "riverside", "")]),
    ("I am lactose intolerant", [("diet", "dairy-free", "")]),
    ("gluten-free for me please", [("allergen", "gluten", "")]),
])
def test_statements_about_the_shopper_become_preferences(text, expected):
    assert prefs(text) == expected


@pytest.mark.parametrize("text", [
    "show me vegan snacks", "is it vegan?", "I'm not vegan anymore", "do you have Copperline kettles?",
    "a UK 8 please", "I love it", "where is my order 40001?",
])
def test_requests_and_questions_are_not_remembered(text):
    assert prefs(text) == []


def food(pid, name, desc="", **attrs):
    return Product(id=pid, name=name, brand="Acme", category=["Groceries", "Snacks"], description=desc,
                   attributes=attrs)


def test_diets_and_allergens_apply_to_food_only_and_need_the_product_to_say_so():
    [vegan] = extract("I'm vegan")
    [nuts] = extract("I'm allergic to nuts")
    bar = food("1", "Oat Bar", "Vegan oat bar.", diet="Vegan")
    chips = food("2", "Sea Salt Chips", "Crisp potato chips.")
    almond = food("3", "Almond Crunch", "Vegan almond snack.")
    nut_free = food("4", "School Bar", "A nut-free vegan bar.")
    kettle = Product(id="5", name="Steel Kettle", brand="Acme", category=["Kitchen", "Electric Kettle"])
    assert violates(bar, [vegan]) is None and violates(chips, [vegan]) == vegan
    assert violates(almond, [nuts]) == nuts and violates(nut_free, [vegan, nuts]) is None
    assert violates(kettle, [vegan, nuts]) is None and not is_food(kettle)
    assert not is_food(Product(id="6", name="Dog Food", brand="A", category=["Pet", "Dog Food"]))


def test_an_avoided_brand_is_broken_by_that_brand_only():
    [avoid] = extract("I never buy Copperline", brand_of)
    kettle = Product(id="1", name="Kettle", brand="Copperline", category=["Kitchen"])
    other = Product(id="2", name="Kettle", brand="Ironbark", category=["Kitchen"])
    assert violates(kettle, [avoid]) == avoid and violates(other, [avoid]) is None
