"""Talking about shown products: details, questions, compare, price, availability."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, cast

from actions.base import ShopAction, Turn
from actions.cards import button, card, product_buttons, product_facts
from actions.personal import signal
from actions.replies import money
from actions.replies.facts import Facts, StoreStockFacts
from actions.search import search_anew
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
        if not search_anew(turn):  # "how much is a mattress?" as a first message: search it, or say we don't carry it
            turn.say("nothing_shown")
        return None
    if ref.out_of_range is not None:
        earlier = from_earlier_list(turn, ref.out_of_range, len(shown))
        if earlier is None:
            turn.say("out_of_range", {"asked": ref.out_of_range, "shown": len(shown)})
        return earlier
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


def from_earlier_list(turn: Turn, asked: int, shown: int) -> Optional[List[Product]]:
    """ "The 2nd one" after a shorter list: the list shown before it has a 2nd, so that is the one meant;
    say so, so the shopper can correct it."""
    before = turn.shown_products(before=True)
    if not 1 <= asked <= len(before):
        return None
    turn.say("earlier_list", {"asked": asked, "shown": shown, "earlier": len(before), "name": before[asked - 1].name})
    return [before[asked - 1]]


def focus_on(turn: Turn, product: Product) -> None:
    """Remember the product last talked about ("is it in stock?" then means this one)."""
    ctx = turn.store.get_context(turn.sender)
    ctx.focus = product.id
    turn.store.save_context(turn.sender, ctx)


def position_of(turn: Turn, product: Product) -> int:
    """1-based place of ``product`` in the list last shown (0: not in it)."""
    shown = turn.store.get_shown(turn.sender)
    return shown.index(product.id) + 1 if product.id in shown else 0


def _stock_lines(turn: Turn, product: Product, store_id: Optional[str] = None) -> List[StoreStockFacts]:
    names = turn.retriever.store_names
    orders = turn.services.orders if turn.services is not None else None
    catalog = {sid: s.quantity for sid, s in product.stock.items()}
    live = orders.levels(product.id, catalog) if orders is not None else catalog  # after orders and holds
    rows: List[StoreStockFacts] = []
    for sid, s in sorted(product.stock.items(), key=lambda kv: (kv[0] != store_id, -live[kv[0]], kv[0])):
        rows.append({"store_id": sid, "store": names.get(sid, sid), "quantity": live[sid], "aisle": s.aisle})
    if store_id and product.stock.get(store_id):
        return rows[:1] + [r for r in rows[1:] if r["quantity"] > 0][:2]
    return rows[:4]


def _store_of(turn: Turn) -> Optional[str]:
    """The store the shopper is in or asks about: "at Riverside", kiosk metadata, profile."""
    f = parse_query(turn.text, turn.retriever.vocab).filters
    if f.in_stock_at:
        return f.in_stock_at
    low = normalize(turn.text)
    for sid, name in turn.retriever.store_names.items():
        if re.search(rf"\b{re.escape(normalize(name))}\b", low) or re.search(rf"\b{re.escape(sid.lower())}\b", low):
            return sid
    meta_sid = turn.metadata.get("store_id") if isinstance(turn.metadata, dict) else None
    if meta_sid:
        return str(meta_sid)
    return turn.store.get_profile(turn.sender).get("store")


def reserve_buttons(p: Product, rows: List[StoreStockFacts]) -> List[Dict[str, str]]:
    """ "Reserve at <store>" for the first stores listed with units on the shelf."""
    return [
        button(f"Reserve at {r['store']}", "reserve", {"product_id": p.id, "store": r["store_id"]})
        for r in rows
        if r["quantity"] > 0
    ][:2]


class ActionShowDetails(ShopAction):
    def name(self) -> str:
        return "action_show_details"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        products = referenced(turn)
        if not products:
            return []
        p = products[0]
        model = turn.retriever.variants(p.id)
        facts = product_facts(p, position_of(turn, p), variants=model)
        desc = (p.description or "").strip()
        facts["description"] = (desc[:237] + "...") if len(desc) > 240 else desc
        in_stock = [s for s in _stock_lines(turn, p) if s["quantity"] > 0]
        if in_stock:
            facts["stock_summary"] = f"In stock at {len(in_stock)} store{'s' if len(in_stock) != 1 else ''}."
        focus_on(turn, p)
        signal(turn, [p.id], "viewed")
        turn.say(
            "details",
            {"product": facts},
            cards=[card(p, facts["position"], "", turn.retriever.store_names, variants=model)],
            buttons=product_buttons(p),
            kind="product_details",
        )
        return []


class ActionAnswerQuestion(ShopAction):
    """ "Is the second one unscented?": quote the product's own catalog text, or say it doesn't say."""

    def name(self) -> str:
        return "action_answer_question"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        products = referenced(turn)
        if not products:
            return []
        p = products[0]
        facts: Facts = {"product": product_facts(p, position_of(turn, p))}
        evidence = turn.retriever.answer(p.id, turn.text)
        if evidence is not None:
            facts["evidence"] = evidence.text
        else:
            facts["attributes"] = {k: v for k, v in (p.attributes or {}).items() if v not in (None, "")}
        focus_on(turn, p)
        turn.say("answer", facts, buttons=product_buttons(p))
        return []


class ActionCompare(ShopAction):
    def name(self) -> str:
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
            turn.say("compare_needs_two", {"name": products[0].name} if products else {})
            return []
        facts_list = [product_facts(p, position_of(turn, p) or i) for i, p in enumerate(products, 1)]
        priced = [f for f in facts_list if f["price"] is not None]
        rated = [f for f in facts_list if f["rating"] is not None]
        facts: Facts = {"products": facts_list}
        if priced:
            facts["cheapest"] = min(priced, key=lambda f: cast(float, f["price"]))  # priced: never None
        if rated and len({f["rating"] for f in rated}) > 1:
            facts["best_rated"] = max(rated, key=lambda f: cast(float, f["rating"]))  # rated: never None
        cards = [
            card(p, f["position"], "", turn.retriever.store_names) for p, f in zip(products, facts_list, strict=True)
        ]
        signal(turn, [p.id for p in products], "compared")
        turn.say("compare", facts, cards=cards, kind="comparison")
        return []


class ActionTellPrice(ShopAction):
    def name(self) -> str:
        return "action_tell_price"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        products = referenced(turn, allow_all=True)
        if not products:
            return []
        qty = quantity(turn.entities, turn.text)
        facts_list = []
        for p in products:
            f = product_facts(p, position_of(turn, p))
            if qty > 1 and p.price is not None:
                f["total_text"] = money(round(p.price * qty, 2), p.currency)
            facts_list.append(f)
        if len(products) == 1:
            focus_on(turn, products[0])
        turn.say("price", {"products": facts_list, "quantity": qty})
        return []


class ActionCheckAvailability(ShopAction):
    def name(self) -> str:
        return "action_check_availability"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        products = referenced(turn)
        if not products:
            return []
        p = products[0]
        store_id = _store_of(turn)
        rows = _stock_lines(turn, p, store_id)
        focus_on(turn, p)
        turn.say(
            "availability",
            {"product": product_facts(p, position_of(turn, p)), "stores": rows, "asked_store": store_id},
            cards=[card(p, position_of(turn, p), "", turn.retriever.store_names, None)],
            buttons=reserve_buttons(p, rows),
            kind="stock",
        )
        return []
