"""Query understanding: free text -> hard filters + the text left to search.

Handles price bounds ("under 300", "between 200 and 500 rupees", "$20-40",
"cheap"), brand include/exclude ("amul ghee", "shampoo but not dove"),
colour ("red"), category ("in baby care") and store stock ("in stock at
riverside"). Vocabularies (brands, colours, categories, stores) come from the
catalog, so nothing is matched that the catalog does not contain.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

from retrieval.filters import Filters

BASIC_COLOURS = (
    "black white red blue green yellow orange pink purple violet brown grey gray beige navy maroon "
    "silver gold cream olive teal turquoise magenta lavender khaki tan charcoal peach mustard"
).split()
CHEAP_WORDS = (
    "cheap",
    "cheapest",
    "budget",
    "affordable",
    "inexpensive",
    "low cost",
    "low-cost",
    "economical",
    # checked before PRICEY_WORDS: "nothing too expensive" asks for cheap, not premium
    "not too expensive",
    "nothing too expensive",
    "not expensive",
    "nothing expensive",
    "not too pricey",
    "nothing too pricey",
    "not too costly",
    "nothing too costly",
    "break the bank",
)
PRICEY_WORDS = ("premium", "luxury", "high end", "high-end", "expensive", "top end")
_CUR = r"(?:rs\.?|inr|₹|rupees?|\$|usd|dollars?|bucks|€|eur|euros?|£|gbp)"
_NUM = r"(\d+(?:[.,]\d+)?)(\s*k\b)?"
# a number with a unit is not a price: "up to 8 miles", "about 20 litres", "over 2 years"
UNITS = (
    r"(?:miles?|mi|km|kms|kilomet\w*|kg|kgs|kilos?|grams?|g|lbs?|litres?|liters?|l|ml|cm|mm|m|meters?|metres?|"
    r"inch\w*|in|ft|feet|hours?|hrs?|h|mins?|minutes?|days?|weeks?|months?|years?|yrs?|people|persons?|players?|"
    r"cups?|gb|tb|mah|w|watts?|percent|%|x|pack|pieces?|pcs|year\s*olds?|yo|times?|laps?|reps?|sets?)"
)
# nor is a number said of a time: "my runs get up to 10 on the weekends", "about 3 a week"
_WHEN = (
    r"(?:on|at|in|a|an|each|every)\s+(?:the\s+)?(?:weekends?|weekdays?|week|day|night|morning|evening|month|year|"
    r"mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?)\b"
)
_AMT = (
    rf"{_NUM}(?!\d)(?![.,]\d)(?!\s*{UNITS}(?!\w))(?!\s*(?:-|–|to)\s*\d+(?:[.,]\d+)?\s*{UNITS}(?!\w))"
    rf"(?!\s*{_WHEN})"
)
_PRICE_PATTERNS: Tuple[Tuple[str, re.Pattern], ...] = tuple(
    (kind, re.compile(p, re.IGNORECASE))
    for kind, p in (
        ("between", rf"\b(?:between|from)\s+{_CUR}?\s*{_NUM}\s*{_CUR}?\s*(?:and|to|-|–)\s*{_CUR}?\s*{_AMT}\s*{_CUR}?"),
        ("between", rf"(?<![\w.]){_CUR}?\s*{_NUM}\s*{_CUR}?\s*(?:-|–|to)\s*{_CUR}?\s*{_NUM}\s*{_CUR}(?!\w)"),
        ("between", rf"(?<![\w.]){_CUR}\s*{_NUM}\s*(?:-|–|to)\s*{_CUR}?\s*{_NUM}(?!\w)"),
        (
            "max",
            rf"(?:\b(?:under|below|less\s+than|cheaper\s+than|lower\s+than|up\s*to|upto|within|max(?:imum)?|at\s+most|no\s+more\s+than|not\s+more\s+than|budget\s+(?:of|is)?|"
            rf"(?:nothing|not|never|none)\s+(?:over|above|more\s+than|pricier\s+than))|<=?)\s*{_CUR}?\s*{_AMT}\s*{_CUR}?",
        ),
        (
            "min",
            # "nothing over 60" is a cap, not a floor
            rf"(?:(?<!nothing\s)(?<!not\s)(?<!never\s)(?<!none\s)\b(?:over|above|more\s+than|at\s+least|min(?:imum)?|"
            rf"starting\s+(?:at|from)|pricier\s+than)|>=?)\s*{_CUR}?\s*{_AMT}\s*{_CUR}?",
        ),
        ("about", rf"\b(?:around|about|roughly|approx(?:imately)?)\s*{_CUR}?\s*{_AMT}\s*{_CUR}?"),
        ("max", rf"(?<![\w.]){_CUR}\s*{_NUM}(?!\w)\s*(?:or\s+less|max)?"),
        ("max", rf"(?<![\w.]){_NUM}\s*{_CUR}(?!\w)"),
    )
)
_EXCLUDE = re.compile(
    r"\b(?:not|no|except|excluding|without|but\s+not|anything\s+but|other\s+than|apart\s+from|instead\s+of|avoid|don'?t\s+want|hate)\s+",
    re.IGNORECASE,
)
_STOCK = re.compile(
    r"\b(?:in\s+stock|available|availability)\s+(?:at|in)\s+(?:the\s+)?([\w' -]+?)(?:\s+store)?\s*$", re.IGNORECASE
)


def normalize(text: str) -> str:
    """Lower-case, strip control characters and accents, unify quotes and spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = text.replace("’", "'").replace("‘", "'").lower()
    return " ".join(text.split())


