"""Finding products: assess a request, ask the guided questions, recommend."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import constants as C
from actions.base import ShopAction, Turn
from actions.cards import button
from actions.replies import compose, money
from actions.replies.facts import Facts
from actions.results import describe, show_results
from actions.service import say_service, service_hit
from actions.understanding import Request, entity_values, is_skip, number, parse_request
from retrieval import facets
from retrieval.kinds import KindMatch
from retrieval.query import normalize
from retrieval.topicality import stems
from shopper.store import SearchContext


def reset_form() -> List[Dict[str, Any]]:
    return [SlotSet(s, None) for s in C.FORM_SLOTS]


def with_kind(req: Request, match: KindMatch) -> Request:
    """``req`` limited to the catalog kind it names: its leaf category becomes a hard filter, and the
    kind's name leads the search words ("keep my coffee hot" searches travel mugs, by name too)."""
    kind = match.kind.name.lower()
    # a family leads with the word said: "trousers" finds jeans and chinos, "bottoms" finds shorts
    lead = match.said.lower() if match.kind.family else kind
    # unless the request holds it already, as words ("shoes" holds "shoe"; "teabags" does not hold "tea")
    text = req.text if stems(lead) <= stems(req.text) else f"{lead} {req.text}".strip()
    return replace(req, text=text, filters=req.filters.copy(update={"category": kind}))


def start_search(turn: Turn, req: Request) -> None:
    """A new search for ``req`` (an ``actions.understanding.Request``), forgetting the previous one."""
    ctx = SearchContext(query=req.text, price_preference=req.price_preference)
    ctx.set_filters(req.filters)
    turn.store.clear_search(turn.sender)
    show_results(turn, ctx)


def kind_of(turn: Turn, req: Request) -> Optional[KindMatch]:
    """The kind of product the message names (its text, else its product entities), or None.

    A one-word name said in passing in a request about someone or an occasion ("a gift for my
    dad who loves running") is not taken as the kind asked for."""
    text = turn.text or " ".join(entity_values(turn.entities, C.ENT_PRODUCT))
    match = turn.retriever.kinds.recognise(text)
    if match is not None and req.hint_words and match.confidence < 0.5:
        # in passing, unless the name is most of what the request asks for ("trousers for the office")
        content = stems(" ".join(req.content_words))
        if not content or len(content & stems(match.said)) * 2 < len(content):
            return None
    return match


def unknown_kind(turn: Turn, req: Request) -> bool:
    """A specific request, naming no kind, whose product words describe nothing the catalog has."""
    if req.is_vague or not req.content_words:
        return False
    # half of the request's product words must meet in one product ("hardest working man" is not Work Boots)
    return turn.retriever.topicality.coverage(stems(" ".join(req.content_words))) < 0.5


def say_not_carried(turn: Turn, match: Optional[KindMatch], said: str) -> List[Dict[str, Any]]:
    """ "We don't carry bikes", with the carried kinds that go with it as buttons (never as matches)."""
    turn.store.clear_search(turn.sender)
    if match is not None and match.carried:
        match = None  # never "we don't carry" a kind the catalog has: quote what was asked instead
    related = turn.retriever.kinds.related(match) if match is not None else []
    facts: Facts = (
        {"kind": match.kind.name, "said": match.said, "related": [k.name for k in related]}
        if match is not None
        else {
            "kind": f'"{" ".join(parse_request(said, [], turn.retriever.vocab).content_words[:6]) or said.strip()[:60]}"'
        }
    )
    buttons = [button(f"Show {k.name.lower()}", "search_product", {"product": k.name}) for k in related]
    turn.say("not_carried", facts, buttons=buttons or None)
    return reset_form()


