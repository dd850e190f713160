"""The action server's long-lived parts, built once per process and passed to every action.

    services = Services.build()                  # actions/server.py, at start-up
    services.retriever.search("kettle")          # retrieval.api.Retriever
    services.store.get_cart(sender)              # shopper.store.ShopperStore (Redis)
    services.phraser.phrase(act, facts)          # nlg: the trained GPT-2 phraser, or templates only
    services.settings.dialogue.recommend_k       # config.Settings

Tests build their own: ``Services(InMemoryRetriever(products), MemoryShopperStore(), None, Settings())``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Optional

from config import Settings, get_settings
from nlg.phraser import Phraser
from retrieval.api import Retriever
from retrieval.policies import PolicyIndex
from shopper.orders import OrderBook
from shopper.profile import ProfileBook
from shopper.reservations import Reservations
from shopper.store import ShopperStore

logger = logging.getLogger(__name__)


@dataclass
class Services:
    """What actions use: search, shopper data, the phraser (``None``: templates only) and settings."""

    retriever: Retriever
    store: ShopperStore
    phraser: Optional[Phraser]
    settings: Settings
    policies: Optional[PolicyIndex] = None  # the store's policies (data/policies/), for service questions
    orders: Optional[OrderBook] = None  # orders and stock (shopper/orders.py), on the store's Redis
    reservations: Optional[Reservations] = None  # pickup reservations (shopper/reservations.py)
    desk: Optional[Any] = None  # the staff hand-off queue (shopper/handoff.HandoffDesk)
    profiles: Optional[ProfileBook] = None  # preferences, signals, the personalisation switch (shopper/profile.py)

    @classmethod
    def build(cls, settings: Optional[Settings] = None) -> Services:
        """The real parts for ``settings``: the search engine (index loaded or built), the Redis store
        (connects on first use) and the phraser (its model loads on first reply or ``warmup``).

        The phraser gets no brand lexicon: its closed-vocabulary guard already rejects any word
        its corpus never used, so a reply can name a product or brand only through a placeholder
        filled from the facts; a lexicon of every catalog brand would only add false alarms
        ("Fresh", "Home").
        """
        from nlg import build_phraser
        from retrieval.encoder import get_encoder
        from retrieval.engine import build_retriever
        from retrieval.policies import load_policies
        from shopper.handoff import HandoffDesk
        from shopper.store import connect

        s = settings or get_settings()
        logger.info("loading the retrieval engine (%s catalog)", s.search.catalog)
        retriever = build_retriever(s)
        phraser = build_phraser(s.nlg) if s.dialogue.phraser_on else None
        policies = PolicyIndex(load_policies(), get_encoder(s.search.encoder))
        store = connect(s)
        d = s.dialogue
        return cls(
            retriever=retriever,
            store=store,
            phraser=phraser,
            settings=s,
            policies=policies,
            orders=OrderBook(store.r, store.prefix, d.order_ttl_s, url=d.redis),
            reservations=Reservations(store.r, store.prefix, d.reservation_hold_s, d.order_ttl_s, url=d.redis),
            desk=HandoffDesk(store.r, store.prefix),
            profiles=ProfileBook(store.r, store.prefix, d.profile_ttl_s, url=d.redis),
        )
