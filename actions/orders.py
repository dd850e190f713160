"""Checkout and the shopper's own orders: quote, confirm, place; status, cancel, change of address.

Every price is re-read from the catalog at checkout; stock is taken atomically by ``shopper.orders``; a
shopper only ever sees their own orders (another shopper's order number reads as an unknown one).
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

from actions.base import ShopAction, Turn
from actions.cards import button
from actions.cart import cart_contents
from actions.personal import signal
from actions.replies import money
from actions.replies.facts import Facts
from actions.variants import variant_text
from retrieval.schema import Product
from shopper.links import shared_secret, sign
from shopper.orders import Line, OrderBook

ORDER_ID_RE = re.compile(r"(?:#|\b(?:order|number|no\.?|nr\.?)\s*#?\s*)(\d{4,9})\b|\b(\d{5,9})\b", re.IGNORECASE)
DELIVERY = "delivery"  # the store entity's value on the "Deliver instead" button
CONFIRM_RE = re.compile(r"\b(?:place|confirm|submit|finali[sz]e|go ahead|complete)\b", re.IGNORECASE)
LAST_WEEK_RE = re.compile(r"\blast\s+week\b|\bpast\s+week\b|\bthis\s+week\b")
DELIVER_RE = re.compile(
    r"\b(?:deliver|delivered|delivery|ship|shipped|shipping|send it|to my (?:home|house|address))\b", re.I
)
PICKUP_RE = re.compile(r"\b(?:pick\s*(?:it|them)?\s*up|pickup|collect|click and collect|in store)\b", re.I)
ADDRESS_RE = re.compile(r"\b(?:to|address(?: is| to)?|:)\s+(\d{1,6}\s+[A-Za-z][\w .,'-]{3,150})$", re.IGNORECASE)


def order_book(turn: Turn) -> OrderBook:
    services = turn._services()
    if services.orders is None:
        raise RuntimeError("no order book (Services.orders)")
    return services.orders


def order_id_in(text: str) -> Optional[str]:
    """The order number a message names ("order 40213", "#40213"), if any."""
    m = ORDER_ID_RE.search(text or "")
    return (m.group(1) or m.group(2)) if m else None


def store_named(turn: Turn) -> Tuple[Optional[str], Optional[str]]:
    """(store id, None) for a store the message names; (None, words) for a store we don't have; (None, None)."""
    low = (turn.text or "").lower()
    for sid, name in turn.retriever.store_names.items():
        if re.search(rf"\b{re.escape(sid.lower())}\b", low) or re.search(rf"\b{re.escape(name.lower())}\b", low):
            return sid, None
    said = next((str(e.get("value")) for e in turn.entities if e.get("entity") == "store" and e.get("value")), None)
    if said:
        for sid, name in turn.retriever.store_names.items():
            if said.lower() in (sid.lower(), name.lower()) or said.lower() in name.lower().split():
                return sid, None
        return None, said[:60]
    m = re.search(r"\bat (?:the )?([a-z][a-z]+)(?: store| branch| shop)\b", low)
    if m and m.group(1) not in ("local", "nearest", "closest", "my", "your", "this", "that"):
        return None, m.group(1)
    return None, None


def store_label(turn: Turn, store_id: str) -> str:
    return turn.retriever.store_names.get(store_id, store_id)


def checkout_link(turn: Turn, order_id: str) -> str:
    s, book = turn.settings, order_book(turn)
    secret = shared_secret(book.r, book.prefix, s.dialogue.checkout_secret)
    base = (s.web.public_base_url or s.dialogue.rasa_url).rstrip("/")
    return f"{base}/checkout/{sign(order_id, secret, s.dialogue.checkout_link_ttl_s)}"


def _fulfilment(turn: Turn, before: Optional[Dict[str, Any]]) -> Tuple[Dict[str, Any], Optional[str]]:
    """Delivery or pickup (and where) from the message, else what the last quote said, else delivery.
    Second value: a store name the shopper gave that we don't have."""
    if any(e.get("entity") == "store" and e.get("value") == DELIVERY for e in turn.entities):
        return {"type": "delivery", "address": None}, None  # the "Deliver instead" button
    sid, unknown = store_named(turn)
    if sid:
        return {"type": "pickup", "store_id": sid, "store_name": store_label(turn, sid)}, None
    if turn.text and DELIVER_RE.search(turn.text):
        return {"type": "delivery", "address": None}, unknown
    if turn.text and PICKUP_RE.search(turn.text):
        here = turn.metadata.get("store_id") or turn.store.get_profile(turn.sender).get("store")
        if here and here in turn.retriever.store_names:
            return {"type": "pickup", "store_id": here, "store_name": store_label(turn, here)}, unknown
    if before:
        return dict(before), unknown
    return {"type": "delivery", "address": None}, unknown


def _fulfilment_text(f: Dict[str, Any]) -> str:
    if f.get("type") == "pickup":
        return f"pickup at {f.get('store_name') or f.get('store_id')}"
    return f"delivery to {f['address']}" if f.get("address") else "delivery (you give the address when you pay)"


