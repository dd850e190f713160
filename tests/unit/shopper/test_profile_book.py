"""Preferences, signals and the personalisation switch in a real Redis, and "forget me": afterwards a SCAN
of every key and value finds no trace of the sender id; orders stay, anonymised."""
from __future__ import annotations

import json
import time
import uuid

from shopper.handoff import HandoffDesk
from shopper.orders import Line, OrderBook
from shopper.preferences import Preference, extract
from shopper.profile import ERASED, ProfileBook, engagement
from shopper.reservations import Reservations
from shopper.store import RedisShopperStore
from support.redis_process import traces as find_traces

SENDER = "c0ffee5e55i0n1d0000000000000042"


def book(redis_client):
    return ProfileBook(redis_client, "t", ttl_s=600)


def test_remember_returns_only_new_preferences_and_the_latest_brand_stance_wins(redis_client):
    b = book(redis_client)
    vegan = extract("I'm vegan")
    assert b.remember(SENDER, vegan) == vegan
    assert b.remember(SENDER, vegan) == []
    b.remember(SENDER, [Preference("brand_avoid", "copperline")])
    b.remember(SENDER, [Preference("brand_like", "copperline")])
    assert {(p.kind, p.value) for p in b.preferences(SENDER)} == {("diet", "vegan"), ("brand_like", "copperline")}
    b.remember(SENDER, [Preference("size", "UK 7", scope="shoes")])
    b.remember(SENDER, [Preference("size", "UK 8", scope="shoes")])
    assert [p.value for p in b.preferences(SENDER) if p.kind == "size"] == ["UK 8"]
    assert 0 < redis_client.ttl(b.key(SENDER, "prefs")) <= 600


def test_forget_one_and_turning_personalisation_off_clears_and_stops_collecting(redis_client):
    b = book(redis_client)
    b.remember(SENDER, extract("I'm vegan") + [Preference("brand_like", "copperline")])
    b.signal(SENDER, "k1", "added")
    gone = b.forget(SENDER, lambda p: p.value == "vegan")
    assert [p.value for p in gone] == ["vegan"] and [p.value for p in b.preferences(SENDER)] == ["copperline"]
    b.set_personalised(SENDER, False)
    assert not b.personalised(SENDER) and b.preferences(SENDER) == [] and b.signals(SENDER) == []
    assert b.remember(SENDER, extract("I'm vegan")) == [] and b.preferences(SENDER) == []
    b.signal(SENDER, "k1", "viewed")
    assert b.signals(SENDER) == []
    b.set_personalised(SENDER, True)
    assert b.personalised(SENDER) and b.remember(SENDER, extract("I'm vegan"))


def test_engagement_weighs_signals_and_halves_every_two_weeks():
    now = 1_000_000.0
    got = dict(engagement([
        {"product_id": "a", "what": "bought", "at": now},
        {"product_id": "b", "what": "viewed", "at": now - 14 * 86400},
        {"product_id": "c", "what": "viewed", "at": now},
        {"product_id": "c", "what": "rejected", "at": now},
    ], now))
    assert got == {"a": 3.0, "b": 0.5}


def test_signals_are_capped_and_newest_first(redis_client):
    b = book(redis_client)
    for i in range(205):
        b.signal(SENDER, f"p{i}", "viewed", now=1000 + i)
    rows = b.signals(SENDER)
    assert len(rows) == 200 and rows[0]["product_id"] == "p204"
    b.signal(SENDER, "p1", "liked-it")  # unknown kinds are ignored
    assert b.signals(SENDER)[0]["product_id"] == "p204"


def test_forget_me_leaves_no_key_or_value_with_the_sender_id(redis_client):
    store = RedisShopperStore(redis_client, "t", 600, 600)
    b = book(redis_client)
    orders, resv = OrderBook(redis_client, "t"), Reservations(redis_client, "t")
    other = "someone-else-0000000000000000000"
    for who in (SENDER, other):
        store.add_to_cart(who, "k1", 1, price=9.99)
        store.set_shown(who, ["k1", "k2"])
        b.remember(who, extract("I'm vegan"))
        b.signal(who, "k1", "bought")
        b.keep_address(who, "12 Oak Street")
        orders.place(who, [Line("k1", "Kettle", 9.99, 1, [("riverside", 5)])],
                     {"type": "delivery", "address": "12 Oak Street"}, uuid.uuid4().hex, now=time.time())
        resv.hold(who, "k2", "Toaster", "riverside", "Riverside", 1, 5)
        HandoffDesk(redis_client, "t").request(who, "rest", last_messages=["I need help"])
    redis_client.set(f"t:tracker:{SENDER}", json.dumps({"sender_id": SENDER, "events": []}))
    counts = b.erase(SENDER)
    assert counts["anonymised"] == 2 and counts["keys"] > 5
    assert b.finish_erase(SENDER) and not b.finish_erase(SENDER)

    def traces(who):
        return find_traces(redis_client, who)

    assert traces(SENDER) == []
    assert traces(other)  # the other shopper's data is untouched
    kept = [json.loads(redis_client.get(k)) for k in redis_client.scan_iter(match="t:order:*")]
    mine = [o for o in kept if o["sender"] == ERASED]
    assert len(mine) == 1 and mine[0]["fulfilment"]["address"] == ERASED and mine[0]["lines"][0]["product_id"] == "k1"
