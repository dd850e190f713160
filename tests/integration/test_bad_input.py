"""Bad input over REST: every case gets a specific answer and the session survives."""
from __future__ import annotations

import uuid

import pytest

from support.stack import cards, texts

pytestmark = pytest.mark.slow


@pytest.fixture
def me(stack):
    sender = f"bad-{uuid.uuid4().hex[:8]}"
    r = stack.send(sender, "show me backpacks")
    assert len(cards(r)) == 3
    return sender


def still_works(stack, sender, shown_before):
    r = stack.send(sender, "tell me about the first one")
    assert texts(r).startswith(shown_before[0]["name"]), texts(r)


def test_ten_thousand_characters(stack, me):
    shown = cards(stack.send(me, "show me more"))
    r = stack.send(me, "backpack " * 1111 + "x")
    assert "read only its first 2,000 characters" in texts(r) and len(r) >= 2
    still_works(stack, me, cards(r) or shown)


def test_emoji_only_control_chars_and_empty(stack, me):
    shown = cards(stack.send(me, "show me more"))
    assert "not emoji" in texts(stack.send(me, "🎒🎁😀"))
    assert "didn't get any text" in texts(stack.send(me, ""))
    assert "didn't get any text" in texts(stack.send(me, "\x00\x07\x1b"))
    still_works(stack, me, shown)


def test_fifth_one_when_three_shown(stack, me):
    assert "only showed you 3 products" in texts(stack.send(me, "tell me about the fifth one"))


def test_unknown_product_id_in_payload(stack, me):
    r = stack.send(me, '/ask_details{"product_id":"NO-SUCH-ID"}')
    assert 'can\'t find a product with id "NO-SUCH-ID"' in texts(r)


def fresh(stack, text):
    return stack.send(f"bad-{uuid.uuid4().hex[:8]}", text)


def outcomes(stack, sender):
    return [e.get("metadata", {}).get("outcome") for e in stack.tracker(sender)["events"] if e.get("event") == "bot"]


def test_mixed_languages_still_find_the_product(stack, catalog):
    sender = f"bad-{uuid.uuid4().hex[:8]}"
    shown = cards(stack.send(sender, "hola! necesito una electric kettle, por favor. merci"))
    assert shown and all(catalog.get(c["id"]).category[-1] == "Electric Kettle" for c in shown), shown
    assert "error" not in outcomes(stack, sender)


def test_only_a_product_name_finds_that_product(stack, catalog):
    p = next(p for p in catalog.products if p.category[-1] == "Electric Kettle")
    assert p.id in [c["id"] for c in cards(fresh(stack, p.name))]


def test_only_a_brand_shows_that_brand(stack, catalog):
    shown = cards(fresh(stack, "Copperline"))
    assert shown and {catalog.get(c["id"]).brand for c in shown} == {"Copperline"}


def test_only_a_price_asks_what_for(stack):
    sender = f"bad-{uuid.uuid4().hex[:8]}"
    r = stack.send(sender, "$25")
    assert not cards(r) and "looking for" in texts(r), texts(r)
    assert set(outcomes(stack, sender)) == {"clarify"}
    r = stack.send(sender, "a yoga mat")  # the conversation goes on
    assert cards(r)
