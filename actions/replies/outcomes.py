"""What each reply did for the shopper, as one label in the bot message's metadata (``outcome``).

Labels: ``products``, ``clarify``, ``not_carried``, ``service:<topic>``, ``handoff``, ``off_topic``,
``smalltalk``, ``fallback``, ``error``. Analytics and staff hand-off read them; shoppers never see them.
"""

from __future__ import annotations

from typing import Any, Mapping

PRODUCTS = frozenset(
    {"recommend", "details", "compare", "chosen", "cart", "cart_empty", "price", "availability", "answer"}
)
SMALLTALK = frozenset({"greet", "goodbye", "thanks", "help", "bot_challenge"})
ERRORS = frozenset({"store_down", "search_down", "unknown_product"})
FIXED = {
    "out_of_scope": "off_topic",
    "fallback": "fallback",
    "not_carried": "not_carried",
    "handoff": "handoff",
    "privacy": "service:privacy",
}
OUTCOMES = (
    "products",
    "clarify",
    "not_carried",
    "service:<topic>",
    "checkout",
    "reservation",
    "handoff",
    "off_topic",
    "smalltalk",
    "fallback",
    "error",
)


CHECKOUT = frozenset(
    {
        "checkout_declined",
        "checkout_empty",
        "checkout_confirm",
        "price_changed",
        "sold_out",
        "order_placed",
        "order_exists",
    }
)
RESERVATION = frozenset(
    {"reserve_held", "reserve_short", "reserve_no_store", "reserve_bad_quantity", "reserve_cancelled", "reserve_none"}
)


def outcome_of(act: str, facts: Mapping[str, Any]) -> str:
    """The outcome label of a reply made for ``act`` (every act that is none of the others asks or repairs: clarify)."""
    if act in CHECKOUT:
        return "checkout"
    if act in RESERVATION:
        return "reservation"
    if facts.get("topic") and (act.startswith("order_") or act.startswith("address_")):
        return f"service:{facts['topic']}"
    if act.startswith(("memory_", "personalise_")):
        return "service:privacy"
    if act in ("nothing_bought", "link_code", "link_refused", "linked"):
        return "service:privacy"
    if act.startswith("prefs_"):
        return "products" if act in ("prefs_applied", "prefs_nothing_fits") else "clarify"
    if act in ("handoff_queued", "handoff_with_person"):
        return "handoff"
    if act in PRODUCTS:
        return "products"
    if act in SMALLTALK:
        return "smalltalk"
    if act in ERRORS:
        return "error"
    if act == "service":
        return f"service:{facts.get('topic') or 'general'}"
    return FIXED.get(act, "clarify")
