"""Dialogue acts -> the GPT-2 phraser's acts and facts, in-process.

Why in-process and not Rasa's NLG endpoint: the action already holds the catalog
facts, a failed or slow phraser falls back to the template inside the same call
(Rasa's NLG endpoint gives a silent reply when that server is down:
RasaHQ/rasa#8088), and there is no third server to start, watch and secure.

Each mapping returns the phraser act, its facts and a fixed ``suffix``: text
the phraser's act does not carry (the search's filters, the details of a
product, the verdict of a comparison, "say any to skip"), built from the same
catalog facts as the template. Acts with no mapping (repairs, errors, the yes/no
offer that names the constraint to drop) keep the dialogue's template, as does
every reply the phraser could not ground (its ``source`` is then ``template``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional

from actions.replies.text import (
    FROM_CATALOG,
    HELP_HINT,
    SKIP_HINT,
    TRY_HINT,
    cart_items_text,
    detail_sentences,
    join,
    skip_hint,
    verdict_text,
)

Facts = Dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """What to ask the phraser: its act, its facts, and fixed text to append."""

    act: str
    facts: Facts
    suffix: str = ""


def rating_text(rating: Optional[float]) -> Optional[str]:
    """The catalog's rating as written (4.56 stays 4.56, not the phraser's 4.6)."""
    return None if rating is None else f"{rating:g}/5"


def _product(p: Mapping[str, Any], *fields: str) -> Facts:
    """A product for the phraser: the catalog's own strings (price as formatted for cards)."""
    src = {
        "name": p.get("name"),
        "brand": p.get("brand"),
        "price": p.get("price_text") if p.get("price") is not None else None,
        "rating": rating_text(p.get("rating")),
        "reason": reason_clause(p.get("reason") or ""),
    }
    return {f: src[f] for f in fields if src.get(f)}


_REASON_FORMS = (
    (re.compile(r"^the lowest price"), "it has "),
    (re.compile(r"^\d+% off"), "it is "),
    (re.compile(r"^rated "), "it is "),
    (re.compile(r"^comes in "), "it "),
    (re.compile(r"^from "), "it is "),
    (re.compile(r"^in stock"), "it is "),
)


def reason_clause(reason: str) -> str:
    """``actions.cards.reason_for`` phrases -> a clause read after "because"."""
    reason = reason.strip()
    if not reason:
        return ""
    for rx, lead in _REASON_FORMS:
        if rx.match(reason):
            return lead + reason
    key, sep, value = reason.partition(": ")
    if sep and value:
        return f"its {key.replace('_', ' ')} is {value}"
    return ""


def _filters(f: Mapping[str, Any]) -> str:
    """The search's constraints, said after the phrased list ("Filters: under $50.00 and in red.")."""
    cons = f.get("constraints") or []
    return f"Filters: {join(cons)}." if cons else ""


def _recommend(f: Mapping[str, Any]) -> Optional[Plan]:
    products = f.get("products") or []
    if not products:
        return None
    reasons = [reason_clause(p.get("reason") or "") for p in products]
    if len(products) <= 2 and all(reasons):
        plan = Plan(
            "recommend_with_reason", {"products": [_product(p, "name", "brand", "price", "reason") for p in products]}
        )
    else:
        plan = Plan("recommend", {"products": [_product(p, "name", "brand", "price", "rating") for p in products]})
    return Plan(plan.act, plan.facts, _filters(f))


def _no_results(f: Mapping[str, Any]) -> Optional[Plan]:
    if f.get("constraint_text"):
        return None  # the yes/no offer names the constraint to drop: the template says it exactly
    return Plan("no_results", {}, _filters(f))


def _details(f: Mapping[str, Any]) -> Optional[Plan]:
    p = f.get("product") or {}
    if not p.get("name"):
        return None
    extra = detail_sentences(p, ("list_price", "attributes", "description", "stock"))
    fields = ("name", "brand", "price", "rating") if p.get("price") is not None else ("name", "brand", "rating")
    return Plan("details", {"products": [_product(p, *fields)]}, " ".join(extra))


