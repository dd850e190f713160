"""Hand-off to staff over REST on the real stack: the shopper asks for a person, staff take them
through the console's API, the bot stays silent, staff replies come with the shopper's next message,
"back to the bot" hands back; the checkout page for valid, expired and tampered links.

``SHOPGUIDE_TEST_SEED_HANDOFF=1`` queues the shopper from here instead of through the dialogue.
"""
from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid

import pytest

from shopper import links
from shopper.handoff import RELEASED_TEXT, HandoffDesk
from support.stack import cards, texts

pytestmark = pytest.mark.slow
SEED = os.environ.get("SHOPGUIDE_TEST_SEED_HANDOFF") == "1"


def http(stack, path, body=None, token=None, method=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(stack.rasa_url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - loopback
            raw = r.read().decode()
            status = r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read().decode(), e.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def sign_in(stack):
    """A staff sign-in token: what the console gets for the PIN."""
    status, data = http(stack, "/web/api/staff/unlock", {"pin": stack.staff_pin})
    assert status == 200, data
    return data["token"]


@pytest.fixture(scope="module")
def desk(stack):
    return HandoffDesk.from_url(stack.redis.url, stack.settings.redis_prefix)


def test_a_rest_shopper_is_handed_to_staff_and_back(stack, desk):
    sid = f"rest-{uuid.uuid4().hex}"
    token = sign_in(stack)
    if SEED:
        desk.request(sid, "rest")
    replies = stack.send(sid, "I want to talk to a real person")
    assert texts(replies).strip()
    state = desk.get(sid)
    assert state is not None and state["status"] == "waiting" and state["channel"] == "rest"

    assert http(stack, "/web/api/staff/handoffs")[0] == 401
    assert http(stack, "/web/api/staff/handoffs", token=stack.staff_pin)[0] == 401  # the PIN is no sign-in
    status, listed = http(stack, "/web/api/staff/handoffs", token=token)
    assert status == 200 and sid in [h["sender"] for h in listed["waiting"]]
    status, taken = http(stack, f"/web/api/staff/handoffs/{sid}/take", {"staff": "Ann"}, token=token)
    assert status == 200 and taken["state"]["staff"] == "Ann" and taken["delivered"] == "outbox"
    status, other = http(stack, f"/web/api/staff/handoffs/{sid}/take", {"staff": "Ben"}, token=token)
    assert status == 409 and other["staff"] == "Ann"

    # the bot is silent; the shopper gets what staff said so far
    assert [m["text"] for m in stack.send(sid, "hello? anyone?")] == ["Ann from the store has joined the chat."]
    assert stack.send(sid, "I need a tent") == []
    said = [e.get("text") for e in stack.tracker(sid)["events"] if e["event"] == "user"]
    assert "I need a tent" not in said and "hello? anyone?" not in said
    status, sent = http(stack, f"/web/api/staff/handoffs/{sid}/reply", {"staff": "Ann", "text": "Tents are in aisle 12"}, token=token)
    assert status == 200 and sent["delivered"] == "outbox"
    assert [m["text"] for m in stack.send(sid, "ok")] == ["Ann (store staff): Tents are in aisle 12"]
    status, detail = http(stack, f"/web/api/staff/handoffs/{sid}", token=token)
    assert status == 200 and [t["text"] for t in detail["thread"] if t["from"] == "shopper"] == [
        "hello? anyone?", "I need a tent", "ok"]
    assert any(m["text"] == "I want to talk to a real person" for m in detail["conversation"]) or SEED

    # back to the bot
    assert [m["text"] for m in stack.send(sid, "back to the bot")] == [RELEASED_TEXT]
    assert desk.get(sid) is None
    assert cards(stack.send(sid, "show me backpacks"))


def test_staff_hand_back_reaches_a_rest_shopper_with_their_next_message(stack, desk):
    sid = f"rest-{uuid.uuid4().hex}"
    desk.request(sid, "rest")  # queued directly: this test is about the way back
    token = sign_in(stack)
    assert http(stack, f"/web/api/staff/handoffs/{sid}/take", {"staff": "Ann"}, token=token)[0] == 200
    assert http(stack, f"/web/api/staff/handoffs/{sid}/release", {"staff": "Ann"}, token=token)[0] == 200
    replies = stack.send(sid, "show me backpacks")
    assert [m.get("text") for m in replies[:2]] == ["Ann from the store has joined the chat.", RELEASED_TEXT]
    assert cards(replies)


def test_the_checkout_page_for_valid_expired_and_tampered_links(stack, desk):
    prefix = stack.settings.redis_prefix
    order = {"id": "ORD-ITEST1", "sender": "x" * 32, "status": "pending", "created_at": time.time(), "history": [],
             "fulfilment": {"type": "delivery", "address": "9 Elm Rd <b>"}, "currency": "USD", "total": 12.5,
             "lines": [{"product_id": "D1", "name": "Mug", "variant": None, "unit_price": 12.5, "quantity": 1, "store_id": None}]}
    desk.r.set(f"{prefix}:order:ORD-ITEST1", json.dumps(order))
    secret = links.shared_secret(desk.r, prefix, os.environ.get("SHOPGUIDE_CHECKOUT_SECRET"))
    good = links.sign("ORD-ITEST1", secret, 3600)
    status, page = http(stack, f"/checkout/{good}")
    assert status == 200 and "Order ORD-ITEST1" in page and "9 Elm Rd &lt;b&gt;" in page and "$12.50" in page
    assert "Payment is not taken on this page" in page
    status, page = http(stack, f"/checkout/{links.sign('ORD-ITEST1', secret, 60, now=time.time() - 3600)}")
    assert status == 410 and "expired" in page
    for bad in (good[:-2] + "xx", "ORD-ITEST1.1.abc", links.sign("ORD-NOPE01", secret, 3600)):
        status, page = http(stack, f"/checkout/{bad}")
        assert status == 404 and "not a valid checkout link" in page and "Traceback" not in page
