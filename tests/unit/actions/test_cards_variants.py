"""Cards and reply facts of a model sold in several sizes and colours list what is in stock."""

from __future__ import annotations

from actions.cards import card, options_text, product_facts, variant_options
from retrieval.memory import InMemoryRetriever
from retrieval.schema import Product, StoreStock

SHOES = ["Footwear", "Athletic Shoes", "Running Shoes"]


def shoe(pid, colour, size, stock, group="VEL-ROAD"):
    return Product(
        id=pid,
        group=group,
        name=f"Velocita Women's Road Running Shoes - {colour.title()}, {size}",
        brand="Velocita",
        category=SHOES,
        price=119.99,
        attributes={"gender": "Women's", "colour": colour, "size": size},
        stock={s: StoreStock(store_id=s, quantity=q, aisle="Aisle 9") for s, q in stock.items()},
    )


def catalog():
    return [
        shoe("v1", "blue", "UK 4", {"downtown": 3, "riverside": 0}),
        shoe("v2", "blue", "UK 10", {"downtown": 0, "riverside": 2}),
        shoe("v3", "burgundy", "UK 6", {"downtown": 1, "riverside": 1}),
        shoe("v4", "burgundy", "UK 8", {"downtown": 0, "riverside": 0}),
        shoe("v5", "black", "UK 5", {"downtown": 0, "riverside": 0}),
        shoe("s1", "white", "UK 7", {"downtown": 4}, group=None),
    ]


def test_card_lists_sizes_and_colours_in_stock():
    r = InMemoryRetriever(catalog())
    c = card(r.get("v1"), 1, "rated 4.5/5", {"downtown": "Downtown"}, variants=r.variants("v1"))
    assert c["id"] == "v1" and c["name"].endswith("Blue, UK 4")
    assert c["sizes"] == ["UK 4", "UK 6", "UK 10"]  # UK 8 and UK 5 are sold out; smallest first
    assert c["colours"] == ["blue", "burgundy"]  # black is sold out everywhere
    assert c["options_text"] == "in stock in sizes UK 4, UK 6, UK 10; colours blue, burgundy"


def test_card_options_at_one_store():
    r = InMemoryRetriever(catalog())
    c = card(r.get("v3"), 1, "", None, store_id="riverside", variants=r.variants("v3"))
    assert c["sizes"] == ["UK 6", "UK 10"] and c["colours"] == ["blue", "burgundy"]
    assert [s["store_id"] for s in c["stock"]] == ["riverside"]


def test_single_product_card_has_no_options():
    r = InMemoryRetriever(catalog())
    c = card(r.get("s1"), 2, "", variants=r.variants("s1"))
    assert not {"sizes", "colours", "options_text"} & set(c)
    assert not {"sizes", "colours"} & set(card(r.get("v1"), 1))  # no variants given: as before


def test_facts_carry_the_options():
    r = InMemoryRetriever(catalog())
    facts = product_facts(r.get("v2"), 3, "", variants=r.variants("v2"))
    assert facts["sizes"] == ["UK 4", "UK 6", "UK 10"] and facts["colours"] == ["blue", "burgundy"]
    assert facts["attributes"]["size"] == "UK 10" and facts["position"] == 3
    assert "sizes" not in product_facts(r.get("s1"), 1, "", variants=r.variants("s1"))
    at_downtown = product_facts(r.get("v2"), 3, "", variants=r.variants("v2"), store_id="downtown")
    assert at_downtown["sizes"] == ["UK 4", "UK 6"]


def test_only_the_axes_that_vary_are_listed():
    sizes_only = [shoe("a", "navy", s, {"downtown": 1}, group="G") for s in ("M", "XS", "L")]
    assert variant_options(sizes_only) == {"sizes": ["XS", "M", "L"]}
    sold_out = [shoe("b", "navy", s, {"downtown": 0}, group="H") for s in ("M", "L")]
    assert variant_options(sold_out) == {"sizes": []}
    assert options_text({"sizes": []}) == ""


def test_the_model_name_drops_its_size_and_colour_but_not_a_possessive_s():
    from actions.variants import _model_name

    shorts = Product(id="d1", group="HP-DENIM", name="Harbor & Pine Men's Denim Shorts - Navy, S", brand="Harbor & Pine",
                     category=["Apparel", "Bottoms", "Shorts"], price=19.99, attributes={"colour": "navy", "size": "S"})
    assert _model_name(shorts) == "Harbor & Pine Men's Denim Shorts"
    assert _model_name(shoe("v1", "blue", "UK 4", {})) == "Velocita Women's Road Running Shoes"


def test_a_button_payload_parses_back_to_its_intent_and_entities():
    from actions.cards import parse_payload, payload

    assert parse_payload(payload("choose", {"product_id": "v1"})) == ("choose", {"product_id": "v1"})
    assert parse_payload(payload("checkout")) == ("checkout", {})
