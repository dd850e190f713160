"""The one rendering function: templates for every act, money in the catalog's currency."""
from __future__ import annotations

import pytest
from action_helpers import Chat, products, services_for

from actions.replies import compose, money
from actions.replies.templates import TEMPLATES
from actions.search import ActionAssessRequest, ActionRecommend
from retrieval.memory import InMemoryRetriever


def render(act, facts):
    return compose(act, facts).text


def test_money_formats():
    assert money(12.5, "USD") == "$12.50"
    assert money(1250, "INR") == "₹1,250.00"
    assert money(3, "XYZ") == "3.00 XYZ"
    assert money(None) == "price not listed"


@pytest.mark.parametrize("act", sorted(TEMPLATES))
def test_every_template_renders_with_sample_facts(act):
    p = {"position": 1, "name": "N", "brand": "B", "price_text": "$1.00", "price": 1.0, "reason": "r",
         "rating": 4.5, "attributes": {"pack_size": "1 L"}, "category": "A > B", "description": "d"}
    facts = {"products": [p], "product": p, "constraints": ["under $5.00"], "query": "q", "constraint_text": "under $5.00",
             "cheapest": p, "best_rated": p, "quantity": 2, "cart_items": 2, "cart_total_text": "$2.00",
             "stores": [{"store": "S", "quantity": 3, "aisle": "Aisle 1"}], "shown": 3, "asked": 5, "product_id": "x",
             "examples": ["a", "b"], "brands": ["B"], "hint": "kitchen", "answer": "x",
             "lines": [{"name": "N", "quantity": 2, "price_text": "$1.00"}],
             "kind": "bikes", "said": "road bike", "related": ["Bike Helmet"], "topic": "returns", "source": "(from our Returns policy)",
             "store_list": [{"name": "S", "address": "A", "hours": "9-5"}], "session_days": 7, "cart_days": 90,
             "earlier": 3, "name": "N",
             # checkout, orders, reservations, hand-off
             "order_id": "40001", "status_text": "placed", "total_text": "$2.00", "fulfilment_text": "delivery",
             "when_text": "1 Dec", "link": "http://x/checkout/t", "address": "1 A St", "price_changes": [],
             "history": [{"status_text": "placed", "when_text": "1 Dec"}], "store_names": ["S"], "store_name": "S",
             "orders": [{"order_id": "1", "when_text": "1 Dec", "items_text": "1 x N", "total_text": "$1.00",
                         "status_text": "placed"}], "where": "S", "code": "ABC234", "until_text": "Tue 10:00",
             "available": 0, "elsewhere": ["S"], "max": 10, "position": 2, "sizes": ["UK 7"], "size": "UK 9",
             # what the assistant remembers
             "items": ["you eat vegan"], "engaged_text": "N", "personalised": True, "orders_text": ""}
    text = render(act, facts)
    assert isinstance(text, str) and text.strip()


def test_unknown_act_falls_back_to_a_sentence():
    assert "didn't understand" in render("no_such_act", {})


def test_replies_use_the_catalogs_currency(store):
    items = [p.copy(update={"currency": "INR"}) for p in products()]
    r = InMemoryRetriever(items, currency="INR")
    chat = Chat(services_for(r, store))
    chat.run(ActionAssessRequest, "electric kettle", "search_product")
    chat.run(ActionRecommend, "electric kettle", "search_product")
    assert "₹" in chat.text and "$" not in chat.text
    for c in chat.cards:
        assert f"₹{r.get(c['id']).price:,.2f}" in chat.text
