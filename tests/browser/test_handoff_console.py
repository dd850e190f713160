"""Hand-off to staff in real browsers: the web chat and the kiosk ask for a person, the staff console
(/staff, another browser) takes them and replies live; the bot stays silent meanwhile; "back to the
assistant" hands back. axe-core on the console, the chat with a staff reply, and the checkout page.

The shopper joins the queue through the dialogue (``request_human`` -> ``action_handoff`` ->
``HandoffDesk.request``). ``SHOPGUIDE_TEST_SEED_HANDOFF=1`` puts them in the queue from here instead
(for working on the console while the dialogue part is not there).
"""
from __future__ import annotations

import json
import os
import time
import uuid

import pytest
from browser_env import KIOSK_STORE

from shopper import links
from shopper.handoff import RELEASED_TEXT, HandoffDesk

pytestmark = pytest.mark.slow
ASK = "I want to talk to a real person"
SEED = os.environ.get("SHOPGUIDE_TEST_SEED_HANDOFF") == "1"


def desk_of(stack) -> HandoffDesk:
    return HandoffDesk.from_url(stack.redis.url, stack.settings.redis_prefix)


def order_checkout_url(stack) -> str:
    desk = desk_of(stack)
    prefix = stack.settings.redis_prefix
    order = {
        "id": "ORD-BROWSER1", "sender": uuid.uuid4().hex, "status": "reserved", "created_at": time.time(),
        "history": [{"status": "reserved", "at": time.time()}],
        "fulfilment": {"type": "pickup", "store_id": KIOSK_STORE, "store_name": "Downtown Superstore", "address": "1 Main St"},
        "lines": [{"product_id": "D02413", "name": "Trail backpack", "variant": "25 L", "unit_price": 49.99,
                   "quantity": 1, "store_id": KIOSK_STORE}],
        "total": 49.99, "currency": "USD",
    }
    desk.r.set(f"{prefix}:order:{order['id']}", json.dumps(order))
    secret = links.shared_secret(desk.r, prefix, os.environ.get("SHOPGUIDE_CHECKOUT_SECRET"))
    return f"{stack.rasa_url}/checkout/{links.sign(order['id'], secret, 3600)}"


@pytest.fixture(scope="module")
def chat(run_scenario, web_stack):
    sid = uuid.uuid4().hex
    if SEED:
        desk_of(web_stack).request(sid, "socketio", last_messages=[ASK])
    out = run_scenario("handoff_scenario.cjs", {"pin": web_stack.staff_pin, "session": sid, "mode": "chat", "ask": ASK,
                                                "checkout_url": order_checkout_url(web_stack)}, timeout_s=300)
    out["sid"] = sid
    return out


@pytest.fixture(scope="module")
def kiosk(run_scenario, web_stack):
    sid = uuid.uuid4().hex
    desk = desk_of(web_stack)
    older = f"web-{uuid.uuid4().hex}"
    desk.request(older, "socketio")  # someone on the web chat has waited longer
    if SEED:
        desk.request(sid, "socketio", store_id=KIOSK_STORE)
    try:
        out = run_scenario("handoff_scenario.cjs", {"pin": web_stack.staff_pin, "session": sid, "mode": "kiosk",
                                                    "store": KIOSK_STORE}, timeout_s=300)
    finally:
        desk.release(older, by="test")
    out["sid"], out["older"] = sid, older
    return out


def test_the_console_needs_the_pin_and_lists_the_shopper(chat):
    assert chat["shopper_session"] == chat["sid"]
    assert chat["ask_reply"], "the assistant answered the request for a person"
    assert chat["wrong_pin"] == "wrong PIN"
    assert chat["sid"] in [q["sender"] for q in chat["queue"]]


def test_taking_tells_the_shopper_who_joined_and_replies_arrive_live_as_staff(chat):
    assert chat["focused_after_take"] == "reply-text"
    assert not chat["convo_take_visible"] and chat["convo_release_visible"]
    assert chat["joined"] == {"name": "Ann (store staff)", "text": "Ann from the store has joined the chat.", "handoff": "joined"}
    assert chat["back_button_visible"]  # "Back to the assistant" under it
    assert {"name": "Ann (store staff)", "text": "Hi, I am Ann. What are you looking for?", "handoff": ""} in chat["staff_messages"]
    assert any(ASK in b for b in chat["before"]) or SEED  # the console shows what was said before


def test_while_staff_have_the_conversation_the_bot_is_silent(chat, web_stack):
    assert chat["bot_replies_while_staff"] == 0
    assert not chat["typing_while_staff"] and chat["notes_while_staff"] == []
    said = [e.get("text") for e in web_stack.tracker(chat["sid"])["events"] if e["event"] == "user"]
    assert "do you have tents?" not in said  # Rasa never saw it
    assert "do you have tents?" in [t["text"] for t in desk_of(web_stack).thread(chat["sid"]) if t["from"] == "shopper"]


def test_back_to_the_bot_hands_back_and_the_bot_answers_again(chat, web_stack):
    assert chat["released_text"] == RELEASED_TEXT
    assert {"from": "bot", "event": "released"} in chat["console_after_release"]
    assert chat["cards_after_release"] >= 1
    assert desk_of(web_stack).get(chat["sid"]) is None
    # a reload shows the staff messages again (from the hand-off thread), and the bot has the conversation
    assert [m["text"] for m in chat["after_reload"]["staff"]] == [m["text"] for m in chat["staff_messages"]]
    assert chat["after_reload"]["with_person"] == "false"


@pytest.mark.parametrize("view", ["axe_unlock", "axe_queue", "axe_convo", "axe_shopper_with_staff", "axe_checkout"])
def test_axe_finds_no_wcag_violations_on_the_console_and_checkout(chat, view):
    assert chat[view]["passes"] > 5
    assert chat[view]["violations"] == []


def test_an_expired_sign_in_asks_for_the_pin_again(chat):
    assert chat["after_expiry"] == {"error": "Your sign-in expired — enter the PIN again", "pin_focused": "staff-pin",
                                    "console_visible": False, "unlocked_again": True}


def test_the_checkout_page_shows_the_order(chat):
    c = chat["checkout"]
    assert c["status"] == 200 and c["h1"] == "Order ORD-BROWSER1" and c["total"] == "$49.99"


def test_the_kiosk_help_button_puts_the_shopper_first_in_their_stores_queue(kiosk):
    assert kiosk["store_filter"] == KIOSK_STORE
    senders = [q["sender"] for q in kiosk["queue"]]
    assert senders.index(kiosk["sid"]) < senders.index(kiosk["older"])  # this store's shopper first
    mine = next(q for q in kiosk["queue"] if q["sender"] == kiosk["sid"])
    assert mine["store_id"] == KIOSK_STORE and "Downtown Superstore" in mine["text"]
    assert kiosk["convo_title"] == "Shopper at Downtown Superstore kiosk"


def test_on_the_kiosk_staff_replies_show_the_bot_stays_silent_and_staff_hand_back(kiosk):
    assert {"name": "Ann (store staff)", "text": "Hi, I am Ann. What are you looking for?", "handoff": ""} in kiosk["staff_messages"]
    assert kiosk["bot_replies_while_staff"] == 0 and not kiosk["typing_while_staff"]
    assert kiosk["released_text"] == RELEASED_TEXT and kiosk["cards_after_release"] >= 1  # released by staff
    assert {"from": "bot", "event": "released"} in kiosk["console_after_release"]
    assert kiosk["axe_convo"]["violations"] == [] and kiosk["axe_shopper_with_staff"]["violations"] == []
