"""Helpers for action tests: a small catalog, a tiny retriever over it, trackers, a chat driver.

The retriever here is a dependency-free stand-in with the ``Retriever`` contract
(word-overlap ranking, hard filters, relax-when-empty like the engine).
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Sequence

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from retrieval.api import Hit, SearchResult
from retrieval.catalog import Catalog
from retrieval.filters import RELAX_ORDER, Filters
from retrieval.query import parse_query
from retrieval.schema import Product, StoreStock


def P(pid: str, name: str, brand: str, price: float, cat: List[str], rating: Optional[float] = None,
      colour: str = "", stock: Optional[Dict[str, tuple]] = None, **attrs: str) -> Product:
    attributes = dict(attrs)
    if colour:
        attributes["colour"] = colour
    return Product(id=pid, name=name, brand=brand, price=price, category=cat, rating=rating, attributes=attributes,
                   stock={s: StoreStock(store_id=s, quantity=q, aisle=a) for s, (q, a) in (stock or {}).items()},
                   description=f"{name} by {brand}.")


KETTLES = ["Home & Kitchen", "Small Appliances", "Electric Kettle"]
TEA = ["Grocery", "Beverages", "Tea"]


def products() -> List[Product]:
    return [
        P("k1", "Copperline Steel Electric Kettle", "Copperline", 49.99, KETTLES, 4.6, "black",
          {"riverside": (4, "Aisle 7 - Small Appliances"), "downtown": (0, "Aisle 3 - Small Appliances")}, material="steel"),
        P("k2", "Kitchenmark Electric Kettle", "Kitchenmark", 19.99, KETTLES, 3.9, "white",
          {"riverside": (10, "Aisle 7 - Small Appliances")}, material="plastic"),
        P("k3", "Hearth & Loom Glass Electric Kettle", "Hearth & Loom", 34.50, KETTLES, 4.4, "grey", material="glass"),
        P("k4", "Copperline Red Electric Kettle", "Copperline", 59.00, KETTLES, 4.8, "red", material="steel"),
        P("k5", "Kitchenmark Mini Electric Kettle", "Kitchenmark", 14.25, KETTLES, 4.0, "red", material="plastic"),
        P("k6", "Homebasics Electric Kettle", "Homebasics", 24.00, KETTLES, 3.5, "white"),
        P("k7", "Ironbark Gooseneck Electric Kettle", "Ironbark", 89.00, KETTLES, 4.7, "black", material="steel"),
        P("c1", "Hillside Kettle Cooked Potato Chips", "Hillside Kettle", 2.99, ["Grocery", "Snacks", "Potato Chips"], 4.3),
        P("t1", "Misthaven Earl Grey Tea", "Misthaven Tea", 6.49, TEA, 4.5, flavour="earl grey"),
        P("t2", "Pantry Lane Green Tea", "Pantry Lane", 3.99, TEA, 4.1, flavour="green"),
        P("t3", "Misthaven Chai Tea", "Misthaven Tea", 7.25, TEA, 4.2, flavour="chai"),
    ]


class TinyRetriever:
    """Word-overlap search with the engine's contract (filters, exclusions, relax-when-empty)."""

    def __init__(self, items: Sequence[Product]):
        self.catalog = Catalog(name="test", products=list(items), currency="USD")
        self.calls: List[Dict[str, Any]] = []

    def _score(self, text: str, p: Product) -> float:
        q = {w.rstrip("s") for w in text.lower().split() if len(w) > 2}
        doc = {w.rstrip("s") for w in (p.name + " " + " ".join(p.category) + " " + (p.brand or "")).lower().split()}
        return len(q & doc) + (p.rating or 0) / 10

    def search_detailed(self, text, filters=None, exclude_ids=(), k=10, profile=None) -> SearchResult:
        self.calls.append({"text": text, "filters": filters, "exclude": set(exclude_ids), "k": k})
        parsed = parse_query(text or "")
        f = (filters or Filters()).merge(parsed.filters)
        relaxed = []
        while True:
            pool = [p for p in self.catalog.products if p.id not in set(exclude_ids) and f.matches(p)
                    and self._score(parsed.text, p) >= 1]
            if pool or f.is_empty():
                break
            name = next(n for n in RELAX_ORDER if n in f.active())
            relaxed.append(name)
            f = f.without(name)
        pool.sort(key=lambda p: -self._score(parsed.text, p))
        return SearchResult([Hit(p, self._score(parsed.text, p), []) for p in pool[:k]], f, relaxed, parsed.text)

    def search(self, text, filters=None, exclude_ids=(), k=10, profile=None):
        return self.search_detailed(text, filters, exclude_ids, k, profile).hits

    def get(self, product_id):
        return self.catalog.get(product_id)

    def similar(self, product_id, k=5):
        base = self.get(product_id)
        others = [p for p in self.catalog.products if p.id != base.id and p.category == base.category]
        return [Hit(p, 1.0, ["similar"]) for p in others[:k]]

    def answer(self, product_id, question):
        from retrieval.answers import answer
        from retrieval.encoder import get_encoder

        return answer(question, self.get(product_id), get_encoder())  # the real MiniLM


def make_tracker(text: str = "", intent: str = "", entities: Optional[List[Dict[str, Any]]] = None,
                 slots: Optional[Dict[str, Any]] = None, sender: str = "shopper1", channel: str = "rest",
                 metadata: Optional[Dict[str, Any]] = None, active_loop: Optional[str] = None) -> Tracker:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or [],
             "metadata": metadata or {}}
    events = [{"event": "user", "text": text, "parse_data": parse, "input_channel": channel, "metadata": metadata or {}}]
    return Tracker(sender, slots or {}, parse, events, False, None, {"name": active_loop} if active_loop else {},
                   "action_listen")


def ent(entity: str, value: str) -> Dict[str, Any]:
    return {"entity": entity, "value": value}


class Chat:
    """Runs actions like Rasa would for one shopper and keeps what they said and set."""

    def __init__(self, sender: str = "shopper1", channel: str = "rest"):
        self.sender = sender
        self.channel = channel
        self.slots: Dict[str, Any] = {}
        self.messages: List[Dict[str, Any]] = []

    def run(self, action, text: str = "", intent: str = "", entities=None, **kw) -> List[Dict[str, Any]]:
        d = CollectingDispatcher()
        t = make_tracker(text, intent, entities, dict(self.slots), self.sender, self.channel, **kw)
        events = asyncio.run(action.run(d, t, {}))
        for e in events:
            if e.get("event") == "slot":
                self.slots[e["name"]] = e["value"]
        self.messages = d.messages
        return events

    @property
    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.messages)

    @property
    def cards(self) -> List[Dict[str, Any]]:
        out = []
        for m in self.messages:
            out += (m.get("custom") or {}).get("cards", [])
        return out

    @property
    def card_ids(self) -> List[str]:
        return [c["id"] for c in self.cards]
