"""Search -> filter -> show: the one path by which products reach the shopper."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Collection, Dict, FrozenSet, List, Optional, Sequence

from actions.base import Turn
from actions.cards import button, card, product_facts, reason_for, recommendation_buttons
from actions.personal import active_preferences, applied, preference_reasons, search_profile
from actions.replies.facts import Facts
from actions.replies.text import constraint, constraints
from retrieval.api import Hit, SearchResult
from retrieval.filters import Filters
from retrieval.schema import Product
from retrieval.topicality import is_topical, stems
from shopper.preferences import DIET_MARKS, is_food, violates
from shopper.store import SearchContext

logger = logging.getLogger(__name__)
SEARCH_K = 30  # candidates asked of the retriever per search (3 are shown)


def describe(turn: Turn, f: Filters) -> List[str]:
    """The filters in words, prices in the catalog's currency, stores by name."""
    return constraints(f, turn.retriever.currency, turn.retriever.store_names)


def search_query(ctx: SearchContext) -> str:
    """The words searched: the request's, else its occasion, else the brand asked for ("Copperline" alone)."""
    return ctx.query or ctx.hint or " ".join(sorted(ctx.get_filters().brands)) or "gift"


def anchored(f: Filters, ctx: SearchContext) -> Filters:
    """``f`` plus the product type of the first list shown, so refinements stay on topic."""
    if ctx.anchor and not f.category:
        return f.copy(update={"category": ctx.anchor})
    return f


def profile_of(turn: Turn) -> Optional[Dict[str, Any]]:
    """The shopper's preferences and engagement for the ranking (None: today's ranking for everyone)."""
    return search_profile(turn)


def _search(turn: Turn, ctx: SearchContext, f: Filters, exclude: Collection[str], k: int) -> SearchResult:
    return turn.retriever.search_detailed(
        search_query(ctx), filters=anchored(f, ctx), exclude_ids=list(exclude), k=k, profile=profile_of(turn)
    )


def query_terms(ctx: SearchContext) -> FrozenSet[str]:
    return stems(ctx.query)


def anchor_of(products: Sequence[Product]) -> Optional[str]:
    """The leaf category most of a first list shares (2 of 3), lower-cased."""
    leaves = Counter(p.leaf_category.lower() for p in products if p.leaf_category)
    if not leaves:
        return None
    leaf, n = leaves.most_common(1)[0]
    return leaf if n * 3 >= 2 * len(products) else None


def find_culprit(
    turn: Turn,
    ctx: SearchContext,
    f: Filters,
    exclude: Collection[str],
    relaxed: Sequence[str],
    terms: FrozenSet[str] = frozenset(),
) -> Optional[str]:
    """The constraint whose removal alone brings results back (the engine's report first)."""
    active = f.active()
    if len(relaxed) == 1 and relaxed[0] in active and not terms:
        return relaxed[0]
    for name in active:
        looser = f.without(name)
        res = _search(turn, ctx, looser, exclude, SEARCH_K)
        if any(
            anchored(looser, ctx).matches(h.product) and h.product.id not in exclude and is_topical(h.product, terms)
            for h in res.hits
        ):
            return name
    return next((n for n in relaxed if n in active), active[0] if active else None)


