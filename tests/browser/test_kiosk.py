"""The kiosk in a real browser: start menu search, this store's stock and aisle, "where is it?",
the idle wipe, and staff mode."""
from __future__ import annotations

import json
import re
import urllib.request

import pytest
from browser_env import IDLE_TIMEOUT_S, KIOSK_STORE

from actions.replies import money

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kiosk(run_scenario):
    return run_scenario("kiosk_scenario.cjs", {"menu_item": "Coffee"})


def test_the_kiosk_is_for_its_configured_store(kiosk):
    assert "Downtown Superstore" in kiosk["store"]
    assert kiosk["idle_timeout_s"] == IDLE_TIMEOUT_S
    assert "Coffee" in kiosk["menu"] and "Help" in kiosk["menu"]
    assert kiosk["qr_1"].endswith(f"/chat?session={kiosk['session_1']}")


def test_a_start_menu_search_shows_big_cards_with_this_stores_stock_and_aisle(kiosk, catalog):
    assert kiosk["user_bubbles"] == ["Coffee"]
    assert kiosk["typing_shown"]
    assert len(kiosk["cards"]) == 3
    for c in kiosk["cards"]:
        p = catalog.get(c["id"])
        assert "coffee" in p.name.lower()
        assert c["price"] == p.price and c["price_text"] == money(p.price, p.currency)
        here = p.stock.get(KIOSK_STORE)
        if here and here.quantity > 0:
            assert c["here"] == "yes"
            assert c["here_qty"] == f"{here.quantity} in stock here"
            assert c["here_aisle"] == here.aisle
        else:
            assert c["here"] == "no" and c["here_qty"] == "Not in stock in this store"
        assert not c["staff_table_visible"]


def test_where_is_it_shows_the_aisle_in_this_store(kiosk, catalog):
    first = catalog.get(kiosk["cards"][0]["id"])
    w = kiosk["where"]
    aisle = first.stock[KIOSK_STORE].aisle
    number, section = re.match(r"Aisle (\d+) - (.*)", aisle).groups()
    assert w["product_id"] == first.id and w["aisle"] == aisle
    assert w["big"] == f"Aisle {number}" and w["section"] == section
    assert w["map_target"] == number and w["map_size"] >= int(number)
    assert kiosk["where_closed"]


def test_the_idle_timeout_wipes_the_screen_and_starts_a_new_session(kiosk, web_stack):
    assert IDLE_TIMEOUT_S * 1000 * 0.5 <= kiosk["warning_after_ms"] < kiosk["wiped_after_ms"]
    assert kiosk["wiped_after_ms"] >= (IDLE_TIMEOUT_S - 1) * 1000
    a = kiosk["after"]
    assert a["session"] != kiosk["session_1"] and a["stored_session"] == a["session"]
    assert a["qr"].endswith(f"/chat?session={a['session']}")
    assert a["messages"] == 0 and a["cards"] == 0 and a["dialogs_open"] == 0
    assert a["start_menu_visible"] and a["started"] == "false"
    assert not a["old_names_visible"] and a["log_text"].strip() == "" and a["input_value"] == ""
    assert kiosk["after_reload"] == {"session": a["session"], "messages": 0}
    # the old conversation is gone from the screen, not from the server: a phone that
    # scanned the QR code before the wipe still has it
    with urllib.request.urlopen(f"{web_stack.rasa_url}/web/api/history/{kiosk['session_1']}", timeout=30) as r:  # noqa: S310
        assert [m["text"] for m in json.loads(r.read())["messages"] if m["sender"] == "user"] == ["Coffee"]


def test_kiosk_messages_carry_the_store_to_the_actions(kiosk, web_stack):
    events = web_stack.tracker(kiosk["session_1"])["events"]
    meta = [e.get("metadata") for e in events if e["event"] == "user"][-1]
    assert meta["store_id"] == KIOSK_STORE and meta["kiosk"] is True


@pytest.fixture(scope="module")
def staff(run_scenario, web_stack):
    return run_scenario("staff_scenario.cjs", {"pin": web_stack.staff_pin, "product_query": "show me backpacks"})


def test_a_kiosk_stock_question_answers_for_this_store_first(staff, catalog):
    p = catalog.get(staff["card_ids"][0])
    assert staff["stock_answer"].startswith(p.name)
    first_store = re.search(r"in stock at ([^(;]+?) \(", staff["stock_answer"]).group(1)
    assert first_store == "Downtown Superstore"


def test_staff_mode_needs_the_pin_and_shows_stock_everywhere_and_help_requests(staff, catalog):
    assert staff["staff_button_visible"] and staff["staff_tables_before"] == 0
    assert staff["wrong_pin_error"] == "wrong PIN" and not staff["staff_mode_after_wrong"]
    assert staff["staff_mode"]
    waiting = [h for h in staff["help"] if h["session"] == staff["session"]]
    assert waiting and "Downtown Superstore kiosk" in waiting[0]["text"]
    p = catalog.get(staff["card_ids"][0])
    lookup = staff["lookup"][0]
    assert lookup["id"] == p.id
    assert {r["store_id"]: (int(r["qty"]), r["aisle"]) for r in lookup["rows"]} == {
        sid: (st.quantity, st.aisle) for sid, st in p.stock.items()}
    assert staff["staff_tables_on_cards"] == staff["cards_in_log"] >= len(staff["card_ids"])
    assert not staff["staff_mode_after_lock"] and staff["staff_tables_after_lock"] == 0


def test_an_expired_staff_sign_in_asks_for_the_pin_again(staff):
    assert staff["after_expiry"] == {"error": "Your sign-in expired — enter the PIN again", "staff_open": False,
                                     "staff_mode": False, "unlocked_again": True}
