"""The staff console's and checkout page's handlers (channels/web.py) on a real Redis, called with a
stand-in for Sanic's request (no server): staff sign-in, take (409), reply (live on Socket.IO, outbox on REST),
release, the history with staff replies, and the checkout page (valid, expired, tampered, unknown)."""
from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels import pages as W
from channels.rasa_plugins import GuardedRestInput, GuardedSocketIOInput, StrictRedisTrackerStore
from channels.web import WebPages
from config import DialogueSettings, Settings, WebSettings
from shopper import links
from shopper.handoff import RELEASED_TEXT, HandoffDesk

PIN = "246810"
SHOPPER = "0123456789abcdef0123456789abcdef"
TOKEN = W.staff_token("s3cret", 3600)[0]  # a staff sign-in, signed with the pages fixture's secret


class FakeSio:
    def __init__(self) -> None:
        self.emitted = []

    async def emit(self, event, data=None, room=None, **kwargs):
        self.emitted.append({"event": event, "data": data, "room": room})


class Req:
    """What the handlers read of a Sanic request."""

    def __init__(self, app_ctx, token=TOKEN, body=None, args=None):
        self.headers = {"authorization": f"Bearer {token}"} if token is not None else {}
        self.remote_addr, self.ip = "", "127.0.0.1"
        self.json = body
        self.args = args or {}
        self.app = SimpleNamespace(ctx=app_ctx)
        self.host = "127.0.0.1:5005"


@pytest.fixture
def sio():
    return FakeSio()


@pytest.fixture
def app_ctx(sio, redis_server):
    socket = GuardedSocketIOInput(session_persistence=True)
    socket.sio = sio
    tracker_store = StrictRedisTrackerStore(Domain.empty(), url=redis_server.url, key_prefix="t")
    return SimpleNamespace(input_channels=[GuardedRestInput(), socket], agent=SimpleNamespace(tracker_store=tracker_store))


@pytest.fixture
def desk(redis_client):
    import itertools
    import time

    ticks = itertools.count()
    return HandoffDesk(redis_client, "t", clock=lambda: time.time() + next(ticks))  # asked one after another


@pytest.fixture
def pages(desk):
    settings = Settings(dialogue=DialogueSettings(redis_prefix="t", checkout_secret="s3cret"),
                        web=WebSettings(kiosk_staff_pin=PIN))
    p = WebPages(settings, desk=desk)
    p._stores = [{"id": "downtown", "name": "Downtown Superstore"}, {"id": "riverside", "name": "Riverside Market"}]
    return p


def call(coro):
    res = asyncio.run(coro)
    body = res.body.decode() if res.body else ""
    try:
        return res.status, json.loads(body)
    except ValueError:
        return res.status, body


def test_every_staff_endpoint_needs_a_sign_in(pages, app_ctx, desk):
    desk.request(SHOPPER, "socketio")
    for coro in (pages.staff_handoffs(Req(app_ctx, token=None)), pages.staff_handoff(Req(app_ctx, token="nope"), SHOPPER),
                 pages.staff_take(Req(app_ctx, token="", body={"staff": "Ann"}), SHOPPER),
                 pages.staff_reply(Req(app_ctx, token=None, body={"staff": "Ann", "text": "hi"}), SHOPPER),
                 pages.staff_release(Req(app_ctx, token=PIN, body={"staff": "Ann"}), SHOPPER)):
        assert call(coro)[0] == 401
    assert not desk.with_person(SHOPPER)
    assert call(pages.staff_handoff(Req(app_ctx), "bad:id"))[0] == 400
    assert call(pages.staff_handoffs(Req(app_ctx)))[0] == 200


def test_the_list_puts_the_stores_shoppers_first_with_names_and_waits(pages, app_ctx, desk):
    desk.request("web-shopper-000001", "socketio", last_messages=["I want a person"])
    desk.request(SHOPPER, "socketio", store_id="downtown")
    status, data = call(pages.staff_handoffs(Req(app_ctx, args={"store": "downtown"})))
    assert status == 200 and data["store"] == "downtown" and data["store_name"] == "Downtown Superstore"
    assert [(h["sender"], h["store"], h["position"]) for h in data["waiting"]] == [
        (SHOPPER, "Downtown Superstore", 2), ("web-shopper-000001", None, 1)]
    assert data["waiting"][1]["preview"] == "I want a person" and data["taken"] == []
    assert call(pages.staff_handoffs(Req(app_ctx, args={"store": "<script>"})))[1]["store"] is None


