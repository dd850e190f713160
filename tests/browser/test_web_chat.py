"""The web chat in a real browser: cards with catalog prices, a card's button, reload, reconnect."""
from __future__ import annotations

import json
import urllib.request

import pytest

from actions.replies import money

pytestmark = pytest.mark.slow
QUERY = "show me backpacks"


@pytest.fixture(scope="module")
def chat(run_scenario):
    return run_scenario("chat_scenario.cjs", {"query": QUERY})


def test_a_shopping_request_shows_product_cards_with_catalog_prices(chat, catalog):
    cards = chat["cards"]
    assert len(cards) == 3
    for c in cards:
        p = catalog.get(c["id"])
        assert c["name"] == p.name
        assert c["price"] == p.price
        assert c["price_text"] == money(p.price, p.currency)
        assert "backpack" in p.name.lower()
    assert chat["typing_shown"], "no typing indicator while waiting"
    assert not chat["typing_after"], "the typing indicator stayed after the reply"
    assert {"Cheaper", "Other brands", "Compare"} <= set(chat["quick_replies"])
    assert chat["transport_after"] in ("websocket", "polling")


def test_a_cards_details_button_shows_that_products_details(chat, catalog):
    first = catalog.get(chat["cards"][0]["id"])
    d = chat["details"]
    assert d["id"] == first.id and d["kind"] == "product_details" and d["price"] == first.price
    rows = {r["store_id"]: r["cells"] for r in chat["details_stock"]}
    assert set(rows) == set(first.stock)
    for sid, st in first.stock.items():
        assert rows[sid][1:] == [str(st.quantity), st.aisle]
    # the shopper sees the button's title, not its /ask_details{...} payload
    assert chat["details_shown_as"] == f"Details: {first.name}"


def test_a_reload_shows_the_same_conversation_from_the_server(chat):
    r = chat["reload"]
    assert r["session_id"] == chat["session_id"]
    assert r["history_requests"] and r["history_requests"][0].endswith(f"/web/api/history/{chat['session_id']}")
    assert r["user_bubbles"] == chat["user_bubbles"] == [QUERY, chat["details_shown_as"]]
    assert [c["id"] for c in r["cards"]] == [c["id"] for c in chat["cards"]]
    assert [c["price"] for c in r["cards"]] == [c["price"] for c in chat["cards"]]
    assert [c["id"] for c in r["details"]] == [chat["details"]["id"]]


def test_a_dropped_connection_shows_reconnecting_and_recovers(chat, catalog):
    assert chat["reconnecting_visible"] and "Reconnecting" in chat["reconnecting_text"]
    assert chat["status_hidden_after"]
    # typed while the connection was down: sent once it was back, and answered
    assert chat["after_reconnect_last_user"] == "cheaper"
    assert chat["after_reconnect_bot"].startswith("Here are")
    assert chat["session_after_reconnect"] == chat["session_id"]


def test_the_history_endpoint_mirrors_the_redis_tracker(chat, web_stack):
    sid = chat["session_id"]
    with urllib.request.urlopen(f"{web_stack.rasa_url}/web/api/history/{sid}", timeout=30) as r:  # noqa: S310
        hist = json.loads(r.read())
    users = [m["text"] for m in hist["messages"] if m["sender"] == "user"]
    assert users == [QUERY, chat["details_shown_as"], "cheaper"]
    tracker = web_stack.tracker(sid)
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"][0] == QUERY
    bot_with_cards = [m for m in hist["messages"] if m["sender"] == "bot" and m["custom"]]
    assert [m["custom"]["type"] for m in bot_with_cards] == ["product_cards", "product_details", "product_cards"]
