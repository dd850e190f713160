"""What every shopping action shares: the turn it reads, how it replies, its error policy."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Sequence

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import compose
from actions.replies.facts import Facts
from actions.replies.outcomes import outcome_of
from actions.services import Services
from config import Settings
from nlg.phraser import Phraser
from retrieval.api import Retriever, UnknownProductError
from retrieval.policies import PolicyIndex
from retrieval.schema import Product
from shopper.store import ShopperStore, StoreUnavailable

logger = logging.getLogger(__name__)


@dataclass
class Turn:
    """One user turn as the actions see it, plus where replies go."""

    dispatcher: CollectingDispatcher
    tracker: Any
    services: Optional[Services] = None  # None: replies from the templates, no search or store
    sender: str = ""
    text: str = ""
    intent: str = ""
    entities: List[Dict[str, Any]] = field(default_factory=list)
    channel: str = ""
    metadata: Dict[str, Any] = field(default_factory=dict)
    _shopper: Optional[str] = field(default=None, repr=False)

    @classmethod
    def of(cls, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services) -> Turn:
        latest = tracker.latest_message or {}
        text = latest.get("text") or ""
        if text.startswith("/"):  # a button payload (/intent{"entity": ...}): its entities say it all
            text = ""
        return cls(
            dispatcher=dispatcher,
            tracker=tracker,
            services=services,
            sender=tracker.sender_id,
            text=text,
            intent=(latest.get("intent") or {}).get("name") or "",
            entities=list(latest.get("entities") or []),
            channel=tracker.get_latest_input_channel() or "",
            metadata=dict(latest.get("metadata") or {}),
        )

    def _services(self) -> Services:
        if self.services is None:
            raise RuntimeError("this turn has no services (retriever, store): build the action with Services")
        return self.services

    @property
    def shopper(self) -> str:
        """Whose profile and cart this chat uses: the shopper it was linked to with a code, or its own id."""
        if self._shopper is None:
            book = self.services.profiles if self.services is not None else None
            self._shopper = book.identity(self.sender) if book is not None and self.sender else self.sender
        return self._shopper

    @property
    def store(self) -> ShopperStore:
        return self._services().store

    @property
    def retriever(self) -> Retriever:
        return self._services().retriever

    @property
    def policies(self) -> PolicyIndex:
        policies = self._services().policies
        if policies is None:
            raise RuntimeError("no store policies loaded (Services.policies)")
        return policies

    @property
    def settings(self) -> Settings:
        return self._services().settings

    @property
    def phraser(self) -> Optional[Phraser]:
        """The phraser for this turn: none when off, or when the message's metadata asks for
        ``{"replies": "templates"}`` (exact wording, e.g. for ops and tests)."""
        if self.services is None or str(self.metadata.get("replies", "")).lower() in ("templates", "template"):
            return None
        return self.services.phraser

    def say(
        self,
        act: str,
        facts: Optional[Facts] = None,
        cards: Optional[Sequence[Dict[str, Any]]] = None,
        buttons: Optional[List[Dict[str, str]]] = None,
        kind: str = "product_cards",
    ) -> str:
        """Render ``act`` and send it; cards always ride along in ``custom`` (channels/render.py decides,
        per channel, whether they are drawn as cards or turned into text lines)."""
        reply = compose(act, facts or {}, self.phraser)
        text = reply.text
        # the phraser's verdict rides in the bot event's metadata (kept in the tracker, not sent to shoppers)
        kwargs: Dict[str, Any] = {"text": text, "phraser": reply.meta(), "outcome": outcome_of(act, facts or {})}
        if buttons:
            kwargs["buttons"] = buttons
        if cards:
            kwargs["json_message"] = {"type": kind, "act": act, "cards": list(cards)}
        self.dispatcher.utter_message(**kwargs)
        return text

    def last_buttons(self) -> List[Dict[str, Any]]:
        """The buttons of the bot's last message (none when it had none)."""
        for e in reversed(list(getattr(self.tracker, "events", None) or [])):
            if isinstance(e, dict) and e.get("event") == "bot":
                return [b for b in (e.get("data") or {}).get("buttons") or [] if isinstance(b, dict)]
        return []

    def offered(self, payload: str) -> bool:
        """Whether the bot's last message offered a button with this payload (e.g. "/place_order"), so a
        plain "yes" now means that button."""
        return any(str(b.get("payload", "")).startswith(payload) for b in self.last_buttons())

    def shown_products(self, before: bool = False) -> List[Product]:
        """The last shown list (``before``: the one shown before it), in order; ids no longer in the
        catalog are dropped."""
        out = []
        ids = self.store.get_shown_before(self.sender) if before else self.store.get_shown(self.sender)
        for pid in ids:
            try:
                out.append(self.retriever.get(pid))
            except UnknownProductError:
                logger.warning("shown product %s is gone from the catalog", pid)
        return out


class ShopAction(Action, ABC):
    """Base of the shopping actions: runs ``act`` off the event loop and never goes silent."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        """Do the work, send replies with ``turn.say``, return Rasa events."""

    def act_on(self, turn: Turn) -> List[Dict[str, Any]]:
        """The shopper's privacy controls and stated preferences first (``actions.personal``), then ``act``."""
        from actions.personal import before_act

        handled = before_act(turn)
        if handled is not None:
            return handled
        answered = self.size_answer(turn)
        if answered is not None:
            return answered
        return self.act(turn)

    def size_answer(self, turn: Turn) -> Optional[List[Dict[str, Any]]]:
        """ "M" typed after "Which size?": what pressing that size's button does (add to the cart, or hold
        it at the store), whichever action the NLU picked for the bare size; the turn ends there."""
        from actions.variants import typed_size_answer

        answer = typed_size_answer(turn)
        if answer is None:
            return None
        from actions.cards import parse_payload
        from actions.cart import ActionChoose
        from actions.reserve import ActionReserve

        intent, entities = parse_payload(answer)
        handler = {"choose": ActionChoose, "reserve": ActionReserve}.get(intent)
        if handler is None:
            return None
        pressed = replace(
            turn, text=answer, intent=intent, entities=[{"entity": k, "value": v} for k, v in entities.items()]
        )
        return list(handler(self.services).act(pressed) or []) + [{"event": "followup", "name": "action_listen"}]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        turn = Turn.of(dispatcher, tracker, self.services)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self.act_on, turn) or []
        except StoreUnavailable as e:
            logger.error("%s: %s", self.name(), e)
            turn.say("store_down")
        except UnknownProductError as e:
            turn.say("unknown_product", {"product_id": e.product_id[:80]})
        except Exception:  # a reply is better than silence
            logger.exception("%s failed", self.name())
            turn.say("search_down")
        return []
