"""Greetings, help, yes/no outside a question, and the fallbacks."""

from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa_sdk.events import UserUtteranceReverted

from actions.base import ShopAction, Turn
from actions.cards import button
from actions.orders import answer_own_order, quote
from actions.results import describe
from actions.search import kind_of, names_products, say_not_carried, start_search
from actions.service import best_section, names_own_order, say_handoff, say_service, service_hit
from actions.understanding import asks_for_person, names_an_order, parse_request

PAY_RE = re.compile(
    r"\b(?:check\s?out|checkout|(?:time|ready) to pay|pay for (?:my|the|these|this|it|them)\b|place (?:my|the) order)",
    re.IGNORECASE,
)
PERSON = button("Talk to a person", "request_human")
ACTS = {
    "greet": "greet",
    "goodbye": "goodbye",
    "thanks": "thanks",
    "help": "help",
    "bot_challenge": "bot_challenge",
    "out_of_scope": "out_of_scope",
    "nlu_fallback": "fallback",
    "deny": "deny",
    "skip": "skip",
}


class ActionSmalltalk(ShopAction):
    """One action for every conversational act that needs no product data."""

    def name(self) -> str:
        return "action_smalltalk"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        act = ACTS.get(turn.intent, "fallback")
        if asks_for_person(turn.text):  # whatever the NLU called it
            say_handoff(turn)
            return []
        if turn.intent in ("nlu_fallback", "out_of_scope") and (
            names_an_order(turn.text) or names_own_order(turn.text)
        ):
            # "Order #14254" on its own, "how will the lockdown affect my order?": their order, or what
            # looking it up needs
            if answer_own_order(turn, "order_status"):
                return []
            hit = best_section(turn, "order_status")
            if hit is not None:
                say_service(turn, hit, "order_status")
                return []
        if turn.intent in ("nlu_fallback", "out_of_scope"):
            hit = service_hit(turn, turn.text)
            if hit is not None:  # "how long do refunds take?" the NLU could not place
                say_service(turn, hit)
                return []
        if turn.intent in ("nlu_fallback", "out_of_scope"):
            asked = kind_of(turn, parse_request(turn.text, turn.entities, turn.retriever.vocab))
            if asked is not None and not asked.carried:  # "a road bike?", "price of a mattress": not sold here
                say_not_carried(turn, asked, turn.text)
                return []
        if turn.intent in ("nlu_fallback", "out_of_scope") and PAY_RE.search(turn.text or ""):
            quote(turn)  # "time to pay for my cart": checkout, whatever the NLU was unsure of
            return []
        if turn.intent == "nlu_fallback":
            req = names_products(turn)
            if req is not None:  # "phone charger" on its own: a search NLU was unsure of
                start_search(turn, req)
                return []
        if act == "deny" and turn.offered("/place_order"):  # "no" to "shall I place it?"
            turn.store.save_checkout(turn.sender, None)
            turn.say("checkout_declined")
            return []
        if act in ("deny", "skip"):
            ctx = turn.store.get_context(turn.sender)
            if ctx.offer:  # "no" to "shall I drop the colour?"
                ctx.offer = None
                turn.store.save_context(turn.sender, ctx)
                turn.say("keep_constraints", {"constraints": describe(turn, ctx.get_filters())})
                return []
        turn.say(act, buttons=[PERSON] if act == "fallback" else None)
        return []


class ActionDefaultFallback(ShopAction):
    """Rasa's core fallback (no confident next action), phrased like the rest."""

    def name(self) -> str:
        return "action_default_fallback"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        turn.say("fallback", buttons=[PERSON])
        return [UserUtteranceReverted()]
