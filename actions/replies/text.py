"""Words every reply shares: money, lists, filters, and the few fixed sentences (written once)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from retrieval.filters import Filters

CURRENCY_SYMBOLS = {"USD": "$", "INR": "₹", "EUR": "€", "GBP": "£"}

SKIP_HINT = 'Say "any" to skip.'
TRY_HINT = (
    'Try "running shoes under $80", then "cheaper", "other brands", "show more", '
    '"tell me about the second one", "compare them", "is it in stock?" or "start over".'
)
FROM_CATALOG = "Everything I tell you about products comes from the store's catalog."
HELP_HINT = 'Say "help" to see what I can do.'


def money(amount: Optional[float], currency: str = "USD") -> str:
    """``12.5, "USD"`` -> ``"$12.50"``; ``1250, "INR"`` -> ``"₹1,250.00"``; unknown -> ``"12.50 XYZ"``."""
    if amount is None:
        return "price not listed"
    sym = CURRENCY_SYMBOLS.get((currency or "").upper())
    return f"{sym}{amount:,.2f}" if sym else f"{amount:,.2f} {currency}"


def join(items: List[str], last: str = "and") -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"`` (empty items dropped)."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def constraints(f: Filters, currency: str, store_names: Optional[Mapping[str, str]] = None) -> List[str]:
    """A search's filters in words, prices in the catalog's currency ("under $50.00", "in red")."""
    names = store_names or {}
    return f.describe(money=lambda v: money(v, currency), store_name=lambda s: names.get(s, s))


def constraint(f: Filters, name: str, currency: str, store_names: Optional[Mapping[str, str]] = None) -> str:
    """One of them (a ``RELAX_ORDER`` name), in the same words."""
    names = store_names or {}
    return f.describe_one(name, money=lambda v: money(v, currency), store_name=lambda s: names.get(s, s))


def attributes_text(attributes: Mapping[str, Any]) -> str:
    """``{"pack_size": "1 L"}`` -> ``"Pack size: 1 L."`` (values as the catalog has them)."""
    return cap(join([f"{k.replace('_', ' ')}: {v}" for k, v in attributes.items()])) + "."


def verdict_text(f: Mapping[str, Any]) -> str:
    """The comparison's verdict: the cheapest and the best rated, or ""."""
    verdict = []
    if f.get("cheapest"):
        verdict.append(f"{f['cheapest']['name']} is the cheapest at {f['cheapest']['price_text']}")
    if f.get("best_rated"):
        verdict.append(f"{f['best_rated']['name']} has the best rating ({f['best_rated']['rating']:g}/5)")
    return cap(join(verdict)) + "." if verdict else ""


def cart_items_text(lines: List[Dict[str, Any]]) -> str:
    """``"2 × Mug ($4.00 each); 1 × Kettle ($20.00 each)"``."""
    return "; ".join(f"{line['quantity']} × {line['name']} ({line['price_text']} each)" for line in lines)


def skip_hint(examples: List[str]) -> str:
    """``For example a or b. Say "any" to skip.``"""
    return (f"For example {join(examples, 'or')}. " if examples else "") + SKIP_HINT


DETAIL_PARTS = ("list_price", "category", "rating", "attributes", "description", "stock")


def detail_sentences(p: Mapping[str, Any], parts: tuple = DETAIL_PARTS) -> List[str]:
    """The sentences about one product's details that are present, in the order of ``parts``."""
    said = {
        "list_price": f"Usually {p['list_price_text']}." if p.get("list_price_text") else "",
        "category": f"Category: {p['category']}." if p.get("category") else "",
        "rating": f"Rated {p['rating']:g}/5." if p.get("rating") is not None else "",
        "attributes": attributes_text(p["attributes"]) if p.get("attributes") else "",
        "description": p.get("description") or "",
        "stock": p.get("stock_summary") or "",
    }
    return [said[part] for part in parts if said[part]]
