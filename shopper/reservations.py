"""Reservations for in-store pickup: units held at one store for a while, collected with a short code.

Keys (``P`` = the prefix; documented in docs/dialogue.md):

=====================================  ======  ==========================================================
key                                    type    value
=====================================  ======  ==========================================================
``P:resv:<code>``                      string  JSON reservation (below); kept ``order_ttl_s``
``P:resv:deadlines``                   zset    code -> deadline (unix s) of every held reservation
``P:store:<store id>:resv``            zset    code -> deadline, the store's held reservations
``P:shopper:S:resv``                   zset    code -> time reserved, the shopper's reservations
=====================================  ======  ==========================================================

A reservation: ``{"code", "sender", "product_id", "name", "variant", "store_id", "store_name",
"quantity", "status": "held" | "collected" | "cancelled" | "expired", "created_at", "deadline",
"ended_at"}``. Holding takes the units from the store's stock (``P:stock:<product id>``, shared with
orders) in the same atomic step; cancelling or expiry puts them back. ``sweep`` ends every reservation
past its deadline; it runs before each reservation is made or listed, every minute in the action server,
and as ``python -m shopper.orders sweep``.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from shopper import lua
from shopper.store import RedisPart

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud at a counter
CODE_LENGTH = 6
MAX_UNITS = 10  # per reservation: more is an order, not a hold


@dataclass
class Held:
    """What ``Reservations.hold`` did: ``held`` (``reservation`` set) or ``short`` (``available`` units)."""

    status: str
    reservation: Optional[Dict[str, Any]] = None
    available: int = 0


class Reservations(RedisPart):
    """Pickup reservations on one Redis (``decode_responses=True``), sharing stock with the order book."""

    def __init__(
        self, client: Any, prefix: str = "shopguide", hold_s: int = 86400, ttl_s: int = 400 * 86400, url: str = ""
    ) -> None:
        self.r = client
        self.prefix = prefix
        self.hold_s = hold_s
        self.ttl_s = ttl_s
        self.url = url

    def key(self, code: str) -> str:
        return f"{self.prefix}:resv:{code}"

    @property
    def deadlines_key(self) -> str:
        return f"{self.prefix}:resv:deadlines"

    def store_key(self, store_id: str) -> str:
        return f"{self.prefix}:store:{store_id}:resv"

    def shopper_key(self, sender: str) -> str:
        return f"{self.prefix}:shopper:{sender}:resv"

    def hold(
        self,
        sender: str,
        product_id: str,
        name: str,
        store_id: str,
        store_name: str,
        quantity: int,
        catalog_units: int,
        variant: Optional[str] = None,
        now: Optional[float] = None,
    ) -> Held:
        """Hold ``quantity`` units at ``store_id`` for ``hold_s`` seconds, atomically, with a fresh code."""
        if not 1 <= int(quantity) <= MAX_UNITS:
            raise ValueError(f"quantity must be 1 to {MAX_UNITS}, not {quantity}")
        now = time.time() if now is None else now
        self.sweep(now)
        deadline = now + self.hold_s
        for _ in range(5):  # a code already in use (about 1 in 10^9) draws again
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            resv = {
                "code": code,
                "sender": sender,
                "product_id": product_id,
                "name": name,
                "variant": variant,
                "store_id": store_id,
                "store_name": store_name,
                "quantity": int(quantity),
                "status": "held",
                "created_at": now,
                "deadline": deadline,
                "ended_at": None,
            }
            keys = [
                f"{self.prefix}:stock:{product_id}",
                self.key(code),
                self.deadlines_key,
                self.store_key(store_id),
                self.shopper_key(sender),
            ]
            args = [store_id, max(0, int(catalog_units)), int(quantity), json.dumps(resv), deadline, self.ttl_s, now]
            status, value = self._call(self._script("HOLD", lua.HOLD), keys=keys, args=args)
            if status == "held":
                return Held("held", self.get(code))
            if status == "short":
                return Held("short", available=int(value))
        raise RuntimeError("could not draw an unused pickup code")

    def get(self, code: str, sender: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """The reservation, or None; with ``sender``, None also when it is someone else's."""
        code = (code or "").strip().upper()
        if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
            return None
        raw = self._call(self.r.get, self.key(code))
        if not raw:
            return None
        resv = json.loads(raw)
        if sender is not None and resv.get("sender") != sender:
            return None
        return resv

    def _end(self, code: str, status: str, restock: bool, now: Optional[float] = None) -> str:
        resv = self.get(code)
        if resv is None:
            return "missing"
        keys = [self.key(resv["code"]), self.deadlines_key, self.store_key(resv["store_id"])]
        args = [self.prefix, status, time.time() if now is None else now, "1" if restock else "0"]
        result, _ = self._call(self._script("END_HOLD", lua.END_HOLD), keys=keys, args=args)
        return str(result)

    def cancel(self, code: str, sender: str) -> str:
        """``ok`` (units back on the shelf at once), ``missing`` (not this shopper's) or ``refused``."""
        if self.get(code, sender) is None:
            return "missing"
        return self._end(code, "cancelled", restock=True)

    def collect(self, code: str) -> str:
        """Staff hand the units over: ``ok``, ``missing`` or ``refused`` (no longer held)."""
        return self._end(code, "collected", restock=False)

    def sweep(self, now: Optional[float] = None, batch: int = 100) -> int:
        """End every held reservation past its deadline, putting its units back. Returns how many."""
        now = time.time() if now is None else now
        done = 0
        while True:
            due = self._call(self.r.zrangebyscore, self.deadlines_key, "-inf", now, 0, batch)
            if not due:
                return done
            for code in due:
                if self._end(code, "expired", restock=True, now=now) == "ok":
                    done += 1
                else:  # its record is gone or already ended: drop the stale deadline
                    self._call(self.r.zrem, self.deadlines_key, code)
            if len(due) < batch:
                return done

    def for_store(self, store_id: str, now: Optional[float] = None) -> List[Dict[str, Any]]:
        """The store's held reservations, soonest deadline first (what its kiosk and staff see)."""
        self.sweep(now)
        codes = self._call(self.r.zrange, self.store_key(store_id), 0, -1)
        return [r for r in (self.get(c) for c in codes) if r]

    def for_shopper(self, sender: str, limit: int = 10) -> List[Dict[str, Any]]:
        """The shopper's reservations, newest first."""
        codes = self._call(self.r.zrevrange, self.shopper_key(sender), 0, limit - 1)
        return [r for r in (self.get(c, sender) for c in codes) if r]


def connect_reservations(settings: Any = None) -> Reservations:
    """Reservations on ``settings.dialogue``'s Redis."""
    from config import get_settings
    from shopper.store import connect

    s = settings or get_settings()
    store = connect(s)
    d = s.dialogue
    return Reservations(store.r, store.prefix, d.reservation_hold_s, d.order_ttl_s, url=d.redis)
