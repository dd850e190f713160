"""Helpers for action tests: a small catalog, ``Services`` over it, trackers, a chat driver.

The retriever is ``retrieval.memory.InMemoryRetriever`` (word-overlap ranking, hard filters,
relax-when-empty like the engine).
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.services import Services
from config import Settings
from retrieval.memory import InMemoryRetriever
from retrieval.schema import Product, StoreStock
from shopper.store import ShopperStore


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


def services_for(retriever: InMemoryRetriever, store: ShopperStore, phraser: Any = None) -> Services:
    """The action server's parts for a test: the in-memory retriever, a store, templates unless a phraser."""
    return Services(retriever=retriever, store=store, phraser=phraser, settings=Settings())


def make_tracker(text: str = "", intent: str = "", entities: Optional[List[Dict[str, Any]]] = None,
                 slots: Optional[Dict[str, Any]] = None, sender: str = "shopper1", channel: str = "rest",
                 metadata: Optional[Dict[str, Any]] = None, active_loop: Optional[str] = None,
                 events: Optional[List[Dict[str, Any]]] = None) -> Tracker:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or [],
             "metadata": metadata or {}}
    events = list(events or []) + [
        {"event": "user", "text": text, "parse_data": parse, "input_channel": channel, "metadata": metadata or {}}
    ]
    return Tracker(sender, slots or {}, parse, events, False, None, {"name": active_loop} if active_loop else {},
                   "action_listen")


def ent(entity: str, value: str) -> Dict[str, Any]:
    return {"entity": entity, "value": value}


class Chat:
    """Runs actions like Rasa would for one shopper and keeps what they said and set."""

    def __init__(self, services: Services, sender: str = "shopper1", channel: str = "rest"):
        self.services = services
        self.sender = sender
        self.channel = channel
        self.slots: Dict[str, Any] = {}
        self.messages: List[Dict[str, Any]] = []

    def run(self, action, text: str = "", intent: str = "", entities=None, **kw) -> List[Dict[str, Any]]:
        """Run ``action`` (an action class, built here with the chat's services, or an instance)."""
        if isinstance(action, type):
            action = action(self.services)
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
