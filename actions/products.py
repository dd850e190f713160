"""Talking about shown products: details, questions, compare, choose (cart), price, availability."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from actions import services
from actions.base import ShopAction, Turn
from actions.cards import card, product_buttons, product_facts
from actions.replies import money
from actions.understanding import quantity, resolve_reference
from retrieval.query import normalize, parse_query
from retrieval.schema import Product


def referenced(turn: Turn, allow_all: bool = False) -> Optional[List[Product]]:
    """The products a turn points at, or ``None`` after telling the shopper why not.

    Ids in a button payload win; then ordinals against the last shown list
    ("the second one", "the last one"); then "it"/"that one" (the product last
    talked about); with nothing said, all shown products when ``allow_all``.
    """
    shown = turn.shown_products()
    ref = resolve_reference(turn.entities, turn.text, len(shown), [p.name for p in shown])
    if ref.product_ids:
        return [turn.retriever.get(pid) for pid in ref.product_ids[:3]]
    if not shown:
        turn.say("nothing_shown")
        return None
    if ref.out_of_range is not None:
        turn.say("out_of_range", {"asked": ref.out_of_range, "shown": len(shown)})
        return None
    if ref.positions:
        return [shown[i] for i in ref.positions]
    if ref.plural and allow_all:
        return shown
    focus = turn.store.get_context(turn.sender).focus
    if ref.pronoun and focus:
        return [turn.retriever.get(focus)]
    if len(shown) == 1:
        return shown
    if allow_all:
        return shown
    if focus and ref.nothing_said:
        return [turn.retriever.get(focus)]
    turn.say("which_one", {"shown": len(shown)})
    return None


def _focus(turn: Turn, product: Product) -> None:
    ctx = turn.store.get_context(turn.sender)
    ctx.focus = product.id
    turn.store.save_context(turn.sender, ctx)


def _position(turn: Turn, product: Product) -> int:
    shown = turn.store.get_shown(turn.sender)
    return shown.index(product.id) + 1 if product.id in shown else 0


def _stock_lines(product: Product, store_id: Optional[str] = None) -> List[Dict[str, Any]]:
    names = services.store_names()
    rows = []
    for sid, s in sorted(product.stock.items(), key=lambda kv: (kv[0] != store_id, -kv[1].quantity, kv[0])):
        rows.append({"store_id": sid, "store": names.get(sid, sid), "quantity": s.quantity, "aisle": s.aisle})
    if store_id and product.stock.get(store_id):
        return rows[:1] + [r for r in rows[1:] if r["quantity"] > 0][:2]
    return rows[:4]


def _store_of(turn: Turn) -> Optional[str]:
    """The store the shopper is in or asks about: "at Riverside", kiosk metadata, profile."""
    f = parse_query(turn.text, services.get_vocab()).filters
    if f.in_stock_at:
        return f.in_stock_at
    low = normalize(turn.text)
    for sid, name in services.store_names().items():
        if re.search(rf"\b{re.escape(normalize(name))}\b", low) or re.search(rf"\b{re.escape(sid.lower())}\b", low):
            return sid
    sid = turn.metadata.get("store_id") if isinstance(turn.metadata, dict) else None
    if sid:
        return str(sid)
    return turn.store.get_profile(turn.sender).get("store")


class ActionShowDetails(ShopAction):
    def name(self) -> Text:
        return "action_show_details"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        products = referenced(turn)
        if not products:
            return []
        p = products[0]
        facts = product_facts(p, _position(turn, p))
        desc = (p.description or "").strip()
        facts["description"] = (desc[:237] + "...") if len(desc) > 240 else desc
        in_stock = [s for s in _stock_lines(p) if s["quantity"] > 0]
        if in_stock:
            facts["stock_summary"] = f"In stock at {len(in_stock)} store{'s' if len(in_stock) != 1 else ''}."
        _focus(turn, p)
        turn.say("details", {"product": facts}, cards=[card(p, facts["position"], "", services.store_names())],
                 buttons=product_buttons(p), kind="product_details")
        return []


class ActionAnswerQuestion(ShopAction):
    """ "Is the second one unscented?": quote the product's own catalog text, or say it doesn't say."""

    def name(self) -> Text:
        return "action_answer_question"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        products = referenced(turn)
        if not products:
            return []
        p = products[0]
        facts: Dict[str, Any] = {"product": product_facts(p, _position(turn, p))}
        evidence = turn.retriever.answer(p.id, turn.text)
        if evidence is not None:
            facts["evidence"] = evidence.text
        else:
            facts["attributes"] = {k: v for k, v in (p.attributes or {}).items() if v not in (None, "")}
        _focus(turn, p)
        turn.say("answer", facts, buttons=product_buttons(p))
        return []


class ActionCompare(ShopAction):
    def name(self) -> Text:
        return "action_compare"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        products = referenced(turn, allow_all=True)
        if products is None:
            return []
        if len(products) < 2:
            shown = turn.shown_products()
            extra = [p for p in shown if p.id not in {q.id for q in products}]
            products = products + extra[:2]
        if len(products) < 2:
            turn.say("compare_needs_two")
            return []
        facts_list = [product_facts(p, _position(turn, p) or i) for i, p in enumerate(products, 1)]
        priced = [f for f in facts_list if f["price"] is not None]
        rated = [f for f in facts_list if f["rating"] is not None]
        facts: Dict[str, Any] = {"products": facts_list}
        if priced:
            facts["cheapest"] = min(priced, key=lambda f: f["price"])
        if rated and len({f["rating"] for f in rated}) > 1:
            facts["best_rated"] = max(rated, key=lambda f: f["rating"])
        cards = [card(p, f["position"], "", services.store_names()) for p, f in zip(products, facts_list)]
        turn.say("compare", facts, cards=cards, kind="comparison")
        return []


def cart_contents(turn: Turn, cart: Dict[str, int]) -> tuple:
    """(lines [(product, quantity)], item count, total) priced from the catalog now; products gone
    from the catalog are left out."""
    lines, items, total = [], 0, 0.0
    for pid, q in cart.items():
        try:
            p = turn.retriever.get(pid)
        except Exception:  # noqa: BLE001 - a product gone from the catalog adds nothing
            continue
        lines.append((p, q))
        items += q
        total += (p.price or 0.0) * q
    return lines, items, total


class ActionShowCart(ShopAction):
    def name(self) -> Text:
        return "action_show_cart"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        lines, items, total = cart_contents(turn, turn.store.get_cart(turn.sender))
        if not lines:
            turn.say("cart_empty")
            return []
        cur = lines[0][0].currency
        facts = {"lines": [{"name": p.name, "quantity": q, "price_text": money(p.price, p.currency)} for p, q in lines],
                 "cart_items": items, "cart_total_text": money(round(total, 2), cur)}
        turn.say("cart", facts, cards=[card(p, i) for i, (p, _) in enumerate(lines, 1)], kind="cart")
        return []


class ActionChoose(ShopAction):
    def name(self) -> Text:
        return "action_choose"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        products = referenced(turn)
        if not products:
            return []
        p = products[0]
        qty = quantity(turn.entities, turn.text)
        cart = turn.store.add_to_cart(turn.sender, p.id, qty)
        _, items, total = cart_contents(turn, cart)
        _focus(turn, p)
        facts = {"product": product_facts(p, _position(turn, p)), "quantity": qty, "cart_items": items,
                 "cart_total_text": money(round(total, 2), p.currency)}
        turn.say("chosen", facts, cards=[card(p, facts["product"]["position"])], buttons=product_buttons(p)[1:],
                 kind="cart_update")
        return []


class ActionTellPrice(ShopAction):
    def name(self) -> Text:
        return "action_tell_price"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        products = referenced(turn, allow_all=True)
        if not products:
            return []
        qty = quantity(turn.entities, turn.text)
        facts_list = []
        for p in products:
            f = product_facts(p, _position(turn, p))
            if qty > 1 and p.price is not None:
                f["total_text"] = money(round(p.price * qty, 2), p.currency)
            facts_list.append(f)
        if len(products) == 1:
            _focus(turn, products[0])
        turn.say("price", {"products": facts_list, "quantity": qty})
        return []


class ActionCheckAvailability(ShopAction):
    def name(self) -> Text:
        return "action_check_availability"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        products = referenced(turn)
        if not products:
            return []
        p = products[0]
        store_id = _store_of(turn)
        rows = _stock_lines(p, store_id)
        _focus(turn, p)
        turn.say("availability", {"product": product_facts(p, _position(turn, p)), "stores": rows, "asked_store": store_id},
                 cards=[card(p, _position(turn, p), "", services.store_names(), None)], kind="stock")
        return []
