"""The cart: add a shown product, show what is in it (priced from the catalog now)."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from actions.base import ShopAction, Turn
from actions.cards import button, card, product_buttons, product_facts
from actions.personal import signal
from actions.products import focus_on, position_of, referenced
from actions.replies import money
from actions.replies.facts import Facts
from actions.understanding import quantity
from actions.variants import choose_variant
from retrieval.api import UnknownProductError
from retrieval.schema import Product

CHECKOUT = button("Check out", "checkout")


def cart_contents(turn: Turn, cart: Dict[str, int]) -> Tuple[List[Tuple[Product, int]], int, float]:
    """(lines [(product, quantity)], item count, total) priced from the catalog now; products gone
    from the catalog are left out."""
    lines, items, total = [], 0, 0.0
    for pid, q in cart.items():
        try:
            p = turn.retriever.get(pid)
        except UnknownProductError:  # a product gone from the catalog adds nothing
            continue
        lines.append((p, q))
        items += q
        total += (p.price or 0.0) * q
    return lines, items, total


class ActionShowCart(ShopAction):
    def name(self) -> str:
        return "action_show_cart"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        lines, items, total = cart_contents(turn, turn.store.get_cart(turn.shopper))
        if not lines:
            turn.say("cart_empty")
            return []
        cur = lines[0][0].currency
        facts: Facts = {
            "lines": [{"name": p.name, "quantity": q, "price_text": money(p.price, p.currency)} for p, q in lines],
            "cart_items": items,
            "cart_total_text": money(round(total, 2), cur),
        }
        turn.say(
            "cart", facts, cards=[card(p, i) for i, (p, _) in enumerate(lines, 1)], buttons=[CHECKOUT], kind="cart"
        )
        return []


class ActionChoose(ShopAction):
    def name(self) -> str:
        return "action_choose"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        products = referenced(turn)
        if not products:
            return []
        p = choose_variant(turn, products[0], "choose")
        if p is None:  # asked which size
            return []
        qty = quantity(turn.entities, turn.text)
        cart = turn.store.add_to_cart(turn.shopper, p.id, qty, price=p.price)
        signal(turn, [p.id], "added")
        _, items, total = cart_contents(turn, cart)
        focus_on(turn, p)
        facts: Facts = {
            "product": product_facts(p, position_of(turn, p)),
            "quantity": qty,
            "cart_items": items,
            "cart_total_text": money(round(total, 2), p.currency),
        }
        turn.say(
            "chosen",
            facts,
            cards=[card(p, facts["product"]["position"])],
            buttons=product_buttons(p)[1:] + [CHECKOUT],
            kind="cart_update",
        )
        return []
