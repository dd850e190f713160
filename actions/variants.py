"""Which variant (size, colour) of a model the shopper means: "add the second one in a UK 7"."""

from __future__ import annotations

import re
from typing import List, Optional

from actions import constants as C
from actions.base import Turn
from actions.cards import button
from actions.understanding import first_entity
from retrieval.schema import Product
from retrieval.variants import axes, options, pick, size_order

_SIZE = re.compile(
    r"\b((?:uk|us|eu)\s*\d{1,2}(?:\.5)?)\b|\bsize\s+([a-z0-9.]{1,5})\b|"
    r"\bin (?:a |an )?(\d{1,2}(?:\.5)?|x{0,3}s|x{0,3}l|m|small|medium|large|extra large)\b",
    re.IGNORECASE,
)


def size_in(text: str) -> Optional[str]:
    """The size a message asks for ("in a UK 7", "size 9", "in medium"), if any."""
    m = _SIZE.search(text or "")
    if not m:
        return None
    return next(g for g in m.groups() if g).strip()


_SIZE_WORDS = {"small": "s", "medium": "m", "large": "l", "extra large": "xl", "extra small": "xs"}


def typed_size_answer(turn: Turn) -> Optional[str]:
    """A short typed answer ("M", "size 9", "medium, please", "UK 7") to the last message's size buttons:
    the payload of the button with that size, as if the shopper had pressed it; None otherwise."""
    text = (turn.text or "").strip()
    if not text or text.startswith("/") or len(text.split()) > 5:
        return None
    buttons = {str(b.get("title", "")).lower(): str(b.get("payload", "")) for b in turn.last_buttons()}
    if not buttons:
        return None
    low = re.sub(r"[^a-z0-9. ]+", " ", text.lower())
    low = re.sub(r"\b(?:please|thanks|thank you|i'?ll take|i take|i wear|i'?m an?|the|one|size)\b", " ", low)
    said = " ".join(low.split())
    candidates = [said, _SIZE_WORDS.get(said, said), (size_in(text) or "").lower()]
    for c in candidates:
        if c and c in buttons:
            return buttons[c]
    return None


def choose_variant(turn: Turn, p: Product, intent: str, store_id: Optional[str] = None) -> Optional[Product]:
    """The variant of ``p``'s model the turn means, or None after asking which size (or saying the size
    asked for is not made). A button that named the variant's id, or a model with one variant, needs no
    question; the colour shown stays unless another is asked for."""
    variants = turn.retriever.variants(p.id)
    if len(variants) < 2 or first_entity(turn.entities, C.ENT_PRODUCT_ID):
        return p
    varying = axes(variants)
    size = size_in(turn.text)
    colour = first_entity(turn.entities, C.ENT_COLOUR) or None
    if "size" not in varying:
        return pick(variants, colour=colour or p.attributes.get("colour")) or p
    sizes = options(variants, "size", True, store_id)
    if size is None:  # the size the shopper told us they wear, when this model comes in it
        from actions.personal import remembered_size

        known = remembered_size(turn, p)
        if known and known.lower() in {s.lower() for s in sizes}:
            size = known
    if size is None:
        same_colour = [v for v in variants if v.attributes.get("colour") == (colour or p.attributes.get("colour"))]
        in_colour = options(same_colour or variants, "size", True, store_id)
        turn.say(
            "ask_size",
            {"name": _model_name(p), "sizes": in_colour or sizes},
            buttons=_size_buttons(same_colour or variants, intent, store_id),
        )
        return None
    chosen = pick(variants, size=size, colour=colour or p.attributes.get("colour")) or pick(variants, size=size)
    if chosen is None:
        turn.say("size_not_made", {"name": _model_name(p), "size": size[:20], "sizes": sizes})
        return None
    return chosen


def _model_name(p: Product) -> str:
    """The name without its variant's values ("Velocita Road Running Shoes - Blue, UK 4" -> "Velocita Road
    Running Shoes", "Dreamhaven Microfibre Sheet Set, Twin" -> "Dreamhaven Microfibre Sheet Set")."""
    if not p.group:
        return p.name
    name = p.name
    for axis in ("size", "colour"):
        value = p.attributes.get(axis)
        if value:
            # the value as its own part of the name: the "S" of "Men's" is not the size S
            name = re.sub(rf"[\s,/-]+{re.escape(value)}(?=$|[\s,/-])", "", name, flags=re.IGNORECASE)
    return re.sub(r"[\s,/-]+$", "", name).strip() or p.name


def _size_buttons(variants: List[Product], intent: str, store_id: Optional[str]) -> List[dict]:
    seen, out = set(), []
    for v in sorted(variants, key=lambda v: size_order(v.attributes.get("size") or "")):
        size = v.attributes.get("size")
        if not size or size in seen or not (v.in_stock_at(store_id) if store_id else v.in_stock_anywhere):
            continue
        seen.add(size)
        out.append(button(size, intent, {C.ENT_PRODUCT_ID: v.id}))
    return out[:8]


def variant_text(p: Product) -> Optional[str]:
    """ "UK 7, blue": the variant an order line or reservation holds (None for a product without one)."""
    if not p.group:
        return None
    parts = [p.attributes[a] for a in ("size", "colour") if p.attributes.get(a)]
    return ", ".join(parts) or None
