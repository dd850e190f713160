"""Preferences a shopper states about themselves, read from their own words (pure: no Redis, no I/O).

``extract(text, brand_of, store_of)`` finds standing preferences in one message:

* diet ("I'm vegan", "I only buy organic", "we eat gluten-free") and allergens ("I'm allergic to nuts",
  "no dairy for me, I'm lactose intolerant");
* brands liked ("I love Greenleaf Naturals") and avoided ("I never buy Copperline");
* sizes per kind ("I'm a UK 8 in shoes", "I wear a size M");
* a usual budget ("I usually spend under $60"), who they shop for ("for my 2-year-old"), a preferred store
  ("my local store is Riverside").

Only statements about the shopper count: "show me vegan snacks" filters one search and is not remembered;
"I'm vegan" is. ``brand_of`` / ``store_of`` map a phrase to the catalog's brand / store id (or None), so a
brand is remembered only when the catalog has it.

``hard`` preferences (diet, allergen, avoided brand) filter products; the others boost (``soft``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

HARD_KINDS = frozenset({"diet", "allergen", "brand_avoid"})
KIND_ORDER = ("diet", "allergen", "brand_like", "brand_avoid", "size", "budget", "shops_for", "store")

# canonical diet -> the words that state it
DIETS: Dict[str, Sequence[str]] = {
    "vegan": ("vegan", "plant based", "plant-based"),
    "vegetarian": ("vegetarian", "veggie"),
    "gluten-free": ("gluten free", "gluten-free", "coeliac", "celiac"),
    "dairy-free": ("dairy free", "dairy-free", "lactose intolerant", "lactose-free", "lactose free"),
    "organic": ("organic",),
}
# what a product must say of itself (name, description, attributes) to meet a diet
DIET_MARKS: Dict[str, Sequence[str]] = {
    "vegan": ("vegan",),
    "vegetarian": ("vegetarian", "vegan"),
    "gluten-free": ("gluten-free", "gluten free"),
    "dairy-free": ("dairy-free", "dairy free", "lactose-free", "lactose free", "vegan"),
    "organic": ("organic",),
}
# canonical allergen -> words in a product that mean it contains it
ALLERGENS: Dict[str, Sequence[str]] = {
    "nuts": (
        "nut",
        "nuts",
        "peanut",
        "peanuts",
        "almond",
        "almonds",
        "cashew",
        "cashews",
        "hazelnut",
        "hazelnuts",
        "walnut",
        "walnuts",
        "pecan",
        "pecans",
        "pistachio",
        "pistachios",
        "macadamia",
    ),
    "dairy": ("milk", "cheese", "cheddar", "butter", "cream", "yogurt", "yoghurt", "whey", "dairy"),
    "gluten": ("wheat", "gluten", "barley", "rye"),
    "soy": ("soy", "soya", "tofu"),
    "eggs": ("egg", "eggs"),
    "sesame": ("sesame",),
    "shellfish": ("shrimp", "prawn", "prawns", "crab", "lobster", "shellfish"),
    "fish": ("fish", "salmon", "tuna", "cod", "anchovy", "anchovies"),
}
ALLERGEN_WORDS = {
    "nut": "nuts",
    "nuts": "nuts",
    "peanut": "nuts",
    "peanuts": "nuts",
    "tree nuts": "nuts",
    "almonds": "nuts",
    "dairy": "dairy",
    "milk": "dairy",
    "lactose": "dairy",
    "gluten": "gluten",
    "wheat": "gluten",
    "soy": "soy",
    "soya": "soy",
    "eggs": "eggs",
    "egg": "eggs",
    "sesame": "sesame",
    "shellfish": "shellfish",
    "fish": "fish",
}
DIET_OF_ALLERGEN = {"gluten-free": "gluten", "dairy-free": "dairy"}
FOOD_WORDS = frozenset(
    {
        "grocery",
        "groceries",
        "food",
        "foods",
        "beverages",
        "drinks",
        "snacks",
        "pantry",
        "dairy",
        "bakery",
        "produce",
        "frozen",
        "meat",
        "seafood",
        "deli",
        "breakfast",
        "cereal",
        "confectionery",
        "foodgrains",
    }
)

ME = r"(?:\bi\b|\bi'm\b|\bim\b|\bi am\b|\bwe\b|\bwe're\b|\bwe are\b|\bmy\b|\bour\b|\bfor me\b)"
LIKE_RE = re.compile(
    r"\b(?:i|we)\s+(?:really\s+|just\s+|only\s+)?(?:love|like|prefer|adore|always buy|only buy)\b|"
    r"\b(?:big|huge) fan of\b|\bmy favou?rite brand\b",
    re.I,
)
AVOID_RE = re.compile(
    r"\b(?:i|we)\s+(?:really\s+)?(?:hate|dislike|avoid|never buy|don'?t (?:like|buy|want))\b|"
    r"\bcan'?t stand\b|\bno more\b|\bkeep away from\b",
    re.I,
)
ALLERGY_RE = re.compile(
    r"\ballergic to ([a-z ]+?)(?:$|[,.;!]| so | but )|\b([a-z]+)[- ]allergy\b|"
    r"\b(?:i|we) (?:can'?t|cannot|don'?t) (?:eat|have) ([a-z ]+?)(?:$|[,.;!]| and | so | but )|"
    r"\b(nut|dairy|gluten|soy|egg)[- ]free (?:for me|for us|please)\b",
    re.I,
)
SHOE_SIZE_RE = re.compile(
    r"\b(uk|us|eu)\s?(\d{1,2}(?:\.5)?)\b(?:[^.]*\b(?:shoes?|trainers|sneakers|boots|feet|foot)\b)?", re.I
)
CLOTHING_SIZE_RE = re.compile(
    r"\b(?:i wear|i'm|i am|i take|my size is)\s+(?:a\s+|an\s+)?size\s+(xxs|xs|s|m|l|xl|xxl|\d{1,2})\b|"
    r"\b(?:i wear|i'm|i am|i take)\s+(?:a\s+|an\s+)?(small|medium|large|extra large)\b",
    re.I,
)
BUDGET_RE = re.compile(
    r"\b(?:my (?:usual )?budget is|i (?:usually|normally|rarely|never|don'?t) (?:spend|pay)|"
    r"i (?:like to )?keep (?:it|things) )\s*(?:more than|over|above|under|below|less than|around|about|"
    r"up to)?\s*[$£€₹]?\s?(\d{1,6}(?:\.\d{1,2})?)",
    re.I,
)
SHOPS_FOR_RE = re.compile(
    r"\bfor my (\d{1,2})[- ](?:year|yr|month)s?[- ]old(?: (?:son|daughter|boy|girl|baby))?|"
    r"\b(?:i|we) (?:usually |mostly |often )?(?:shop|buy) for my "
    r"(son|daughter|wife|husband|partner|mom|mum|dad|baby|kids?|toddler|grandson|granddaughter)\b",
    re.I,
)
STORE_RE = re.compile(
    r"\bmy (?:usual|local|nearest|home|regular) store is ([a-z' -]+)|"
    r"\b(?:i|we) (?:usually |always |mostly )?shop at (?:the )?([a-z' -]+?)(?: store)?(?:$|[,.;!])",
    re.I,
)
CLAUSE_SPLIT = re.compile(r"[.;!?\n]+|,\s*(?:and|but)\s+|\s+but\s+|,\s+")
SIZE_WORDS = {"small": "S", "medium": "M", "large": "L", "extra large": "XL"}


@dataclass(frozen=True)
class Preference:
    """One remembered preference. ``kind`` in KIND_ORDER; ``scope`` narrows a size ("shoes", "clothing")."""

    kind: str
    value: str
    said: str = ""  # the shopper's words it came from
    scope: str = ""
    at: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.scope}:{self.value}".lower()

    @property
    def hard(self) -> bool:
        return self.kind in HARD_KINDS

    def to_json(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> Preference:
        return cls(**{k: raw[k] for k in ("kind", "value", "said", "scope", "at") if k in raw})

    def words(self) -> str:
        """The preference in plain words, for "what do you remember about me?"."""
        if self.kind == "diet":
            return f"you eat {self.value}"
        if self.kind == "allergen":
            return f"you avoid {self.value} (allergy)"
        if self.kind == "brand_like":
            return f"you like {self.value}"
        if self.kind == "brand_avoid":
            return f"you'd rather not buy {self.value}"
        if self.kind == "size":
            return f"your size in {self.scope or 'clothes'} is {self.value}"
        if self.kind == "budget":
            return f"you usually spend up to {self.value}"
        if self.kind == "shops_for":
            return f"you shop for {self.value}"
        if self.kind == "store":
            return f"your store is {self.value}"
        return f"{self.kind}: {self.value}"


def clauses(text: str) -> List[str]:
    return [c.strip() for c in CLAUSE_SPLIT.split(text or "") if c and c.strip()]


def _about_me(clause: str) -> bool:
    return re.search(ME, clause, re.I) is not None


def _diets(clause: str) -> List[str]:
    low = clause.lower()
    if re.search(r"\b(?:not|no longer|isn'?t|aren'?t|is it|are they|is this|are these|do you)\b", low):
        return []
    return [d for d, words in DIETS.items() if any(re.search(rf"\b{re.escape(w)}\b", low) for w in words)]


def extract(
    text: str,
    brand_of: Callable[[str], Optional[str]] = lambda s: None,
    store_of: Callable[[str], Optional[str]] = lambda s: None,
    now: float = 0.0,
) -> List[Preference]:
    """The standing preferences ``text`` states (see the module docstring), in KIND_ORDER, no repeats."""
    found: Dict[str, Preference] = {}

    def add(kind: str, value: str, said: str, scope: str = "") -> None:
        p = Preference(kind, value, said.strip()[:160], scope, now)
        found.setdefault(p.key, p)

    for clause in clauses(text):
        low = clause.lower()
        if not _about_me(clause):
            continue
        allergens = set()
        for m in ALLERGY_RE.finditer(low):
            words = " ".join(g for g in m.groups() if g).strip()
            for w in re.split(r"\s*(?:,|\band\b|\bor\b)\s*", words):
                canon = ALLERGEN_WORDS.get(w.strip())
                if canon:
                    allergens.add(canon)
                    add("allergen", canon, clause)
        for diet in _diets(clause):
            if DIET_OF_ALLERGEN.get(diet) not in allergens:  # "gluten-free for me": the allergy says it
                add("diet", diet, clause)
        liked, avoided = LIKE_RE.search(clause), AVOID_RE.search(clause)
        if liked or avoided:
            for brand in _brands_in(clause, brand_of):
                add("brand_avoid" if avoided else "brand_like", brand, clause)
        for m in SHOE_SIZE_RE.finditer(clause):
            if re.search(r"\b(?:i'm|i am|im|i wear|i take|my|size)\b", low):
                add("size", f"{m.group(1).upper()} {m.group(2)}", clause, "shoes")
        for m in CLOTHING_SIZE_RE.finditer(clause):
            size = m.group(1) or SIZE_WORDS.get((m.group(2) or "").lower(), "")
            if size and not SHOE_SIZE_RE.search(clause):
                add("size", size.upper(), clause, "clothing")
        budget = BUDGET_RE.search(clause)
        if budget:
            add("budget", budget.group(1), clause)
        shops = SHOPS_FOR_RE.search(clause)
        if shops:
            who = f"a {shops.group(1)}-year-old" if shops.group(1) else f"your {shops.group(2).lower()}"
            add("shops_for", who, clause)
        named = STORE_RE.search(clause)
        if named:
            store = store_of((named.group(1) or named.group(2) or "").strip())
            if store:
                add("store", store, clause)
    return sorted(found.values(), key=lambda p: (KIND_ORDER.index(p.kind), p.value))


def _brands_in(clause: str, brand_of: Callable[[str], Optional[str]]) -> List[str]:
    """Catalog brands named in ``clause``: every 1-4 word span the catalog knows as a brand, longest first."""
    words = re.findall(r"[A-Za-z0-9'&-]+", clause)
    out: List[str] = []
    taken: set = set()
    for n in (4, 3, 2, 1):
        for i in range(len(words) - n + 1):
            span = set(range(i, i + n))
            if span & taken:
                continue
            brand = brand_of(" ".join(words[i : i + n]))
            if brand:
                out.append(brand)
                taken |= span
    return out


# -- applying them to products ---------------------------------------------------------------------


def product_text(p: Any) -> str:
    attrs = " ".join(f"{k} {v}" for k, v in (getattr(p, "attributes", None) or {}).items())
    return f"{p.name} {getattr(p, 'description', '') or ''} {attrs}".lower()


def is_food(p: Any) -> bool:
    """Food or drink for people: a category word says so (pet food is not)."""
    cats = [c.lower() for c in (getattr(p, "category", None) or [])]
    if not cats or cats[0] in ("pet", "pets", "pet supplies"):
        return False
    words = set(re.findall(r"[a-z]+", " ".join(cats)))
    return bool(words & FOOD_WORDS)


def violates(p: Any, prefs: Iterable[Preference]) -> Optional[Preference]:
    """The first hard preference product ``p`` breaks, or None. Diets and allergens apply to food and drink
    only; a food product meets a diet only when it says so itself (a product that does not say it is vegan is
    not shown as vegan)."""
    text: Optional[str] = None
    for pref in prefs:
        if pref.kind == "brand_avoid":
            if (getattr(p, "brand", "") or "").lower() == pref.value.lower():
                return pref
            continue
        if pref.kind not in ("diet", "allergen") or not is_food(p):
            continue
        text = text if text is not None else product_text(p)
        if pref.kind == "diet":
            if not any(re.search(rf"\b{re.escape(w)}s?\b", text) for w in DIET_MARKS.get(pref.value, (pref.value,))):
                return pref
        else:
            freed = re.sub(r"\b[a-z]+[- ]free\b", " ", text)  # "nut-free" does not contain nuts
            if any(re.search(rf"\b{re.escape(w)}\b", freed) for w in ALLERGENS.get(pref.value, (pref.value,))):
                return pref
    return None
