"""Search -> filter -> show: the one path by which products reach the shopper."""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, List, Optional, Sequence

from actions import services
from actions.base import Turn
from actions.cards import card, product_facts, reason_for, recommendation_buttons
from actions.replies import money
from retrieval.api import Hit
from retrieval.filters import Filters
from retrieval.schema import Product
from shopper.store import SearchContext

logger = logging.getLogger(__name__)
SEARCH_K = 30  # candidates asked of the retriever per search (3 are shown)


def describe(f: Filters, currency: str) -> List[str]:
    """Constraints in words, prices in the catalog's currency ("under $50.00", "brand philips")."""
    names = services.store_names()
    return f.describe(money=lambda v: money(v, currency), store_name=lambda s: names.get(s, s))


def describe_one(f: Filters, name: str, currency: str) -> str:
    """One constraint (a ``RELAX_ORDER`` name) in words."""
    only = Filters()
    if name == "price":
        only = Filters(min_price=f.min_price, max_price=f.max_price)
    else:
        only = Filters(**{name: getattr(f, name)})
    words = describe(only, currency)
    return words[0] if words else name


def search_query(ctx: SearchContext) -> str:
    return ctx.query or ctx.hint or "gift"


def anchored(f: Filters, ctx: SearchContext) -> Filters:
    """``f`` plus the product type of the first list shown, so refinements stay on topic."""
    if ctx.anchor and not f.category:
        return f.copy(update={"category": ctx.anchor})
    return f


def profile_of(turn: Turn) -> Optional[Dict[str, Any]]:
    raw = turn.store.get_profile(turn.sender)
    if not raw:
        return None
    out: Dict[str, Any] = dict(raw)
    if "brands" in raw:
        try:
            out["brands"] = list(json.loads(raw["brands"]))
        except ValueError:
            out["brands"] = [raw["brands"]]
    return out


def _search(turn: Turn, ctx: SearchContext, f: Filters, exclude: Sequence[str], k: int) -> Any:
    return turn.retriever.search_detailed(search_query(ctx), filters=anchored(f, ctx), exclude_ids=list(exclude),
                                          k=k, profile=profile_of(turn))


_STEMMER: Any = None


def _stems(text: str) -> set:
    """Snowball stems of the words of 3+ letters ("phones", "phone" -> "phone"; "shoes" -> "shoe")."""
    global _STEMMER
    if _STEMMER is None:
        import Stemmer

        _STEMMER = Stemmer.Stemmer("english")
    return set(_STEMMER.stemWords([w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 3]))


def query_terms(ctx: SearchContext) -> set:
    return _stems(ctx.query)


def is_topical(p: Product, terms: set) -> bool:
    """The product's own name or category says what was asked for (a brand alone does not)."""
    own = (_stems(p.name) - _stems(p.brand or "")) | _stems(" ".join(p.category))
    return not terms or bool(terms & own)


_TOPIC_CACHE: Dict[tuple, bool] = {}


def strict_topic(turn: Turn, terms: set) -> bool:
    """Whether the catalog has products named for ``terms`` at all (then only those are shown)."""
    cat = services.catalog_of(turn.retriever)
    if not terms or cat is None:
        return False
    key = (id(cat), len(cat.products), frozenset(terms))
    if key not in _TOPIC_CACHE:
        if len(_TOPIC_CACHE) > 4096:
            _TOPIC_CACHE.clear()
        _TOPIC_CACHE[key] = any(is_topical(p, terms) for p in cat.products)
    return _TOPIC_CACHE[key]


def names_a_product(turn: Turn, terms: set) -> bool:
    """Whether one catalog product holds every one of ``terms`` in its name, category or description,
    and at least one in its own name or category ("phone charger": a wall charger "for phones")."""
    cat = services.catalog_of(turn.retriever)
    if not terms or cat is None:
        return False
    return any(terms & own and terms <= own | desc for own, desc in _word_index(cat))


_WORDS: Dict[tuple, List[tuple]] = {}


def _word_index(cat: Any) -> List[tuple]:
    """(own words, description words) per product, built once per catalog (about 1 s for 50k products)."""
    key = (id(cat), len(cat.products))
    if key not in _WORDS:
        _WORDS.clear()
        _WORDS[key] = [((_stems(p.name) - _stems(p.brand or "")) | _stems(" ".join(p.category)),
                        _stems(p.description or "")) for p in cat.products]
    return _WORDS[key]


