"""Which kind of product a request names, against the demo catalog's taxonomy and data/kinds.yml."""
from __future__ import annotations

import pytest

from retrieval.catalog import load_catalog
from retrieval.kinds import KindIndex, one_edit


@pytest.fixture(scope="module")
def kinds() -> KindIndex:
    return KindIndex.from_catalog(load_catalog("demo"))


@pytest.mark.parametrize("text,kind,carried", [
    ("a fast road bike for my commute", "bikes", False),
    ("I'm after a smartwatch that tracks sleep", "smartwatches", False),
    ("which laptop is best for a student", "laptops", False),
    ("a memory foam mattress for back pain", "mattresses", False),
    ("I need a helmet for my bike", "Bike Helmet", True),  # the more specific name wins
    ("shoes for running on trails", "Running Shoes", True),  # any word order
    ("a road shoe with good cushioning", "Running Shoes", True),  # a shopper's name for the kind
    ("something to keep my coffee hot on the go", "Travel Mug", True),
    ("dishwasher tablets, lemon scent", "Dishwasher Tablets", True),
    ("a new dishwasher for the kitchen", "large appliances", False),
    ("electric kettles under $40", "Electric Kettle", True),
    ("a few cans of chickpeas", "Canned Goods", True),
    ("a laptop for school, one I can keep open all day", "laptops", False),  # "can" is a verb here
    ("black yoga pants", "Leggings", True),  # not the Yoga Mat that shares the word "yoga"
    ("some black pants for work", "Bottoms", True),  # a family: all the trousers, jeans, chinos...
])
def test_the_kind_a_request_names(kinds, text, kind, carried):
    m = kinds.recognise(text)
    assert m is not None and (m.kind.name, m.carried) == (kind, carried), m


@pytest.mark.parametrize("text", ["tiger", "what's the weather tomorrow", "", "🙂🙂", "x" * 10_000,
                                  "can you sell stocks for me", "what veggies can I pair with mushrooms"])
def test_no_kind_is_invented(kinds, text):
    assert kinds.recognise(text) is None


def test_related_kinds_share_the_word_asked_for(kinds):
    m = kinds.recognise("a gravel bike")
    assert {k.name for k in kinds.related(m)} <= {"Bike Helmet", "Bike Lights", "Bike Lock"}
    assert kinds.related(m)


def test_the_not_carried_list_never_contradicts_the_catalog(tmp_path):
    path = tmp_path / "kinds.yml"
    path.write_text("carried: {}\nnot_carried:\n  tents: [tent]\n  kayaks: [kayak]\n")
    k = KindIndex.from_catalog(load_catalog("demo"), path)
    assert k.recognise("a two-person tent").carried  # the catalog sells tents: the list's entry is dropped
    assert not k.recognise("an inflatable kayak").carried


def test_every_catalog_kind_is_recognised_by_its_own_name(kinds):
    for kind in [k for k in kinds.kinds if k.carried]:
        m = kinds.recognise(kind.name)
        assert m is not None and m.carried, kind.name


@pytest.mark.parametrize("text,kind", [
    ("I need a bike with built in lights that I don't need to charge every day", "bikes"),
    ("a lightweight laptop for school with a battery that lasts all day", "laptops"),
    ("a watch that works with my phone and has a long battery life", "smartwatches"),
])
def test_the_kind_said_first_is_the_one_asked_for(kinds, text, kind):
    m = kinds.recognise(text)
    assert m is not None and m.kind.name == kind and not m.carried, m


def test_a_name_with_a_word_or_two_between_is_still_that_kind(kinds):
    m = kinds.recognise("recommend me a shoe for outdoor running on mixed terrain, with cushioning")
    assert m is not None and m.kind.name == "Running Shoes", m


@pytest.mark.parametrize("text,kind", [
    ("i'm looking for raod shoes, can you recommend a pair?", "Running Shoes"),
    ("need a running show for 5 to 8 miles", "Running Shoes"),
    ("a fast raod bike", "bikes"),
])
def test_a_one_letter_typo_next_to_the_names_other_word_is_forgiven(kinds, text, kind):
    m = kinds.recognise(text)
    assert m is not None and m.kind.name == kind, m


@pytest.mark.parametrize("text", ["show running tights", "show me a kettle", "a sheet for running"])
def test_typos_are_not_invented(kinds, text):
    m = kinds.recognise(text)
    assert m is None or m.kind.name != "Running Shoes", m


def test_a_name_said_in_its_own_word_order_wins():
    demo = KindIndex.from_catalog(load_catalog("demo"))
    assert demo.recognise("a pink water bottle for my daughter").kind.name == "Water Bottle"
    assert demo.recognise("a crate of bottled water").kind.name == "Bottled Water"


@pytest.mark.parametrize("a,b,one", [
    ("raod", "road", True), ("show", "shoe", True), ("shoe", "shoes", True), ("kettel", "kettle", True),
    ("road", "road", False), ("sheet", "shoe", False), ("abc", "cab", False), ("lamp", "lampshade", False),
])
def test_one_edit(a, b, one):
    assert one_edit(a, b) is one and one_edit(b, a) is one


def test_in_a_long_message_the_sentence_that_asks_names_the_kind(kinds):
    assert kinds.recognise("I ride a road bike to work every day.").kind.name == "bikes"
    m = kinds.recognise("I ride a road bike to work every day. I need a helmet that fits well.")
    assert m is not None and m.kind.name == "Bike Helmet", m
    m = kinds.recognise("I run on roads most days. I want running shoes with soft cushioning.")
    assert m is not None and m.kind.name == "Running Shoes", m


def test_a_kind_word_said_as_an_ing_word_is_an_attribute_not_the_kind(kinds):
    m = kinds.recognise("A shoe with soft and stable cushioning and a durable build")
    assert m is None or m.kind.name != "Cushion", m
    assert kinds.recognise("a velvet cushion for the sofa").kind.name == "Cushion"
    m = kinds.recognise("trail running shoes")
    assert m is not None and m.kind.name == "Running Shoes", m


def test_what_the_asking_sentence_names_is_what_the_request_is_about(kinds):
    m = kinds.recognise("I run on roads and a treadmill. I want shoes that feel soft but not shaky with a safe heel.")
    assert m is not None and m.kind.name == "Footwear" and m.confidence >= 0.5, m


@pytest.mark.parametrize("text", ["something to keep my tea hot on the way to work", "a mug that keeps coffee warm"])
def test_keeping_a_drink_hot_is_a_travel_mug(kinds, text):
    m = kinds.recognise(text)
    assert m is not None and m.kind.name == "Travel Mug", m
