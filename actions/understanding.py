"""Pure functions that turn a user turn (text + NLU entities) into search terms.

No Redis, no Rasa: unit-tested directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence

from actions import constants as C
from retrieval.filters import Filters
from retrieval.query import UNITS, Vocabulary, normalize, parse_query

_NUM = re.compile(r"(\d+(?:[.,]\d+)?)\s*(k\b)?", re.IGNORECASE)
_ORDINAL_WORDS = {
    "first": 1,
    "1st": 1,
    "one": 1,
    "second": 2,
    "2nd": 2,
    "two": 2,
    "third": 3,
    "3rd": 3,
    "three": 3,
    "fourth": 4,
    "4th": 4,
    "four": 4,
    "fifth": 5,
    "5th": 5,
    "five": 5,
    "sixth": 6,
    "6th": 6,
    "six": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
_ORDINAL_TEXT = re.compile(
    r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|seventh|eighth|ninth|tenth|last)\b"
    r"|(?:#|\bnumber\s*|\bno\.?\s*|\boption\s*|\bitem\s*)(\d{1,2})\b",
    re.IGNORECASE,
)
# "the first two", "top 3", "the last two": a run of the shown list
_ORDINAL_SPAN = re.compile(r"\b(first|top|last)\s+(two|three|four|five|2|3|4|5)\b", re.IGNORECASE)
_SPAN_SIZES = {"two": 2, "three": 3, "four": 4, "five": 5}
_QUANTITY_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a couple": 2,
    "a pair": 2,
    "a dozen": 12,
}
_REFINE_PATTERNS = (
    (
        C.START_OVER,
        r"\b(start (?:over|again)|restart|reset|new search|from scratch|clear (?:everything|all)|forget (?:that|it|everything))\b",
    ),
    (C.SIMILAR, r"\b(similar|like (?:this|that|these|the (?:first|second|third|last|\w+ one))|more like)\b"),
    (C.OTHER_BRAND, r"\b((?:other|different|another|else'?s?) brands?|not (?:this|that|these) brand)\b"),
    (C.CHEAPER, r"\b(cheaper|less expensive|more affordable|lower price|too expensive|too pricey|less money|budget)\b"),
    (C.PRICIER, r"\b(pricier|more expensive|higher[- ]end|premium|better quality|fancier|luxur\w*)\b"),
    (
        C.MORE,
        r"\b(show (?:me )?more|more options|other options|others|anything else|what else|next|more results|see more)\b",
    ),
)


@dataclass
class Request:
    """What one turn asks for."""

    text: str  # words left to search on (product words)
    filters: Filters  # hard constraints stated in this turn
    content_words: List[str]  # product-ish words (not stop/occasion words)
    hint_words: List[str]  # occasion / recipient words ("kitchen", "mom")
    price_preference: Optional[str] = None
    entity_product: Optional[str] = None

    @property
    def is_vague(self) -> bool:
        """Too vague to search well: no product words, no brand, no category."""
        return not self.content_words and not self.filters.brands and not self.filters.category


def entity_values(entities: Iterable[Dict[str, Any]], name: str) -> List[str]:
    return [str(e.get("value")) for e in entities or [] if e.get("entity") == name and e.get("value") is not None]


def first_entity(entities: Iterable[Dict[str, Any]], name: str) -> Optional[str]:
    vals = entity_values(entities, name)
    return vals[0] if vals else None


def number(text: Any) -> Optional[float]:
    """First number in ``text`` ("$1,299" -> 1299.0, "2k" -> 2000.0), or None."""
    if text is None:
        return None
    m = _NUM.search(str(text).replace(",", ""))
    if not m:
        return None
    v = float(m.group(1))
    return v * 1000 if m.group(2) else v


def words(text: str) -> List[str]:
    return re.findall(r"[a-z0-9][a-z0-9'&-]*", normalize(text))


PRICE_CUE = re.compile(
    r"[$₹€£]|\b(?:dollars?|bucks|quid|rupees?|rs|usd|inr|eur|gbp|budget|price[sd]?|cost|spend|cheap|under|below|"
    r"less|over|above|more than|around|about|max(?:imum)?|up to|within)\b",
    re.IGNORECASE,
)


def clearly_the_brand(brand: str, text: str, vocab: Vocabulary) -> bool:
    """Whether an NLU-tagged brand is meant as the brand. A catalog brand that is no ordinary word
    always is; a catalog brand that is also an ordinary word ("fresh", "road"), or a name the catalog
    lacks ("gucci", "slippery", "Trail" in "Trail running shoes"), only when said so: "by X", "from X",
    "X brand"."""
    if vocab.brand_of(brand) and not vocab.is_ambiguous_brand(brand):
        return True
    b = re.escape(normalize(brand))
    if re.search(rf"\b(?:by|from|brand|make)\s+{b}\b|\b{b}\s+(?:brand|make)\b", normalize(text or "")):
        return True
    return False


def priced(text: str, value: Any) -> Optional[float]:
    """The number of an NLU price entity, unless the text says it with a unit ("up to 8 miles")."""
    v = number(value)
    if v is None:
        return None
    digits = re.escape(str(value).strip().lstrip("$₹€£").split()[0]) if str(value).strip() else ""
    if digits and re.search(rf"(?<![\d.]){digits}\s*{UNITS}(?!\w)", text or "", re.IGNORECASE):
        return None
    return v


def parse_request(text: str, entities: Sequence[Dict[str, Any]] = (), vocab: Optional[Vocabulary] = None) -> Request:
    """Filters from the text (``parse_query``) completed by NLU entities it missed."""
    pq = parse_query(text or "", vocab)
    f = pq.filters
    update: Dict[str, Any] = {}
    # Price bounds come from the text parser when it found any: DIET sometimes tags the
    # "500" of "under 500 rupees" as min_price, which would make min == max == 500.
    if f.max_price is None and f.min_price is None and PRICE_CUE.search(text or ""):
        # and only when the text speaks of money at all: "I'm 68 years old" is no price
        hi = priced(text, first_entity(entities, C.ENT_MAX_PRICE))
        lo = priced(text, first_entity(entities, C.ENT_MIN_PRICE))
        if hi is not None:
            update["max_price"] = hi
        if lo is not None and lo != hi:
            update["min_price"] = lo
    if not f.colour:
        col = first_entity(entities, C.ENT_COLOUR)
        if col and normalize(col) in (vocab or Vocabulary()).colours:  # "centered" tagged as a colour is no colour
            update["colour"] = normalize(col)
    if not f.brands:
        brands = {normalize(b) for b in entity_values(entities, C.ENT_BRAND)} - set(f.exclude_brands)
        if vocab is not None:
            # an NLU brand filters only when it is one of the catalog's brands, and a brand that is also
            # an ordinary word ("road", "fresh") only when the shopper clearly names it as the brand
            brands = {vocab.brand_of(b) or b for b in brands if clearly_the_brand(b, text, vocab)}
        brands = {b for b in brands if b}
        # an NLU brand is a filter only if the text does not negate it ("not samsung")
        low = normalize(text or "")
        brands = {b for b in brands if not re.search(rf"\b(?:not|no|except|without)\s+{re.escape(b)}\b", low)}
        if brands:
            update["brands"] = frozenset(brands)
    if update:
        f = f.copy(update=update)

    residual_words = words(pq.text)
    colour_words = {f.colour} if f.colour else set()
    brand_words = {w for b in f.brands | f.exclude_brands for w in words(b)}
    content = [
        w
        for w in residual_words
        if w not in C.STOP_WORDS
        and w not in C.VAGUE_WORDS
        and w not in colour_words
        and w not in brand_words
        and not w.isdigit()
        and len(w) > 1
    ]
    hint = [w for w in residual_words if w in C.VAGUE_WORDS]
    ent_product = first_entity(entities, C.ENT_PRODUCT)
    if ent_product and not content:
        ent_words = [w for w in words(ent_product) if w not in C.STOP_WORDS and w not in C.VAGUE_WORDS]
        content = ent_words
    text_out = " ".join(content) if content else ""
    return Request(
        text=text_out,
        filters=f,
        content_words=content,
        hint_words=hint,
        price_preference=pq.price_preference,
        entity_product=ent_product,
    )


def is_skip(value: Any) -> bool:
    """True for "any", "don't care", "skip"... (a skipped guided question)."""
    if value is None:
        return False
    v = normalize(str(value)).strip(" .!?")
    return v in C.SKIP_WORDS or v == C.SKIPPED


def refinements(entities: Sequence[Dict[str, Any]], text: str) -> List[str]:
    """Refinement kinds asked for, from the entity and from the words themselves."""
    found: List[str] = [v for v in entity_values(entities, C.ENT_REFINEMENT) if v in C.REFINEMENTS]
    low = normalize(text or "")
    for kind, pat in _REFINE_PATTERNS:
        if kind not in found and re.search(pat, low):
            found.append(kind)
    if C.CHEAPER in found and C.PRICIER in found:
        found.remove(C.PRICIER)
    return found


@dataclass
class Reference:
    """Which shown products a turn points at."""

    positions: List[int] = field(default_factory=list)  # 0-based positions in the shown list
    product_ids: List[str] = field(default_factory=list)  # explicit ids (button payloads)
    out_of_range: Optional[int] = None  # the 1-based position asked for, when too large
    pronoun: bool = False  # "it", "that one"
    plural: bool = False  # "them", "these", "all of them"
    nothing_said: bool = True


def _ordinal_value(v: str, n_shown: int) -> Optional[int]:
    v = normalize(v).strip()
    if v in ("last", "last one", "final"):
        return n_shown if n_shown else None
    if v in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[v]
    m = re.search(r"\d+", v)
    if m:
        return int(m.group())
    for w, n in _ORDINAL_WORDS.items():
        if re.search(rf"\b{w}\b", v):
            return n
    return None


def resolve_reference(
    entities: Sequence[Dict[str, Any]], text: str, n_shown: int, shown_names: Sequence[str] = ()
) -> Reference:
    """Ordinals ("the second one", "the last one", "#3"), ids, pronouns, brand/name mentions."""
    ref = Reference()
    ids = entity_values(entities, C.ENT_PRODUCT_ID)
    if ids:
        ref.product_ids = ids
        ref.nothing_said = False
        return ref
    asked: List[int] = []
    pronoun = False
    span = _ORDINAL_SPAN.search(text or "")
    if span and n_shown:
        size = _SPAN_SIZES.get(span.group(2).lower()) or int(span.group(2))
        end = n_shown if span.group(1).lower() == "last" else min(size, n_shown)
        asked = list(range(max(1, end - size + 1), end + 1))
    for v in [] if asked else entity_values(entities, C.ENT_ORDINAL):
        if normalize(v) in ("that", "this", "it", "that one", "this one"):
            pronoun = True
            continue
        n = _ordinal_value(v, n_shown)
        if n is not None and n not in asked:
            asked.append(n)
    if not asked:
        for m in _ORDINAL_TEXT.finditer(text or ""):
            n = _ordinal_value(m.group(1) or m.group(2), n_shown)
            if n is not None and n not in asked:
                asked.append(n)
    if not asked and not pronoun and shown_names:
        low = normalize(text or "")
        for i, name in enumerate(shown_names):
            keys = [w for w in words(name) if len(w) > 3 and w not in C.STOP_WORDS]
            if keys and any(re.search(rf"\b{re.escape(k)}\b", low) for k in keys[:3]):
                asked.append(i + 1)
    low_text = normalize(text or "")
    if not asked and re.search(r"\b(them|those|these|they|all|both|each)\b", low_text):
        ref.plural = True
    elif not asked and re.search(r"\b(it|this|that|this one|that one)\b", low_text):
        pronoun = True
    ref.pronoun = pronoun
    ref.nothing_said = not asked and not pronoun
    for n in asked:
        if n < 1 or n > n_shown:
            ref.out_of_range = n
            return ref
        ref.positions.append(n - 1)
    return ref


def quantity(entities: Sequence[Dict[str, Any]], text: str) -> int:
    """How many to add to the cart (1 when unsaid), clamped to 1..MAX_QUANTITY."""
    q: Optional[float] = None
    v = first_entity(entities, C.ENT_QUANTITY)
    if v is not None:
        q = number(v) if number(v) is not None else _QUANTITY_WORDS.get(normalize(v))
    if q is None:
        low = normalize(text or "")
        m = re.search(r"\b(\d{1,3})\s*(?:x\b|of\b|pcs\b|pieces\b|units\b|items\b)", low)
        if m:
            q = float(m.group(1))
        else:
            for w, n in _QUANTITY_WORDS.items():
                if re.search(rf"\b{w}\s+(?:of|units|pieces|packs?)\b", low):
                    q = n
                    break
    if q is None:
        return 1
    return int(max(1, min(C.MAX_QUANTITY, q)))


PERSON_RE = re.compile(
    r"\b(?:talk|speak|chat|connect|transfer|put me through|get me)\b.{0,40}\b(?:person|human|agent|someone|somebody|"
    r"staff|representative|team|manager|operator|expert|specialist|advisor|adviser)s?\b|\b(?:customer|consumer) (?:care|service|support)\b|"
    r"\bcall (?:center|centre)\b|\bhelpline\b|\b(?:phone|contact) number\b|\byour number\b|\bcall me\b",
    re.IGNORECASE,
)


# a complaint about the store deserves a person too ("pathetic service", "waste of time")
COMPLAINT_RE = re.compile(
    r"\b(?:bad|poor|pathetic|terrible|awful|horrible|worst|useless|rubbish|shocking|lousy|disgusting)\s+"
    r"(?:customer\s+)?(?:service|support|experience|company|shop|store)\b|\bwaste of (?:my )?time\b|"
    r"\b(?:i'?m|i am) (?:fed up|sick of|done with)\b|\b(?:this|that|it) is (?:useless|ridiculous|unacceptable)\b|"
    r"^\W*(?:so |very |totally |absolutely )?(?:useless|pathetic|ridiculous|unacceptable|rubbish|disgusting)\W*$",
    re.IGNORECASE,
)


ORDER_NUMBER_RE = re.compile(r"\border\s*(?:no\.?|number|id)?\s*#?\s*\d{3,}\b|#\s*\d{4,}\b", re.IGNORECASE)


def names_an_order(text: str) -> bool:
    """Whether a message gives an order number ("order #14254", "#40213")."""
    return bool(ORDER_NUMBER_RE.search(text or ""))


def asks_for_person(text: str) -> bool:
    """Whether a message asks to reach a person ("I want to talk to a real person", "customer care number")
    or complains about the store ("pathetic service")."""
    return bool(PERSON_RE.search(text or "") or COMPLAINT_RE.search(text or ""))
