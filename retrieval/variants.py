"""Variants of one model: each size and colour of a shoe is its own product, sold as one model.

A product's ``group`` names its model (None: the product is its own model). The variant axes
are attributes, such as ``size`` and ``colour``, whose values differ between the variants.

    model_key(p)                       # "M3f2a91c0" (the group), or the product's own id
    collapse(ranked)                   # one per model, the best-ranked variant, order kept
    options(variants, "size")          # ["UK 4", "UK 5", "UK 7"] in stock, smallest first
    pick(variants, size="7", colour="Blue")
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple, TypeVar

from retrieval.schema import Product

T = TypeVar("T")

# Letter sizes, smallest first.
_LETTERS = {"xxs": 0, "xs": 1, "s": 2, "m": 3, "l": 4, "xl": 5, "xxl": 6, "2xl": 6, "xxxl": 7, "3xl": 7}
# Named sizes, smallest first (bed sizes, baby sizes, small/medium/large).
_NAMED = {
    "newborn": 0,
    "small": 1,
    "twin": 1,
    "single": 1,
    "medium": 2,
    "full": 2,
    "double": 2,
    "regular": 2,
    "large": 3,
    "queen": 3,
    "king": 4,
}
# What shoppers say for a letter size.
_SIZE_WORDS = {"small": "s", "medium": "m", "large": "l", "extra large": "xl", "extra small": "xs"}
# Size systems a shopper may leave out: "7" means "UK 7".
_SIZE_PREFIX = re.compile(r"^(uk|us|eu|size)")


def _product(item: Any) -> Product:
    return item if isinstance(item, Product) else item.product


def model_key(p: Product) -> str:
    """The id of the model ``p`` is a variant of: its ``group``, or its own id when it has none."""
    return p.group or p.id


def collapse(ranked: Iterable[T], product: Optional[Callable[[T], Product]] = None) -> List[T]:
    """One item per model, the first (best-ranked) variant of each, in the order given.

    Args:
        ranked: products, or hits (anything with a ``product``), best first.
        product: the product of an item, for items of another shape.

    Returns:
        The items whose model was not seen earlier in ``ranked``.
    """
    product_of = product or _product
    seen = set()
    out = []
    for item in ranked:
        key = model_key(product_of(item))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def size_order(value: str) -> Tuple[Any, ...]:
    """A sort key that puts sizes smallest first: XS < S < M, "UK 4" < "UK 10", kids' before adults'."""
    low = " ".join(value.lower().split())
    if low in _LETTERS:
        return (0, _LETTERS[low], low)
    first = low.split(" ", 1)[0]
    if first in _NAMED:
        return (1, _NAMED[first], low)
    number = re.search(r"\d+(?:\.\d+)?", low)
    if number:
        kids = "kid" in low or "child" in low or "infant" in low
        return (2, 0 if kids else 1, float(number.group(0)), low)
    return (3, 0, low)


def _in_stock(p: Product, store_id: Optional[str]) -> bool:
    return p.in_stock_at(store_id) if store_id else p.in_stock_anywhere


def options(
    variants: Sequence[Product], axis: str, in_stock_only: bool = True, store_id: Optional[str] = None
) -> List[str]:
    """The values of one variant axis a model is sold in, e.g. its sizes.

    Args:
        variants: the products of one model.
        axis: an attribute name (``size``, ``colour``).
        in_stock_only: only values of variants in stock (at ``store_id``, or at any store).
        store_id: the store to look at; None means any store.

    Returns:
        Distinct values; sizes smallest first ("UK 4" before "UK 10"), anything else alphabetical.
    """
    values = {
        p.attributes[axis] for p in variants if p.attributes.get(axis) and (not in_stock_only or _in_stock(p, store_id))
    }
    if "size" in axis:
        return sorted(values, key=size_order)
    return sorted(values, key=lambda v: (v.casefold(), v))


def _norm(value: str) -> str:
    return re.sub(r"[\s_-]+", "", value.lower())


def _words(value: str) -> str:
    return " ".join(value.lower().split())


def _size_matches(asked: str, value: str, exact: bool) -> bool:
    have = _norm(value)
    if not exact:  # "small" for "Small 200 g"; never a number, so "7" is not "UK 7 Kids"
        return not re.search(r"\d", asked) and re.search(rf"\b{re.escape(_words(asked))}\b", _words(value)) is not None
    for want in {_norm(asked), _norm(_SIZE_WORDS.get(_words(asked), asked))}:
        if want == have:
            return True
        # a size system left out on one side only: "7" is "UK 7", "US 7" is not "UK 7"
        if not _SIZE_PREFIX.match(want) and _SIZE_PREFIX.sub("", have) == want:
            return True
    return False


def _colour_matches(asked: str, value: str, exact: bool) -> bool:
    if exact:
        return _norm(asked) == _norm(value)
    return re.search(rf"\b{re.escape(_words(asked))}\b", _words(value)) is not None


def pick(variants: Sequence[Product], size: Optional[str] = None, colour: Optional[str] = None) -> Optional[Product]:
    """The variant of a model in the size and colour asked for.

    Matching ignores case and spaces, and a size system the shopper left out: "uk 7", "7" and
    "UK7" all match "UK 7" ("7" does not match "UK 7 Kids"); "medium" matches "M". When nothing
    matches exactly, a word does: "blue" matches "sky blue", "small" matches "Small 200 g".

    Args:
        variants: the products of one model.
        size: the size asked for, or None for any.
        colour: the colour asked for, or None for any.

    Returns:
        The first matching variant in stock somewhere, else the first matching one; None when
        no variant matches.
    """
    size, colour = (size or "").strip() or None, (colour or "").strip() or None
    found: List[Product] = []
    for exact_size, exact_colour in ((True, True), (True, False), (False, True), (False, False)):
        found = [
            p
            for p in variants
            if (size is None or _size_matches(size, p.attributes.get("size", ""), exact_size))
            and (colour is None or _colour_matches(colour, p.attributes.get("colour", ""), exact_colour))
        ]
        if found:
            break
    stocked = [p for p in found if p.in_stock_anywhere]
    best = stocked or found
    return best[0] if best else None


def axes(variants: Sequence[Product]) -> List[str]:
    """The attributes whose values differ between the variants of one model, in attribute order."""
    keys: List[str] = []
    for p in variants:
        keys.extend(k for k in p.attributes if k not in keys)
    return [k for k in keys if len({p.attributes.get(k) for p in variants}) > 1]
