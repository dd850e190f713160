"""Reserve for in-store pickup: hold units of a shown product at one store, with a pickup code."""

from __future__ import annotations

import re
import time
from typing import Any, Dict, List, Optional

from actions.base import ShopAction, Turn
from actions.orders import store_label, store_named
from actions.personal import signal
from actions.products import focus_on, referenced
from actions.replies.facts import Facts
from actions.understanding import _QUANTITY_WORDS
from actions.variants import choose_variant, variant_text
from shopper.reservations import MAX_UNITS

# "reserve 3", "hold two of them", "reserve -1", "reserve 500", "reserve loads": what was asked, unclamped
_WORDS = {**_QUANTITY_WORDS, "a": 1, "an": 1, "zero": 0, "none": 0, "no": 0}
_VAGUE = re.compile(r"\b(?:loads|lots|many|a bunch|several|some|a few|plenty|heaps|tons)\b(?: of)?", re.I)
_NUMBER = re.compile(r"(?<![\w.])(-?\d{1,9})(?!\s*(?:st|nd|rd|th)\b)(?![\w.])")


def asked_quantity(turn: Turn) -> Optional[int]:
    """How many units the message asks to hold: 1 when unsaid, None when it is not a number ("loads")."""
    text = (turn.text or "").lower()
    for e in turn.entities:
        if e.get("entity") == "quantity":
            v = str(e.get("value")).strip().lower()
            if re.fullmatch(r"-?\d{1,9}", v):
                return int(v)
            if v in _WORDS:
                return _WORDS[v]
    text_wo_sizes = re.sub(r"\b(?:uk|us|eu|size)\s*\d+(?:\.\d)?\b", " ", text)
    m = _NUMBER.search(text_wo_sizes)
    if m:
        return int(m.group(1))
    m = re.search(
        r"\b(zero|none|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:of|units|pieces|pairs?)\b", text
    )
    if m:
        return _WORDS[m.group(1)]
    if _VAGUE.search(text):
        return None
    return 1


class ActionReserve(ShopAction):
    """ "Reserve the second one at riverside": hold it there for a day and give a pickup code."""

    def name(self) -> str:
        return "action_reserve"

    def act(self, turn: Turn) -> List[Dict[str, Any]]:
        services = turn._services()
        if services.reservations is None:
            raise RuntimeError("no reservations (Services.reservations)")
        qty = asked_quantity(turn)
        if qty is None or not 1 <= qty <= MAX_UNITS:
            turn.say("reserve_bad_quantity", {"max": MAX_UNITS})
            return []
        products = referenced(turn)
        if not products:
            return []
        sid, unknown = store_named(turn)
        names = turn.retriever.store_names
        if unknown:
            turn.say("unknown_store", {"store_name": unknown, "store_names": sorted(names.values())})
            return []
        sid = sid or turn.metadata.get("store_id") or turn.store.get_profile(turn.sender).get("store")
        if not sid or sid not in names:
            turn.say("reserve_no_store", {"name": products[0].name, "store_names": sorted(names.values())})
            return []
        turn.store.update_profile(turn.sender, store=sid)  # a size asked next still holds it here
        p = choose_variant(turn, products[0], "reserve", store_id=sid)
        if p is None:
            return []
        focus_on(turn, p)
        catalog = {s: st.quantity for s, st in p.stock.items()}
        live = services.orders.levels(p.id, catalog) if services.orders is not None else catalog
        held = services.reservations.hold(
            turn.sender,
            p.id,
            p.name,
            sid,
            store_label(turn, sid),
            qty,
            catalog.get(sid, 0),
            variant=variant_text(p),
        )
        if held.status == "held":
            signal(turn, [p.id], "reserved")
        if held.status != "held" or held.reservation is None:
            elsewhere = [store_label(turn, s) for s, n in sorted(live.items()) if s != sid and n >= qty]
            facts: Facts = {
                "name": p.name,
                "store_name": store_label(turn, sid),
                "available": held.available,
                "quantity": qty,
                "elsewhere": elsewhere,
            }
            turn.say("reserve_short", facts)
            return []
        r = held.reservation
        turn.say(
            "reserve_held",
            {
                "name": r["name"],
                "quantity": r["quantity"],
                "store_name": r["store_name"],
                "code": r["code"],
                "until_text": time.strftime("%a %d %b, %H:%M", time.localtime(r["deadline"])),
            },
        )
        return []


def cancel_reservation(turn: Turn) -> bool:
    """ "Cancel my reservation": end the shopper's latest held one (units back at once). False: not asked."""
    services = turn.services
    if services is None or services.reservations is None:
        return False
    if not re.search(r"\b(?:reservation|reserved|reserve|hold|pickup code)\b", (turn.text or "").lower()):
        return False
    held = [r for r in services.reservations.for_shopper(turn.sender) if r["status"] == "held"]
    if not held:
        turn.say("reserve_none")
        return True
    code = held[0]["code"]
    services.reservations.cancel(code, turn.sender)
    turn.say("reserve_cancelled", {"code": code})
    return True
