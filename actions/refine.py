"""Refining a search: cheaper, pricier, other brands, more like this, show more, start over, "yes"."""

from __future__ import annotations

from typing import Any, Dict, List

from actions import constants as C
from actions.base import ShopAction, Turn
from actions.orders import place_pending
from actions.products import from_earlier_list
from actions.results import show_results
from actions.search import kind_of, reset_form, say_not_carried, search_anew, start_search
from actions.understanding import parse_request, refinements, resolve_reference


class ActionRefine(ShopAction):
    """Cheaper / pricier / other brands / more like this / show more / start over / new constraints / yes."""

    def name(self) -> str:
        return "action_refine"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        store, vocab = turn.store, turn.retriever.vocab
        ctx = store.get_context(turn.sender)

        if turn.intent == "affirm":
            if turn.offered("/place_order"):  # "yes" to "shall I place it?"
                place_pending(turn)
                return []
            if not ctx.offer:
                turn.say("affirm_nothing")
                return []
            ctx.set_filters(ctx.get_filters().without(ctx.offer))
            ctx.offer = None
            show_results(turn, ctx)
            return []

        kinds = refinements(turn.entities, turn.text)
        if C.START_OVER in kinds:
            store.clear_search(turn.sender)
            turn.say("start_over")
            return reset_form()

        req = parse_request(turn.text, turn.entities, vocab)
        shown = turn.shown_products()
        if not ctx.query and not ctx.hint and not shown:
            if search_anew(turn, req):
                return reset_form()
            if req.is_vague:
                turn.say("need_search_first")
                return []
            start_search(turn, req)
            return []

        f = ctx.get_filters().merge(req.filters)
        if req.filters.brands:  # naming a brand again undoes an earlier "other brands"
            f = f.copy(update={"exclude_brands": frozenset(f.exclude_brands - req.filters.brands)})
        ref = resolve_reference(turn.entities, turn.text, len(shown), [p.name for p in shown])
        earlier = None
        if ref.out_of_range is not None:
            earlier = from_earlier_list(turn, ref.out_of_range, len(shown))
            if earlier is None:
                turn.say("out_of_range", {"asked": ref.out_of_range, "shown": len(shown)})
                return []
        targets = earlier or [shown[i] for i in ref.positions] or shown
        if ref.product_ids:
            targets = [turn.retriever.get(pid) for pid in ref.product_ids]
        priced = [p.price for p in targets if p.price is not None]

        if C.CHEAPER in kinds and priced:
            cap = round(min(priced) - 0.01, 2)
            f = f.copy(update={"max_price": cap if f.max_price is None else min(cap, f.max_price)})
            if f.min_price is not None and f.min_price > cap:
                f = f.copy(update={"min_price": None})
        if C.PRICIER in kinds and priced:
            floor = round(max(priced) + 0.01, 2)
            f = f.copy(update={"min_price": floor if f.min_price is None else max(floor, f.min_price)})
            if f.max_price is not None and f.max_price < floor:
                f = f.copy(update={"max_price": None})
        if C.OTHER_BRAND in kinds:
            brands = {(p.brand or "").lower() for p in targets if p.brand}
            f = f.copy(
                update={"brands": frozenset(f.brands - brands), "exclude_brands": frozenset(f.exclude_brands | brands)}
            )
        if not kinds and req.content_words and set(req.content_words) != set(ctx.query.split()):
            # a different product ("actually, headphones"): new search, same constraints, but not
            # the old product's category (the anchor, or a category the old query implied)
            asked = kind_of(turn, req)
            if asked is not None and not asked.carried:
                return say_not_carried(turn, asked, turn.text)
            ctx.query = req.text
            ctx.anchor = None
            ctx.focus = None
            if not req.filters.category:
                f = f.copy(update={"category": asked.kind.name.lower() if asked is not None else None})
            store.clear_search(turn.sender)
        ctx.set_filters(f)
        ctx.offer = None
        if req.price_preference:
            ctx.price_preference = req.price_preference

        if C.SIMILAR in kinds and targets:
            base = (
                targets[0]
                if (ref.positions or ref.product_ids or len(targets) == 1)
                else (turn.retriever.get(ctx.focus) if ctx.focus else targets[0])
            )
            hits = turn.retriever.similar(base.id, k=40)
            hits = [h for h in hits if h.product.id != base.id]
            if any(f.matches(h.product) for h in hits):
                show_results(turn, ctx, hits=hits)
                return []
        show_results(turn, ctx)
        return []