def show_results(turn: Turn, ctx: SearchContext, hits: Optional[List[Hit]] = None) -> List[Dict[str, Any]]:
    """Search for ``ctx`` (unless ``hits`` are given), show the next 3 unseen matches, remember them.

    Every product shown satisfies all of ``ctx``'s filters and was not shown before
    in this search. With nothing to show, say which constraint emptied the list and
    offer to drop it (``ctx.offer``), or that everything has been seen.
    """
    k = turn.settings.dialogue.recommend_k
    f = ctx.get_filters()
    seen = turn.store.get_seen(turn.sender)
    relaxed: List[str] = []
    hits_given = hits is not None
    if hits is None:
        res = _search(turn, ctx, f, seen, SEARCH_K)
        hits, relaxed = res.hits, list(res.relaxed or [])
    must = f if hits_given else anchored(f, ctx)
    terms = (
        query_terms(ctx) if (not hits_given and turn.retriever.topicality.has_kind(query_terms(ctx))) else frozenset()
    )
    fresh = [h for h in hits if h.product.id not in seen and must.matches(h.product) and is_topical(h.product, terms)]
    prefs = active_preferences(turn)
    hard = [p for p in prefs if p.hard]
    dropped = 0
    if hard:
        fresh, dropped = personal_fit(turn, ctx, f, seen, fresh, hard, must, terms, hits_given)
    chosen: List[Product] = []
    for h in fresh:
        if h.product.id not in {p.id for p in chosen}:
            chosen.append(h.product)
        if len(chosen) == k:
            break
    facts_base: Facts = {"query": ctx.query or ctx.hint, "constraints": describe(turn, f)}

    if not chosen and dropped:
        turn.say("prefs_nothing_fits", {**facts_base, "items": [p.words() for p in hard]})
        return []
    if not chosen:
        if seen and any(
            anchored(f, ctx).matches(h.product) and is_topical(h.product, terms)
            for h in _search(turn, ctx, f, (), SEARCH_K).hits
        ):
            turn.say("exhausted", facts_base)
            return []
        culprit = find_culprit(turn, ctx, f, seen, relaxed, terms)
        ctx.offer = culprit
        turn.store.save_context(turn.sender, ctx)
        facts = facts_base.copy()
        facts["constraint"] = culprit
        facts["constraint_text"] = (
            constraint(f, culprit, turn.retriever.currency, turn.retriever.store_names) if culprit else None
        )
        buttons = (
            [button(f"Yes, drop {facts['constraint_text']}", "affirm"), button("No, keep it", "deny")]
            if culprit
            else []
        ) + [button("Start over", "refine", {"refinement": "start_over"})]
        turn.say("no_results", facts, buttons=buttons)
        return []

    reasons = [reason_for(p, chosen, f, ctx.price_preference) for p in chosen]
    reasons = [with_preferences(r, p, prefs) for r, p in zip(reasons, chosen, strict=True)]
    facts = facts_base.copy()
    models = [turn.retriever.variants(p.id) for p in chosen]  # the sizes and colours each model is in stock in
    rows = list(zip(chosen, reasons, models, strict=True))
    facts["products"] = [product_facts(p, i, r, variants=m) for i, (p, r, m) in enumerate(rows, 1)]
    facts["page"] = 1 + len(seen) // max(1, k)
    cards = [card(p, i, r, turn.retriever.store_names, variants=m) for i, (p, r, m) in enumerate(rows, 1)]
    turn.store.set_shown(turn.sender, [p.id for p in chosen])
    ctx.offer = None
    ctx.focus = None
    if not seen and not hits_given and not f.category:
        ctx.anchor = anchor_of(chosen)
    turn.store.save_context(turn.sender, ctx)
    turn.say("recommend", facts, cards=cards, buttons=recommendation_buttons(chosen))
    used = applied(chosen, hard, dropped)
    if used:
        turn.say("prefs_applied", {"items": used})
    return []


def with_preferences(reason: str, p: Product, prefs: Sequence[Any]) -> str:
    """A card's reason, naming the shopper's preferences the product meets ("vegan, as you asked")."""
    named = preference_reasons(prefs, p)
    return "; ".join([r for r in (reason, *named) if r])


def personal_fit(
    turn: Turn,
    ctx: SearchContext,
    f: Filters,
    seen: Collection[str],
    fresh: List[Hit],
    hard: Sequence[Any],
    must: Filters,
    terms: FrozenSet[str],
    hits_given: bool,
) -> tuple:
    """``fresh`` without the products that break a hard preference (diet, allergen, avoided brand), and how
    many were dropped. For food with a diet, a second search adds the diet's words, so products that say
    they are vegan (say) are found even when they rank low for the request alone."""
    ok = [h for h in fresh if violates(h.product, hard) is None]
    dropped = len(fresh) - len(ok)
    diets = [p.value for p in hard if p.kind == "diet"]
    food = sum(1 for h in fresh if is_food(h.product))
    if diets and not hits_given and food * 2 >= max(1, len(fresh)) and len(ok) < turn.settings.dialogue.recommend_k:
        words = " ".join(DIET_MARKS.get(d, (d,))[0] for d in diets)
        more = turn.retriever.search_detailed(
            f"{search_query(ctx)} {words}",
            filters=anchored(f, ctx),
            exclude_ids=list(seen),
            k=SEARCH_K,
            profile=profile_of(turn),
        ).hits
        found = [
            h
            for h in more
            if h.product.id not in seen
            and must.matches(h.product)
            and is_topical(h.product, terms)
            and violates(h.product, hard) is None
        ]
        have = {h.product.id for h in found}  # the diet-worded search ranks; the first search's fits follow
        ok = found + [h for h in ok if h.product.id not in have]
    food_asked = food * 2 > len(fresh)
    if food_asked and dropped and not any(is_food(h.product) for h in ok):
        ok = []  # food was asked for and none fits: say so, rather than show the odd non-food match
    return ok, dropped