def search_anew(turn: Turn, req: Optional[Request] = None) -> bool:
    """A message NLU sent elsewhere with nothing shown yet ("how much is a mattress?", "do you sell
    motorbikes?") that names a kind of product: search that kind, or say plainly the store doesn't
    carry it. False (nothing said) when it names no kind."""
    req = req or parse_request(turn.text, turn.entities, turn.retriever.vocab)
    match = kind_of(turn, req)
    if match is None:
        return False
    if not match.carried:
        say_not_carried(turn, match, turn.text)
    else:
        start_search(turn, req if req.filters.category else with_kind(req, match))
    return True


def names_products(turn: Turn) -> Optional[Request]:
    """The request in a message NLU could not place, when its product words name catalog products
    ("phone charger" alone); None otherwise (then the fallback reply is right)."""
    req = parse_request(turn.text, turn.entities, turn.retriever.vocab)
    if not req.content_words and req.filters.brands and not req.hint_words:
        return req  # a brand on its own ("Copperline"): that brand's products
    if req.is_vague or not req.content_words or len(req.content_words) > 5:
        return None
    match = kind_of(turn, req)
    if match is not None and match.carried:
        return with_kind(req, match)
    return req if turn.retriever.topicality.names_a_product(stems(" ".join(req.content_words))) else None


class ActionAssessRequest(ShopAction):
    """A new request: remember it, and say whether it is too vague to search (sets ``vague_request``)."""

    def name(self) -> str:
        return "action_assess_request"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        req = parse_request(turn.text, turn.entities, turn.retriever.vocab)
        old = turn.store.get_context(turn.sender)
        if req.is_vague and old.query and req.filters.active() and not req.hint_words:
            # "show me red ones" after a search: a refinement, not a new request
            old.set_filters(old.get_filters().merge(req.filters))
            turn.store.save_context(turn.sender, old)
            return [SlotSet(C.SLOT_VAGUE, False)] + reset_form()
        match = kind_of(turn, req)
        turn.store.clear_search(turn.sender)
        if match is None and not req.is_vague and service_hit(turn, turn.text) is not None:
            # "I need to cancel my order" sent here by the NLU: action_recommend answers from the policy
            turn.store.save_context(turn.sender, SearchContext(query=req.text, service_question=turn.text[:500]))
            return [SlotSet(C.SLOT_VAGUE, False)] + reset_form()
        if (match is not None and not match.carried) or (match is None and unknown_kind(turn, req)):
            # no questions: action_recommend, next, says plainly that the store doesn't carry it
            said = (turn.text or " ".join(entity_values(turn.entities, C.ENT_PRODUCT)) or req.text)[:200]
            turn.store.save_context(turn.sender, SearchContext(query=req.text, not_carried=said))
            return [SlotSet(C.SLOT_VAGUE, False)] + reset_form()
        if match is not None and not req.filters.category:
            req = with_kind(req, match)
        ctx = SearchContext(query=req.text, hint=" ".join(req.hint_words), price_preference=req.price_preference)
        ctx.set_filters(req.filters)
        turn.store.save_context(turn.sender, ctx)
        f = req.filters
        budget = None
        if f.max_price is not None or f.min_price is not None:
            budget = (
                " ".join(
                    describe(
                        turn,
                        f.copy(
                            update={
                                "brands": frozenset(),
                                "exclude_brands": frozenset(),
                                "colour": None,
                                "category": None,
                                "in_stock_at": None,
                            }
                        ),
                    )
                )
                or C.SKIPPED
            )
        brand = " or ".join(sorted(f.brands)) if f.brands else None
        return [
            SlotSet(C.SLOT_VAGUE, req.is_vague),
            SlotSet(C.SLOT_CATEGORY, None),
            SlotSet(C.SLOT_BUDGET, budget),
            SlotSet(C.SLOT_BRAND, brand),
        ]