def anchor_of(products: Sequence[Product]) -> Optional[str]:
    """The leaf category most of a first list shares (2 of 3), lower-cased."""
    from collections import Counter

    leaves = Counter(p.leaf_category.lower() for p in products if p.leaf_category)
    if not leaves:
        return None
    leaf, n = leaves.most_common(1)[0]
    return leaf if n * 3 >= 2 * len(products) else None


def find_culprit(turn: Turn, ctx: SearchContext, f: Filters, exclude: Sequence[str], relaxed: Sequence[str],
                 terms: set = frozenset()) -> Optional[str]:
    """The constraint whose removal alone brings results back (the engine's report first)."""
    active = f.active()
    if len(relaxed) == 1 and relaxed[0] in active and not terms:
        return relaxed[0]
    for name in active:
        looser = f.without(name)
        res = _search(turn, ctx, looser, exclude, SEARCH_K)
        if any(anchored(looser, ctx).matches(h.product) and h.product.id not in exclude and is_topical(h.product, terms)
               for h in res.hits):
            return name
    return next((n for n in relaxed if n in active), active[0] if active else None)


def show_results(turn: Turn, ctx: SearchContext, hits: Optional[List[Hit]] = None) -> List[Dict[str, Any]]:
    """Search for ``ctx`` (unless ``hits`` are given), show the next 3 unseen matches, remember them.

    Every product shown satisfies all of ``ctx``'s filters and was not shown before
    in this search. With nothing to show, say which constraint emptied the list and
    offer to drop it (``ctx.offer``), or that everything has been seen.
    """
    from shopper.settings import get_dialogue_settings

    k = get_dialogue_settings().recommend_k
    cur = services.currency()
    f = ctx.get_filters()
    seen = turn.store.get_seen(turn.sender)
    relaxed: List[str] = []
    hits_given = hits is not None
    if hits is None:
        res = _search(turn, ctx, f, seen, SEARCH_K)
        hits, relaxed = res.hits, list(res.relaxed or [])
    must = f if hits_given else anchored(f, ctx)
    terms = query_terms(ctx) if (not hits_given and strict_topic(turn, query_terms(ctx))) else set()
    fresh = [h for h in hits if h.product.id not in seen and must.matches(h.product) and is_topical(h.product, terms)]
    chosen: List[Product] = []
    for h in fresh:
        if h.product.id not in {p.id for p in chosen}:
            chosen.append(h.product)
        if len(chosen) == k:
            break
    facts_base = {"query": ctx.query or ctx.hint, "constraints": describe(f, cur)}

    if not chosen:
        if seen and any(anchored(f, ctx).matches(h.product) and is_topical(h.product, terms)
                        for h in _search(turn, ctx, f, (), SEARCH_K).hits):
            turn.say("exhausted", facts_base)
            return []
        culprit = find_culprit(turn, ctx, f, seen, relaxed, terms)
        ctx.offer = culprit
        turn.store.save_context(turn.sender, ctx)
        facts = dict(facts_base, constraint=culprit,
                     constraint_text=describe_one(f, culprit, cur) if culprit else None)
        from actions.cards import button

        buttons = ([button(f"Yes, drop {facts['constraint_text']}", "affirm"), button("No, keep it", "deny")]
                   if culprit else []) + [button("Start over", "refine", {"refinement": "start_over"})]
        turn.say("no_results", facts, buttons=buttons)
        return []

    reasons = [reason_for(p, chosen, f, ctx.price_preference) for p in chosen]
    facts = dict(facts_base, products=[product_facts(p, i, r) for i, (p, r) in enumerate(zip(chosen, reasons), 1)],
                 page=1 + len(seen) // max(1, k))
    cards = [card(p, i, r, services.store_names()) for i, (p, r) in enumerate(zip(chosen, reasons), 1)]
    turn.store.set_shown(turn.sender, [p.id for p in chosen])
    ctx.offer = None
    ctx.focus = None
    if not seen and not hits_given and not f.category:
        ctx.anchor = anchor_of(chosen)
    turn.store.save_context(turn.sender, ctx)
    turn.say("recommend", facts, cards=cards, buttons=recommendation_buttons(chosen))
    return []
