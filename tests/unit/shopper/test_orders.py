"""Orders and stock on a real Redis: atomic, idempotent, own orders only, the status flow."""
from __future__ import annotations

import threading

import pytest

from shopper.links import LinkExpired, LinkInvalid, shared_secret, sign, verify
from shopper.orders import Line, OrderBook, main


@pytest.fixture
def book(redis_client):
    return OrderBook(redis_client, prefix="t")


def line(pid="p1", qty=1, stores=(("downtown", 5),), price=10.0):
    return Line(pid, f"Product {pid}", price, qty, list(stores))


def test_placing_takes_stock_and_numbers_the_order(book):
    placed = book.place("alice", [line(qty=2), line("p2", 1, (("riverside", 3),), 4.5)], {"type": "delivery"}, "k1")
    assert placed.status == "placed" and placed.order is not None
    o = placed.order
    assert int(o["id"]) > 40000 and o["status"] == "placed" and o["total"] == 24.5
    assert [ln["store_id"] for ln in o["lines"]] == ["downtown", "riverside"]
    assert book.units("p1", "downtown", 5) == 3 and book.units("p2", "riverside", 3) == 2
    assert book.units("p9", "downtown", 7) == 7  # untouched: the catalog's figure


def test_the_same_checkout_twice_makes_one_order(book):
    first = book.place("alice", [line()], {"type": "delivery"}, "same-key")
    again = book.place("alice", [line()], {"type": "delivery"}, "same-key")
    assert again.status == "duplicate" and again.order["id"] == first.order["id"]
    assert book.units("p1", "downtown", 5) == 4
    assert len(book.for_shopper("alice")) == 1


def test_sold_out_takes_nothing(book):
    placed = book.place("alice", [line("p1", 1), line("p2", 3, (("downtown", 2),))], {"type": "delivery"}, "k")
    assert placed.status == "sold_out" and placed.short.product_id == "p2"
    assert book.units("p1", "downtown", 5) == 5 and book.units("p2", "downtown", 2) == 2
    assert book.for_shopper("alice") == []


def test_delivery_falls_back_to_the_next_store_with_enough(book):
    placed = book.place("a", [line(qty=3, stores=(("downtown", 2), ("riverside", 4)))], {"type": "delivery"}, "k")
    assert placed.order["lines"][0]["store_id"] == "riverside"


def test_another_shoppers_order_reads_as_unknown(book):
    o = book.place("alice", [line()], {"type": "delivery"}, "k").order
    assert book.get(o["id"], "alice")["id"] == o["id"]
    assert book.get(o["id"], "mallory") is None and book.get("99999", "mallory") is None
    assert book.cancel(o["id"], "mallory").result == "missing"
    assert book.change_address(o["id"], "mallory", "1 Evil Road").result == "missing"
    assert book.get(o["id"])["status"] == "placed"
    assert book.get("not-a-number") is None and book.get("1" * 40) is None


def test_status_flow_and_cancel_policy(book):
    o = book.place("alice", [line(qty=2)], {"type": "delivery", "address": "1 A St"}, "k").order
    assert book.advance(o["id"]).order["status"] == "packed"
    assert book.change_address(o["id"], "alice", "2 B Street").order["fulfilment"]["address"] == "2 B Street"
    assert book.advance(o["id"]).order["status"] == "shipped"
    refused = book.cancel(o["id"], "alice")
    assert refused.result == "refused" and refused.status == "shipped"
    assert book.change_address(o["id"], "alice", "3 C St").result == "refused"
    assert book.units("p1", "downtown", 5) == 3  # nothing returned
    assert book.advance(o["id"]).order["status"] == "delivered"
    assert book.advance(o["id"]).result == "refused"  # the end of the flow
    assert [h["status"] for h in book.get(o["id"])["history"]] == ["placed", "packed", "shipped", "delivered"]


def test_cancelling_returns_the_stock_once(book):
    o = book.place("alice", [line(qty=2)], {"type": "pickup", "store_id": "downtown"}, "k").order
    assert book.units("p1", "downtown", 5) == 3
    assert book.cancel(o["id"], "alice").result == "ok"
    assert book.units("p1", "downtown", 5) == 5
    assert book.cancel(o["id"], "alice").result == "refused"
    assert book.units("p1", "downtown", 5) == 5
    assert book.advance(o["id"]).result == "refused"


def test_pickup_orders_follow_the_pickup_flow(book):
    o = book.place("a", [line()], {"type": "pickup", "store_id": "downtown"}, "k").order
    assert book.advance(o["id"], "ready_for_pickup").order["status"] == "ready_for_pickup"
    assert book.advance(o["id"], "shipped").result == "refused"
    assert book.change_address(o["id"], "a", "1 A St").result == "refused"


@pytest.mark.parametrize("qty", [0, -1, 21])
def test_bad_quantities_are_refused_before_anything_moves(book, qty):
    with pytest.raises(ValueError):
        book.place("a", [line(qty=qty)], {"type": "delivery"}, "k")
    assert book.units("p1", "downtown", 5) == 5


def test_twenty_buyers_race_for_the_last_five_units(book, redis_client):
    for round_ in range(20):
        pid = f"last-{round_}"
        results = []

        def buy(i: int, pid: str, results: list) -> None:
            b = OrderBook(redis_client, prefix="t")
            results.append(b.place(f"s{i}", [line(pid, 1, (("downtown", 5),))], {"type": "delivery"}, f"{pid}-{i}").status)

        threads = [threading.Thread(target=buy, args=(i, pid, results)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results.count("placed") == 5 and results.count("sold_out") == 15
        assert book.units(pid, "downtown", 5) == 0


def test_checkout_links_are_signed_and_expire(redis_client):
    secret = shared_secret(redis_client, "t")
    assert secret == shared_secret(redis_client, "t")  # every replica gets the same one
    token = sign("40001", secret, 60, now=1000)
    assert verify(token, secret, now=1030) == "40001"
    with pytest.raises(LinkExpired):
        verify(token, secret, now=1100)
    tampered = token.replace("40001", "40002", 1)
    for bad in (tampered, token[:-1] + ("A" if token[-1] != "A" else "B"), "", "../../etc", token + "x"):
        with pytest.raises(LinkInvalid):
            verify(bad, secret, now=1030)
    with pytest.raises(LinkInvalid):
        verify(token, "another secret", now=1030)


def test_ops_command_advances_and_reports_unknown_orders(book, redis_server, monkeypatch, capsys):
    from config import get_settings

    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("SHOPGUIDE_REDIS_PREFIX", "t")
    get_settings.cache_clear()
    try:
        o = book.place("a", [line()], {"type": "delivery"}, "k").order
        assert main(["advance", o["id"]]) == 0
        assert "packed" in capsys.readouterr().out
        assert book.get(o["id"])["status"] == "packed"
        assert main(["advance", "12345"]) == 1
        assert "no order 12345" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
