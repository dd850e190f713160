"""The shopper store: everything the actions remember about a shopper.

Key schema (``P`` = the alphanumeric prefix, default ``shopguide``; ``S`` = the
Rasa sender id). Documented in docs/dialogue.md.

====================================  ======  =====================================================
key                                   type    value
====================================  ======  =====================================================
``P:shopper:S:ctx``                   string  JSON ``SearchContext``: query, filters, offer, focus
``P:shopper:S:shown``                 string  JSON list of the product ids shown last, in order
``P:shopper:S:shown_before``          string  JSON list of the ids of the list shown before that one
``P:shopper:S:seen``                  set     every product id shown since the search began
``P:shopper:S:cart``                  hash    product id -> quantity
``P:shopper:S:cart_prices``           hash    product id -> catalog price when it was added (to tell changes)
``P:shopper:S:checkout``              string  JSON checkout awaiting the shopper's confirmation (1 hour)
``P:shopper:S:profile``               hash    field -> value (e.g. ``store``, ``liked_brands``)
``P:tracker:S``                       string  Rasa's tracker (RedisTrackerStore)
``P:lock:S``                          string  Rasa's conversation lock (RedisLockStore)
====================================  ======  =====================================================

The first three expire ``session_ttl_s`` after the last write; cart and profile
after ``profile_ttl_s``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Protocol, Sequence, Set
from urllib.parse import urlsplit, urlunsplit

from retrieval.filters import Filters

CHECKOUT_TTL_S = 3600  # a checkout left unconfirmed this long is shown afresh


class StoreUnavailable(RuntimeError):
    """Redis could not be reached. The message names the URL and REDIS_URL."""


def redact(url: str) -> str:
    """``redis://:secret@host:6379/0`` -> ``redis://***@host:6379/0``."""
    parts = urlsplit(url)
    if parts.password or parts.username:
        host = parts.hostname or ""
        netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def unavailable_message(url: str, error: Exception) -> str:
    return (
        f"Redis is unreachable at {redact(url)} ({error.__class__.__name__}: {error}). "
        "Start it, or point REDIS_URL at a running Redis (e.g. REDIS_URL=redis://127.0.0.1:6379/0); "
        "with REDIS_URL unset, `make run` starts an embedded one."
    )


def redis_client(url: str, socket_timeout: float = 2.0) -> Any:
    """A ``redis.Redis`` for ``url`` with string replies and short timeouts (connects on first use)."""
    import redis

    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=socket_timeout,
        socket_connect_timeout=socket_timeout,
        health_check_interval=10,
    )


class RedisPart:
    """What every Redis-backed part shares: the client ``r``, the URL its errors name, and Lua scripts
    registered once. A connection or timeout error becomes ``StoreUnavailable``."""

    r: Any
    url: str = ""

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        import redis

        try:
            return fn(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as e:
            raise StoreUnavailable(unavailable_message(self.url or "?", e)) from e

    def _script(self, name: str, source: str) -> Any:
        scripts = self.__dict__.setdefault("_scripts", {})
        if name not in scripts:
            scripts[name] = self.r.register_script(source)
        return scripts[name]


@dataclass
class SearchContext:
    """What the shopper is looking for right now (kept across refinements)."""

    query: str = ""  # product words, e.g. "kettle"
    filters: Dict[str, Any] = field(default_factory=dict)  # Filters as JSON
    hint: str = ""  # occasion words from a vague request ("gift for mom")
    offer: Optional[str] = None  # constraint offered for relaxing ("colour")
    focus: Optional[str] = None  # product id last talked about
    price_preference: Optional[str] = None  # "low" | "high"
    anchor: Optional[str] = None  # leaf category of the first list: refinements stay in it
    not_carried: Optional[str] = None  # the request's words when it names a kind the store does not carry
    service_question: Optional[str] = None  # a store-service question that reached the product search

    def get_filters(self) -> Filters:
        return filters_from_json(self.filters)

    def set_filters(self, f: Filters) -> None:
        self.filters = filters_to_json(f)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: Optional[str]) -> SearchContext:
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
        except ValueError:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def filters_to_json(f: Filters) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for k, v in f.dict().items():
        if isinstance(v, (set, frozenset)):
            if v:
                out[k] = sorted(v)
        elif v is not None:
            out[k] = v
    return out


def filters_from_json(data: Optional[Dict[str, Any]]) -> Filters:
    data = dict(data or {})
    for k in ("brands", "exclude_brands"):
        if k in data:
            data[k] = frozenset(data[k])
    return Filters(**{k: v for k, v in data.items() if k in Filters.__fields__})


class ShopperStore(Protocol):
    """What actions depend on. ``RedisShopperStore`` is the real one; ``shopper.memory.MemoryShopperStore``
    keeps the same contract in a dict."""

    def ping(self) -> None: ...
    def get_context(self, sender: str) -> SearchContext: ...
    def save_context(self, sender: str, ctx: SearchContext) -> None: ...
    def clear_search(self, sender: str) -> None: ...
    def set_shown(self, sender: str, ids: Sequence[str]) -> None: ...
    def get_shown(self, sender: str) -> List[str]: ...
    def get_shown_before(self, sender: str) -> List[str]: ...
    def get_seen(self, sender: str) -> Set[str]: ...
    def add_to_cart(
        self, sender: str, product_id: str, quantity: int = 1, price: Optional[float] = None
    ) -> Dict[str, int]: ...
    def get_cart(self, sender: str) -> Dict[str, int]: ...
    def get_cart_prices(self, sender: str) -> Dict[str, float]: ...
    def clear_cart(self, sender: str) -> None: ...
    def get_checkout(self, sender: str) -> Optional[Dict[str, Any]]: ...
    def save_checkout(self, sender: str, checkout: Optional[Dict[str, Any]]) -> None: ...
    def get_profile(self, sender: str) -> Dict[str, str]: ...
    def update_profile(self, sender: str, **fields: str) -> None: ...


