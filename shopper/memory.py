"""The shopper store's contract kept in dicts: for pure-logic tests and offline tools, not for serving."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Set

from shopper.store import SearchContext, StoreUnavailable, unavailable_message


class MemoryShopperStore:
    """Same behaviour in a dict, for pure-logic tests and offline tools. Not for serving."""

    def __init__(self) -> None:
        self.ctx: Dict[str, str] = {}
        self.shown: Dict[str, List[str]] = {}
        self.shown_before: Dict[str, List[str]] = {}
        self.seen: Dict[str, Set[str]] = {}
        self.cart: Dict[str, Dict[str, int]] = {}
        self.profile: Dict[str, Dict[str, str]] = {}
        self.cart_prices: Dict[str, Dict[str, float]] = {}
        self.checkout: Dict[str, Dict[str, Any]] = {}
        self.down = False  # set True to simulate an outage

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable(unavailable_message("memory://", ConnectionError("simulated outage")))

    def ping(self) -> None:
        self._check()

    def get_context(self, sender: str) -> SearchContext:
        self._check()
        return SearchContext.from_json(self.ctx.get(sender))

    def save_context(self, sender: str, ctx: SearchContext) -> None:
        self._check()
        self.ctx[sender] = ctx.to_json()

    def clear_search(self, sender: str) -> None:
        self._check()
        for d in (self.ctx, self.shown, self.shown_before, self.seen):
            d.pop(sender, None)

    def set_shown(self, sender: str, ids: Sequence[str]) -> None:
        self._check()
        before = self.shown.get(sender, [])
        if before and before != [str(i) for i in ids]:
            self.shown_before[sender] = before
        self.shown[sender] = [str(i) for i in ids]
        self.seen.setdefault(sender, set()).update(self.shown[sender])

    def get_shown(self, sender: str) -> List[str]:
        self._check()
        return list(self.shown.get(sender, []))

    def get_shown_before(self, sender: str) -> List[str]:
        self._check()
        return list(self.shown_before.get(sender, []))

    def get_seen(self, sender: str) -> Set[str]:
        self._check()
        return set(self.seen.get(sender, set()))

    def add_to_cart(
        self, sender: str, product_id: str, quantity: int = 1, price: Optional[float] = None
    ) -> Dict[str, int]:
        self._check()
        cart = self.cart.setdefault(sender, {})
        cart[product_id] = cart.get(product_id, 0) + int(quantity)
        if price is not None:
            self.cart_prices.setdefault(sender, {})[product_id] = float(price)
        return dict(cart)

    def get_cart_prices(self, sender: str) -> Dict[str, float]:
        self._check()
        return dict(self.cart_prices.get(sender, {}))

    def clear_cart(self, sender: str) -> None:
        self._check()
        self.cart.pop(sender, None)
        self.cart_prices.pop(sender, None)

    def get_checkout(self, sender: str) -> Optional[Dict[str, Any]]:
        self._check()
        c = self.checkout.get(sender)
        return dict(c) if c else None

    def save_checkout(self, sender: str, checkout: Optional[Dict[str, Any]]) -> None:
        self._check()
        if checkout is None:
            self.checkout.pop(sender, None)
        else:
            self.checkout[sender] = dict(checkout)

    def get_cart(self, sender: str) -> Dict[str, int]:
        self._check()
        return dict(self.cart.get(sender, {}))

    def get_profile(self, sender: str) -> Dict[str, str]:
        self._check()
        return dict(self.profile.get(sender, {}))

    def update_profile(self, sender: str, **fields: str) -> None:
        self._check()
        self.profile.setdefault(sender, {}).update({k: str(v) for k, v in fields.items()})
