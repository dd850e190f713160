"""Hard filters parsed from a request, applied to products, relaxed when empty."""

from __future__ import annotations

from typing import Callable, FrozenSet, List, Optional, Tuple

from pydantic import BaseModel

from retrieval.schema import Product


def colour_text(p: Product) -> str:
    """Where a product's colour is read from: its ``colour`` attribute, else its name."""
    return (p.attributes.get("colour") or p.name).lower()


def colour_matches(colour: str, p: Product) -> bool:
    """Whole-word match, so "red" never matches "Reduced Fat" and "tan" never "Stainless"."""
    import re

    return re.search(rf"\b{re.escape(colour.lower())}\b", colour_text(p)) is not None


# Order in which constraints are dropped when nothing matches: the softest first.
RELAX_ORDER: Tuple[str, ...] = ("in_stock_at", "colour", "brands", "exclude_brands", "category", "price")


class Filters(BaseModel):
    """Constraints a hit must satisfy. ``None`` / empty means "no constraint"."""

    min_price: Optional[float] = None
    max_price: Optional[float] = None
    brands: FrozenSet[str] = frozenset()  # lower-cased; any of
    exclude_brands: FrozenSet[str] = frozenset()  # lower-cased
    colour: Optional[str] = None  # lower-cased
    category: Optional[str] = None  # lower-cased; matches any path element
    in_stock_at: Optional[str] = None  # store id

    class Config:
        frozen = True

    def is_empty(self) -> bool:
        return not self.active()

    def active(self) -> List[str]:
        """Names of the constraints that are set, in RELAX_ORDER."""
        names = []
        for name in RELAX_ORDER:
            if name == "price":
                if self.min_price is not None or self.max_price is not None:
                    names.append(name)
            elif getattr(self, name):
                names.append(name)
        return names

    def without(self, name: str) -> Filters:
        """A copy with one constraint (a RELAX_ORDER name) removed."""
        if name == "price":
            return self.copy(update={"min_price": None, "max_price": None})
        empty: Optional[FrozenSet[str]] = frozenset() if name in ("brands", "exclude_brands") else None
        return self.copy(update={name: empty})

    def merge(self, newer: Filters) -> Filters:
        """Constraints of ``newer`` override these; unset ones are kept."""
        update = {k: v for k, v in newer.dict().items() if v not in (None, frozenset())}
        return self.copy(update=update)

    def matches(self, p: Product) -> bool:
        return not self.violations(p)

    def violations(self, p: Product) -> List[str]:
        """Names of the constraints ``p`` breaks (empty when it satisfies all)."""
        bad = []
        if self.min_price is not None or self.max_price is not None:
            if (
                p.price is None
                or (self.min_price is not None and p.price < self.min_price)
                or (self.max_price is not None and p.price > self.max_price)
            ):
                bad.append("price")
        brand = (p.brand or "").lower()
        if self.brands and brand not in self.brands:
            bad.append("brands")
        if self.exclude_brands and brand in self.exclude_brands:
            bad.append("exclude_brands")
        if self.colour and not colour_matches(self.colour, p):
            bad.append("colour")
        if self.category and not any(self.category in c.lower() for c in p.category):
            bad.append("category")
        if self.in_stock_at and not p.in_stock_at(self.in_stock_at):
            bad.append("in_stock_at")
        return bad

    def describe(
        self,
        currency: str = "",
        money: Optional[Callable[[float], str]] = None,
        store_name: Optional[Callable[[str], str]] = None,
    ) -> List[str]:
        """Constraints in words, e.g. ``["under 300 INR", "brand amul", "in red"]``.

        ``money`` formats each amount (``"$5.00"``); without it the currency goes last.
        ``store_name`` turns a store id into its display name.
        """
        out = []
        cur = f" {currency}" if currency and money is None else ""
        fmt = money or (lambda v: f"{v:g}")
        if self.min_price is not None and self.max_price is not None:
            out.append(f"between {fmt(self.min_price)} and {fmt(self.max_price)}{cur}")
        elif self.max_price is not None:
            out.append(f"under {fmt(self.max_price)}{cur}")
        elif self.min_price is not None:
            out.append(f"over {fmt(self.min_price)}{cur}")
        if self.brands:
            out.append("brand " + " or ".join(sorted(self.brands)))
        if self.exclude_brands:
            out.append("not " + " or ".join(sorted(self.exclude_brands)))
        if self.colour:
            out.append(f"in {self.colour}")
        if self.category:
            out.append(f"in {self.category}")
        if self.in_stock_at:
            out.append(f"in stock at {store_name(self.in_stock_at) if store_name else self.in_stock_at}")
        return out

    def describe_one(
        self,
        name: str,
        currency: str = "",
        money: Optional[Callable[[float], str]] = None,
        store_name: Optional[Callable[[str], str]] = None,
    ) -> str:
        """One constraint (a ``RELAX_ORDER`` name: ``price``, ``colour``, ...) in the words of :meth:`describe`."""
        if name == "price":
            only = Filters(min_price=self.min_price, max_price=self.max_price)
        else:
            only = Filters(**{name: getattr(self, name)})
        words = only.describe(currency, money=money, store_name=store_name)
        return words[0] if words else name
