"""Fixtures for the channel tests: real catalog-shaped products, bot messages made the way Rasa makes them.

A bot message here goes the whole way the dialogue sends it: ``actions.base.Turn.say``
(template text, buttons, cards in ``custom``) -> the action server's message ->
Rasa's ``create_bot_utterance(...).message()``, which is what an output channel's
``send_response`` receives.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Turn
from actions.cards import card, product_buttons, product_facts, reason_for, recommendation_buttons
from channels import render as channels
from retrieval.schema import Product, StoreStock

STORES = {"downtown": "Downtown", "riverside": "Riverside", "eastgate": "Eastgate"}


def P(pid: str, name: str, brand: Optional[str], price: float, stock: Optional[Dict[str, tuple]] = None,
      currency: str = "USD", rating: Optional[float] = None) -> Product:
    return Product(id=pid, name=name, brand=brand, price=price, currency=currency, rating=rating,
                   category=["Home & Kitchen", "Candles"], attributes={"material": "soy wax"},
                   stock={s: StoreStock(store_id=s, quantity=q, aisle=a) for s, (q, a) in (stock or {}).items()})


@pytest.fixture
def products() -> List[Product]:
    return [
        P("D01134", "Hearth & Loom Cedarwood Scented Candle, Small 200 g", "Hearth & Loom", 18.49,
          {"downtown": (4, "Aisle 7 - Home Fragrance"), "riverside": (0, "Aisle 2 - Home")}, rating=4.1),
        P("D01133", "Willow Lane Home Cedarwood Scented Candle, Medium 400 g", "Willow Lane Home", 21.99,
          {"eastgate": (12, "Aisle 3")}, rating=5.0),
        # a long id: every payload about it is over Telegram's 64 bytes
        P("BB-10000219-ORGANIC-SANDALWOOD-AMBER", "Sandalwood & Amber Scented Candle — Große Edition",
          "Crème de la Crème Maison Artisanale", 1299.0, currency="INR", rating=4.5),
    ]


def bot_message(act: str, facts: Dict[str, Any], cards: Optional[Sequence[Dict[str, Any]]] = None,
                buttons: Optional[List[Dict[str, str]]] = None, kind: str = "product_cards") -> Dict[str, Any]:
    """What Rasa hands an output channel for one ``Turn.say`` of the actions."""
    from rasa.core.actions.action import create_bot_utterance

    d = CollectingDispatcher()
    Turn(dispatcher=d, tracker=None, channel="telegram").say(act, facts, cards=cards, buttons=buttons, kind=kind)
    (msg,) = d.messages
    return create_bot_utterance(dict(msg)).message()


@pytest.fixture(autouse=True)
def template_replies(monkeypatch):
    monkeypatch.setenv("SHOPGUIDE_NLG", "templates")


@pytest.fixture(autouse=True)
def tokens():
    """A memory-only token map per test (no Redis)."""
    t = channels.ButtonTokens()
    channels.set_button_tokens(t)
    yield t
    channels.set_button_tokens(None)


@pytest.fixture
def recommend(products) -> Dict[str, Any]:
    facts = {"query": "scented candle", "constraints": [],
             "products": [product_facts(p, i, reason_for(p, products)) for i, p in enumerate(products, 1)]}
    cards = [card(p, i, reason_for(p, products), STORES) for i, p in enumerate(products, 1)]
    return bot_message("recommend", facts, cards, recommendation_buttons(products))


@pytest.fixture
def details(products) -> Dict[str, Any]:
    p = products[0]
    facts = product_facts(p, 1)
    facts["stock_summary"] = "In stock at 1 store."
    return bot_message("details", {"product": facts}, [card(p, 1, "", STORES)], product_buttons(p),
                       kind="product_details")


from support.redis_process import free_port_fixture, redis_client, redis_server  # noqa: E402,F401
