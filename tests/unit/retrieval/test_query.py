import pytest

from retrieval.query import Vocabulary, normalize, parse_query

VOCAB = Vocabulary(
    brands={"amul": "amul", "scotch brite": "scotch brite", "dove": "dove", "the moms co": "the moms co.", "fresh": "fresh"},
    ambiguous_brands=frozenset({"fresh"}),
    categories={"baby care": "baby care", "dairy": "dairy"},
    stores={"riverside": "riverside", "downtown": "downtown", "downtown superstore": "downtown"},
)


@pytest.mark.parametrize(
    "text,lo,hi",
    [
        ("shampoo under 300", None, 300),
        ("ghee below rs 450", None, 450),
        ("shoes between 200 and 500 rupees", 200, 500),
        ("headphones $20-40", 20, 40),
        ("jacket from 1,000 to 2,500 inr", 1000, 2500),
        ("tea over 100", 100, None),
        ("ghee over 100 and under 300", 100, 300),
        ("around 50 dollars headphones", 40, 60),
        ("a watch up to 2k", None, 2000),
        ("milk", None, None),
        ("100% cotton shirt", None, None),
        ("running shoes, I run up to 8 miles a day", None, None),  # a distance, not a price
        ("a daypack around 20-25 litres under 60", None, 60),
        ("a tent for over 4 people", None, None),
        ("up to 80 miles a week, budget under $120", None, 120),
        ("runs of 5 to 8 miles, and up to 10 on the weekends", None, None),  # said of a time, not a price
        ("I run up to 4 times a week", None, None),
        ("trainers under 60 a pair", None, 60),
        ("shoes he can run in, nothing over 60 bucks", None, 60),  # a cap, not a floor
        ("a kettle, not over $40", None, 40),
    ],
)
def test_price_bounds(text, lo, hi):
    f = parse_query(text, VOCAB).filters
    assert (f.min_price, f.max_price) == (lo, hi)


def test_price_phrase_is_removed_from_search_text():
    assert parse_query("utensil scrub-pad glove under 90 rupees", VOCAB).text == "utensil scrub-pad glove"


def test_brand_include_and_exclude():
    q = parse_query("scotch brite utensil scrub-pad glove", VOCAB)
    assert q.filters.brands == {"scotch brite"}
    q = parse_query("soap but not dove", VOCAB)
    assert q.filters.exclude_brands == {"dove"} and not q.filters.brands
    assert "dove" not in q.text


def test_brand_with_punctuation_matches_words():
    assert parse_query("the moms co baby gift sets", VOCAB).filters.brands == {"the moms co."}


def test_ambiguous_brand_only_boosts():
    q = parse_query("fresh paneer", VOCAB)
    assert not q.filters.brands and q.soft_brands == {"fresh"}


def test_colour_and_store_and_category():
    q = parse_query("red t-shirt in stock at riverside", VOCAB)
    assert q.filters.colour == "red" and q.filters.in_stock_at == "riverside"
    assert parse_query("gray hoodie", VOCAB).filters.colour == "grey"
    assert parse_query("wipes in baby care", VOCAB).filters.category == "baby care"
    # a category word in ordinary use is searched, not filtered
    assert parse_query("dairy free milk", VOCAB).filters.category is None


def test_cheap_sets_price_preference_not_a_bound():
    q = parse_query("cheap shampoo", VOCAB)
    assert q.price_preference == "low" and q.filters.max_price is None
    assert parse_query("premium headphones", VOCAB).price_preference == "high"


@pytest.mark.parametrize("text", ["black yoga pants, nothing too pricey", "a kettle, not too expensive please",
                                  "headphones that won't break the bank"])
def test_a_negated_pricey_word_asks_for_cheap(text):
    assert parse_query(text, VOCAB).price_preference == "low"


@pytest.mark.parametrize("text", ["", "🛒🛒🛒", "\x00\x07\x1b[31m", "a" * 10_000, "€€€ 💸 under"])
def test_odd_input_never_raises(text):
    q = parse_query(text, VOCAB)
    assert isinstance(q.text, str)


def test_normalize_strips_control_characters():
    assert normalize("Red\x00 \tShoes\u200b") == "red shoes"


def test_a_colour_word_inside_a_kind_of_product_or_a_brand_is_not_a_colour():
    vocab = Vocabulary(brands={"red bull": "red bull"}, categories={"ice cream": "ice cream"},
                       colours=frozenset({"red", "cream", "black"}))
    assert parse_query("show me some ice cream", vocab).filters.colour is None
    assert parse_query("red bull energy drink", vocab).filters.colour is None
    assert parse_query("red ice cream", vocab).filters.colour == "red"
    assert parse_query("a cream sofa", vocab).filters.colour == "cream"
