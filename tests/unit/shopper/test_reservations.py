"""Pickup reservations on a real Redis: holds take stock atomically, expiry and cancelling give it back."""
from __future__ import annotations

import threading

import pytest

from shopper.orders import Line, OrderBook
from shopper.reservations import CODE_ALPHABET, Reservations


@pytest.fixture
def resv(redis_client):
    return Reservations(redis_client, prefix="t", hold_s=3600)


def hold(r, sender="alice", qty=1, units=5, pid="p1", store="riverside", now=None):
    return r.hold(sender, pid, f"Product {pid}", store, store.title(), qty, units, now=now)


def test_a_hold_takes_units_and_gives_a_short_code(resv, redis_client):
    held = hold(resv, qty=2, now=1000)
    r = held.reservation
    assert held.status == "held" and r["status"] == "held" and r["deadline"] == 1000 + 3600
    assert len(r["code"]) == 6 and set(r["code"]) <= set(CODE_ALPHABET)
    book = OrderBook(redis_client, prefix="t")
    assert book.units("p1", "riverside", 5) == 3  # orders see the same shelf
    assert [x["code"] for x in resv.for_store("riverside", now=1001)] == [r["code"]]
    assert resv.for_store("downtown", now=1001) == []
    assert resv.get(r["code"], "mallory") is None and resv.get(r["code"].lower(), "alice")["code"] == r["code"]


def test_not_enough_units_is_refused_and_says_how_many(resv):
    held = hold(resv, qty=4, units=3)
    assert held.status == "short" and held.available == 3
    assert hold(resv, qty=1, units=0, pid="p2").status == "short"


def test_cancelling_puts_the_units_back_at_once_and_only_for_its_shopper(resv, redis_client):
    code = hold(resv, qty=2).reservation["code"]
    assert resv.cancel(code, "mallory") == "missing"
    assert resv.cancel(code, "alice") == "ok"
    assert OrderBook(redis_client, prefix="t").units("p1", "riverside", 5) == 5
    assert resv.cancel(code, "alice") == "refused"
    assert resv.for_store("riverside") == []


def test_expiry_is_swept_and_releases_the_stock(resv, redis_client):
    old = hold(resv, qty=2, now=1000).reservation["code"]
    assert resv.sweep(now=1000 + 3599) == 0
    assert resv.sweep(now=1000 + 3601) == 1
    assert resv.get(old)["status"] == "expired"
    assert OrderBook(redis_client, prefix="t").units("p1", "riverside", 5) == 5
    assert resv.collect(old) == "refused"  # too late to hand over


def test_collecting_keeps_the_units_sold(resv, redis_client):
    code = hold(resv).reservation["code"]
    assert resv.collect(code) == "ok" and resv.get(code)["status"] == "collected"
    assert OrderBook(redis_client, prefix="t").units("p1", "riverside", 5) == 4


@pytest.mark.parametrize("qty", [0, -3, 11])
def test_bad_quantities_are_refused(resv, qty):
    with pytest.raises(ValueError):
        hold(resv, qty=qty)


def test_twenty_shoppers_race_buyers_and_holds_for_the_last_five(resv, redis_client):
    for round_ in range(20):
        pid = f"race-{round_}"
        outcomes = []

        def go(i: int, pid: str, outcomes: list) -> None:
            if i % 2:
                r = Reservations(redis_client, prefix="t", hold_s=3600)
                outcomes.append(r.hold(f"s{i}", pid, pid, "downtown", "Downtown", 1, 5).status == "held")
            else:
                b = OrderBook(redis_client, prefix="t")
                ln = Line(pid, pid, 1.0, 1, [("downtown", 5)])
                outcomes.append(b.place(f"s{i}", [ln], {"type": "pickup"}, f"{pid}-{i}").status == "placed")

        threads = [threading.Thread(target=go, args=(i, pid, outcomes)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(outcomes) == 5
        assert OrderBook(redis_client, prefix="t").units(pid, "downtown", 5) == 0