def _key(text: str) -> str:
    """Matching key: words only (``"The Mom's Co."`` -> ``"the mom s co"``)."""
    return " ".join(re.findall(r"[^\W_]+", normalize(text)))


def _amount(num: str, k: Optional[str]) -> float:
    v = float(num.replace(",", ""))
    return v * 1000 if k else v


@dataclass(frozen=True)
class Vocabulary:
    """Names the parser may recognise, all as matching keys."""

    brands: Dict[str, str] = field(default_factory=dict)  # key -> lower-case brand (as in Filters)
    ambiguous_brands: FrozenSet[str] = frozenset()  # keys that are also ordinary words in names
    colours: FrozenSet[str] = frozenset(BASIC_COLOURS)
    categories: Dict[str, str] = field(default_factory=dict)  # key -> lower-case category
    stores: Dict[str, str] = field(default_factory=dict)  # key (id or name) -> store id
    max_ngram: int = 5

    def brand_of(self, name: str) -> Optional[str]:
        """The catalog's brand that ``name`` names (any case or punctuation), or None."""
        return self.brands.get(_key(name))

    def is_ambiguous_brand(self, name: str) -> bool:
        """Whether the brand is also an ordinary word in other products' names ("fresh")."""
        return _key(name) in self.ambiguous_brands

    @classmethod
    def from_catalog(cls, catalog, store_names: Optional[Dict[str, str]] = None) -> Vocabulary:
        """Build from a ``Catalog``. A brand whose words occur in many other brands'
        product names ("fresh", "organic") is ambiguous: it boosts but never filters."""
        from collections import Counter

        brands = {}
        for low in catalog.brands:
            k = _key(low)
            if k and len(k) >= 2:
                brands[k] = low
        name_counts: Counter = Counter()
        for p in catalog.products:
            words = _key(p.name).split()
            own = _key(p.brand or "")
            grams = {" ".join(words[i : i + n]) for n in (1, 2, 3) for i in range(len(words) - n + 1)}
            for g in grams:
                if g in brands and g != own and not g.startswith(own + " "):
                    name_counts[g] += 1
        threshold = max(5, len(catalog) // 2000)
        ambiguous = frozenset(k for k, c in name_counts.items() if c >= threshold) | frozenset(
            k for k in brands if len(k) <= 2
        )
        colours = frozenset(BASIC_COLOURS) | frozenset(_key(c) for c in catalog.colours if c)
        categories = {_key(c): c for c in catalog.categories if _key(c)}
        stores = {_key(s): s for s in catalog.stores}
        for sid, sname in (store_names or {}).items():
            stores[_key(sname)] = sid
        return cls(brands=brands, ambiguous_brands=ambiguous, colours=colours, categories=categories, stores=stores)


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # what is left to search on
    filters: Filters
    price_preference: Optional[str] = None  # "low" | "high" (from "cheap", "premium")
    soft_brands: FrozenSet[str] = frozenset()  # ambiguous brand mentions: boost only


def _find_phrases(words: List[str], vocab: Dict[str, str], max_n: int) -> List[Tuple[int, int, str]]:
    """Longest non-overlapping vocabulary phrases in ``words``: (start, end, value)."""
    found, i = [], 0
    while i < len(words):
        for n in range(min(max_n, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + n])
            if phrase in vocab:
                found.append((i, i + n, vocab[phrase]))
                i += n
                break
        else:
            i += 1
    return found


def parse_query(text: str, vocab: Optional[Vocabulary] = None) -> ParsedQuery:
    """Split ``text`` into hard filters and the remaining search text."""
    vocab = vocab or Vocabulary()
    q = normalize(text)
    min_price = max_price = None

    for kind, pat in _PRICE_PATTERNS:
        m = pat.search(q)
        if not m:
            continue
        g = [x for x in m.groups()]
        if kind == "between":
            a, b = _amount(g[0], g[1]), _amount(g[2], g[3])
            min_price, max_price = min(a, b), max(a, b)
        elif kind == "max":
            max_price = _amount(g[0], g[1])
        elif kind == "min":
            min_price = _amount(g[0], g[1])
        elif kind == "about":
            v = _amount(g[0], g[1])
            min_price, max_price = round(v * 0.8, 2), round(v * 1.2, 2)
        q = (q[: m.start()] + " " + q[m.end() :]).strip()
        if kind in ("max", "min"):  # "over 100 and under 300" -> look for the other bound too
            for kind2, pat2 in _PRICE_PATTERNS:
                if kind2 in ("max", "min") and kind2 != kind:
                    m2 = pat2.search(q)
                    if m2:
                        v = _amount(m2.group(1), m2.group(2))
                        if kind2 == "max":
                            max_price = v
                        else:
                            min_price = v
                        q = (q[: m2.start()] + " " + q[m2.end() :]).strip()
                        break
        break

    price_pref = None
    if any(re.search(rf"\b{re.escape(w)}\b", q) for w in CHEAP_WORDS):
        price_pref = "low"
    elif any(re.search(rf"\b{re.escape(w)}\b", q) for w in PRICEY_WORDS):
        price_pref = "high"

    in_stock_at = None
    m = _STOCK.search(q)
    if m:
        store = vocab.stores.get(_key(m.group(1)))
        if store:
            in_stock_at = store
            q = q[: m.start()].strip()

    # Exclusions: the phrase right after "not"/"except"/... names a brand or colour.
    exclude_brands, exclude_spans = set(), []
    for m in _EXCLUDE.finditer(q):
        tail = _key(q[m.end() :]).split()
        hits = _find_phrases(tail[: vocab.max_ngram], vocab.brands, vocab.max_ngram)
        if hits and hits[0][0] == 0:
            exclude_brands.add(hits[0][2])
            exclude_spans.append((m.start(), m.end() + len(" ".join(tail[: hits[0][1]]))))
    for s, e in reversed(exclude_spans):
        q = (q[:s] + " " + q[e:]).strip()

    words = _key(q).split()
    brands: Set[str] = set()
    soft: Set[str] = set()
    named = _find_phrases(words, vocab.brands, vocab.max_ngram)
    for _s, _e, brand in named:
        if brand in exclude_brands:
            continue
        (soft if _key(brand) in vocab.ambiguous_brands else brands).add(brand)

    cats = _find_phrases(words, vocab.categories, vocab.max_ngram)
    # a colour word inside a brand or a several-word kind of product is not a colour ("ice cream", "Red Bull")
    inside = {i for s, e, _ in named for i in range(s, e)} | {i for s, e, _ in cats if e - s > 1 for i in range(s, e)}
    colour = None
    for i, w in enumerate(words):
        if w in vocab.colours and i not in inside:
            colour = "grey" if w == "gray" else w
            break

    category = None
    if cats and re.search(
        r"\b(?:in|from|under|section|category|department|aisle)\s+(?:the\s+)?" + re.escape(_key(cats[0][2])), _key(q)
    ):
        category = cats[0][2]  # only when the shopper names it as a section

    filters = Filters(
        min_price=min_price,
        max_price=max_price,
        brands=frozenset(brands),
        exclude_brands=frozenset(exclude_brands),
        colour=colour,
        category=category,
        in_stock_at=in_stock_at,
    )
    residual = " ".join(w for w in re.sub(r"\s+", " ", q).split())
    return ParsedQuery(
        text=residual or normalize(text), filters=filters, price_preference=price_pref, soft_brands=frozenset(soft)
    )
