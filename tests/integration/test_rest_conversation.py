"""A 6-turn shopping conversation over the REST channel against the real stack."""
from __future__ import annotations

import re
import uuid

import pytest

from support.stack import cards, texts

pytestmark = pytest.mark.slow
PRICE = re.compile(r"\$(\d[\d,]*\.\d\d)")


def listed_prices(text: str):
    """Prices on the numbered product lines of a reply."""
    out = []
    for line in text.splitlines():
        if re.match(r"^\d+\. ", line):
            out += [float(p.replace(",", "")) for p in PRICE.findall(line)]
    return out


def check_recommendations(reply, catalog, max_price=None, type_=None, exclude=()):
    shown = cards(reply)
    text = texts(reply)
    for c in shown:
        p = catalog.get(c["id"])  # raises if the product is not in the catalog
        assert c["name"] == p.name and c["price"] == p.price and c["brand"] == p.brand
        if max_price is not None:
            assert p.price <= max_price, (p.name, p.price)
        if type_:
            assert p.leaf_category == type_, (p.name, p.category)
        assert c["id"] not in exclude, "a product was shown twice"
        line = next(ln for ln in text.splitlines() if ln.startswith(f"{c['position']}. "))
        assert p.name in line and p.brand in line and c["reason"] and c["reason"] in line
        prices = listed_prices(line)
        assert prices[0] == p.price, (line, p.price)          # the price stated is the catalog's
        assert all(x == p.list_price for x in prices[1:]), line  # any other is its list price
    assert len([ln for ln in text.splitlines() if re.match(r"^\d+\. ", ln)]) == len(shown)
    return shown


def test_six_turn_conversation(stack, catalog):
    me = f"it-{uuid.uuid4().hex[:8]}"
    # 1
    assert "shopping guide" in texts(stack.send(me, "hello"))
    # 2: a specific request searches at once
    r = stack.send(me, "I'm looking for running shoes under $120")
    first = check_recommendations(r, catalog, max_price=120, type_="Running Shoes")
    assert len(first) == 3
    seen = {c["id"] for c in first}
    # 3: other brands keep the price and type, never repeat
    r = stack.send(me, "show me other brands")
    second = check_recommendations(r, catalog, max_price=120, type_="Running Shoes", exclude=seen)
    assert second, texts(r)
    assert not {c["brand"] for c in second} & {c["brand"] for c in first}
    seen |= {c["id"] for c in second}
    # 4: an ordinal resolves against the last shown list
    r = stack.send(me, "tell me more about the second one")
    p = catalog.get(second[1]["id"]) if len(second) > 1 else None
    if p:
        assert texts(r).startswith(p.name) and f"${p.price:,.2f}" in texts(r)
    # 5: cheaper than everything shown now, constraints kept
    cheapest = min(c["price"] for c in second)
    r = stack.send(me, "anything cheaper?")
    third = check_recommendations(r, catalog, max_price=min(120, cheapest), type_="Running Shoes", exclude=seen)
    if third:
        assert all(c["price"] < cheapest for c in third)
    else:
        assert "empties the list" in texts(r) or "seen them all" in texts(r), texts(r)
    # 6: stock and aisle come from the catalog
    r = stack.send(me, f'/ask_availability{{"product_id":"{first[0]["id"]}"}}')
    p = catalog.get(first[0]["id"])
    for _sid, st in p.stock.items():
        if st.quantity > 0:
            assert f"{st.quantity} in stock" in texts(r) and st.aisle in texts(r)
    # the session lives in Redis
    import redis

    red = redis.Redis.from_url(stack.redis.url, decode_responses=True)
    assert red.exists(f"itest:tracker:{me}") and red.exists(f"itest:shopper:{me}:shown")


def test_vague_request_asks_then_recommends(stack, catalog):
    me = f"it-{uuid.uuid4().hex[:8]}"
    r = stack.send(me, "I need a gift for my mom")
    assert "What kind of thing" in texts(r)
    r = stack.send(me, "a scented candle")
    assert "budget" in texts(r).lower()
    r = stack.send(me, "under $40")
    assert "brand" in texts(r).lower()
    r = stack.send(me, "any")
    shown = check_recommendations(r, catalog, max_price=40)
    assert len(shown) == 3


def test_no_results_names_the_constraint_then_relaxes(stack, catalog):
    me = f"it-{uuid.uuid4().hex[:8]}"
    r = stack.send(me, "I want a toaster under $5")
    assert not cards(r) and 'empties the list is "under $5.00"' in texts(r)
    r = stack.send(me, "yes")
    shown = check_recommendations(r, catalog, type_="Toaster")
    assert shown
