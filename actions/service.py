"""Store-service questions, answered from the store's own policies; asking for a person."""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Sequence

from actions import constants as C
from actions.base import ShopAction, Turn
from actions.replies.facts import Facts
from actions.understanding import asks_for_person
from retrieval import facets
from retrieval.policies import PolicyHit, answer_text, cite
from shopper.store import StoreUnavailable

logger = logging.getLogger(__name__)


def best_section(turn: Turn, topics: str | Sequence[str] | None) -> PolicyHit | None:
    """The policy section that answers the turn: the best match within ``topics`` (the intent's; the
    first is its own), or the best overall for a policy question with no fixed topic."""
    question = turn.text or turn.intent.replace("_", " ")
    hits = turn.policies.search(question, k=len(turn.policies.sections))
    if topics is None:
        return hits[0] if hits else None
    allowed = (topics,) if isinstance(topics, str) else tuple(topics)
    in_topic = [h for h in hits if h.section.topic in allowed]
    if in_topic:
        return in_topic[0]
    first = next((s for s in turn.policies.sections if s.topic == allowed[0]), None)
    return PolicyHit(first, 0.0) if first is not None else None


# "how long until my parcel comes?", "my order is delayed": about one order the shopper placed, so the
# order-status answer (what looking it up needs), not the delivery-times policy
_MY_ORDER = r"\b(?:my|our)\s+(?:\w+\s+)?(?:order|parcel|package|delivery|shipment)s?\b"
MY_ORDER_RE = re.compile(_MY_ORDER, re.IGNORECASE)
OWN_ORDER_RE = re.compile(
    _MY_ORDER + r"|\b(?:my|our)\s+(?:\w+\s+)?(?:item|items|stuff)\b|"
    r"\bi\s+(?:have\s+|had\s+|'ve\s+)?(?:ordered|placed|bought|paid)\b|\bi'?ve\s+(?:ordered|placed|bought|paid)\b|"
    r"\b(?:still|been)\s+waiting\b|\bhow much (?:more|longer)\b|\b(?:delay|delayed|late|overdue)\b|"
    r"\bnot\s+(?:yet\s+)?(?:received|arrived|delivered|come)\b",
    re.IGNORECASE,
)


def about_own_order(text: str) -> bool:
    """Whether a delivery question is about an order the shopper already placed."""
    return bool(OWN_ORDER_RE.search(text or ""))


def names_own_order(text: str) -> bool:
    """Whether any message speaks of the shopper's own order or parcel ("when can I expect my delivery?")."""
    return bool(MY_ORDER_RE.search(text or ""))


# Routing by retrieval, for messages the NLU sent elsewhere (a product search, off-topic, unsure): a
# service answer only when the policy search is this sure (calibrated on the dev shopper messages:
# at 0.6, about 1.5% of non-service messages would be answered from a policy instead).
ROUTE_CONFIDENCE = 0.6


def say_service(turn: Turn, hit: PolicyHit, topic: str | None = None) -> None:
    topic = topic or hit.section.topic
    facts: Facts = {
        "topic": topic,
        "answer": answer_text(hit),
        "source": cite(hit),
        "needs_order": topic in C.ORDER_TOPICS,
    }
    turn.say("service", facts)


ORDER_ACTIONS = ("order_status", "cancel_order", "change_address")


def say_handoff(turn: Turn) -> None:
    """Put the shopper in the staff queue (with their last messages and what they were looking at) and say
    what happens next; with no queue, where people can help in person."""
    desk = turn.services.desk if turn.services is not None else None
    if desk is None:
        turn.say("handoff", {"store_list": facets.store_details(turn.retriever.catalog)})
        return
    if desk.with_person(turn.sender):
        turn.say("handoff_with_person")
        return
    names = turn.retriever.store_names
    store_id = turn.metadata.get("store_id") if turn.metadata.get("store_id") in names else None
    said = [
        str(e.get("text"))[:300]
        for e in (turn.tracker.events or [])
        if isinstance(e, dict) and e.get("event") == "user" and e.get("text") and not str(e.get("text")).startswith("/")
    ][-5:]
    looking = [{"id": p.id, "name": p.name} for p in turn.shown_products()][:5]
    try:
        state = desk.request(
            turn.sender, turn.channel or "rest", store_id=store_id, last_messages=said, looking_at=looking
        )
    except (ValueError, StoreUnavailable) as e:  # an id the queue cannot hold, or Redis down: people in stores
        logger.warning("hand-off request for %s failed: %s", turn.sender, e)
        turn.say("handoff", {"store_list": facets.store_details(turn.retriever.catalog)})
        return
    turn.say("handoff_queued", {"position": state.get("position", 1), "store_name": names.get(store_id or "", "")})


def service_hit(turn: Turn, text: str, min_confidence: float = ROUTE_CONFIDENCE) -> PolicyHit | None:
    """The policy section a message asks about, when the policy search is sure enough to answer from it."""
    if turn.services is None or turn.services.policies is None or not text.strip():
        return None
    found = turn.policies.topic_of(text)
    if found is None or found[1] < min_confidence:
        return None
    hits = turn.policies.search(text, k=1)
    return hits[0] if hits else None


class ActionAnswerService(ShopAction):
    """ "How long do refunds take?": the store policy's own words, and which policy they come from."""

    def name(self) -> str:
        return "action_answer_service"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        if asks_for_person(turn.text):  # "deliveries are always late, I'm done with you": a person, not a policy
            say_handoff(turn)
            return []
        topics = C.SERVICE_TOPICS.get(turn.intent)
        if turn.intent == "ask_delivery" and about_own_order(turn.text):
            topics = ("order_status",)
        from actions.orders import answer_own_order  # orders -> cart -> products -> search -> service
        from actions.reserve import cancel_reservation

        topic = topics[0] if topics else None
        if topic == "cancel_order" and cancel_reservation(turn):
            return []
        if topic in ORDER_ACTIONS and answer_own_order(turn, topic):
            return []
        hit = best_section(turn, topics)
        if hit is None:
            turn.say("fallback")
            return []
        say_service(turn, hit)
        return []


class ActionHandoff(ShopAction):
    """ "I want to talk to a person": where people can help today (the hand-off itself comes later)."""

    def name(self) -> str:
        return "action_handoff"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        say_handoff(turn)
        return []


class ActionPrivacy(ShopAction):
    """ "What do you know about me?" / "forget me": what is kept, for how long, and what can be done today."""

    def name(self) -> str:
        return "action_privacy"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        d = turn.settings.dialogue
        turn.say("privacy", {"session_days": d.session_ttl_s // 86400, "cart_days": d.profile_ttl_s // 86400})
        return []
