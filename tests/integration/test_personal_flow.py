"""Personal memory over REST on the real stack: a preference from turn 1 shapes turn 5's products and the
reply says so; "what do you remember about me?" lists it; "forget me" erases the shopper, checked by a SCAN
of every key and value in Redis."""
from __future__ import annotations

import json
import uuid

import pytest

from support.redis_process import traces
from support.stack import cards, texts

pytestmark = pytest.mark.slow


def redis_of(stack):
    import redis

    return redis.Redis.from_url(stack.redis.url, decode_responses=True)


def conversation(stack, first_message):
    me = uuid.uuid4().hex
    first = texts(stack.send(me, first_message))
    stack.send(me, "I need an electric kettle")
    stack.send(me, "tell me more about the first one")
    stack.send(me, "what's your return policy?")
    return me, first, stack.send(me, "show me some ice cream")


def test_a_preference_from_turn_one_shapes_turn_five(stack, catalog):
    me, first, replies = conversation(stack, "Hi! I'm vegan, and I love Pantry Lane")
    assert "Noted: you eat vegan and you like Pantry Lane" in first
    shown = [catalog.get(c["id"]) for c in cards(replies)]
    assert shown, texts(replies)
    assert all("vegan" in f"{p.name} {p.description} {p.attributes}".lower() for p in shown)
    assert "vegan, as you asked" in texts(replies)
    # the same conversation without the preference: ice cream that does not say it is vegan, and no such note
    _, _, control = conversation(stack, "Hi!")
    others = [catalog.get(c["id"]) for c in cards(control)]
    assert any("vegan" not in f"{p.name} {p.description}".lower() for p in others)
    assert "as you asked" not in texts(control)
    memory = texts(stack.send(me, "what do you remember about me?"))
    assert "you eat vegan" in memory and "you like Pantry Lane" in memory


def test_a_typed_email_or_card_number_never_reaches_the_tracker(stack):
    me = uuid.uuid4().hex
    stack.send(me, "my email is ann.lee@example.com and my card is 4111 1111 1111 1111")
    stored = json.dumps(stack.tracker(me))
    assert "ann.lee@example.com" not in stored and "4111" not in stored and "[email]" in stored


def test_forget_me_erases_everything_of_that_shopper(stack):
    me, other = uuid.uuid4().hex, uuid.uuid4().hex
    for who in (me, other):
        stack.send(who, "I'm allergic to nuts")
        stack.send(who, "I need an electric kettle")
        stack.send(who, "add the first one")
        stack.send(who, "tell me more about the second one")
    confirm = texts(stack.send(me, "please delete everything you know about me"))
    assert "I've deleted everything I kept about you" in confirm
    client = redis_of(stack)

    assert traces(client, me) == []
    assert traces(client, other)
    fresh = texts(stack.send(me, "what's in my cart?"))
    assert "empty" in fresh