class ActionRecommend(ShopAction):
    """Search with everything known (request + guided answers) and show 3 products."""

    def name(self) -> str:
        return "action_recommend"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        vocab = turn.retriever.vocab
        ctx = turn.store.get_context(turn.sender)
        if ctx.service_question:
            hit = service_hit(turn, ctx.service_question, 0.0)
            turn.store.clear_search(turn.sender)
            if hit is not None:
                say_service(turn, hit)
                return reset_form()
        if ctx.not_carried:
            return say_not_carried(turn, turn.retriever.kinds.recognise(ctx.not_carried), ctx.not_carried)
        f = ctx.get_filters()
        category = turn.tracker.get_slot(C.SLOT_CATEGORY)
        budget = turn.tracker.get_slot(C.SLOT_BUDGET)
        brand = turn.tracker.get_slot(C.SLOT_BRAND)
        if category and not is_skip(category):
            r = parse_request(str(category), [], vocab)
            asked = turn.retriever.kinds.recognise(str(category))
            if asked is not None and not asked.carried:
                return say_not_carried(turn, asked, str(category))
            ctx.query = r.text or normalize(str(category))
            f = f.merge(r.filters)
            if asked is not None and not f.category:
                f = f.copy(update={"category": asked.kind.name.lower()})
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
        return reset_form()


class ValidateShoppingForm(FormValidationAction):
    """Normalises the guided answers: skips become "any"; a budget must hold a number."""

    def __init__(self, services: Any = None) -> None:  # the same constructor as every action (needs none)
        super().__init__()

    def name(self) -> str:
        return "validate_shopping_form"

    def validate_need_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if value is None:
            return {C.SLOT_CATEGORY: None}
        if is_skip(value) or tracker.get_intent_of_latest_message() in ("skip", "deny"):
            return {C.SLOT_CATEGORY: C.SKIPPED}
        text = " ".join(str(value).split())[:120]
        return {C.SLOT_CATEGORY: text or None}

    def validate_need_budget(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if value is None:
            return {C.SLOT_BUDGET: None}
        if is_skip(value) or tracker.get_intent_of_latest_message() in ("skip", "deny"):
            return {C.SLOT_BUDGET: C.SKIPPED}
        if number(value) is not None:
            return {C.SLOT_BUDGET: " ".join(str(value).split())[:60]}
        dispatcher.utter_message(text=compose("budget_unclear", {"answer": str(value)[:40]}).text)
        return {C.SLOT_BUDGET: None}

    def validate_need_brand(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if value is None:
            return {C.SLOT_BRAND: None}
        if is_skip(value) or tracker.get_intent_of_latest_message() in ("skip", "deny"):
            return {C.SLOT_BRAND: C.SKIPPED}
        return {C.SLOT_BRAND: " ".join(str(value).split())[:80] or None}


class ActionAskNeedCategory(ShopAction):
    def name(self) -> str:
        return "action_ask_need_category"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        ctx = turn.store.get_context(turn.sender)
        examples = facets.top_categories(turn.retriever.catalog, ctx.hint, 3)
        buttons = [button(c, "inform", {"product": c}) for c in examples] + [button("Any", "skip")]
        turn.say("ask_category", {"hint": ctx.hint, "examples": [e.lower() for e in examples]}, buttons=buttons)
        return []


class ActionAskNeedBudget(ShopAction):
    def name(self) -> str:
        return "action_ask_need_budget"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        cur = turn.retriever.currency
        tiers = facets.price_tiers(turn.retriever.catalog)
        buttons = [button(f"Under {money(t, cur)}", "inform", {"max_price": f"{t:g}"}) for t in tiers]
        turn.say("ask_budget", {"tiers": [money(t, cur) for t in tiers]}, buttons=buttons + [button("Any", "skip")])
        return []


class ActionAskNeedBrand(ShopAction):
    def name(self) -> str:
        return "action_ask_need_brand"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        category = turn.tracker.get_slot(C.SLOT_CATEGORY)
        ctx = turn.store.get_context(turn.sender)
        scope = "" if is_skip(category) else (category or ctx.query)
        brands = facets.top_brands(turn.retriever.catalog, scope or "", 3)
        buttons = [button(b, "inform", {"brand": b}) for b in brands] + [button("Any brand", "skip")]
        turn.say("ask_brand", {"brands": brands}, buttons=buttons)
        return []
