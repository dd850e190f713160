"""Context held in Redis survives restarts; outages get clear messages, then recovery.

These restart real processes, so they run after the conversation tests (file order).
"""
from __future__ import annotations

import uuid

import pytest

from channels.rasa_plugins import NO_REPLY_TEXT, STORE_DOWN_TEXT
from support.stack import cards, texts

pytestmark = pytest.mark.slow


def test_restart_rasa_and_actions_mid_conversation(stack, catalog):
    me = f"rs-{uuid.uuid4().hex[:8]}"
    shown = cards(stack.send(me, "I need an electric kettle under $50"))
    assert len(shown) == 3
    events_before = len(stack.tracker(me)["events"])
    stack.stop("rasa")
    stack.stop("actions")
    stack.start_actions()
    stack.start_rasa()
    r = stack.send(me, "tell me more about the second one")
    p = catalog.get(shown[1]["id"])
    assert texts(r).startswith(p.name) and f"${p.price:,.2f}" in texts(r)
    tracker = stack.tracker(me)
    assert len(tracker["events"]) > events_before
    assert any(e.get("text") == "I need an electric kettle under $50" for e in tracker["events"] if e["event"] == "user")
    r = stack.send(me, "cheaper")  # constraints kept across the restart
    for c in cards(r):
        assert c["price"] < min(s["price"] for s in shown) and c["id"] not in {s["id"] for s in shown}


def test_action_server_down_gets_a_fallback_not_silence(stack):
    me = f"ad-{uuid.uuid4().hex[:8]}"
    assert cards(stack.send(me, "show me headphones"))
    stack.stop("actions")
    try:
        r = stack.send(me, "tell me about the first one")
        assert texts(r) == NO_REPLY_TEXT
    finally:
        stack.start_actions()
    r = stack.send(me, "tell me about the first one")
    assert "$" in texts(r) and texts(r) != NO_REPLY_TEXT


def test_redis_drop_mid_conversation_then_recovery(stack, catalog):
    me = f"rd-{uuid.uuid4().hex[:8]}"
    shown = cards(stack.send(me, "show me toasters"))
    assert len(shown) == 3
    stack.redis.stop()
    try:
        r = stack.send(me, "tell me about the third one")
        assert texts(r) == STORE_DOWN_TEXT
    finally:
        stack.redis.start()
    r = stack.send(me, "tell me about the third one")
    p = catalog.get(shown[2]["id"])
    assert texts(r).startswith(p.name), texts(r)
