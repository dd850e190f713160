"""What the assistant remembers about a shopper, and the shopper's control over it (docs/privacy.md).

Keys (``P`` = prefix, ``S`` = sender id; all expire ``profile_ttl_s`` after the last write):

====================================  ======  ==========================================================
``P:shopper:S:prefs``                 hash    preference key -> JSON ``Preference`` (what, the words, when)
``P:shopper:S:signals``               list    JSON ``{"product_id", "what", "at"}``, newest first, at most 200
``P:shopper:S:profile``               hash    ``personalise`` = ``off`` when the shopper turned it off
``P:shopper:S:given_address``         string  a street address the shopper typed, blanked in the chat (10 min)
``P:link:<code>``                     string  the sender a one-time link code was made for (10 min, used once)
``P:shopper:S:link_misses``           string  wrong link codes this sender tried (10 min; 5 locks linking)
``P:shopper:S:same_as``               string  the shopper this chat was linked to with a code: its profile,
                                              signals and cart are used from then on (profile lifetime)
``P:shopper:S:linked``                set     the chats linked to this shopper (unlinked when it is erased)
``P:erase:S``                         string  set by ``erase`` for the Rasa process, which then deletes the
                                              tracker once the turn is saved (``channels.rasa_plugins``)
====================================  ======  ==========================================================

``erase`` deletes every key of the shopper (context, shown lists, cart, checkout, profile, preferences,
signals, hand-off thread) and keeps orders and reservations only without the sender id and address.
For a linked chat it also deletes the shared profile, signals and cart, and the link.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from shopper.preferences import KIND_ORDER, Preference
from shopper.store import RedisPart

MAX_SIGNALS = 200
SIGNAL_WEIGHTS = {"bought": 3.0, "reserved": 2.0, "added": 2.0, "compared": 1.0, "viewed": 1.0, "rejected": -1.0}
HALF_LIFE_DAYS = 14.0
ERASED = "erased"
LINK_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud or typed from a screen
LINK_TTL_S = 600
LINK_MAX_MISSES = 5
SHARED = ("prefs", "signals", "profile", "cart", "cart_prices")  # what linked chats share


class ProfileBook(RedisPart):
    def __init__(self, client: Any, prefix: str = "shopguide", ttl_s: int = 90 * 86400, url: str = "") -> None:
        self.r = client
        self.prefix = prefix
        self.ttl_s = ttl_s
        self.url = url

    def key(self, sender: str, what: str) -> str:
        return f"{self.prefix}:shopper:{sender}:{what}"

    def erase_key(self, sender: str) -> str:
        return f"{self.prefix}:erase:{sender}"

    # -- the switch --------------------------------------------------------------------------------
    def personalised(self, sender: str) -> bool:
        return self._call(self.r.hget, self.key(sender, "profile"), "personalise") != "off"

    def set_personalised(self, sender: str, on: bool) -> None:
        k = self.key(sender, "profile")
        pipe = self.r.pipeline()
        if on:
            pipe.hdel(k, "personalise")
        else:
            pipe.hset(k, "personalise", "off")
            pipe.delete(self.key(sender, "prefs"), self.key(sender, "signals"))  # no profile for who said no
        pipe.expire(k, self.ttl_s)
        self._call(pipe.execute)

    # -- preferences -------------------------------------------------------------------------------
    def preferences(self, sender: str) -> List[Preference]:
        raw = self._call(self.r.hgetall, self.key(sender, "prefs")) or {}
        out = []
        for v in raw.values():
            try:
                out.append(Preference.from_json(json.loads(v)))
            except (ValueError, TypeError, KeyError):
                continue
        return sorted(out, key=lambda p: (KIND_ORDER.index(p.kind) if p.kind in KIND_ORDER else 99, p.at, p.value))

    def remember(self, sender: str, prefs: Sequence[Preference]) -> List[Preference]:
        """Keep ``prefs`` (unless personalisation is off); returns those not already kept. A newer brand
        stance replaces the opposite one ("I love X" after "I never buy X")."""
        if not prefs or not self.personalised(sender):
            return []
        k = self.key(sender, "prefs")
        kept = self.preferences(sender)
        have = {p.key for p in kept}
        new = [p for p in prefs if p.key not in have]
        pipe = self.r.pipeline()
        for p in prefs:
            if p.kind in ("brand_like", "brand_avoid"):
                other = "brand_avoid" if p.kind == "brand_like" else "brand_like"
                pipe.hdel(k, Preference(other, p.value, scope=p.scope).key)
            if p.kind in ("size", "budget", "store"):  # one value per scope: the latest wins
                for old in kept:
                    if old.kind == p.kind and old.scope == p.scope and old.key != p.key:
                        pipe.hdel(k, old.key)
            pipe.hset(k, p.key, json.dumps(p.to_json()))
        pipe.expire(k, self.ttl_s)
        self._call(pipe.execute)
        return new

    def forget(self, sender: str, matches: Callable[[Preference], bool]) -> List[Preference]:
        gone = [p for p in self.preferences(sender) if matches(p)]
        if gone:
            self._call(self.r.hdel, self.key(sender, "prefs"), *[p.key for p in gone])
        return gone

    # -- signals -----------------------------------------------------------------------------------
    def signal(self, sender: str, product_id: str, what: str, now: Optional[float] = None) -> None:
        """Record an action on a product (``what`` in SIGNAL_WEIGHTS), unless personalisation is off."""
        if what not in SIGNAL_WEIGHTS or not product_id or not self.personalised(sender):
            return
        k = self.key(sender, "signals")
        row = json.dumps({"product_id": str(product_id)[:64], "what": what, "at": now or time.time()})
        pipe = self.r.pipeline()
        pipe.lpush(k, row)
        pipe.ltrim(k, 0, MAX_SIGNALS - 1)
        pipe.expire(k, self.ttl_s)
        self._call(pipe.execute)

    def signals(self, sender: str, limit: int = MAX_SIGNALS) -> List[Dict[str, Any]]:
        out = []
        for raw in self._call(self.r.lrange, self.key(sender, "signals"), 0, limit - 1) or []:
            try:
                out.append(json.loads(raw))
            except ValueError:
                continue
        return out

    def engaged(self, sender: str, now: Optional[float] = None) -> List[Tuple[str, float]]:
        """Products the shopper engaged with and how much: signal weights, halving every 14 days."""
        return engagement(self.signals(sender), now)

    # -- erase -------------------------------------------------------------------------------------
    def erase(self, sender: str) -> Dict[str, int]:
        """Delete everything kept for ``sender`` but orders and reservations, which stay without the
        sender id and the address (the store needs them for stock and accounts). Returns counts."""
        keys = list(self._call(lambda: list(self.r.scan_iter(match=f"{self.prefix}:shopper:{sender}:*", count=500))))
        shared = self.identity(sender)
        if shared != sender:  # a linked chat: the profile and cart it shares go too
            keys += [self.key(shared, what) for what in SHARED]
            self._call(self.r.srem, self.key(shared, "linked"), sender)
        linked = self._call(self.r.smembers, self.key(sender, "linked")) or []
        keys += [self.key(other, "same_as") for other in linked]  # chats linked to this one: unlinked
        keys += list(self._call(lambda: list(self.r.scan_iter(match=f"{self.prefix}:handoff:{sender}*", count=500))))
        orders = self._call(self.r.zrange, self.key(sender, "orders"), 0, -1) or []
        codes = self._call(self.r.zrange, self.key(sender, "resv"), 0, -1) or []
        anonymised = 0
        for key in [f"{self.prefix}:order:{o}" for o in orders] + [f"{self.prefix}:resv:{c}" for c in codes]:
            anonymised += self._anonymise(key, sender)
        pipe = self.r.pipeline()
        for q in ("queue", "taken"):
            pipe.zrem(f"{self.prefix}:handoff:{q}", sender)
        if keys:
            pipe.delete(*keys)
        pipe.set(self.erase_key(sender), "1", ex=600)  # the Rasa process deletes the tracker after the turn
        self._call(pipe.execute)
        return {"keys": len(keys), "anonymised": anonymised}

    def _anonymise(self, key: str, sender: str) -> int:
        raw = self._call(self.r.get, key)
        if not raw:
            return 0
        try:
            doc = json.loads(raw)
        except ValueError:
            return 0
        if doc.get("sender") != sender:
            return 0
        doc["sender"] = ERASED
        fulfilment = doc.get("fulfilment")
        if isinstance(fulfilment, dict) and fulfilment.get("address"):
            fulfilment["address"] = ERASED
        ttl = self._call(self.r.pttl, key)
        self._call(self.r.set, key, json.dumps(doc), px=ttl if ttl and ttl > 0 else None)
        return 1

    def pending_erase(self, sender: str) -> bool:
        return bool(self._call(self.r.exists, self.erase_key(sender)))

    def finish_erase(self, sender: str) -> bool:
        """After the turn that erased ``sender`` was saved: delete its tracker too (the Rasa process)."""
        if not self.pending_erase(sender):
            return False
        self._call(
            self.r.delete, f"{self.prefix}:tracker:{sender}", f"{self.prefix}:lock:{sender}", self.erase_key(sender)
        )
        return True

    # -- one shopper across channels ----------------------------------------------------------------
    def link_code(self, sender: str) -> str:
        """A one-time code (8 characters, about 40 bits) that brings this shopper's preferences, product
        history and cart to another chat within LINK_TTL_S."""
        import secrets

        code = "".join(secrets.choice(LINK_ALPHABET) for _ in range(8))
        self._call(self.r.set, f"{self.prefix}:link:{code}", sender, ex=LINK_TTL_S)
        return code

    def redeem(self, sender: str, code: str) -> Optional[str]:
        """The sender the code was made for (the code is used up), or None: wrong, expired, already used,
        or too many wrong codes from this sender lately (LINK_MAX_MISSES per LINK_TTL_S)."""
        misses_key = self.key(sender, "link_misses")
        if int(self._call(self.r.get, misses_key) or 0) >= LINK_MAX_MISSES:
            return None
        clean = "".join(ch for ch in (code or "").upper() if ch in LINK_ALPHABET)[:8]
        owner = self._call(self.r.getdel, f"{self.prefix}:link:{clean}") if len(clean) == 8 else None
        if owner is None:
            pipe = self.r.pipeline()
            pipe.incr(misses_key)
            pipe.expire(misses_key, LINK_TTL_S)
            self._call(pipe.execute)
        return owner

    def identity(self, sender: str) -> str:
        """Whose profile and cart this chat uses: the shopper it was linked to, or itself."""
        return self._call(self.r.get, self.key(sender, "same_as")) or sender

    def link(self, sender: str, owner: str) -> str:
        """From now on ``sender`` uses ``owner``'s profile, signals and cart (one shopper, two chats). What
        ``sender`` had of its own is added to ``owner``'s first. Returns the shared identity."""
        shared = self.identity(owner)
        if shared == sender:
            return sender
        self.copy_into(sender, shared)
        own_cart = self._call(self.r.hgetall, self.key(sender, "cart")) or {}
        own_prices = self._call(self.r.hgetall, self.key(sender, "cart_prices")) or {}
        pipe = self.r.pipeline()
        for pid, qty in own_cart.items():
            pipe.hincrby(self.key(shared, "cart"), pid, int(qty))
        if own_prices:
            pipe.hset(self.key(shared, "cart_prices"), mapping=own_prices)
        pipe.delete(*[self.key(sender, what) for what in SHARED])
        pipe.set(self.key(sender, "same_as"), shared, ex=self.ttl_s)
        pipe.sadd(self.key(shared, "linked"), sender)
        for what in ("cart", "cart_prices", "linked"):
            pipe.expire(self.key(shared, what), self.ttl_s)
        self._call(pipe.execute)
        return shared

    def copy_into(self, source: str, target: str) -> Dict[str, int]:
        """``source``'s preferences and product history into ``target`` (their own entries stay)."""
        prefs = self.preferences(source)
        if prefs and self.personalised(target):
            pipe = self.r.pipeline()
            for p in prefs:
                pipe.hset(self.key(target, "prefs"), p.key, json.dumps(p.to_json()))
            pipe.expire(self.key(target, "prefs"), self.ttl_s)
            self._call(pipe.execute)
        signals = self.signals(source) if self.personalised(target) else []
        if signals:
            pipe = self.r.pipeline()
            for row in reversed(signals):
                pipe.lpush(self.key(target, "signals"), json.dumps(row))
            pipe.ltrim(self.key(target, "signals"), 0, MAX_SIGNALS - 1)
            pipe.expire(self.key(target, "signals"), self.ttl_s)
            self._call(pipe.execute)
        return {"preferences": len(prefs) if self.personalised(target) else 0, "signals": len(signals)}

    # -- a street address typed into the chat (kept out of the tracker: shopper.pii) -----------------
    def keep_address(self, sender: str, address: str, ttl_s: int = 600) -> None:
        self._call(self.r.set, self.key(sender, "given_address"), address[:200], ex=ttl_s)

    def given_address(self, sender: str) -> Optional[str]:
        return self._call(self.r.get, self.key(sender, "given_address"))


def engagement(signals: Sequence[Dict[str, Any]], now: Optional[float] = None) -> List[Tuple[str, float]]:
    """(product id, weight) summed over ``signals``: SIGNAL_WEIGHTS, halving every HALF_LIFE_DAYS; only
    products with a positive total."""
    now = now or time.time()
    total: Dict[str, float] = {}
    for s in signals:
        w = SIGNAL_WEIGHTS.get(str(s.get("what")), 0.0)
        age_days = max(0.0, (now - float(s.get("at") or now)) / 86400)
        pid = str(s.get("product_id") or "")
        if pid:
            total[pid] = total.get(pid, 0.0) + w * math.pow(0.5, age_days / HALF_LIFE_DAYS)
    return sorted(((p, w) for p, w in total.items() if w > 0), key=lambda x: -x[1])
