"""The dialogue's own reply texts, one per act: what the shopper gets when the phraser has no
mapping for an act, is off, or none of its candidates passes the guard in time.

Facts carry display-ready values (``price_text`` is already formatted from catalog data), so a
template never invents a number.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict

from actions.replies.orders_text import ORDER_TEMPLATES
from actions.replies.personal_text import PERSONAL_TEMPLATES
from actions.replies.text import (
    FROM_CATALOG,
    SKIP_HINT,
    TRY_HINT,
    cart_items_text,
    detail_sentences,
    join,
    verdict_text,
)

logger = logging.getLogger(__name__)


def _product_line(p: Dict[str, Any]) -> str:
    parts = [f"{p['position']}. {p['name']}"]
    if p.get("brand"):
        parts.append(p["brand"])
    parts.append(p["price_text"])
    line = " — ".join(parts)
    if p.get("reason"):
        line += f" ({p['reason']})"
    return line


def _recommend(f: Dict[str, Any]) -> str:
    n = len(f["products"])
    more = " more" if f.get("page", 1) > 1 else ""
    what = f' for "{f["query"]}"' if f.get("query") else ""
    cons = f.get("constraints") or []
    head = (
        f"Here {'are' if n != 1 else 'is'} {n}{more} match{'es' if n != 1 else ''}{what}"
        + (f" ({join(cons)})" if cons else "")
        + ":"
    )
    lines = [head] + [_product_line(p) for p in f["products"]]
    lines.append('Ask about "the second one", or say "cheaper", "other brands", "show more" or "compare".')
    return "\n".join(lines)


def _no_results(f: Dict[str, Any]) -> str:
    what = f.get("query") or "products"
    cons = f.get("constraints") or []
    culprit = f.get("constraint_text")
    if culprit:
        return (
            f"I found no {what} matching {join(cons)}. The condition that empties the list is "
            f'"{culprit}". Shall I drop it and search again?'
        )
    return (
        f"I found no {what}"
        + (f" matching {join(cons)}" if cons else "")
        + '. Try different words, or say "start over".'
    )


def _exhausted(f: Dict[str, Any]) -> str:
    what = f.get("query") or "products"
    cons = f.get("constraints") or []
    return (
        f"That's every {what}"
        + (f" matching {join(cons)}" if cons else "")
        + ' I have — you\'ve seen them all. Say "cheaper", "other brands" or "start over".'
    )


def _details(f: Dict[str, Any]) -> str:
    p = f["product"]
    head = f"{p['name']}" + (f" by {p['brand']}" if p.get("brand") else "") + f" — {p['price_text']}."
    return " ".join([head] + detail_sentences(p))


def _compare(f: Dict[str, Any]) -> str:
    lines = ["Side by side:"]
    for p in f["products"]:
        bits = [p["price_text"]]
        if p.get("rating") is not None:
            bits.append(f"rated {p['rating']:g}/5")
        bits += [f"{k.replace('_', ' ')}: {v}" for k, v in list((p.get("attributes") or {}).items())[:2]]
        lines.append(
            f"{p['position']}. {p['name']}" + (f" ({p['brand']})" if p.get("brand") else "") + " — " + ", ".join(bits)
        )
    if verdict_text(f):
        lines.append(verdict_text(f))
    return "\n".join(lines)


def _chosen(f: Dict[str, Any]) -> str:
    p = f["product"]
    return (
        f"Added {f['quantity']} × {p['name']} ({p['price_text']} each) to your cart. "
        f"Your cart has {f['cart_items']} item{'s' if f['cart_items'] != 1 else ''}, {f['cart_total_text']} in total."
    )


def _price(f: Dict[str, Any]) -> str:
    out = []
    for p in f["products"]:
        s = f"{p['name']} costs {p['price_text']}"
        if p.get("list_price_text"):
            s += f" (down from {p['list_price_text']})"
        if f.get("quantity", 1) > 1 and p.get("total_text"):
            s += f"; {f['quantity']} would be {p['total_text']}"
        out.append(s + ".")
    return " ".join(out)


def _availability(f: Dict[str, Any]) -> str:
    p = f["product"]
    stores = f.get("stores") or []
    if not stores:
        return f"I don't have store stock data for {p['name']}; it's available to order online."
    parts = []
    for s in stores:
        if s["quantity"] > 0:
            parts.append(f"{s['quantity']} in stock at {s['store']}" + (f" ({s['aisle']})" if s.get("aisle") else ""))
        else:
            parts.append(f"out of stock at {s['store']}")
    return f"{p['name']}: " + "; ".join(parts) + "."


def _answer(f: Dict[str, Any]) -> str:
    p = f["product"]
    if f.get("evidence"):
        return f'About {p["name"]}, the product page says: "{f["evidence"]}"'
    attrs = [f"{k.replace('_', ' ')} {v}" for k, v in list((f.get("attributes") or {}).items())[:4]]
    listed = f" It lists {', '.join(attrs)}." if attrs else ""
    return f"The product page for {p['name']} doesn't say, so I won't guess.{listed} Ask me about its price, stock or details."


def _ask_category(f: Dict[str, Any]) -> str:
    ex = f.get("examples") or []
    hint = f" for the {f['hint']}" if f.get("hint") in ("kitchen", "garden", "office", "home", "house") else ""
    q = f"Happy to help! What kind of thing are you after{hint}?"
    if ex:
        q += f" For example {join(ex, 'or')}."
    return q + f" ({SKIP_HINT})"


def _ask_budget(f: Dict[str, Any]) -> str:
    return f"What's your budget? ({SKIP_HINT})"


def _ask_brand(f: Dict[str, Any]) -> str:
    b = f.get("brands") or []
    q = "Any brand or other preference?"
    if b:
        q += f" For example {join(b, 'or')}."
    return q + f" ({SKIP_HINT})"


def _not_carried(f: Dict[str, Any]) -> str:
    text = (
        f"Sorry, we don't carry {f['kind']}"
        + (f" ({f['said']})" if f.get("said") and f["said"] != f["kind"] else "")
        + "."
    )
    related = [r.lower() for r in f.get("related") or []]
    if related:
        text += f" We do have {join(related)}, if one of those helps."
    return text + " Is there something else I can find for you?"


def _service(f: Dict[str, Any]) -> str:
    text = f"{f['answer']} {f['source']}"
    if f.get("needs_order"):
        text += (
            " I can look up orders placed in this chat, and I don't see any here. For an order placed "
            "elsewhere, our customer team or any store can, with the order number and the email you ordered with."
        )
    return text


def _handoff(f: Dict[str, Any]) -> str:
    stores = f.get("store_list") or []
    where = join([f"{s['name']} ({s['hours']})" for s in stores if s.get("name")])
    text = "I'm an automated assistant, so I can't pass you to a person from this chat yet."
    if where:
        text += f" Our staff can help you in person at {where}."
    return text + " I can still help you find products, or answer questions about returns, delivery and payment."


def _privacy(f: Dict[str, Any]) -> str:
    return (
        f"I keep only what this chat needs, under its conversation id: your current search and the products I "
        f"showed you (for {f['session_days']} days), your cart, the preferences you tell me and what you look at "
        f"(for {f['cart_days']} days). No email, phone or card numbers: those are blanked before I store anything. "
        'Ask "what do you remember about me?" to see it, "stop personalising" to turn it off, or "forget me" '
        "to delete it all now."
    )


TEMPLATES: Dict[str, Callable[[Dict[str, Any]], str]] = {
    "greet": lambda f: (
        'Hi! I\'m your shopping guide. Tell me what you\'re looking for, e.g. "a kettle under $40" or "a gift for my dad".'
    ),
    "goodbye": lambda f: "Goodbye, and happy shopping!",
    "thanks": lambda f: "You're welcome! Anything else I can find for you?",
    "help": lambda f: f"I can find products in our catalog, narrow them down and compare them. {TRY_HINT}",
    "bot_challenge": lambda f: f"I'm an automated shopping assistant, not a person. {FROM_CATALOG}",
    "out_of_scope": lambda f: (
        "Sorry, I can only help with shopping here: finding, comparing and checking products, "
        "and questions about orders, returns, delivery and our stores."
    ),
    "not_carried": _not_carried,
    "service": _service,
    "handoff": _handoff,
    "privacy": _privacy,
    "fallback": lambda f: "Sorry, I didn't understand that. Tell me what you're looking for, or say \"help\".",
    "deny": lambda f: 'OK. Tell me what you\'d like instead, or say "start over".',
    "keep_constraints": lambda f: (
        "OK, I'll keep "
        + (join(f.get("constraints") or []) or "your choices")
        + '. Say "start over" to search for something else.'
    ),
    "skip": lambda f: "OK. What are you looking for?",
    "affirm_nothing": lambda f: "Great! What would you like to do next?",
    "ask_category": _ask_category,
    "ask_budget": _ask_budget,
    "budget_unclear": lambda f: 'Sorry, I need a number for the budget (like 50), or say "any" to skip.',
    "ask_brand": _ask_brand,
    "recommend": _recommend,
    "no_results": _no_results,
    "exhausted": _exhausted,
    "start_over": lambda f: "Sure, let's start over. What are you looking for?",
    "need_search_first": lambda f: (
        'Tell me what you\'re looking for first, e.g. "a kettle" or "running shoes under $80".'
    ),
    "details": _details,
    "compare": _compare,
    "compare_needs_two": lambda f: (
        f'I\'ve only shown you one product so far, {f["name"]}. Ask me for another kind, or say "show more", '
        "and I'll compare them."
        if f.get("name")
        else "I need at least two products to compare. Search for something first."
    ),
    "chosen": _chosen,
    "cart": lambda f: (
        f"Your cart has {f['cart_items']} item{'s' if f['cart_items'] != 1 else ''}, {f['cart_total_text']} in total: "
        + cart_items_text(f["lines"])
        + "."
    ),
    "cart_empty": lambda f: "Your cart is empty. What would you like to look for?",
    "price": _price,
    "availability": _availability,
    "answer": _answer,
    "nothing_shown": lambda f: "I haven't shown you any products yet. What are you looking for?",
    "out_of_range": lambda f: (
        f"I only showed you {f['shown']} product{'s' if f['shown'] != 1 else ''}, so there's no number {f['asked']}. "
        f"Pick 1 to {f['shown']}."
        if f["shown"] > 1
        else 'I only showed you one product — say "that one".'
    ),
    "earlier_list": lambda f: (
        f"I showed you only {f['shown']} just now, so I take it you mean number {f['asked']} "
        f"of the {f['earlier']} before that: {f['name']}."
    ),
    "which_one": lambda f: f'Which one do you mean? Say a number from 1 to {f["shown"]}, e.g. "the second one".',
    "unknown_product": lambda f: (
        f'I can\'t find a product with id "{f["product_id"]}" in the catalog. Pick one from the list, or search again.'
    ),
    "store_down": lambda f: (
        "Sorry, I can't reach my memory of our conversation right now, so I didn't act on that. Nothing is lost: please try again in a moment."
    ),
    "search_down": lambda f: "Sorry, product search isn't available right now. Please try again in a moment.",
}


TEMPLATES.update(ORDER_TEMPLATES)
TEMPLATES.update(PERSONAL_TEMPLATES)


def template_text(act: str, facts: Dict[str, Any]) -> str:
    """The template reply for ``act`` (the fallback reply for an act with none)."""
    template = TEMPLATES.get(act)
    if template is None:
        logger.error("no template for act %r", act)
        return TEMPLATES["fallback"](facts)
    return template(facts)
