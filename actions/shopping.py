"""Finding products: assess a request, ask guided questions, recommend, refine."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import constants as C
from actions import services
from actions.base import ShopAction, Turn
from actions.cards import button
from actions.flow import _stems, describe, names_a_product, show_results
from actions.replies import money, render
from actions.understanding import is_skip, number, parse_request, refinements, resolve_reference
from retrieval.query import normalize
from shopper.store import SearchContext


def _reset_form() -> List[Dict[str, Any]]:
    return [SlotSet(s, None) for s in C.FORM_SLOTS]


def start_search(turn: Turn, req: Any) -> None:
    """A new search for ``req`` (an ``actions.understanding.Request``), forgetting the previous one."""
    ctx = SearchContext(query=req.text, price_preference=req.price_preference)
    ctx.set_filters(req.filters)
    turn.store.clear_search(turn.sender)
    show_results(turn, ctx)


def names_products(turn: Turn) -> Optional[Any]:
    """The request in a message NLU could not place, when its product words name catalog products
    ("phone charger" alone); None otherwise (then the fallback reply is right)."""
    req = parse_request(turn.text, turn.entities, services.get_vocab())
    if req.is_vague or not req.content_words or len(req.content_words) > 5:
        return None
    return req if names_a_product(turn, _stems(" ".join(req.content_words))) else None


class ActionAssessRequest(ShopAction):
    """A new request: remember it, and say whether it is too vague to search (sets ``vague_request``)."""

    def name(self) -> Text:
        return "action_assess_request"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        req = parse_request(turn.text, turn.entities, services.get_vocab())
        old = turn.store.get_context(turn.sender)
        if req.is_vague and old.query and req.filters.active() and not req.hint_words:
            # "show me red ones" after a search: a refinement, not a new request
            old.set_filters(old.get_filters().merge(req.filters))
            turn.store.save_context(turn.sender, old)
            return [SlotSet(C.SLOT_VAGUE, False)] + _reset_form()
        turn.store.clear_search(turn.sender)
        ctx = SearchContext(query=req.text, hint=" ".join(req.hint_words), price_preference=req.price_preference)
        ctx.set_filters(req.filters)
        turn.store.save_context(turn.sender, ctx)
        f = req.filters
        budget = None
        if f.max_price is not None or f.min_price is not None:
            budget = " ".join(describe(f.copy(update={"brands": frozenset(), "exclude_brands": frozenset(),
                                                      "colour": None, "category": None, "in_stock_at": None}),
                                       services.currency())) or C.SKIPPED
        brand = " or ".join(sorted(f.brands)) if f.brands else None
        return [SlotSet(C.SLOT_VAGUE, req.is_vague), SlotSet(C.SLOT_CATEGORY, None),
                SlotSet(C.SLOT_BUDGET, budget), SlotSet(C.SLOT_BRAND, brand)]


class ActionRecommend(ShopAction):
    """Search with everything known (request + guided answers) and show 3 products."""

    def name(self) -> Text:
        return "action_recommend"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        vocab = services.get_vocab()
        ctx = turn.store.get_context(turn.sender)
        f = ctx.get_filters()
        category = turn.tracker.get_slot(C.SLOT_CATEGORY)
        budget = turn.tracker.get_slot(C.SLOT_BUDGET)
        brand = turn.tracker.get_slot(C.SLOT_BRAND)
        if category and not is_skip(category):
            r = parse_request(str(category), [], vocab)
            ctx.query = r.text or normalize(str(category))
            f = f.merge(r.filters)
        if budget and not is_skip(budget):
            r = parse_request(str(budget), [], vocab)
            if r.filters.max_price is not None or r.filters.min_price is not None:
                f = f.merge(r.filters.copy(update={"brands": frozenset(), "colour": None}))
            elif number(budget) is not None:
                f = f.copy(update={"max_price": number(budget)})
        if brand and not is_skip(brand):
            r = parse_request(str(brand), [], vocab)
            if r.filters.brands or r.filters.exclude_brands or r.filters.colour:
                f = f.merge(r.filters.copy(update={"min_price": None, "max_price": None}))
            elif r.content_words:  # a preference, not a brand: search on it too
                ctx.query = (ctx.query + " " + r.text).strip()
        ctx.set_filters(f)
        show_results(turn, ctx)
        return _reset_form()


class ActionRefine(ShopAction):
    """Cheaper / pricier / other brands / more like this / show more / start over / new constraints / yes."""

    def name(self) -> Text:
        return "action_refine"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        store, vocab = turn.store, services.get_vocab()
        ctx = store.get_context(turn.sender)

        if turn.intent == "affirm":
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
            return _reset_form()

        req = parse_request(turn.text, turn.entities, vocab)
        shown = turn.shown_products()
        if not ctx.query and not ctx.hint and not shown:
            if req.is_vague:
                turn.say("need_search_first")
                return []
            start_search(turn, req)
            return []

        f = ctx.get_filters().merge(req.filters)
        if req.filters.brands:  # naming a brand again undoes an earlier "other brands"
            f = f.copy(update={"exclude_brands": frozenset(f.exclude_brands - req.filters.brands)})
        ref = resolve_reference(turn.entities, turn.text, len(shown), [p.name for p in shown])
        if ref.out_of_range is not None:
            turn.say("out_of_range", {"asked": ref.out_of_range, "shown": len(shown)})
            return []
        targets = [shown[i] for i in ref.positions] or shown
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
            f = f.copy(update={"brands": frozenset(f.brands - brands),
                               "exclude_brands": frozenset(f.exclude_brands | brands)})
        if not kinds and req.content_words and set(req.content_words) != set(ctx.query.split()):
            # a different product ("actually, headphones"): new search, same constraints, but not
            # the old product's category (the anchor, or a category the old query implied)
            ctx.query = req.text
            ctx.anchor = None
            ctx.focus = None
            if not req.filters.category:
                f = f.copy(update={"category": None})
            store.clear_search(turn.sender)
        ctx.set_filters(f)
        ctx.offer = None
        if req.price_preference:
            ctx.price_preference = req.price_preference

        if C.SIMILAR in kinds and targets:
            base = targets[0] if (ref.positions or ref.product_ids or len(targets) == 1) else (
                turn.retriever.get(ctx.focus) if ctx.focus else targets[0])
            hits = turn.retriever.similar(base.id, k=40)
            hits = [h for h in hits if h.product.id != base.id]
            if any(f.matches(h.product) for h in hits):
                show_results(turn, ctx, hits=hits)
                return []
        show_results(turn, ctx)
        return []


class ValidateShoppingForm(FormValidationAction):
    """Normalises the guided answers: skips become "any"; a budget must hold a number."""

    def name(self) -> Text:
        return "validate_shopping_form"

    def validate_need_category(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {C.SLOT_CATEGORY: None}
        if is_skip(value) or tracker.get_intent_of_latest_message() in ("skip", "deny"):
            return {C.SLOT_CATEGORY: C.SKIPPED}
        text = " ".join(str(value).split())[:120]
        return {C.SLOT_CATEGORY: text or None}

    def validate_need_budget(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {C.SLOT_BUDGET: None}
        if is_skip(value) or tracker.get_intent_of_latest_message() in ("skip", "deny"):
            return {C.SLOT_BUDGET: C.SKIPPED}
        if number(value) is not None:
            return {C.SLOT_BUDGET: " ".join(str(value).split())[:60]}
        dispatcher.utter_message(text=render("budget_unclear", {"answer": str(value)[:40]}))
        return {C.SLOT_BUDGET: None}

    def validate_need_brand(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {C.SLOT_BRAND: None}
        if is_skip(value) or tracker.get_intent_of_latest_message() in ("skip", "deny"):
            return {C.SLOT_BRAND: C.SKIPPED}
        return {C.SLOT_BRAND: " ".join(str(value).split())[:80] or None}


class ActionAskNeedCategory(ShopAction):
    def name(self) -> Text:
        return "action_ask_need_category"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        ctx = turn.store.get_context(turn.sender)
        examples = services.top_categories(ctx.hint, 3)
        buttons = [button(c, "inform", {"product": c}) for c in examples] + [button("Any", "skip")]
        turn.say("ask_category", {"hint": ctx.hint, "examples": [e.lower() for e in examples]}, buttons=buttons)
        return []


class ActionAskNeedBudget(ShopAction):
    def name(self) -> Text:
        return "action_ask_need_budget"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        cur = services.currency()
        tiers = services.price_tiers()
        buttons = [button(f"Under {money(t, cur)}", "inform", {"max_price": f"{t:g}"}) for t in tiers]
        turn.say("ask_budget", {"tiers": [money(t, cur) for t in tiers]}, buttons=buttons + [button("Any", "skip")])
        return []


class ActionAskNeedBrand(ShopAction):
    def name(self) -> Text:
        return "action_ask_need_brand"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        category = turn.tracker.get_slot(C.SLOT_CATEGORY)
        ctx = turn.store.get_context(turn.sender)
        scope = "" if is_skip(category) else (category or ctx.query)
        brands = services.top_brands(scope or "", 3)
        buttons = [button(b, "inform", {"brand": b}) for b in brands] + [button("Any brand", "skip")]
        turn.say("ask_brand", {"brands": brands}, buttons=buttons)
        return []
