"""Pure parsing: vagueness, filters from text + entities, ordinals, refinements, quantities."""
from __future__ import annotations

import pytest
from action_helpers import ent

from actions.understanding import is_skip, number, parse_request, quantity, refinements, resolve_reference


@pytest.mark.parametrize("text", ["I need a gift", "something for my kitchen", "a present for my mom under $40",
                                  "can you recommend something?", "I want to treat myself"])
def test_vague_requests(text):
    assert parse_request(text).is_vague


@pytest.mark.parametrize("text,words", [("I need an electric kettle under $50", ["electric", "kettle"]),
                                        ("show me running shoes", ["running", "shoes"]),
                                        ("a gift card for my dad", ["card"]),
                                        ("something not too expensive for my dad who likes coffee", ["coffee"]),
                                        ("actually I need trousers for the office", ["trousers"]),
                                        ("i'm after black yoga pants, nothing too pricey", ["yoga", "pants"])])
def test_specific_requests(text, words):
    r = parse_request(text)
    assert not r.is_vague and r.content_words == words


def test_price_bounds_from_text_and_entities():
    assert parse_request("kettle under $50").filters.max_price == 50
    r = parse_request("kettle between 20 and 40 dollars")
    assert (r.filters.min_price, r.filters.max_price) == (20, 40)
    r = parse_request("kettle max", [ent("max_price", "$35")])
    assert r.filters.max_price == 35


def test_a_mislabelled_nlu_price_does_not_override_the_text():
    # DIET once tagged the 500 of "under 500 rupees" as min_price: min == max == 500
    r = parse_request("ghee under 500 rupees", [ent("min_price", "500")])
    assert (r.filters.min_price, r.filters.max_price) == (None, 500)


def test_brand_and_colour_entities_complete_the_parse():
    r = parse_request("a red kettle from gucci", [ent("brand", "Gucci"), ent("colour", "red")])
    assert r.filters.brands == {"gucci"} and r.filters.colour == "red"
    assert r.content_words == ["kettle"]
    assert not parse_request("kettle not samsung", [ent("brand", "Samsung")]).filters.brands


def test_number_parsing():
    assert number("$1,299.50") == 1299.5 and number("2k") == 2000 and number("none") is None


@pytest.mark.parametrize("value", ["any", "Don't care", "no preference", "skip", "whatever!"])
def test_skip_words(value):
    assert is_skip(value)


def test_not_skip():
    assert not is_skip("kettle") and not is_skip(None)


@pytest.mark.parametrize("text,ents,kinds", [
    ("cheaper please", [], ["cheaper"]),
    ("anything less expensive", [], ["cheaper"]),
    ("show me other brands", [], ["other_brand"]),
    ("more like the first one", [], ["similar"]),
    ("show more", [], ["more"]),
    ("let's start over", [], ["start_over"]),
    ("x", [ent("refinement", "pricier")], ["pricier"]),
])
def test_refinements(text, ents, kinds):
    assert refinements(ents, text) == kinds


@pytest.mark.parametrize("text,ents,n,positions,oor", [
    ("the second one", [ent("ordinal", "2")], 3, [1], None),
    ("the second one", [], 3, [1], None),
    ("the last one", [ent("ordinal", "last")], 3, [2], None),
    ("#3", [], 3, [2], None),
    ("the fifth one", [ent("ordinal", "5")], 3, [], 5),
    ("compare 1 and 3", [ent("ordinal", "1"), ent("ordinal", "3")], 3, [0, 2], None),
    ("compare the first two", [ent("ordinal", "first")], 3, [0, 1], None),
    ("compare the last two", [], 4, [2, 3], None),
    ("the top 3", [], 5, [0, 1, 2], None),
    ("compare the first three", [], 2, [0, 1], None),  # only two shown: those two
])
def test_ordinals(text, ents, n, positions, oor):
    ref = resolve_reference(ents, text, n)
    assert ref.positions == positions and ref.out_of_range == oor


def test_pronouns_and_names():
    assert resolve_reference([ent("ordinal", "that")], "that one", 3).pronoun
    assert resolve_reference([], "is it in stock", 3).pronoun
    ref = resolve_reference([], "tell me about the gooseneck", 3, ["A Kettle", "Ironbark Gooseneck Kettle", "C"])
    assert ref.positions == [1]
    assert resolve_reference([ent("product_id", "p9")], "", 0).product_ids == ["p9"]


@pytest.mark.parametrize("text,ents,q", [("add two of the first", [ent("quantity", "2")], 2),
                                         ("add 3 of those", [], 3), ("I'll take it", [], 1),
                                         ("add 500 of them", [ent("quantity", "500")], 99)])
def test_quantity(text, ents, q):
    assert quantity(ents, text) == q


def test_nlu_brands_filter_only_when_the_catalog_has_them_and_the_shopper_means_them():
    from retrieval.query import Vocabulary

    vocab = Vocabulary(brands={"road": "road", "stride": "stride"}, ambiguous_brands=frozenset({"road"}))
    assert not parse_request("Road running shoes", [ent("brand", "road")], vocab).filters.brands
    assert parse_request("running shoes by Road", [ent("brand", "Road")], vocab).filters.brands == {"road"}
    assert parse_request("Stride running shoes", [ent("brand", "Stride")], vocab).filters.brands == {"stride"}
    assert not parse_request("slippery trail shoes", [ent("brand", "slippery")], vocab).filters.brands
    assert parse_request("a kettle from gucci", [ent("brand", "gucci")], vocab).filters.brands == {"gucci"}
    assert not parse_request("new Trail running shoes", [ent("brand", "Trail")], vocab).filters.brands


def test_an_nlu_price_needs_money_in_the_text():
    assert parse_request("running shoes, I'm 68 years old", [ent("min_price", "68")]).filters.min_price is None
    assert parse_request("running shoes, I run up to 8 miles", [ent("max_price", "8")]).filters.max_price is None
    assert parse_request("running shoes, budget 68", [ent("max_price", "68")]).filters.max_price == 68


@pytest.mark.parametrize("text,person", [
    ("I want to talk to a real person", True), ("can I speak with someone from customer service", True),
    ("what's your phone number", True), ("customer care number please", True), ("call me back", True),
    ("are you a bot?", False), ("talk me through the kettles", False), ("I need a phone case", False),
    ("honestly terrible service from you lot", True), ("what a waste of my time", True), ("I'm fed up", True),
    ("a poor quality kettle", False), ("is the service good at riverside", False),
    ("Useless!", True), ("so pathetic", True), ("should I chat with an expert about this?", True),
    ("a useless gadget", False), ("is this kettle useless for tea?", False),
])
def test_asking_for_a_person(text, person):
    from actions.understanding import asks_for_person

    assert asks_for_person(text) is person


def test_an_nlu_colour_must_be_a_colour():
    assert parse_request("a shoe that keeps me centered", [ent("colour", "centered")]).filters.colour is None
    assert parse_request("that one in navy", [ent("colour", "navy")]).filters.colour == "navy"
