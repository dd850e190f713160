"""Every text the bot says goes through :func:`compose` (one function).

``compose(act, facts)`` asks the GPT-2 phraser (``nlg.phrase``, through the act
mapping in ``actions.phrasing``) and falls back to the templates below when the
act has no mapping, the phraser has no trained model, or none of its candidates
passes its guard in time. ``SHOPGUIDE_NLG=templates`` turns the phraser off.
Facts carry display-ready values (``price_text`` is already formatted from
catalog data), so a template never invents a number.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

logger = logging.getLogger(__name__)

CURRENCY_SYMBOLS = {"USD": "$", "INR": "₹", "EUR": "€", "GBP": "£"}


def money(amount: Optional[float], currency: str = "USD") -> str:
    """``12.5, "USD"`` -> ``"$12.50"``; ``1250, "INR"`` -> ``"₹1,250.00"``; unknown -> ``"12.50 XYZ"``."""
    if amount is None:
        return "price not listed"
    sym = CURRENCY_SYMBOLS.get((currency or "").upper())
    return f"{sym}{amount:,.2f}" if sym else f"{amount:,.2f} {currency}"


def _join(items: List[str], last: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


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
    what = f" for \"{f['query']}\"" if f.get("query") else ""
    cons = f.get("constraints") or []
    head = f"Here {'are' if n != 1 else 'is'} {n}{more} match{'es' if n != 1 else ''}{what}" + (f" ({_join(cons)})" if cons else "") + ":"
    lines = [head] + [_product_line(p) for p in f["products"]]
    lines.append('Ask about "the second one", or say "cheaper", "other brands", "show more" or "compare".')
    return "\n".join(lines)


def _no_results(f: Dict[str, Any]) -> str:
    what = f.get("query") or "products"
    cons = f.get("constraints") or []
    culprit = f.get("constraint_text")
    if culprit:
        return (f"I found no {what} matching {_join(cons)}. The condition that empties the list is "
                f"\"{culprit}\". Shall I drop it and search again?")
    return f"I found no {what}" + (f" matching {_join(cons)}" if cons else "") + ". Try different words, or say \"start over\"."


def _exhausted(f: Dict[str, Any]) -> str:
    what = f.get("query") or "products"
    cons = f.get("constraints") or []
    return (f"That's every {what}" + (f" matching {_join(cons)}" if cons else "")
            + " I have — you've seen them all. Say \"cheaper\", \"other brands\" or \"start over\".")


def attributes_text(attributes: Dict[str, Any]) -> str:
    """``{"pack_size": "1 L"}`` -> ``"Pack size: 1 L."`` (values as the catalog has them)."""
    return _cap(_join([f"{k.replace('_', ' ')}: {v}" for k, v in attributes.items()])) + "."


def verdict_text(f: Dict[str, Any]) -> str:
    """The comparison's verdict: the cheapest and the best rated, or ""."""
    verdict = []
    if f.get("cheapest"):
        verdict.append(f"{f['cheapest']['name']} is the cheapest at {f['cheapest']['price_text']}")
    if f.get("best_rated"):
        verdict.append(f"{f['best_rated']['name']} has the best rating ({f['best_rated']['rating']:g}/5)")
    return _cap(_join(verdict)) + "." if verdict else ""


def cart_items_text(lines: List[Dict[str, Any]]) -> str:
    """``"2 × Mug ($4.00 each); 1 × Kettle ($20.00 each)"``."""
    return "; ".join(f"{l['quantity']} × {l['name']} ({l['price_text']} each)" for l in lines)


def _details(f: Dict[str, Any]) -> str:
    p = f["product"]
    out = [f"{p['name']}" + (f" by {p['brand']}" if p.get("brand") else "") + f" — {p['price_text']}."]
    if p.get("list_price_text"):
        out.append(f"Usually {p['list_price_text']}.")
    if p.get("category"):
        out.append(f"Category: {p['category']}.")
    if p.get("rating") is not None:
        out.append(f"Rated {p['rating']:g}/5.")
    if p.get("attributes"):
        out.append(attributes_text(p["attributes"]))
    if p.get("description"):
        out.append(p["description"])
    if p.get("stock_summary"):
        out.append(p["stock_summary"])
    return " ".join(out)