def quote(turn: Turn) -> Optional[Dict[str, Any]]:
    """Show the cart as an order to confirm, prices re-read from the catalog now. None: nothing to check out."""
    lines, items, total = cart_contents(turn, turn.store.get_cart(turn.shopper))
    if not lines:
        turn.say("checkout_empty")
        return None
    before = turn.store.get_checkout(turn.sender)
    fulfilment, unknown = _fulfilment(turn, (before or {}).get("fulfilment"))
    if unknown:
        turn.say("unknown_store", {"store_name": unknown, "store_names": sorted(turn.retriever.store_names.values())})
    added = turn.store.get_cart_prices(turn.shopper)
    changes = [
        {"name": p.name, "was_text": money(added[p.id], p.currency), "now_text": money(p.price, p.currency)}
        for p, _ in lines
        if p.id in added and p.price is not None and abs(added[p.id] - p.price) >= 0.005
    ]
    cur = lines[0][0].currency
    pending = {
        "key": uuid.uuid4().hex,
        "lines": [{"product_id": p.id, "quantity": q, "unit_price": p.price or 0.0} for p, q in lines],
        "fulfilment": fulfilment,
        "total": round(total, 2),
        "at": time.time(),
    }
    turn.store.save_checkout(turn.sender, pending)
    facts: Facts = {
        "lines": [{"name": p.name, "quantity": q, "price_text": money(p.price, p.currency)} for p, q in lines],
        "cart_items": items,
        "cart_total_text": money(round(total, 2), cur),
        "fulfilment_text": _fulfilment_text(fulfilment),
        "price_changes": changes,
    }
    other = [
        button(f"Pick up at {name}", "checkout", {"store": sid})
        for sid, name in sorted(turn.retriever.store_names.items())
        if fulfilment.get("store_id") != sid
    ][:2]
    if fulfilment.get("type") == "pickup":
        other = [button("Deliver instead", "checkout", {"store": DELIVERY})] + other[:1]
    turn.say("checkout_confirm", facts, buttons=[button("Place the order", "place_order"), *other], kind="checkout")
    return pending


def _lines_for(turn: Turn, pending: Dict[str, Any]) -> Tuple[List[Line], List[Product], List[Dict[str, str]]]:
    """The pending checkout's lines with today's catalog prices; the products; price changes since the quote."""
    fulfilment = pending["fulfilment"]
    lines, products, changes = [], [], []
    for ln in pending["lines"]:
        p = turn.retriever.get(ln["product_id"])
        price = p.price or 0.0
        if abs(price - float(ln["unit_price"])) >= 0.005:
            changes.append(
                {"name": p.name, "was_text": money(ln["unit_price"], p.currency), "now_text": money(price, p.currency)}
            )
        if fulfilment.get("type") == "pickup":
            sid = fulfilment["store_id"]
            stores = [(sid, p.stock[sid].quantity if sid in p.stock else 0)]
        else:  # delivery: sent from the store with the most units
            stores = sorted(((sid, s.quantity) for sid, s in p.stock.items()), key=lambda kv: (-kv[1], kv[0]))
        lines.append(Line(p.id, p.name, price, int(ln["quantity"]), stores, variant=variant_text(p)))
        products.append(p)
    return lines, products, changes


def say_order(turn: Turn, act: str, order: Dict[str, Any], extra: Optional[Facts] = None) -> None:
    facts: Facts = {
        "order_id": order["id"],
        "status_text": order["status"].replace("_", " "),
        "total_text": money(order["total"], order["currency"]),
        "fulfilment_text": _fulfilment_text(order["fulfilment"]),
        "when_text": time.strftime("%d %b %Y, %H:%M", time.localtime(order["history"][-1]["at"])),
        "lines": [
            {"name": ln["name"], "quantity": ln["quantity"], "price_text": money(ln["unit_price"], order["currency"])}
            for ln in order["lines"]
        ],
        **(extra or {}),
    }
    turn.say(act, facts)


class ActionCheckout(ShopAction):
    """ "I'm ready to check out": the cart as an order to confirm (prices now, delivery or pickup)."""

    def name(self) -> str:
        return "action_checkout"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        if turn.offered("/place_order") and CONFIRM_RE.search(turn.text or ""):
            place_pending(turn)  # "confirm my purchase" right after the quote: the NLU heard a checkout
        else:
            quote(turn)
        return []


class ActionPlaceOrder(ShopAction):
    """ "Place the order": take the stock and write the order, once, however often it is asked."""

    def name(self) -> str:
        return "action_place_order"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        place_pending(turn)
        return []


