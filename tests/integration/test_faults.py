"""`kill -9` of Redis, then the action server, then Rasa, on the stack `make run` starts: the launcher's
supervisor brings each back, the conversation goes on where it was ("the second one" still resolves, the
cart and the order are intact), and no acknowledged turn is lost (docs/security.md)."""
from __future__ import annotations

import re
import threading
import time
import uuid
from typing import Dict, List

import pytest

from channels.rasa_plugins import NO_REPLY_TEXT, STORE_DOWN_TEXT
from support.stack import cards, texts

pytestmark = pytest.mark.slow

POLL_S = 1.5  # a shopper retrying: within the per-sender rate limit
FALLBACKS = (NO_REPLY_TEXT, STORE_DOWN_TEXT)


def next_turn(guarded, sender: str, message: str, within_s: float):
    """Retry ``message`` until the stack answers it properly; returns (replies, seconds it took)."""
    t0 = time.time()
    while True:
        try:
            replies = guarded.send(sender, message, timeout=30)
            if replies and texts(replies) not in FALLBACKS:
                return replies, time.time() - t0
        except OSError:  # Rasa itself is down: connection refused
            pass
        if time.time() - t0 > within_s:
            raise AssertionError(f"no proper answer to {message!r} within {within_s:.0f}s:\n"
                                 + guarded.launcher_log()[-2000:])
        time.sleep(POLL_S)


class Traffic:
    """Shoppers talking while a process is killed: every turn that got a proper answer is acknowledged
    and must be in that shopper's tracker afterwards."""

    def __init__(self, guarded, shoppers: int = 3):
        self.guarded = guarded
        self.acked: Dict[str, List[str]] = {f"load-{uuid.uuid4().hex}": [] for _ in range(shoppers)}
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.talk, args=(s,)) for s in self.acked]

    def talk(self, sender: str) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            text = f"show me toasters number {i}"
            try:
                replies = self.guarded.send(sender, text, timeout=30)
                if replies and texts(replies) not in FALLBACKS:
                    self.acked[sender].append(text)
            except OSError:
                pass
            time.sleep(POLL_S)

    def __enter__(self):
        for t in self.threads:
            t.start()
        time.sleep(2)
        return self

    def __exit__(self, *exc):
        time.sleep(2)
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)

    def lost(self) -> Dict[str, List[str]]:
        missing = {}
        for sender, said in self.acked.items():
            seen = {e.get("text") for e in self.guarded.tracker(sender)["events"] if e.get("event") == "user"}
            gone = [t for t in said if t not in seen]
            if gone:
                missing[sender] = gone
        return missing


@pytest.fixture(scope="module")
def shopper(guarded, catalog):
    """A shopper mid-conversation: a list shown, an item in the cart, an order placed, a pickup reserved."""
    sender = f"fault-{uuid.uuid4().hex}"
    shown = cards(guarded.send(sender, "I need an electric kettle under $50"))
    assert len(shown) >= 2
    p = catalog.get(shown[1]["id"])
    store = next(s for s, st in sorted(p.stock.items()) if st.quantity > 0)
    reply = texts(guarded.send(sender, f"please reserve the second one for pickup at {store} today"))
    code = re.search(r"pickup code is ([A-Z0-9]{6})", reply).group(1)
    time.sleep(1)
    assert "Added" in texts(guarded.send(sender, "add the first one"))
    guarded.send(sender, "check out")
    order_id = re.search(r"order number is (\d+)", texts(guarded.send(sender, "place the order"))).group(1)
    time.sleep(1)
    assert "Added" in texts(guarded.send(sender, "add the second one"))
    return {"sender": sender, "shown": shown, "order": order_id, "code": code}


def goes_on(guarded, shopper, within_s: float) -> float:
    """The conversation continues with its context; returns how long the first proper answer took."""
    sender, second = shopper["sender"], shopper["shown"][1]
    replies, took = next_turn(guarded, sender, "tell me more about the second one", within_s)
    assert texts(replies).startswith(second["name"]), texts(replies)[:200]
    time.sleep(POLL_S)
    cart = texts(guarded.send(sender, "what's in my cart?"))
    assert second["name"] in cart, cart
    time.sleep(POLL_S)
    status = texts(guarded.send(sender, f"where is order {shopper['order']}?"))
    assert f"Order {shopper['order']}" in status and "is placed" in status, status
    assert [r["status"] for r in reservations(guarded).for_shopper(sender) if r["code"] == shopper["code"]] == ["held"]
    time.sleep(POLL_S)
    return took


def reservations(guarded):
    import redis

    from shopper.reservations import Reservations

    return Reservations(redis.Redis.from_url(guarded.redis_url, decode_responses=True), "guarded")


@pytest.mark.parametrize("name,within_s", [("redis", 15), ("actions", 15), ("rasa", 150)])
def test_kill_9_then_the_conversation_goes_on_and_nothing_acknowledged_is_lost(guarded, shopper, name, within_s):
    """Redis and the action server are back within the issue's 15 s. Rasa alone takes about a minute to
    load its model on 2 cores, so its bound here is what one process can do (replicas cover that gap)."""
    with Traffic(guarded) as traffic:
        guarded.kill9(name)
        took = goes_on(guarded, shopper, within_s)
    assert f"{name} exited unexpectedly (code -9)" in guarded.launcher_log()
    assert re.search(rf"{name} is back, [\d.]+s after it went down", guarded.launcher_log())
    assert traffic.lost() == {}
    assert sum(len(v) for v in traffic.acked.values()) > 0
    print(f"{name}: conversation went on {took:.1f}s after kill -9")
