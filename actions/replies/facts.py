"""The facts a reply is made from: typed, display-ready, every value straight from the catalog.

``actions.cards.product_facts`` builds :class:`ProductFacts`; actions put them into the act's
:class:`Facts`; ``actions.replies.templates`` and ``actions.replies.plans`` read them.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, TypedDict


class ProductFacts(TypedDict, total=False):
    position: int  # 1-based place in the list shown (0: not in it)
    id: str
    name: str
    brand: Optional[str]
    price: Optional[float]
    currency: str
    price_text: str  # money(price, currency)
    rating: Optional[float]
    category: str  # "Home > Kitchen > Kettles"
    reason: str  # one short reason to consider it (actions.cards.reason_for)
    attributes: Dict[str, Any]
    list_price: float  # only when above the price
    list_price_text: str
    description: str  # details: cut to 240 characters
    stock_summary: str  # details: "In stock at 2 stores."
    total_text: str  # price: quantity x price
    sizes: List[str]  # a model sold in several sizes: those in stock, e.g. ["UK 4", "UK 6"]
    colours: List[str]  # a model sold in several colours: those in stock


class StoreStockFacts(TypedDict, total=False):
    store_id: str
    store: str  # display name
    quantity: int
    aisle: Optional[str]


class CartLineFacts(TypedDict):
    name: str
    quantity: int
    price_text: str


class Facts(TypedDict, total=False):
    """Every key any act reads; each act uses the few it needs (see the template of the act)."""

    query: str
    constraints: List[str]  # the search's filters in words
    constraint: Optional[str]  # the filter that emptied the list (a RELAX_ORDER name)
    constraint_text: Optional[str]
    products: List[ProductFacts]
    product: ProductFacts
    page: int
    cheapest: ProductFacts
    best_rated: ProductFacts
    quantity: int
    cart_items: int
    cart_total_text: str
    lines: List[CartLineFacts]
    stores: List[StoreStockFacts]
    asked_store: Optional[str]
    evidence: str  # the catalog text that answers a product question
    attributes: Dict[str, Any]
    examples: List[str]
    hint: str
    brands: List[str]
    tiers: List[str]
    answer: str
    asked: int
    shown: int
    earlier: int  # earlier_list: how many the list before the last one had
    name: str  # earlier_list: the product meant
    product_id: str
    kind: str  # not_carried: the kind asked for, as the store names it ("bikes")
    said: str  # not_carried: as the shopper named it ("road bike")
    related: List[str]  # not_carried: carried kinds that go with it ("Bike Helmet")
    topic: str  # service: the policy topic ("returns")
    source: str  # service: which policy it comes from ("(from our Returns and refunds policy)")
    needs_order: bool  # service: the answer depends on one order, which the chat cannot look up
    store_list: List[Dict[str, str]]  # handoff: stores (name, address, hours)
    session_days: int  # privacy: how long a search is kept
    cart_days: int  # privacy: how long a cart and profile are kept
    # checkout and orders (actions/orders.py): every value from the order record or the catalog now
    fulfilment_text: str  # "delivery to 12 Oak Street" | "pickup at Riverside"
    price_changes: List[Dict[str, str]]  # name, was_text, now_text
    order_id: str
    status_text: str
    total_text: str
    when_text: str
    link: str  # the signed checkout page
    link_hours: int  # how long it works
    history: List[Dict[str, str]]  # status_text, when_text
    orders: List[Dict[str, str]]  # order_list: order_id, when_text, items_text, total_text, status_text
    address: str
    store_name: str
    store_names: List[str]
    where: str  # sold_out: the store, or "any of our stores"
    # reservations (actions/reserve.py)
    code: str  # the pickup code
    until_text: str
    available: int
    elsewhere: List[str]  # stores that have enough
    max: int
    # hand-off and variants
    position: int  # the shopper's place in the staff queue
    sizes: List[str]
    size: str
    # what the assistant remembers (actions/personal.py)
    items: List[str]  # preferences in words
    engaged_text: str
    personalised: bool
    orders_text: str
    same: bool  # link_refused: the code was made in this very chat
    minutes: int