def _compare(f: Dict[str, Any]) -> str:
    lines = ["Side by side:"]
    for p in f["products"]:
        bits = [p["price_text"]]
        if p.get("rating") is not None:
            bits.append(f"rated {p['rating']:g}/5")
        bits += [f"{k.replace('_', ' ')}: {v}" for k, v in list((p.get("attributes") or {}).items())[:2]]
        lines.append(f"{p['position']}. {p['name']}" + (f" ({p['brand']})" if p.get("brand") else "") + " — " + ", ".join(bits))
    if verdict_text(f):
        lines.append(verdict_text(f))
    return "\n".join(lines)


def _chosen(f: Dict[str, Any]) -> str:
    p = f["product"]
    return (f"Added {f['quantity']} × {p['name']} ({p['price_text']} each) to your cart. "
            f"Your cart has {f['cart_items']} item{'s' if f['cart_items'] != 1 else ''}, {f['cart_total_text']} in total.")


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
        return f"About {p['name']}, the product page says: \"{f['evidence']}\""
    attrs = [f"{k.replace('_', ' ')} {v}" for k, v in list((f.get("attributes") or {}).items())[:4]]
    listed = f" It lists {', '.join(attrs)}." if attrs else ""
    return f"The product page for {p['name']} doesn't say, so I won't guess.{listed} Ask me about its price, stock or details."


def _ask_category(f: Dict[str, Any]) -> str:
    ex = f.get("examples") or []
    hint = f" for the {f['hint']}" if f.get("hint") in ("kitchen", "garden", "office", "home", "house") else ""
    q = f"Happy to help! What kind of thing are you after{hint}?"
    if ex:
        q += f" For example {_join(ex, 'or')}."
    return q + ' (Say "any" to skip.)'


def _ask_budget(f: Dict[str, Any]) -> str:
    return "What's your budget? (Say \"any\" to skip.)"


def _ask_brand(f: Dict[str, Any]) -> str:
    b = f.get("brands") or []
    q = "Any brand or other preference?"
    if b:
        q += f" For example {_join(b, 'or')}."
    return q + ' (Say "any" to skip.)'


TEMPLATES: Dict[str, Callable[[Dict[str, Any]], str]] = {
    "greet": lambda f: "Hi! I'm your shopping guide. Tell me what you're looking for, e.g. \"a kettle under $40\" or \"a gift for my dad\".",
    "goodbye": lambda f: "Goodbye, and happy shopping!",
    "thanks": lambda f: "You're welcome! Anything else I can find for you?",
    "help": lambda f: ("I can find products in our catalog, narrow them down and compare them. Try \"running shoes under $80\", "
                       "then \"cheaper\", \"other brands\", \"show more\", \"tell me about the second one\", \"compare them\", "
                       "\"is it in stock?\" or \"start over\"."),
    "bot_challenge": lambda f: "I'm an automated shopping assistant, not a person. Everything I tell you about products comes from the store's catalog.",
    "out_of_scope": lambda f: "Sorry, I can only help with shopping here: finding, comparing and checking products.",
    "fallback": lambda f: "Sorry, I didn't understand that. Tell me what you're looking for, or say \"help\".",
    "deny": lambda f: "OK. Tell me what you'd like instead, or say \"start over\".",
    "keep_constraints": lambda f: "OK, I'll keep " + (_join(f.get("constraints") or []) or "your choices") + ". Say \"start over\" to search for something else.",
    "skip": lambda f: "OK. What are you looking for?",
    "affirm_nothing": lambda f: "Great! What would you like to do next?",
    "ask_category": _ask_category,
    "ask_budget": _ask_budget,
    "budget_unclear": lambda f: f"Sorry, I need a number for the budget (like 50), or say \"any\" to skip.",
    "ask_brand": _ask_brand,
    "recommend": _recommend,
    "no_results": _no_results,
    "exhausted": _exhausted,
    "start_over": lambda f: "Sure, let's start over. What are you looking for?",
    "need_search_first": lambda f: "Tell me what you're looking for first, e.g. \"a kettle\" or \"running shoes under $80\".",
    "details": _details,
    "compare": _compare,
    "compare_needs_two": lambda f: "I need at least two products to compare. Search for something first.",
    "chosen": _chosen,
    "cart": lambda f: (f"Your cart has {f['cart_items']} item{'s' if f['cart_items'] != 1 else ''}, {f['cart_total_text']} in total: "
                       + cart_items_text(f["lines"]) + "."),
    "cart_empty": lambda f: "Your cart is empty. What would you like to look for?",
    "price": _price,
    "availability": _availability,
    "answer": _answer,
    "nothing_shown": lambda f: "I haven't shown you any products yet. What are you looking for?",
    "out_of_range": lambda f: (f"I only showed you {f['shown']} product{'s' if f['shown'] != 1 else ''}, so there's no number {f['asked']}. "
                               f"Pick 1 to {f['shown']}." if f["shown"] > 1 else "I only showed you one product — say \"that one\"."),
    "which_one": lambda f: f"Which one do you mean? Say a number from 1 to {f['shown']}, e.g. \"the second one\".",
    "unknown_product": lambda f: f"I can't find a product with id \"{f['product_id']}\" in the catalog. Pick one from the list, or search again.",
    "store_down": lambda f: "Sorry, I can't reach my memory of our conversation right now, so I didn't act on that. Nothing is lost: please try again in a moment.",
    "search_down": lambda f: "Sorry, product search isn't available right now. Please try again in a moment.",
}


