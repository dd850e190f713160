"""Facts -> slot values, lexicalise and delexicalise.

The phraser only ever sees placeholders such as ``[p1_price]``. The values come
from the caller's ``facts`` and are put back by :func:`lexicalise`, so a price
or a name in a reply is always the catalog's own string.

``facts`` is a plain mapping. Either flat slot keys::

    {"p1_name": "Trail Runner 2", "p1_price": 59.5, "currency": "USD", "budget": 60}

or a ``products`` list (dicts or objects with ``name``, ``brand``, ``price``,
``list_price``, ``rating``, ``reason``, ``feature``, ``stock``, ``aisle``) that
becomes ``p1_*``, ``p2_*``, ... in order.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from numbers import Number
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from nlg.grammar import PLACEHOLDER_RE

MAX_PRODUCTS = 3
PRODUCT_FIELDS = ("name", "brand", "price", "list_price", "rating", "reason", "feature", "stock", "aisle")
GLOBAL_SLOTS = (
    "user_name",
    "category",
    "preference",
    "budget",
    "n_results",
    "relaxed",
    "store_name",
    "store_hours",
    "shipping_days",
    "shipping_cost",
    "free_shipping_min",
    "return_days",
    "cart_count",
    "cart_total",
)
SLOT_ORDER: Tuple[str, ...] = (
    tuple(f"p{i}_{f}" for i in range(1, MAX_PRODUCTS + 1) for f in PRODUCT_FIELDS) + GLOBAL_SLOTS
)
_SLOT_RANK = {s: i for i, s in enumerate(SLOT_ORDER)}

MONEY_FIELDS = {"price", "list_price"}
MONEY_SLOTS = {"budget", "shipping_cost", "free_shipping_min", "cart_total"}
# count slots carry their noun so that the corpus never needs a plural rule
COUNT_NOUNS = {"n_results": "option", "cart_count": "item", "shipping_days": "business day", "return_days": "day"}
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹", "JPY": "¥", "CNY": "¥", "AUD": "A$", "CAD": "C$"}
_NO_CENTS = {"JPY"}

_PRODUCT_SLOT_RE = re.compile(r"^p([1-9])_([a-z_]+)$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_RANGE_RE = re.compile(r"^\d+(?:\s*[-–]\s*\d+)?$")


def product_slot(slot: str) -> Optional[Tuple[int, str]]:
    """``"p2_price"`` -> ``(2, "price")``; None for a global slot."""
    m = _PRODUCT_SLOT_RE.match(slot)
    return (int(m.group(1)), m.group(2)) if m else None


def slot_sort_key(slot: str) -> Tuple[int, str]:
    return (_SLOT_RANK.get(slot, len(_SLOT_RANK)), slot)


def format_money(value: Any, currency: str = "USD") -> str:
    """12.5 -> ``$12.50``; 12.0 -> ``$12``; a string is kept as the caller wrote it."""
    if isinstance(value, str):
        return value.strip()
    v = float(value)
    code = (currency or "USD").upper()
    if code in _NO_CENTS or abs(v - round(v)) < 0.005:
        num = f"{round(v):,}"
    else:
        num = f"{v:,.2f}"
    sym = CURRENCY_SYMBOLS.get(code)
    return f"{sym}{num}" if sym else f"{num} {code}"


def _fmt_number(v: float) -> str:
    return str(int(round(v))) if abs(v - round(v)) < 1e-9 else f"{v:g}"


def format_value(slot: str, value: Any, currency: str = "USD") -> str:
    """The text a slot value is shown as."""
    ps = product_slot(slot)
    field = ps[1] if ps else slot
    if isinstance(value, str):
        text = " ".join(_CONTROL_RE.sub(" ", value).split())  # control characters, runs of spaces -> one space
        if slot in COUNT_NOUNS and _RANGE_RE.match(text):
            return f"{text} {COUNT_NOUNS[slot]}s"
        return text
    if field in MONEY_FIELDS or slot in MONEY_SLOTS:
        return format_money(value, currency)
    if field == "rating":
        return f"{float(value):.1f}/5"
    if slot in COUNT_NOUNS:
        n = float(value)
        noun = COUNT_NOUNS[slot]
        return f"{_fmt_number(n)} {noun}{'' if n == 1 else 's'}"
    if isinstance(value, Number):  # not numbers.Real: Decimal is a Number only
        return _fmt_number(float(value))  # type: ignore[arg-type]  # typeshed's Number has no __float__
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _present(v: Any) -> bool:
    if v is None or isinstance(v, bool):
        return False
    if isinstance(v, float) and math.isnan(v):
        return False
    if isinstance(v, str) and not v.strip():
        return False
    return True


def flatten_facts(facts: Mapping[str, Any]) -> Dict[str, Any]:
    """Flat slot -> raw value, with ``products`` spread into ``p1_*`` ... ``p3_*``."""
    flat: Dict[str, Any] = {}
    for i, prod in enumerate(facts.get("products") or [], start=1):
        if i > MAX_PRODUCTS:
            break
        for f in PRODUCT_FIELDS:
            v = _get(prod, f)
            if f == "reason" and isinstance(v, (list, tuple)):
                v = " and ".join(str(x) for x in v if x)
            if _present(v):
                flat[f"p{i}_{f}"] = v
        if "currency" not in facts and _present(_get(prod, "currency")):
            flat.setdefault("currency", _get(prod, "currency"))
    for k, v in facts.items():
        if k != "products" and _present(v):
            flat[k] = v
    return flat


def _num(v: Any) -> Optional[float]:
    if isinstance(v, Number) and not isinstance(v, bool):
        return float(v)  # type: ignore[arg-type]  # typeshed's Number has no __float__
    return None


def slot_values(
    facts: Mapping[str, Any], allowed: Optional[Iterable[str]] = None, uniform_products: bool = True
) -> Dict[str, str]:
    """Facts -> ``{slot: shown text}`` for the slots an act can use, in canonical order.

    Content rules (so that no reply can be wrong):
    - a brand already inside the product name is dropped (no "Nike's Nike Air");
    - ``list_price`` is kept only when it is above ``price`` ("down from" must be true);
    - ``n_results`` below 2 is dropped;
    - with several products, a field is kept only if every product has it.
    """
    flat = flatten_facts(facts)
    currency = str(flat.get("currency") or "USD")
    for i in range(1, MAX_PRODUCTS + 1):
        name, brand = flat.get(f"p{i}_name"), flat.get(f"p{i}_brand")
        if (
            _present(name)
            and _present(brand)
            and re.search(
                r"(?<!\w)" + re.escape(" ".join(str(brand).lower().split())) + r"(?!\w)",
                " ".join(str(name).lower().split()),
            )
        ):
            del flat[f"p{i}_brand"]
        lp, p = _num(flat.get(f"p{i}_list_price")), _num(flat.get(f"p{i}_price"))
        if f"p{i}_list_price" in flat and (lp is None or p is None or lp <= p + 0.005):
            del flat[f"p{i}_list_price"]
    n = _num(flat.get("n_results"))
    if n is not None and n < 2:
        del flat["n_results"]
    allowed_set = set(allowed) if allowed is not None else set(SLOT_ORDER)
    keep = {k: v for k, v in flat.items() if k in allowed_set}
    if uniform_products:
        idx = sorted({ps[0] for k in keep if (ps := product_slot(k)) and ps[1] == "name"})
        if len(idx) > 1:
            for f in PRODUCT_FIELDS:
                have = [f"p{i}_{f}" in keep for i in idx]
                if any(have) and not all(have):
                    for i in idx:
                        keep.pop(f"p{i}_{f}", None)
    # product fields without the product's name make no sense
    for k in list(keep):
        ps = product_slot(k)
        if ps and ps[1] != "name" and f"p{ps[0]}_name" not in keep:
            del keep[k]
    out = {k: format_value(k, keep[k], currency) for k in sorted(keep, key=slot_sort_key)}
    return {k: v for k, v in out.items() if v}


def n_products(values: Mapping[str, Any]) -> int:
    return sum(1 for k in values if (ps := product_slot(k)) and ps[1] == "name")


@dataclass(frozen=True)
class Lexicalised:
    """A reply with the values put back, and where each value sits in the text."""

    text: str
    spans: Tuple[Tuple[int, int, str], ...]  # (start, end, slot)


def lexicalise(delex: str, values: Mapping[str, str]) -> Lexicalised:
    """Put the values back in one pass (a value is never re-scanned for placeholders).

    Raises KeyError for a placeholder that has no value: the guard rejects those first.
    """
    out: List[str] = []
    spans: List[Tuple[int, int, str]] = []
    pos = 0
    length = 0
    for m in PLACEHOLDER_RE.finditer(delex):
        chunk = delex[pos : m.start()]
        out.append(chunk)
        length += len(chunk)
        val = values[m.group(1)]
        spans.append((length, length + len(val), m.group(1)))
        out.append(val)
        length += len(val)
        pos = m.end()
    out.append(delex[pos:])
    return Lexicalised("".join(out), tuple(spans))


def delexicalise(text: str, values: Mapping[str, str]) -> str:
    """Replace each value's occurrences in ``text`` with its placeholder.

    Longest values first; a value that starts or ends with a word character only
    matches at a word boundary. When two slots share one value, the first slot in
    canonical order wins (the text cannot tell them apart).
    """
    by_value: Dict[str, str] = {}
    for slot in sorted(values, key=slot_sort_key):
        v = values[slot]
        if v and v not in by_value:
            by_value[v] = slot
    if not by_value:
        return text
    parts = []
    for v in sorted(by_value, key=len, reverse=True):
        pre = r"(?<!\w)" if re.match(r"\w", v[0]) else ""
        post = r"(?!\w)" if re.match(r"\w", v[-1]) else ""
        parts.append(pre + re.escape(v) + post)
    rx = re.compile("|".join(parts))
    return rx.sub(lambda m: f"[{by_value[m.group(0)]}]", text)


def prompt_slots(values: Mapping[str, str]) -> List[str]:
    """Slots in the order the model sees them."""
    return sorted(values, key=slot_sort_key)
