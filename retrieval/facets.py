"""Catalog summaries the dialogue offers as quick replies: categories, brands, budgets, store names."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Dict, List

log = logging.getLogger(__name__)


def store_names(catalog: Any) -> Dict[str, str]:
    """id -> display name of the stores the catalog has stock in, from the store layouts
    (data/demo/stores.yml); an id stands in for a store the layouts lack. {} for a catalog without stores."""
    names: Dict[str, str] = {sid: sid for sid in catalog.stores}
    if not names:
        return names
    try:
        from retrieval.demo_catalog import load_stores

        for s in load_stores() or []:
            if str(s.get("id")) in names:
                names[str(s["id"])] = str(s.get("name") or s["id"])
    except Exception as e:  # noqa: BLE001 - names are a nicety; ids still work
        log.debug("no store names: %s", e)
    return names


def top_categories(catalog: Any, hint: str = "", limit: int = 4) -> List[str]:
    """Leaf categories with the most products, those whose path matches a word of ``hint`` first."""
    hint_words = {w for w in hint.lower().split() if len(w) > 2}
    if hint_words:
        related: Counter = Counter(
            p.leaf_category
            for p in catalog.products
            if p.leaf_category and any(w in " ".join(p.category).lower() for w in hint_words)
        )
        if related:
            return [c for c, _ in related.most_common(limit)]
    counts: Counter = Counter(p.leaf_category for p in catalog.products if p.leaf_category)
    return [c for c, _ in counts.most_common(limit)]


def top_brands(catalog: Any, category_text: str = "", limit: int = 3) -> List[str]:
    """Brands with the most products whose category or name holds a word of ``category_text``."""
    words = {w for w in category_text.lower().split() if len(w) > 2}
    counts: Counter = Counter()
    for p in catalog.products:
        if not p.brand:
            continue
        text = (" ".join(p.category) + " " + p.name).lower()
        if not words or any(w.rstrip("s") in text for w in words):
            counts[p.brand] += 1
    return [b for b, _ in counts.most_common(limit)]


def _nice(x: float) -> float:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if x <= step * 10:
            return float(max(step, round(x / step) * step))
    return float(round(x, -3))


def price_tiers(catalog: Any) -> List[float]:
    """Three round budget suggestions from the catalog's price quartiles."""
    prices = sorted(p.price for p in catalog.products if p.price)
    if not prices:
        return [25.0, 50.0, 100.0]
    return sorted({_nice(prices[int(len(prices) * f)]) for f in (0.25, 0.5, 0.75)})


def store_details(catalog: Any) -> List[Dict[str, str]]:
    """Name, address and opening hours of each store the catalog has stock in (from the store layouts)."""
    ids = set(store_names(catalog))
    out: List[Dict[str, str]] = []
    try:
        from retrieval.demo_catalog import load_stores

        for s in load_stores() or []:
            if str(s.get("id")) in ids:
                out.append(
                    {
                        "id": str(s["id"]),
                        "name": str(s.get("name") or s["id"]),
                        "address": str(s.get("address") or ""),
                        "hours": str(s.get("hours") or ""),
                    }
                )
    except Exception as e:  # noqa: BLE001 - no layouts: no details to give
        log.debug("no store details: %s", e)
    return out
