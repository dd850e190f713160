"""Facts -> slot values, lexicalise / delexicalise round trips."""
import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nlg import slots
from nlg.slots import delexicalise, format_money, lexicalise, slot_values


def test_money_formatting():
    assert format_money(12.5) == "$12.50"
    assert format_money(12.0) == "$12"
    assert format_money(1234.5, "INR") == "₹1,234.50"
    assert format_money(99, "JPY") == "¥99"
    assert format_money(3.1, "CHF") == "3.10 CHF"
    assert format_money("Rs. 40") == "Rs. 40"


def test_products_list_becomes_numbered_slots():
    class P:  # any object with the fields works (e.g. retrieval's Product)
        name, brand, price, currency, rating = "Trail Runner", "Stride", 59.5, "EUR", 4.56

    vals = slot_values({"products": [P(), {"name": "City Sneaker", "brand": "Urbano", "price": 45}]})
    assert vals == {"p1_name": "Trail Runner", "p1_brand": "Stride", "p1_price": "€59.50",
                    "p2_name": "City Sneaker", "p2_brand": "Urbano", "p2_price": "€45"}


def test_content_rules():
    v = slot_values({"p1_name": "Nike Air Zoom", "p1_brand": "Nike", "p1_price": 80, "p1_list_price": 70,
                     "n_results": 1, "p1_rating": 4.25, "cart_count": 1, "shipping_days": "3-5"})
    assert "p1_brand" not in v  # already in the name
    assert "p1_list_price" not in v  # not above the price: "down from" would be false
    assert "n_results" not in v
    assert v["p1_rating"] == "4.2/5" or v["p1_rating"] == "4.3/5"
    assert v["cart_count"] == "1 item"
    assert v["shipping_days"] == "3-5 business days"
    assert slot_values({"p1_name": "A", "p1_price": 10, "p1_list_price": 12.5})["p1_list_price"] == "$12.50"


def test_several_products_keep_only_fields_all_of_them_have():
    v = slot_values({"products": [{"name": "A", "brand": "X", "price": 1}, {"name": "B", "price": 2}]})
    assert list(v) == ["p1_name", "p1_price", "p2_name", "p2_price"]


def test_allowed_slots_and_orphans():
    v = slot_values({"p2_price": 3, "budget": 20, "junk": "x", "p1_name": None}, allowed={"budget", "p2_price"})
    assert v == {"budget": "$20"}  # p2_price without p2_name is dropped; junk is not a slot


def test_control_characters_and_long_values_survive():
    name = "Tea\x00 \u200bLights\n\tx 24 " + "A" * 10_000
    v = slot_values({"p1_name": name})
    assert v["p1_name"].startswith("Tea Lights x 24 AAAA") and len(v["p1_name"]) > 10_000


def test_lexicalise_is_one_pass_and_records_spans():
    vals = {"p1_name": "[p2_name] Mug", "p2_name": "$5 Saver"}
    lex = lexicalise("Try [p1_name] or [p2_name].", vals)
    assert lex.text == "Try [p2_name] Mug or $5 Saver."
    assert [lex.text[a:b] for a, b, _ in lex.spans] == ["[p2_name] Mug", "$5 Saver"]


value_text = st.text(alphabet=string.ascii_letters + string.digits + " $€£₹%.,'&-()#☕", max_size=24)


@settings(max_examples=300, deadline=None)
@given(name=value_text, brand=value_text, price=st.floats(0, 10_000, allow_nan=False), other=value_text)
def test_delexicalise_inverts_lexicalise(name, brand, price, other):
    # awkward values (digits, currency signs, punctuation), each with a distinct head so
    # that no value hides inside the template words
    facts = {"p1_name": "Nm" + name, "p1_brand": "Br" + brand, "p1_price": price, "category": "Ot" + other}
    delex = "Have a look at [p1_name] by [p1_brand] for [p1_price]; more in [category]!"
    vals = slot_values(facts)
    assert list(vals) == ["p1_name", "p1_brand", "p1_price", "category"]
    vs = list(vals.values())
    # exact inversion needs values that do not contain one another
    assume(not any(a != b and a in b for a in vs for b in vs))
    text = lexicalise(delex, vals).text
    assert delexicalise(text, vals) == delex


def test_delexicalise_prefers_longest_value_and_word_boundaries():
    vals = {"p1_name": "Nike Air", "p1_brand": "Nike", "p1_price": "$5"}
    assert delexicalise("Nike Air by Nike, $5 (not $50)", vals) == "[p1_name] by [p1_brand], [p1_price] (not $50)"
    assert delexicalise("Nikes", {"p1_brand": "Nike"}) == "Nikes"


def test_slot_order_is_canonical():
    assert slots.prompt_slots({"budget": "1", "p2_name": "b", "p1_price": "2", "p1_name": "a"}) == [
        "p1_name", "p1_price", "p2_name", "budget"]
