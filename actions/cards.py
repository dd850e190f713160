"""Products -> reply facts, product cards (``custom`` payload) and quick replies."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

from actions.replies import money
from actions.replies.facts import ProductFacts
from retrieval.filters import Filters
from retrieval.schema import Product
from retrieval.variants import axes, options

PLACEHOLDER_IMAGE = "/static/placeholder-product.svg"
# Variant axes a card lists, as (fact name, attribute, words for the text line).
VARIANT_FIELDS = (("sizes", "size", "sizes"), ("colours", "colour", "colours"))


REASON_ATTRS = ("material", "feature", "features", "type", "size", "capacity", "flavour", "diet", "colour", "pattern")


def reason_for(
    p: Product, shown: Sequence[Product], filters: Optional[Filters] = None, price_preference: Optional[str] = None
) -> str:
    """One short reason to consider ``p``, taken from its own data."""
    prices = [q.price for q in shown if q.price is not None]
    if p.price is not None and len(prices) > 1 and p.price == min(prices) and price_preference != "high":
        return "the lowest price of these"
    if p.list_price and p.price and p.list_price > p.price:
        pct = round(100 * (1 - p.price / p.list_price))
        if pct >= 5:
            return f"{pct}% off its list price of {money(p.list_price, p.currency)}"
    if p.rating is not None and p.rating >= 4.3:
        return f"rated {p.rating:g}/5"
    if filters is not None:
        if filters.colour and filters.colour in (p.attributes.get("colour", "") + " " + p.name).lower():
            return f"comes in {filters.colour}"
        if filters.brands and (p.brand or "").lower() in filters.brands:
            return f"from {p.brand}, as you asked"
    for k in REASON_ATTRS:
        v = p.attributes.get(k)
        if v:
            return f"{k}: {v}"
    if p.rating is not None:
        return f"rated {p.rating:g}/5"
    if p.in_stock_anywhere:
        return "in stock in store"
    if p.leaf_category:
        return f"from our {p.leaf_category} range"
    return ""


def variant_options(variants: Sequence[Product], store_id: Optional[str] = None) -> Dict[str, List[str]]:
    """The sizes and colours a model is in stock in (at ``store_id``, else anywhere).

    Args:
        variants: every product of the model (``Retriever.variants``).
        store_id: the store to look at, or None for any.

    Returns:
        ``{"sizes": [...], "colours": [...]}`` with only the axes the variants differ in (sizes
        smallest first, possibly empty when none is in stock); ``{}`` for a single product.
    """
    if len(variants) < 2:
        return {}
    varying = axes(variants)
    return {name: options(variants, attr, True, store_id) for name, attr, _ in VARIANT_FIELDS if attr in varying}


def options_text(found: Dict[str, List[str]]) -> str:
    """``"in stock in sizes UK 4, UK 6; colours blue, tan"``, or '' when there is nothing to say."""
    parts = [f"{words} {', '.join(found[name])}" for name, _, words in VARIANT_FIELDS if found.get(name)]
    return "in stock in " + "; ".join(parts) if parts else ""


def _shown(p: Product, position: int, reason: str) -> ProductFacts:
    """The fields both the reply facts and the card show, straight from the catalog."""
    return {
        "position": position,
        "id": p.id,
        "name": p.name,
        "brand": p.brand,
        "price": p.price,
        "currency": p.currency,
        "price_text": money(p.price, p.currency),
        "rating": p.rating,
        "category": p.category_path,
        "reason": reason,
    }


def product_facts(
    p: Product,
    position: int = 0,
    reason: str = "",
    variants: Sequence[Product] = (),
    store_id: Optional[str] = None,
) -> ProductFacts:
    """Display-ready facts of one product (every value straight from the catalog).

    Given its model's ``variants``, the facts also carry the ``sizes`` and ``colours`` in stock
    (at ``store_id``, else anywhere), for the axes the variants differ in.
    """
    facts = _shown(p, position, reason)
    found = variant_options(variants, store_id)
    if "sizes" in found:
        facts["sizes"] = found["sizes"]
    if "colours" in found:
        facts["colours"] = found["colours"]
    facts["attributes"] = dict(p.attributes)
    if p.list_price and p.price is not None and p.list_price > p.price:
        facts["list_price"] = p.list_price
        facts["list_price_text"] = money(p.list_price, p.currency)
    return facts


def card(
    p: Product,
    position: int = 0,
    reason: str = "",
    store_names: Optional[Dict[str, str]] = None,
    store_id: Optional[str] = None,
    variants: Sequence[Product] = (),
) -> Dict[str, Any]:
    """A product card for channels that render them (web chat, kiosk).

    Given its model's ``variants``, the card also lists the ``sizes`` and ``colours`` in stock
    (at ``store_id``, else anywhere) and says them in ``options_text`` for text-only channels.
    """
    stock = []
    for sid, s in sorted(p.stock.items()):
        if store_id and sid != store_id:
            continue
        stock.append(
            {"store_id": sid, "store": (store_names or {}).get(sid, sid), "quantity": s.quantity, "aisle": s.aisle}
        )
    found = variant_options(variants, store_id)
    extra: Dict[str, Any] = {**found, "options_text": options_text(found)} if found else {}
    return {
        **_shown(p, position, reason),
        "image": p.attributes.get("image") or p.attributes.get("image_url") or PLACEHOLDER_IMAGE,
        "stock": stock,
        **extra,
    }


def payload(intent: str, entities: Optional[Dict[str, Any]] = None) -> str:
    """A button payload Rasa parses without NLU: ``/intent{"entity": "value"}``."""
    return f"/{intent}" + (json.dumps(entities, separators=(",", ":")) if entities else "")


def parse_payload(text: str) -> Tuple[str, Dict[str, Any]]:
    """``payload``'s inverse: ``/choose{"product_id":"v1"}`` -> ("choose", {"product_id": "v1"})."""
    intent, brace, rest = text.lstrip("/").partition("{")
    return intent, json.loads(brace + rest) if brace else {}


def button(title: str, intent: str, entities: Optional[Dict[str, Any]] = None) -> Dict[str, str]:
    return {"title": title, "payload": payload(intent, entities)}


def recommendation_buttons(products: Sequence[Product]) -> List[Dict[str, str]]:
    out = [button(f"More about #{i}", "ask_details", {"product_id": p.id}) for i, p in enumerate(products, 1)]
    out += [
        button("Cheaper", "refine", {"refinement": "cheaper"}),
        button("Other brands", "refine", {"refinement": "other_brand"}),
        button("Show more", "refine", {"refinement": "more"}),
    ]
    if len(products) > 1:
        out.append(button("Compare", "compare"))
    return out


def product_buttons(p: Product) -> List[Dict[str, str]]:
    return [
        button("Add to cart", "choose", {"product_id": p.id}),
        button("Is it in stock?", "ask_availability", {"product_id": p.id}),
        button("More like this", "refine", {"refinement": "similar", "product_id": p.id}),
    ]
