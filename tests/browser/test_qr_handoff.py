"""The kiosk's QR code, read off the screen and opened on a second device, continues the conversation."""
from __future__ import annotations

import json
import urllib.request

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def handoff(run_scenario):
    return run_scenario("qr_scenario.cjs", {"query": "show me tea", "follow_up": "cheaper"})


def test_the_qr_code_encodes_the_conversations_chat_url(handoff, web_stack):
    sid = handoff["kiosk_session"]
    assert handoff["qr_decoded"] == handoff["qr_attr"] == f"{web_stack.rasa_url}/chat?session={sid}"


def test_a_second_device_shows_the_same_conversation(handoff, catalog):
    phone = handoff["phone"]
    assert phone["session"] == phone["stored"] == handoff["kiosk_session"]
    assert phone["address"].endswith("/chat"), "the session id stays out of the address bar"
    assert phone["user"] == handoff["kiosk_user"] == ["show me tea"]
    assert [c["id"] for c in phone["cards"]] == [c["id"] for c in handoff["kiosk_cards"]]
    for c in phone["cards"]:
        assert c["price"] == catalog.get(c["id"]).price


def test_the_conversation_continues_on_the_second_device(handoff, catalog, web_stack):
    after = handoff["phone_after"]
    assert after["user"] == ["show me tea", "cheaper"]
    first_ids = {c["id"] for c in handoff["kiosk_cards"]}
    new = [c for c in after["cards"] if c["id"] not in first_ids]
    assert new, after["last_bot"]
    cheapest_before = min(c["price"] for c in handoff["kiosk_cards"])
    for c in new:
        assert c["price"] == catalog.get(c["id"]).price < cheapest_before
    url = f"{web_stack.rasa_url}/web/api/history/{handoff['kiosk_session']}"
    with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310
        users = [m["text"] for m in json.loads(r.read())["messages"] if m["sender"] == "user"]
    assert users == ["show me tea", "cheaper"]