def _compare(f: Mapping[str, Any]) -> Optional[Plan]:
    products = f.get("products") or []
    if not 2 <= len(products) <= 3 or any(p.get("price") is None for p in products):
        return None
    return Plan(
        "compare", {"products": [_product(p, "name", "brand", "price", "rating") for p in products]}, verdict_text(f)
    )


def _chosen(f: Mapping[str, Any]) -> Optional[Plan]:
    p = f.get("product") or {}
    if f.get("quantity", 1) != 1 or not p.get("name"):
        return None  # "3 x ..." is the template's
    return Plan(
        "add_to_cart",
        {
            "products": [_product(p, "name", "price")],
            "cart_count": f.get("cart_items"),
            "cart_total": f.get("cart_total_text"),
        },
    )


def _cart(f: Mapping[str, Any]) -> Optional[Plan]:
    lines = f.get("lines") or []
    if not lines:
        return None
    return Plan(
        "show_cart",
        {"cart_count": f.get("cart_items"), "cart_total": f.get("cart_total_text")},
        f"In it: {cart_items_text(lines)}.",
    )


def _price(f: Mapping[str, Any]) -> Optional[Plan]:
    products = f.get("products") or []
    if len(products) != 1 or f.get("quantity", 1) != 1 or products[0].get("price") is None:
        return None
    p = products[0]
    prod = _product(p, "name", "brand", "price")
    if p.get("list_price_text"):
        # the phraser states "down from" only for a list price above the price: give it both numbers
        prod.update(price=p["price"], list_price=p.get("list_price"))
    return Plan("price", {"products": [prod], "currency": p.get("currency") or "USD"})


def _availability(f: Mapping[str, Any]) -> Optional[Plan]:
    """Stock at one store: the one asked about (others in stock follow as a suffix), or the only one."""
    p = f.get("product") or {}
    stores = f.get("stores") or []
    if not stores or not p.get("name"):
        return None  # no stock data: the template says so
    s, others = stores[0], stores[1:]
    if others and (not f.get("asked_store") or s.get("store_id") != f.get("asked_store")):
        return None  # several stores, none asked about: the template lists them
    suffix = ""
    elsewhere = [o for o in others if o.get("quantity", 0) > 0]
    if elsewhere:
        suffix = "Also in stock at " + join([f"{o['store']} ({o['quantity']})" for o in elsewhere]) + "."
    if s.get("quantity", 0) > 0:
        prod = {"name": p["name"], "stock": int(s["quantity"])}
        if s.get("aisle"):
            prod["aisle"] = s["aisle"]
        return Plan("availability", {"products": [prod], "store_name": s.get("store")}, suffix)
    return Plan("out_of_stock", {"products": [{"name": p["name"]}], "store_name": s.get("store")}, suffix)


MAPPINGS: Dict[str, Callable[[Mapping[str, Any]], Optional[Plan]]] = {
    "greet": lambda f: Plan("greet", {}),
    "goodbye": lambda f: Plan("goodbye", {}),
    "thanks": lambda f: Plan("thanks", {}),
    "help": lambda f: Plan("help", {}, TRY_HINT),
    "bot_challenge": lambda f: Plan("bot_challenge", {}, FROM_CATALOG),
    "out_of_scope": lambda f: Plan("out_of_scope", {}),
    "fallback": lambda f: Plan("fallback", {}, HELP_HINT),
    "deny": lambda f: Plan("acknowledge", {}),
    "ask_category": lambda f: Plan("ask_category", {}, skip_hint(f.get("examples") or [])),
    "ask_budget": lambda f: Plan("ask_budget", {}, SKIP_HINT),
    "ask_brand": lambda f: Plan("ask_preference", {}, skip_hint(f.get("brands") or [])),
    "recommend": _recommend,
    "no_results": _no_results,
    "details": _details,
    "compare": _compare,
    "chosen": _chosen,
    "cart": _cart,
    "cart_empty": lambda f: Plan("cart_empty", {}),
    "price": _price,
    "availability": _availability,
}


def plan(act: str, facts: Mapping[str, Any]) -> Optional[Plan]:
    """The phraser's act and facts for a dialogue act, or None (the template answers)."""
    mapping = MAPPINGS.get(act)
    return mapping(facts) if mapping else None
