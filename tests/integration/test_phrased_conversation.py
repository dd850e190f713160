"""A REST conversation as `make run` serves it: the trained GPT-2 phraser writes the replies.

The run's one stack serves with the trained default phraser; these messages ask for no
templates, so they are answered as `make run` answers them. Each bot event's metadata in the tracker says
whether the phraser's model or a template wrote it; every amount of money in
the replies must be a catalog price (or list price) of a product shown, the
shopper's budget, or the cart total computed from the catalog.
"""
from __future__ import annotations

import re
import uuid

import pytest

from support.stack import cards, texts

pytestmark = pytest.mark.slow

MONEY_RE = re.compile(r"\$\s?(\d[\d,]*(?:\.\d+)?)")
TURNS = [
    "hello",
    "I need an electric kettle under $50",
    "tell me about the second one",
    "compare them",
    "how much is the first one",
    "is the first one in stock at downtown",
    "add the first one to my cart",
    "thanks",
    "bye",
]


@pytest.fixture(scope="module")
def phrased_stack(stack):
    from nlg.model import is_phraser_dir
    from nlg.phraser import default_model_dir

    if not is_phraser_dir(default_model_dir()):
        pytest.skip("no trained default phraser: run `make train-phraser` (make test does)")
    return stack


def test_replies_come_from_the_phraser_and_every_price_is_the_catalogs(phrased_stack, catalog):
    me = f"phrased-{uuid.uuid4().hex[:8]}"
    allowed = {50.0}  # the budget the shopper gave
    seen_events = 0
    sources = []
    transcript = []
    cart_total = 0.0
    for text in TURNS:
        replies = phrased_stack.send(me, text, phrased=True)
        assert replies and texts(replies).strip(), f"no reply to {text!r}"
        for c in cards(replies):
            p = catalog.get(c["id"])
            assert c["price"] == p.price
            allowed.update(x for x in (p.price, p.list_price) if x is not None)
        if text.startswith("add the first"):
            first = catalog.get(cards(replies)[0]["id"])
            cart_total += first.price
            allowed.add(round(cart_total, 2))
        bots = [e for e in phrased_stack.tracker(me)["events"] if e["event"] == "bot"][seen_events:]
        seen_events += len(bots)
        for e in bots:
            meta = (e.get("metadata") or {}).get("phraser") or {}
            sources.append((text, meta.get("source"), meta.get("act"), meta.get("reason")))
            transcript.append(f"> {text}\n{e.get('text')}  [{meta.get('source')}/{meta.get('act')}]")
            for amount in MONEY_RE.findall(e.get("text") or ""):
                value = float(amount.replace(",", ""))
                assert value in allowed, (amount, e.get("text"), sorted(allowed))
    print("\n".join(transcript))  # shown with -s / on failure
    by_model = [s for s in sources if s[1] == "model"]
    assert all(s[1] in ("model", "template") for s in sources), sources
    # "most turns": every product reply and every guiding reply the phraser has an act for
    assert len(by_model) >= 0.75 * len(sources), "\n".join(transcript)
    product_acts = {s[2] for s in by_model}
    assert {"recommend", "details", "compare"} & product_acts, "\n".join(transcript)
