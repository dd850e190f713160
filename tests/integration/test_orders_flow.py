"""Buying over REST against the real stack: search, add two items, check out, status, the ops command,
cancel; stock before and after; pickup reservations; the hand-off queue."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import pytest

from support.stack import REPO, cards, texts

pytestmark = pytest.mark.slow


def ledger(stack):
    import redis

    from shopper.orders import OrderBook
    from shopper.reservations import Reservations

    client = redis.Redis.from_url(stack.redis.url, decode_responses=True)
    prefix = stack.settings.redis_prefix
    return OrderBook(client, prefix), Reservations(client, prefix)


def units(book, p):
    """Every store's units of ``p`` now (the catalog's where nothing has moved)."""
    return book.levels(p.id, {s: st.quantity for s, st in p.stock.items()})


def ops(stack, *args):
    env = dict(os.environ, REDIS_URL=stack.redis.url, SHOPGUIDE_REDIS_PREFIX=stack.settings.redis_prefix)
    return subprocess.run([sys.executable, "-m", "shopper.orders", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_buy_check_status_advance_and_cancel(stack, catalog):
    book, _ = ledger(stack)
    me = f"buy-{uuid.uuid4().hex[:8]}"
    shown = cards(stack.send(me, "I need an electric kettle"))
    assert len(shown) >= 2, "the demo catalog should have kettles"
    first, second = catalog.get(shown[0]["id"]), catalog.get(shown[1]["id"])
    before = {p.id: units(book, p) for p in (first, second)}
    assert "Added" in texts(stack.send(me, "add the first one"))
    assert "Added" in texts(stack.send(me, "add the second one"))
    quote = texts(stack.send(me, "I'm ready to check out"))
    assert "Shall I place it?" in quote and first.name in quote and second.name in quote
    placed = texts(stack.send(me, "place the order"))
    order_id = re.search(r"order number is (\d+)", placed).group(1)
    order = book.get(order_id, me)
    assert order["total"] == round((first.price or 0) + (second.price or 0), 2)
    after = {p.id: units(book, p) for p in (first, second)}
    for ln in order["lines"]:  # each line took one unit from the store that filled it, nothing else moved
        expect = dict(before[ln["product_id"]])
        expect[ln["store_id"]] -= 1
        assert after[ln["product_id"]] == expect
    # the checkout page the reply links to
    link = re.search(r"(http://127\.0\.0\.1:\d+/checkout/\S+?) ", placed).group(1)
    with urllib.request.urlopen(link, timeout=30) as r:  # noqa: S310 - loopback
        page = r.read().decode()
    assert order_id in page and first.name.split()[0] in page
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(link[:-3] + "xyz", timeout=30)  # noqa: S310
    assert bad.value.code in (403, 404)

    assert "is placed" in texts(stack.send(me, "where is my order?"))
    moved = ops(stack, "advance", order_id)
    assert moved.returncode == 0 and "packed" in moved.stdout, moved.stderr
    status = texts(stack.send(me, f"what's the status of order {order_id}?"))
    assert f"Order {order_id}" in status and "is packed" in status
    assert "is cancelled" in texts(stack.send(me, "cancel it please"))
    assert {p.id: units(book, p) for p in (first, second)} == before  # returned to the shelf
    assert ops(stack, "advance", "999999").returncode == 1

    # another shopper asking about this order gets what an unknown number gets
    other = f"other-{uuid.uuid4().hex[:8]}"
    theirs = texts(stack.send(other, f"where is my order {order_id}?"))
    unknown = texts(stack.send(other, "where is my order 999999?"))
    assert theirs.replace(order_id, "N") == unknown.replace("999999", "N")


def test_shipped_orders_stay_sold_and_an_empty_cart_has_nothing_to_check_out(stack, catalog):
    book, _ = ledger(stack)
    me = f"ship-{uuid.uuid4().hex[:8]}"
    assert "cart is empty" in texts(stack.send(me, "checkout"))
    p = catalog.get(cards(stack.send(me, "show me electric kettles"))[0]["id"])
    before = units(book, p)
    stack.send(me, "add the first one")
    stack.send(me, "check out")
    order_id = re.search(r"order number is (\d+)", texts(stack.send(me, "place the order"))).group(1)
    assert ops(stack, "advance", order_id, "--to", "shipped").returncode == 0
    assert "can't be cancelled" in texts(stack.send(me, f"cancel order {order_id}"))
    assert sum(units(book, p).values()) == sum(before.values()) - 1


def test_reserve_for_pickup_and_cancel(stack, catalog):
    book, resv = ledger(stack)
    me = f"resv-{uuid.uuid4().hex[:8]}"
    shown = cards(stack.send(me, "I need an electric kettle"))
    p = catalog.get(shown[1]["id"])
    store = next(s for s, st in sorted(p.stock.items()) if st.quantity > 0)
    before = units(book, p)
    reply = texts(stack.send(me, f"please reserve the second one for pickup at {store} today"))
    code = re.search(r"pickup code is ([A-Z0-9]{6})", reply).group(1)
    assert units(book, p)[store] == before[store] - 1
    assert code in [r["code"] for r in resv.for_store(store)]
    assert "is cancelled" in texts(stack.send(me, "cancel my reservation"))
    assert units(book, p) == before
    assert "don't have a store called" in texts(stack.send(me, "reserve it at the airport store"))
