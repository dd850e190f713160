"""Demo orders for the demo shopper, so order status, cancelling and address changes can be tried at once.

``make run`` seeds them (``python -m shopper.orders seed-demo``); seeding again changes nothing (each
order has a fixed idempotency key). The shopper is ``demo-shopper``: ``make shell SENDER=demo-shopper``
or send REST messages as that sender.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Sequence

from shopper.orders import Line, OrderBook

DEMO_SHOPPER = "demo-shopper"
DAY = 86400.0
# (idempotency key, days ago, fulfilment, statuses to move through after placing)
PLAN = (
    (
        "demo-seed-1",
        9,
        {"type": "delivery", "address": "12 Oak Street, Springfield"},
        ("packed", "shipped", "delivered"),
    ),
    ("demo-seed-2", 3, {"type": "delivery", "address": "12 Oak Street, Springfield"}, ("packed", "shipped")),
    ("demo-seed-3", 0, {"type": "pickup", "store_id": "downtown", "store_name": "Downtown Superstore"}, ()),
)


def _products(catalog: Any, n: int) -> List[Any]:
    return [p for p in catalog.products if p.price and p.stock.get("downtown") and p.stock["downtown"].quantity > 3][:n]


def seed_demo_orders(book: OrderBook, catalog: Any = None, now: float | None = None) -> Sequence[Dict[str, Any]]:
    """Place the demo orders (once) from the catalog's first products in stock downtown; returns them."""
    if catalog is None:
        from config import get_settings
        from retrieval.catalog import load_catalog

        catalog = load_catalog(get_settings().search.catalog)
    now = time.time() if now is None else now
    products = _products(catalog, 2 * len(PLAN))
    if len(products) < 2 * len(PLAN):
        return []
    out = []
    for i, (key, days, fulfilment, steps) in enumerate(PLAN):
        chosen = products[2 * i : 2 * i + 2]
        lines = [
            Line(
                p.id,
                p.name,
                p.price or 0.0,
                1,
                [("downtown", p.stock["downtown"].quantity)]
                if fulfilment["type"] == "pickup"
                else sorted(((s, st.quantity) for s, st in p.stock.items()), key=lambda kv: (-kv[1], kv[0])),
            )
            for p in chosen
        ]
        at = now - days * DAY
        placed = book.place(DEMO_SHOPPER, lines, fulfilment, key, chosen[0].currency, now=at)
        if placed.order is None:
            continue
        if placed.status == "placed":
            for j, status in enumerate(steps, 1):
                book.advance(placed.order["id"], status, now=at + j * DAY * min(1.0, days / (len(steps) + 1)))
        out.append(book.get(placed.order["id"]) or placed.order)
    return out
