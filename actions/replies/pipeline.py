"""The one way a reply is made: act + facts -> phraser -> guard -> template fallback.

``compose(act, facts, phraser)`` asks the phraser for the acts it has a plan for
(``actions.replies.plans``); the phraser's own guard rejects any candidate with a number,
product or brand not among the facts, and then, or when the act has no plan, the phraser
is off (``None``) or fails, the template answers (``actions.replies.templates``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional

from actions.replies import plans
from actions.replies.facts import Facts
from actions.replies.templates import template_text
from nlg.phraser import Phraser

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    """A reply's text and how it was made (kept in the bot event's metadata)."""

    text: str
    source: str  # "model": the phraser's GPT-2 wrote it; "template": a template did
    act: str  # the phraser's act, or the dialogue act when a template answered
    reason: Optional[str] = None  # why the template answered (nlg.Reply.reason, "no_mapping", "off", "error")
    latency_ms: float = 0.0

    def meta(self) -> Dict[str, Any]:
        return {"source": self.source, "act": self.act, "reason": self.reason, "latency_ms": round(self.latency_ms, 1)}


def compose(act: str, facts: Optional[Facts] = None, phraser: Optional[Phraser] = None) -> Rendered:
    """The reply for ``act``: the phraser's when it has a plan for it and grounds a candidate, else the template."""
    facts = facts or {}
    t0 = time.perf_counter()
    reason: Optional[str] = "off"
    if phraser is not None:
        plan = plans.plan(act, facts)
        reason = "no_mapping"
        if plan is not None:
            try:
                reply = phraser.phrase(plan.act, plan.facts)
                if reply.source == "model":
                    text = reply.text + (f" {plan.suffix}" if plan.suffix else "")
                    return Rendered(text, "model", plan.act, None, (time.perf_counter() - t0) * 1000)
                reason = reply.reason or "template"
            except Exception as e:  # noqa: BLE001 - the template is always there
                logger.warning("phraser failed for %s: %s: %s", act, type(e).__name__, e)
                reason = "error"
    return Rendered(template_text(act, dict(facts)), "template", act, reason, (time.perf_counter() - t0) * 1000)