def place_pending(turn: Turn) -> None:
    """Place the checkout awaiting confirmation (or quote first when there is none)."""
    pending = turn.store.get_checkout(turn.sender)
    if not pending:
        quote(turn)
        return
    book = order_book(turn)
    if pending.get("order_id"):  # a second click on "Place the order": the same order, not another
        order = book.get(pending["order_id"], turn.sender)
        if order:
            say_order(turn, "order_exists", order, {"link": checkout_link(turn, order["id"])})
            return
    lines, products, changes = _lines_for(turn, pending)
    if changes:  # a price moved since the quote: say so and confirm again
        turn.say("price_changed", {"price_changes": changes})
        quote(turn)
        return
    placed = book.place(turn.sender, lines, pending["fulfilment"], pending["key"], products[0].currency)
    if placed.status == "sold_out":
        assert placed.short is not None
        turn.store.save_checkout(turn.sender, None)
        where = pending["fulfilment"].get("store_name") or "any of our stores"
        turn.say("sold_out", {"name": placed.short.name, "where": where})
        return
    assert placed.order is not None
    signal(turn, [str(ln.get("product_id")) for ln in placed.order.get("lines") or []], "bought")
    pending["order_id"] = placed.order["id"]
    turn.store.save_checkout(turn.sender, pending)
    if placed.status == "placed":
        turn.store.clear_cart(turn.shopper)
    hours = max(1, turn.settings.dialogue.checkout_link_ttl_s // 3600)
    say_order(
        turn, "order_placed", placed.order, {"link": checkout_link(turn, placed.order["id"]), "link_hours": hours}
    )


def own_order(turn: Turn) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """(the order the message is about, the number it named). A named number that is not this shopper's
    (unknown, or someone else's) gives (None, number): both read the same."""
    book = order_book(turn)
    named = order_id_in(turn.text)
    if named:
        return book.get(named, turn.sender), named
    latest = book.for_shopper(turn.sender, limit=1)
    return (latest[0] if latest else None), None


_MINE = re.compile(r"\b(?:my|our)\b|\bi\s+(?:have\s+)?(?:ordered|bought|placed)\b|\b(?:it|that|this)\b", re.I)
_GENERAL = re.compile(
    r"^\s*(?:how|when|why|is|are|do|does|what happens)\b|\bif i\b|\bpolic(?:y|ies)\b|\bin general\b", re.I
)


def about_my_order(text: str, changes_it: bool) -> bool:
    """Whether an order question is about the shopper's own order ("where is my order?", "cancel it",
    "change the address") rather than how things work ("how do I cancel an order?")."""
    text = text or ""
    if order_id_in(text):
        return True
    if _GENERAL.search(text):
        return bool(_MINE.search(text)) and not changes_it
    return True


def typed_address(turn: Turn) -> Optional[str]:
    """The new address: the one the Rasa process blanked from the message as ``[address]`` and kept aside
    (``shopper.pii``), else the words after "to" in the message."""
    text = (turn.text or "").strip()
    if "[address]" in text and turn.services is not None and turn.services.profiles is not None:
        kept = turn.services.profiles.given_address(turn.sender)
        if kept:
            return kept
    m = ADDRESS_RE.search(text)
    return m.group(1) if m else None


def answer_own_order(turn: Turn, topic: str) -> bool:
    """Act on the shopper's own order for an order question (status, cancel, change address). False when
    the message names no order and the shopper has none: the store policy answers instead."""
    if turn.services is None or turn.services.orders is None:
        return False
    if not about_my_order(turn.text, changes_it=topic != "order_status"):
        return False
    book = order_book(turn)
    order, named = own_order(turn)
    if order is None:
        if named:
            turn.say("order_unknown", {"order_id": named, "topic": topic})
            return True
        return False
    if topic == "order_status":
        if not order_id_in(turn.text) and LAST_WEEK_RE.search((turn.text or "").lower()):
            recent = book.for_shopper(turn.sender, since=time.time() - 7 * 86400)
            if recent:
                turn.say("order_list", {"orders": [_brief(o) for o in recent], "topic": topic})
                return True
        say_order(turn, "order_status", order, {"topic": topic, "history": [_step(h) for h in order["history"]]})
        return True
    if topic == "cancel_order":
        moved = book.cancel(order["id"], turn.sender)
        act = "order_cancelled" if moved.result == "ok" else "order_not_cancellable"
        say_order(turn, act, moved.order or order, {"topic": topic})
        return True
    if topic == "change_address":
        address = typed_address(turn)
        if not address:
            say_order(turn, "address_needed", order, {"topic": topic})
            return True
        moved = book.change_address(order["id"], turn.sender, address)
        if moved.result == "ok" and moved.order:
            say_order(
                turn, "address_changed", moved.order, {"topic": topic, "address": moved.order["fulfilment"]["address"]}
            )
        else:
            say_order(turn, "address_not_changeable", moved.order or order, {"topic": topic})
        return True
    return False


def _brief(order: Dict[str, Any]) -> Dict[str, str]:
    return {
        "order_id": order["id"],
        "status_text": order["status"].replace("_", " "),
        "total_text": money(order["total"], order["currency"]),
        "when_text": time.strftime("%d %b", time.localtime(order["created_at"])),
        "items_text": ", ".join(f"{ln['quantity']} x {ln['name']}" for ln in order["lines"]),
    }


def _step(h: Dict[str, Any]) -> Dict[str, str]:
    return {
        "status_text": h["status"].replace("_", " "),
        "when_text": time.strftime("%d %b %Y, %H:%M", time.localtime(h["at"])),
    }