def test_take_reply_and_release_on_socketio_go_out_live(pages, app_ctx, desk, sio):
    desk.request(SHOPPER, "socketio", store_id="downtown", looking_at=[{"id": "D1", "name": "Kettle"}])
    assert call(pages.staff_take(Req(app_ctx, body={}), SHOPPER))[0] == 400  # a name is needed
    status, data = call(pages.staff_take(Req(app_ctx, body={"staff": "Ann"}), SHOPPER))
    assert status == 200 and data["state"]["staff"] == "Ann" and data["delivered"] == "live"
    joined = sio.emitted[-1]
    assert joined["room"] == SHOPPER and joined["event"] == "bot_uttered"
    assert joined["data"]["metadata"] == {"from": "staff", "outcome": "staff", "staff": "Ann", "handoff": "joined"}
    assert joined["data"]["quick_replies"][0]["payload"] == "back to the bot"

    status, data = call(pages.staff_take(Req(app_ctx, body={"staff": "Ben"}), SHOPPER))
    assert status == 409 and data["staff"] == "Ann" and "Ann" in data["error"]
    assert call(pages.staff_reply(Req(app_ctx, body={"staff": "Ben", "text": "hi"}), SHOPPER))[0] == 409

    status, data = call(pages.staff_reply(Req(app_ctx, body={"staff": "Ann", "text": "Hi! <b>Ann</b> here"}), SHOPPER))
    assert status == 200 and data["delivered"] == "live"
    assert sio.emitted[-1]["data"] == {"text": "Hi! <b>Ann</b> here",
                                       "metadata": {"from": "staff", "outcome": "staff", "staff": "Ann"}}
    assert desk.drain_outbox(SHOPPER) == []  # delivered live: nothing waits in the outbox

    status, data = call(pages.staff_handoff(Req(app_ctx), SHOPPER))
    assert status == 200 and data["state"]["status"] == "taken" and data["state"]["looking_at"][0]["name"] == "Kettle"
    assert [(t["from"], t["text"]) for t in data["thread"]] == [
        ("staff", "Ann from the store has joined the chat."), ("staff", "Hi! <b>Ann</b> here")]

    status, data = call(pages.staff_release(Req(app_ctx, body={"staff": "Ann"}), SHOPPER))
    assert status == 200 and data["delivered"] == "live"
    assert sio.emitted[-1]["data"]["text"] == RELEASED_TEXT and sio.emitted[-1]["data"]["metadata"]["handoff"] == "released"
    assert desk.get(SHOPPER) is None
    assert call(pages.staff_release(Req(app_ctx, body={"staff": "Ann"}), SHOPPER))[0] == 404
    assert call(pages.staff_take(Req(app_ctx, body={"staff": "Ann"}), SHOPPER))[0] == 404


def test_a_rest_shoppers_replies_wait_in_the_outbox(pages, app_ctx, desk, sio):
    desk.request("rest-shopper-0001", "rest")
    assert call(pages.staff_take(Req(app_ctx, body={"staff": "Ann"}), "rest-shopper-0001"))[1]["delivered"] == "outbox"
    status, data = call(pages.staff_reply(Req(app_ctx, body={"staff": "Ann", "text": "hello"}), "rest-shopper-0001"))
    assert status == 200 and data["delivered"] == "outbox"
    assert [m["text"] for m in desk.drain_outbox("rest-shopper-0001")] == ["Ann from the store has joined the chat.", "hello"]
    assert sio.emitted == []


def test_the_history_weaves_in_staff_replies(pages, app_ctx, desk):
    tracker = DialogueStateTracker.from_events(SHOPPER, [
        UserUttered("I want to talk to a real person", timestamp=100.0),
        BotUttered("I've asked a member of staff to join.", timestamp=101.0)])
    asyncio.run(app_ctx.agent.tracker_store.save(tracker))
    desk.clock = lambda: 200.0
    desk.request(SHOPPER, "socketio")
    desk.take(SHOPPER, "Ann")
    desk.reply(SHOPPER, "Ann", "Hi, Ann here")
    desk.note(SHOPPER, "shopper", "where are the tents?")
    status, data = call(pages.history(Req(app_ctx, token=None), SHOPPER))
    assert status == 200
    assert [(m["sender"], m["text"], (m.get("metadata") or {}).get("from")) for m in data["messages"]] == [
        ("user", "I want to talk to a real person", None), ("bot", "I've asked a member of staff to join.", None),
        ("bot", "Hi, Ann here", "staff"), ("user", "where are the tents?", None)]
    # the staff console sees the conversation before the hand-off too
    detail = call(pages.staff_handoff(Req(app_ctx), SHOPPER))[1]
    assert [m["text"] for m in detail["conversation"]] == ["I want to talk to a real person", "I've asked a member of staff to join."]


# ----------------------------------------------------------------------------- checkout

ORDER = {
    "id": "ORD-7F3K2", "sender": SHOPPER, "status": "reserved", "created_at": 1_700_000_000.0,
    "history": [{"status": "created", "at": 1_700_000_000.0}, {"status": "reserved", "at": 1_700_000_060.0}],
    "fulfilment": {"type": "pickup", "store_id": "downtown", "store_name": "Downtown Superstore", "address": "1 Main St"},
    "lines": [
        {"product_id": "D1", "name": "Kettle <script>alert(1)</script>", "variant": "1.7 L, steel", "unit_price": 24.5,
         "quantity": 2, "store_id": "downtown"},
        {"product_id": "D2", "name": "Tea & Biscuits", "variant": None, "unit_price": 3.0, "quantity": 1, "store_id": "downtown"},
    ],
    "total": 52.0, "currency": "USD",
}