class RedisShopperStore(RedisPart):
    """Shopper state in a real Redis server (``redis`` client, one connection pool)."""

    def __init__(
        self,
        client: Any,
        prefix: str = "shopguide",
        session_ttl_s: int = 7 * 86400,
        profile_ttl_s: int = 90 * 86400,
        url: str = "",
    ) -> None:
        self.r = client
        self.prefix = prefix
        self.session_ttl_s = session_ttl_s
        self.profile_ttl_s = profile_ttl_s
        self.url = url

    @classmethod
    def from_url(
        cls,
        url: str,
        prefix: str = "shopguide",
        session_ttl_s: int = 7 * 86400,
        profile_ttl_s: int = 90 * 86400,
        socket_timeout: float = 2.0,
    ) -> RedisShopperStore:
        return cls(redis_client(url, socket_timeout), prefix, session_ttl_s, profile_ttl_s, url=url)

    def key(self, sender: str, what: str) -> str:
        return f"{self.prefix}:shopper:{sender}:{what}"

    def ping(self) -> None:
        self._call(self.r.ping)

    def get_context(self, sender: str) -> SearchContext:
        return SearchContext.from_json(self._call(self.r.get, self.key(sender, "ctx")))

    def save_context(self, sender: str, ctx: SearchContext) -> None:
        self._call(self.r.set, self.key(sender, "ctx"), ctx.to_json(), ex=self.session_ttl_s)

    def clear_search(self, sender: str) -> None:
        self._call(self.r.delete, *(self.key(sender, w) for w in ("ctx", "shown", "shown_before", "seen")))

    def set_shown(self, sender: str, ids: Sequence[str]) -> None:
        ids = [str(i) for i in ids]
        before = self.get_shown(sender)
        pipe = self.r.pipeline(transaction=True)
        if before and before != ids:  # "the 2nd one" after a shorter list may mean this one's second
            pipe.set(self.key(sender, "shown_before"), json.dumps(before), ex=self.session_ttl_s)
        pipe.set(self.key(sender, "shown"), json.dumps(ids), ex=self.session_ttl_s)
        if ids:
            pipe.sadd(self.key(sender, "seen"), *ids)
        pipe.expire(self.key(sender, "seen"), self.session_ttl_s)
        self._call(pipe.execute)

    def get_shown(self, sender: str) -> List[str]:
        return self._id_list(sender, "shown")

    def get_shown_before(self, sender: str) -> List[str]:
        return self._id_list(sender, "shown_before")

    def _id_list(self, sender: str, what: str) -> List[str]:
        raw = self._call(self.r.get, self.key(sender, what))
        try:
            return [str(i) for i in json.loads(raw)] if raw else []
        except ValueError:
            return []

    def get_seen(self, sender: str) -> Set[str]:
        return set(self._call(self.r.smembers, self.key(sender, "seen")))

    def add_to_cart(
        self, sender: str, product_id: str, quantity: int = 1, price: Optional[float] = None
    ) -> Dict[str, int]:
        k, kp = self.key(sender, "cart"), self.key(sender, "cart_prices")
        pipe = self.r.pipeline(transaction=True)
        pipe.hincrby(k, product_id, int(quantity))
        pipe.expire(k, self.profile_ttl_s)
        if price is not None:
            pipe.hset(kp, product_id, float(price))
            pipe.expire(kp, self.profile_ttl_s)
        self._call(pipe.execute)
        return self.get_cart(sender)

    def get_cart(self, sender: str) -> Dict[str, int]:
        return {k: int(v) for k, v in self._call(self.r.hgetall, self.key(sender, "cart")).items()}

    def get_cart_prices(self, sender: str) -> Dict[str, float]:
        return {k: float(v) for k, v in self._call(self.r.hgetall, self.key(sender, "cart_prices")).items()}

    def clear_cart(self, sender: str) -> None:
        self._call(self.r.delete, self.key(sender, "cart"), self.key(sender, "cart_prices"))

    def get_checkout(self, sender: str) -> Optional[Dict[str, Any]]:
        raw = self._call(self.r.get, self.key(sender, "checkout"))
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    def save_checkout(self, sender: str, checkout: Optional[Dict[str, Any]]) -> None:
        if checkout is None:
            self._call(self.r.delete, self.key(sender, "checkout"))
        else:
            self._call(self.r.set, self.key(sender, "checkout"), json.dumps(checkout), ex=CHECKOUT_TTL_S)

    def get_profile(self, sender: str) -> Dict[str, str]:
        return dict(self._call(self.r.hgetall, self.key(sender, "profile")))

    def update_profile(self, sender: str, **fields: str) -> None:
        if not fields:
            return
        k = self.key(sender, "profile")
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(k, mapping={f: str(v) for f, v in fields.items()})
        pipe.expire(k, self.profile_ttl_s)
        self._call(pipe.execute)


def connect(settings: Any = None) -> RedisShopperStore:
    """The Redis store for ``settings.dialogue`` (``REDIS_URL`` or the embedded server); connects lazily."""
    from config import get_settings

    d = (settings or get_settings()).dialogue
    return RedisShopperStore.from_url(d.redis, d.redis_prefix, d.session_ttl_s, d.profile_ttl_s)