NLG_OFF = ("", "templates", "template", "off", "0", "false", "no")


def phraser_enabled() -> bool:
    """``SHOPGUIDE_NLG`` (default ``gpt2``): anything in :data:`NLG_OFF` keeps the templates only."""
    return os.environ.get("SHOPGUIDE_NLG", "gpt2").strip().lower() not in NLG_OFF


@dataclass(frozen=True)
class Rendered:
    """A reply's text and how it was made (kept in the bot event's metadata)."""

    text: str
    source: str  # "model": the phraser's GPT-2 wrote it; "template": a template did
    act: str  # the phraser's act, or the dialogue act when a template answered
    reason: Optional[str] = None  # why the template answered (nlg.Reply.reason, "no_mapping", "off")
    latency_ms: float = 0.0

    def meta(self) -> Dict[str, Any]:
        return {"source": self.source, "act": self.act, "reason": self.reason, "latency_ms": round(self.latency_ms, 1)}


def template_text(act: str, facts: Dict[str, Any]) -> str:
    template = TEMPLATES.get(act)
    if template is None:
        logger.error("no template for act %r", act)
        return TEMPLATES["fallback"](facts)
    return template(facts)


def compose(act: str, facts: Optional[Dict[str, Any]] = None) -> Rendered:
    """The one way a reply is made: the phraser for the acts it has, else the template."""
    from actions import phrasing

    facts = facts or {}
    t0 = time.perf_counter()
    reason: Optional[str] = "off"
    if phraser_enabled():
        plan = phrasing.plan(act, facts)
        reason = "no_mapping"
        if plan is not None:
            try:
                from actions import services

                reply = services.get_phraser().phrase(plan.act, plan.facts)
                if reply.source == "model":
                    text = reply.text + (f" {plan.suffix}" if plan.suffix else "")
                    return Rendered(text, "model", plan.act, None, (time.perf_counter() - t0) * 1000)
                reason = reply.reason or "template"
            except Exception as e:  # noqa: BLE001 - the template is always there
                logger.warning("phraser failed for %s: %s: %s", act, type(e).__name__, e)
                reason = "error"
    return Rendered(template_text(act, facts), "template", act, reason, (time.perf_counter() - t0) * 1000)


def render(act: str, facts: Optional[Dict[str, Any]] = None) -> str:
    """The reply text for ``act`` (see :func:`compose`)."""
    return compose(act, facts).text