def checkout(pages, app_ctx, token):
    res = asyncio.run(pages.checkout(Req(app_ctx, token=None), token))
    return res.status, res.body.decode(), dict(res.headers, **{"Content-Type": res.content_type})


def test_checkout_shows_the_order_with_everything_escaped(pages, app_ctx, redis_client):
    redis_client.set("t:order:ORD-7F3K2", json.dumps(ORDER))
    token = links.sign("ORD-7F3K2", "s3cret", 3600)
    status, html, headers = checkout(pages, app_ctx, token)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in headers["Content-Security-Policy"] and headers["Cache-Control"] == "no-store"
    assert "<script>" not in html and "Kettle &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Order ORD-7F3K2" in html and "Tea &amp; Biscuits" in html and "1.7 L, steel" in html
    assert "$49.00" in html and "$52.00" in html and "Downtown Superstore" in html and "Reserved" in html
    assert "Payment is not taken on this page" in html and "This link works until" in html


def test_checkout_with_a_secret_kept_in_redis(pages, app_ctx, redis_client):
    pages.settings.dialogue.checkout_secret = None
    redis_client.set("t:order:ORD-7F3K2", json.dumps(dict(ORDER, fulfilment={"type": "delivery", "address": "9 Elm Rd"})))
    token = links.sign("ORD-7F3K2", links.shared_secret(redis_client, "t"), 3600)
    status, html, _ = checkout(pages, app_ctx, token)
    assert status == 200 and "Delivery to:" in html and "9 Elm Rd" in html


def test_expired_tampered_and_unknown_links_get_a_plain_page(pages, app_ctx, redis_client):
    redis_client.set("t:order:ORD-7F3K2", json.dumps(ORDER))
    expired = links.sign("ORD-7F3K2", "s3cret", 60, now=1_000.0)
    status, html, _ = checkout(pages, app_ctx, expired)
    assert status == 410 and "expired" in html and "ask the assistant for a new one" in html.lower()
    good = links.sign("ORD-7F3K2", "s3cret", 3600)
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")
    other = links.sign("ORD-OTHER1", "s3cret", 3600)  # genuine, but no such order
    wrong_secret = links.sign("ORD-7F3K2", "not-ours", 3600)
    for token in (tampered, "ORD-7F3K2.9999999999.short", "nonsense", other, wrong_secret):
        status, html, _ = checkout(pages, app_ctx, token)
        assert status == 404 and "not a valid checkout link" in html, token
        assert "Traceback" not in html and "ORD-7F3K2" not in html


def test_checkout_when_redis_is_down_says_try_again(free_port, app_ctx):
    settings = Settings(dialogue=DialogueSettings(redis_prefix="t"), web=WebSettings(kiosk_staff_pin=PIN))
    down = HandoffDesk.from_url(f"redis://127.0.0.1:{free_port()}/0", "t", socket_timeout=0.5)
    pages = WebPages(settings, desk=down)
    res = asyncio.run(pages.checkout(Req(app_ctx, token=None), links.sign("ORD-1", "x", 60)))
    assert res.status == 503 and "try again" in res.body.decode()
    status, data = call(pages.staff_handoffs(Req(app_ctx)))
    assert status == 503 and "unreachable" in data["error"]  # the sign-in cannot be checked
    pages.settings.dialogue.checkout_secret = "s3cret"  # a configured secret: the queue itself is unreachable
    status, data = call(pages.staff_handoffs(Req(app_ctx)))
    assert status == 503 and "hand-off queue is unreachable" in data["error"]


def test_staff_see_a_stores_pickup_reservations_and_mark_them_collected(app_ctx, pages, redis_client):
    from shopper.reservations import Reservations

    resv = Reservations(redis_client, "t", hold_s=3600)
    code = resv.hold("s1", "p1", "Kettle", "riverside", "Riverside Market", 2, 5, variant=None).reservation["code"]
    resv.hold("s2", "p2", "Teapot", "downtown", "Downtown Superstore", 1, 5)
    assert call(pages.staff_reservations(Req(app_ctx, token="000000")))[0] == 401
    status, data = call(pages.staff_reservations(Req(app_ctx, args={"store": "riverside"})))
    assert status == 200 and [r["code"] for r in data["reservations"]] == [code]
    assert data["reservations"][0]["quantity"] == 2 and "sender" not in data["reservations"][0]
    assert len(call(pages.staff_reservations(Req(app_ctx)))[1]["reservations"]) == 2  # every store
    assert call(pages.staff_collect(Req(app_ctx, token=None), code))[0] == 401
    assert call(pages.staff_collect(Req(app_ctx), code)) == (200, {"code": code, "status": "collected"})
    assert call(pages.staff_collect(Req(app_ctx), code))[0] == 409
    assert call(pages.staff_collect(Req(app_ctx), "ZZZZZZ"))[0] == 404
    assert call(pages.staff_reservations(Req(app_ctx, args={"store": "riverside"})))[1]["reservations"] == []
