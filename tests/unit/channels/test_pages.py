"""The web pages' server logic: history from tracker events, help requests, staff PIN, kiosk config, files."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from channels import pages as W
from config import DialogueSettings, Settings, WebSettings
from retrieval.catalog import Catalog
from retrieval.schema import Product, StoreStock
from support.redis_process import free_port_fixture, redis_client, redis_server  # noqa: F401

STORES = [
    {"id": "downtown", "name": "Downtown Superstore", "address": "1 Main St", "hours": "7-23", "aisles": 66},
    {"id": "riverside", "name": "Riverside Market", "address": "", "hours": "", "aisles": 30},
]


def user(text, intent="search_product", ts=100.0, metadata=None, channel="socketio"):
    return {"event": "user", "text": text, "timestamp": ts, "input_channel": channel,
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}}, "metadata": metadata or {}}


def bot(text="", buttons=None, custom=None, ts=101.0):
    return {"event": "bot", "text": text, "timestamp": ts,
            "data": {"elements": None, "quick_replies": None, "buttons": buttons, "attachment": None,
                     "image": None, "custom": custom}}


# ----------------------------------------------------------------------------- history

def test_history_keeps_user_and_bot_messages_in_order_and_drops_the_rest():
    card = {"id": "D1", "name": "Kettle", "price": 19.99}
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": 1},
        {"event": "session_started", "timestamp": 1},
        user("a kettle", ts=2),
        {"event": "slot", "name": "x", "value": 1, "timestamp": 3},
        bot("Here is one", buttons=[{"title": "Cheaper", "payload": "/refine{\"refinement\":\"cheaper\"}"}],
            custom={"type": "product_cards", "act": "recommend", "cards": [card]}, ts=4),
        {"event": "action", "name": "action_listen", "timestamp": 5},
        bot("", ts=6),  # an empty bot event shows nothing
    ]
    msgs = W.history_messages(events)
    assert [m["sender"] for m in msgs] == ["user", "bot"]
    assert msgs[0] == {"sender": "user", "text": "a kettle", "buttons": [], "custom": None, "timestamp": 2}
    assert msgs[1]["buttons"] == [{"title": "Cheaper", "payload": "/refine{\"refinement\":\"cheaper\"}"}]
    assert msgs[1]["custom"]["cards"] == [card]


def test_buttons_show_their_title_and_bare_payloads_their_intent_in_words():
    shown = user('/ask_details{"product_id":"D1"}', metadata={"display": "Details: Kettle"})
    assert W.display_text(shown) == "Details: Kettle"
    assert W.display_text(user('/ask_details{"product_id":"D1"}')) == "Ask details"
    assert W.display_text(user("/compare", metadata={"display": "  "})) == "Compare"
    assert W.display_text(user("show me coffee", metadata={"display": "Coffee"})) == "Coffee"  # a start-menu button
    assert W.display_text(user("plain words")) == "plain words"


def test_history_is_capped_to_the_latest_messages():
    events = [user(f"m{i}", ts=i) for i in range(10)]
    assert [m["text"] for m in W.history_messages(events, limit=3)] == ["m7", "m8", "m9"]
    assert len(W.history_messages(events, limit=0)) == 10


def test_quick_replies_are_read_as_buttons():
    e = bot("pick", ts=1)
    e["data"]["quick_replies"] = [{"content_type": "text", "title": "Yes", "payload": "/affirm"}]
    assert W.history_messages([e])[0]["buttons"] == [{"title": "Yes", "payload": "/affirm"}]


@pytest.mark.parametrize("sid,ok", [
    ("0123456789abcdef0123456789abcdef", True), ("a" * 22, True), ("a" * 128, True), ("a" * 21, False),
    ("a" * 16, False), ("short", False), ("a" * 129, False), ("../../etc/passwd0000000000", False),
    ("has space 1234567890123", False), ("", False),
])
def test_only_long_random_looking_session_ids_are_served(sid, ok):
    assert W.valid_session_id(sid) is ok


# ----------------------------------------------------------------------------- help requests

def test_a_recent_help_intent_as_the_latest_message_is_a_help_request():
    events = [user("kettle", ts=10), bot("..."), user("I'm lost", intent="help", ts=50,
                                                     metadata={"store_id": "downtown", "kiosk": True}), bot("I can...")]
    req = W.help_request("abc", events, now=60)
    assert req == {"session_id": "abc", "text": "I'm lost", "timestamp": 50.0, "store_id": "downtown",
                   "kiosk": True, "channel": "socketio"}


def test_older_or_answered_help_is_not_a_request():
    later = [user("help", intent="help", ts=10), bot("..."), user("kettle", ts=20)]
    assert W.help_request("s", later, now=30) is None
    stale = [user("help", intent="help", ts=10)]
    assert W.help_request("s", stale, now=10 + W.HELP_WINDOW_S + 1) is None
    assert W.help_request("s", [bot("hi")], now=0) is None


def test_scan_finds_help_requests_in_redis_trackers(redis_client):
    class Store:
        red = redis_client
        key_prefix = "t:tracker:"

    import time

    now = time.time()
    redis_client.set("t:tracker:helpme0000000000001", json.dumps({"events": [user("/help", intent="help", ts=now - 5,
                                                                              metadata={"store_id": "downtown"})]}))
    redis_client.set("t:tracker:shopper000000000002", json.dumps({"events": [user("kettle", ts=now)]}))
    redis_client.set("t:tracker:broken", "not json")
    redis_client.set("other:key", "x")
    from channels.web import WebPages

    found, scanned = WebPages._scan_help(Store())
    assert scanned == 3
    assert [f["session_id"] for f in found] == ["helpme0000000000001"]
    assert found[0]["text"] == "Help" and found[0]["store_id"] == "downtown"


# ----------------------------------------------------------------------------- staff PIN

class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_staff_gate_off_without_a_pin():
    gate = W.StaffGate(None)
    assert not gate.enabled
    assert gate.check("") == "off" and gate.check("1234") == "off"
    assert W.StaffGate("   ").check("   ") == "off"


def test_staff_gate_locks_after_repeated_misses_then_recovers():
    clock = Clock()
    gate = W.StaffGate("482913", max_failures=3, lockout_s=30, clock=clock)
    assert gate.check("482913") == "ok"
    assert [gate.check("000000") for _ in range(3)] == ["wrong", "wrong", "wrong"]
    assert gate.check("482913") == "locked"          # even the right PIN, while locked
    clock.t += 31
    assert gate.check(None) == "wrong"
    assert gate.check(" 482913 ") == "ok"
    assert gate.clients == {}  # a client that got in is forgotten


def test_make_run_generates_a_random_pin_only_when_none_is_set():
    pin, generated = W.ensure_staff_pin(None)
    assert generated and len(pin) == 6 and pin.isdigit()
    assert W.ensure_staff_pin(" ") [1] is True
    assert W.ensure_staff_pin("9876") == ("9876", False)


def test_staff_pin_is_off_by_default_in_settings(monkeypatch):
    for k in list(os.environ):
        if k.startswith("SHOPGUIDE_KIOSK") or k == "SHOPGUIDE_PUBLIC_BASE_URL":
            monkeypatch.delenv(k)
    s = WebSettings()
    assert s.kiosk_staff_pin is None and s.kiosk_store == "downtown" and s.public_base_url is None
    assert W.kiosk_config(s, STORES)["staff_enabled"] is False


# ----------------------------------------------------------------------------- kiosk config

def test_kiosk_config_names_the_store_and_settings():
    s = WebSettings(kiosk_store="riverside", kiosk_idle_timeout_s=7, kiosk_staff_pin="1",
                    public_base_url="http://192.168.1.20:5005/")
    cfg = W.kiosk_config(s, STORES)
    assert cfg["store"]["name"] == "Riverside Market" and cfg["store"]["aisles"] == 30
    assert cfg["idle_timeout_s"] == 7 and cfg["staff_enabled"] is True and cfg["error"] is None
    assert cfg["public_base_url"] == "http://192.168.1.20:5005"
    assert cfg["start_menu"][0] == {"title": "Coffee", "text": "show me coffee"}
    assert "kiosk_staff_pin" not in json.dumps(cfg) and '"1"' not in json.dumps(cfg)


def test_kiosk_config_reports_an_unknown_store():
    cfg = W.kiosk_config(WebSettings(kiosk_store="nowhere"), STORES)
    assert "nowhere" in cfg["error"] and "downtown" in cfg["error"]
    assert cfg["store"]["id"] == "nowhere"


def test_demo_store_list_has_aisle_counts():
    stores = W.load_store_list()
    assert {s["id"] for s in stores} >= {"downtown", "riverside", "eastgate"}
    assert all(s["aisles"] > 0 for s in stores)


def test_settings_reject_a_zero_idle_timeout():
    with pytest.raises(ValueError):
        WebSettings(kiosk_idle_timeout_s=0)


# ----------------------------------------------------------------------------- stock lookup

def _catalog():
    def p(pid, name, brand, stock):
        return Product(id=pid, name=name, brand=brand, price=9.5, currency="USD",
                       stock={k: StoreStock(store_id=k, quantity=q, aisle=a) for k, (q, a) in stock.items()})

    return Catalog(name="t", products=[
        p("K1", "Steel Kettle 1.7 L", "Boilco", {"downtown": (3, "Aisle 30 - Kitchen"), "riverside": (0, "Aisle 4 - Kitchen")}),
        p("K2", "Glass Kettle", "Boilco", {"downtown": (1, "Aisle 30 - Kitchen")}),
        p("T1", "Toaster", "Crispo", {}),
    ])


def test_stock_lookup_by_id_or_words():
    names = {"downtown": "Downtown Superstore"}
    by_id = W.stock_lookup(_catalog(), "K1", names)
    assert by_id == [{"id": "K1", "name": "Steel Kettle 1.7 L", "brand": "Boilco", "price_text": "$9.50", "stock": [
        {"store_id": "downtown", "store": "Downtown Superstore", "quantity": 3, "aisle": "Aisle 30 - Kitchen"},
        {"store_id": "riverside", "store": "riverside", "quantity": 0, "aisle": "Aisle 4 - Kitchen"}]}]
    assert [p["id"] for p in W.stock_lookup(_catalog(), "boilco KETTLE", names)] == ["K1", "K2"]
    assert W.stock_lookup(_catalog(), "  ", names) == []
    assert W.stock_lookup(_catalog(), "nothing like it", names) == []


# ----------------------------------------------------------------------------- files

def test_assets_never_leave_their_folder(tmp_path: Path):
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.js").write_text("x")
    (tmp_path / "static" / ".secret").write_text("x")
    (tmp_path / "outside.txt").write_text("x")
    root = tmp_path / "static"
    assert W.resolve_asset(root, "app.js") == (root / "app.js").resolve()
    for bad in ("../outside.txt", "..", "", ".secret", "sub/../../outside.txt", "missing.js", "app.js\x00.png", "/etc/passwd"):
        assert W.resolve_asset(root, bad) is None, bad


def test_the_shipped_pages_and_scripts_exist():
    for page in W.PAGES.values():
        assert page.is_file()
    for name in ("shopchat.js", "chat.js", "kiosk.js", "embed.js", "shopchat.css", "kiosk.css", "placeholder-product.svg",
                 "staff.js", "staff.css", "checkout.css"):
        assert (W.STATIC_DIR / name).is_file(), name
    assert W.content_type(Path("a.js")).startswith("text/javascript")
    assert W.content_type(Path("a.bin")) == "application/octet-stream"


def test_pages_load_only_same_origin_scripts():
    """No inline scripts or styles (the pages are served with a strict CSP) and no CDN."""
    import re

    for page in W.PAGES.values():
        html = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page
        assert "style=" not in html and "<style" not in html
        for src in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert src.startswith(("/static/", "#", "/staff")), src  # /staff: the kiosk's link to the console


def test_page_urls_are_on_the_rasa_port():
    s = Settings(dialogue=DialogueSettings(rasa_port=5999), web=WebSettings(public_base_url="https://shop.example"))
    assert W.page_urls(s) == {"chat": "http://127.0.0.1:5999/chat", "kiosk": "http://127.0.0.1:5999/kiosk",
                              "staff": "http://127.0.0.1:5999/staff"}


# ----------------------------------------------------------------------------- hand-off and checkout


def test_the_kiosk_help_button_asks_for_a_person():
    assert dict(W.START_MENU)["Help"] == "/request_human"


def test_staff_replies_are_woven_into_the_history_by_time():
    history = W.history_messages([user("I want a person", intent="request_human", ts=10), bot("Asking staff", ts=11),
                                  user("still there?", ts=30)])
    thread = [
        {"from": "staff", "text": "Ann from the store has joined the chat.", "at": 20, "staff": "Ann", "event": "joined"},
        {"from": "staff", "text": "Hi!", "at": 25, "staff": "Ann"},
        {"from": "shopper", "text": "where are tents", "at": 40},
        {"from": "bot", "text": "You're back", "at": 50, "event": "released", "by": "shopper"},
        {"from": "staff", "text": "", "at": 60},  # nothing to show
    ]
    merged = W.merge_thread(history, thread)
    assert [(m["sender"], m["text"]) for m in merged] == [
        ("user", "I want a person"), ("bot", "Asking staff"), ("bot", "Ann from the store has joined the chat."),
        ("bot", "Hi!"), ("user", "still there?"), ("user", "where are tents"), ("bot", "You're back")]
    assert merged[2]["metadata"] == {"from": "staff", "outcome": "staff", "staff": "Ann", "handoff": "joined"}
    assert merged[3]["metadata"] == {"from": "staff", "outcome": "staff", "staff": "Ann"}
    assert merged[6]["metadata"] == {"from": "bot", "outcome": "handoff", "handoff": "released"}
    assert W.merge_thread(history, []) == history
    assert len(W.merge_thread(history, thread, limit=2)) == 2


def test_a_handoff_as_the_console_lists_it():
    state = {"sender": "s1", "status": "waiting", "store_id": "downtown", "requested_at": 100.0,
             "last_messages": ["hi", "I want to talk to a real person " + "x" * 200], "position": 1}
    item = W.handoff_item(state, {"downtown": "Downtown Superstore"}, now=190.0)
    assert item["store"] == "Downtown Superstore" and item["waited_s"] == 90.0 and len(item["preview"]) == 140
    assert W.handoff_item(dict(state, store_id=None, last_messages=[]), {}, now=100.0)["store"] is None


ORDER = {
    "id": "ORD-1", "status": "ready_for_pickup", "created_at": 0,
    "history": [{"status": "created", "at": 0}, {"status": "ready_for_pickup", "at": 60}],
    "fulfilment": {"type": "pickup", "store_id": "downtown", "store_name": "Downtown <Superstore>", "address": "1 Main St"},
    "lines": [{"product_id": "D1\"><x", "name": "Kettle <img src=x onerror=alert(1)>", "variant": "red & big",
               "unit_price": 10.0, "quantity": 3, "store_id": "downtown"}],
    "total": None, "currency": "EUR",
}


def test_the_checkout_page_escapes_every_value():
    page = W.checkout_html(ORDER, expires_at=86400)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'data-product-id="D1&quot;&gt;&lt;x"' in page and "Downtown &lt;Superstore&gt;" in page and "red &amp; big" in page
    assert "Ready for pickup" in page and "Pick up in store" in page and "01 Jan 1970, 00:01 UTC" in page
    assert page.count("€30.00") == 2  # the line's subtotal and the total (computed when the order has none)
    assert "Payment is not taken on this page" in page and "02 Jan 1970" in page
    assert "$main" not in page and "$title" not in page


def test_checkout_error_pages_say_what_to_do():
    assert "expired" in W.checkout_error_html(410) and "new one" in W.checkout_error_html(410)
    assert "not a valid checkout link" in W.checkout_error_html(404)
    assert "try again" in W.checkout_error_html(503) and "went wrong" in W.checkout_error_html(999)
