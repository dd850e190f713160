"""The hand-off desk: shoppers waiting for a person, the staff member who took each one, and what was said.

Key schema (``P`` = the alphanumeric prefix, default ``shopguide``; ``S`` = the Rasa sender id):

==============================  ======  ===========================================================
key                             type    value
==============================  ======  ===========================================================
``P:handoff:queue``             zset    sender -> time asked (unix s): the shoppers still waiting
``P:handoff:taken``             zset    sender -> time taken: the conversations a person has now
``P:handoff:S``                 hash    ``status`` (waiting | taken), ``staff``, ``store_id``,
                                        ``channel``, ``requested_at``, ``taken_at``, ``looking_at``
                                        (JSON list of dicts), ``last_messages`` (JSON list of str)
``P:handoff:S:thread``          list    JSON ``{"from": "shopper"|"staff"|"bot", "text", "at"}``
                                        (+ ``staff`` on staff lines, ``event`` on joined/released
                                        lines), oldest first, the latest 500
``P:handoff:S:outbox``          list    JSON thread lines of staff not yet delivered (REST and other
                                        pull channels get them with the shopper's next message)
==============================  ======  ===========================================================

Every key lives ``ttl_s`` (7 days) after its last write. ``release`` deletes the hash and both
index entries; the thread stays (the shopper's page shows it again after a reload) until it expires.

Writes that race are Lua scripts: asking twice keeps one queue entry and the first time; two staff
members taking the same shopper at once: exactly one gets them. Redis down -> ``StoreUnavailable``.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from shopper.store import RedisPart, redis_client

TTL_S = 7 * 86400
MAX_TEXT = 2000  # characters of one thread line
MAX_NAME = 64  # characters of a staff member's name, a store id, a channel name
MAX_THREAD = 500  # lines kept per thread
MAX_LAST_MESSAGES = 20
MAX_LOOKING_AT = 10
RESERVED = frozenset({"queue", "taken"})  # index keys' names: never a sender
SENDER_RE = re.compile(r"^[^\s:]{1,256}$")
WHO = frozenset({"shopper", "staff", "bot"})
RELEASED_TEXT = "You're back with the shopping assistant: ask me about any product, or ask for a person again any time."


class HandoffError(ValueError):
    """A staff action that does not fit the conversation's state (``reason``: ``gone`` | ``taken``)."""

    def __init__(self, message: str, reason: str, staff: Optional[str] = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.staff = staff


def valid_sender(sender: str) -> bool:
    """A sender id the desk keys by: 1-256 characters, no whitespace or ``:``, not an index key's name."""
    return bool(SENDER_RE.match(sender or "")) and sender not in RESERVED


def clean(text: Any, limit: int = MAX_TEXT) -> str:
    """Control characters out, whitespace collapsed, at most ``limit`` characters."""
    raw = "" if text is None else str(text)
    cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in raw)
    return " ".join(cleaned.split())[:limit]


# KEYS: state, queue, taken. ARGV: sender, now, channel, store_id, looking_at, last_messages, ttl.
# Returns the status after the call: "waiting" (new or already) or "taken".
_REQUEST = """
local status = redis.call('HGET', KEYS[1], 'status')
local ttl = tonumber(ARGV[7])
if status == 'taken' then
  redis.call('EXPIRE', KEYS[1], ttl)
  return 'taken'
end
if status ~= 'waiting' then
  redis.call('HSET', KEYS[1], 'status', 'waiting', 'requested_at', ARGV[2], 'staff', '', 'taken_at', '',
             'channel', ARGV[3], 'store_id', ARGV[4], 'looking_at', ARGV[5], 'last_messages', ARGV[6])
else
  redis.call('HSET', KEYS[1], 'channel', ARGV[3])
  if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'store_id', ARGV[4]) end
  if ARGV[5] ~= '[]' then redis.call('HSET', KEYS[1], 'looking_at', ARGV[5]) end
  if ARGV[6] ~= '[]' then redis.call('HSET', KEYS[1], 'last_messages', ARGV[6]) end
end
local at = redis.call('HGET', KEYS[1], 'requested_at')
redis.call('ZADD', KEYS[2], 'NX', at, ARGV[1])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
return 'waiting'
"""

# KEYS: state, queue, taken. ARGV: sender, staff, now, ttl.
# Returns {1, staff} when ``staff`` has the shopper now, {0, holder} when someone else does, {-1, ''} when gone.
_TAKE = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {-1, ''}
end
if status == 'taken' then
  local holder = redis.call('HGET', KEYS[1], 'staff')
  if holder == ARGV[2] then return {1, holder} end
  return {0, holder}
end
redis.call('HSET', KEYS[1], 'status', 'taken', 'staff', ARGV[2], 'taken_at', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[4]))
return {1, ARGV[2]}
"""

# KEYS: state, thread, outbox. ARGV: staff, line (JSON), to outbox ("1"/"0"), ttl, max thread.
# Appends a staff line only while that staff member has the shopper.
_REPLY = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {-1, ''} end
local holder = redis.call('HGET', KEYS[1], 'staff')
if status ~= 'taken' or holder ~= ARGV[1] then return {0, holder or ''} end
local ttl = tonumber(ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[5]), -1)
redis.call('EXPIRE', KEYS[2], ttl)
if ARGV[3] == '1' then
  redis.call('RPUSH', KEYS[3], ARGV[2])
  redis.call('EXPIRE', KEYS[3], ttl)
end
redis.call('EXPIRE', KEYS[1], ttl)
return {1, holder}
"""

# KEYS: state, queue, taken, thread. ARGV: sender, line (JSON), ttl, max thread.
_RELEASE = """
local existed = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if existed == 1 then
  redis.call('RPUSH', KEYS[4], ARGV[2])
  redis.call('LTRIM', KEYS[4], -tonumber(ARGV[4]), -1)
  redis.call('EXPIRE', KEYS[4], tonumber(ARGV[3]))
end
return existed
"""


class HandoffDesk(RedisPart):
    """Hand-offs from the assistant to store staff, in a real Redis (``redis`` client, ``decode_responses=True``).

    Used by the action server (``request``), the Rasa process's channels (``with_person``, ``note``,
    ``drain_outbox``, ``release``: the bot stays silent while a person has the conversation) and the
    staff console routes (``waiting``, ``taken``, ``take``, ``reply``, ``thread``, ``release``).
    """

    def __init__(
        self,
        client: Any,
        prefix: str = "shopguide",
        ttl_s: int = TTL_S,
        url: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.r = client
        self.prefix = prefix
        self.ttl_s = int(ttl_s)
        self.url = url
        self.clock = clock

    @classmethod
    def from_url(
        cls, url: str, prefix: str = "shopguide", ttl_s: int = TTL_S, socket_timeout: float = 2.0
    ) -> HandoffDesk:
        return cls(redis_client(url, socket_timeout), prefix, ttl_s, url=url)

    # -- keys and plumbing --------------------------------------------------------------
    @property
    def queue_key(self) -> str:
        return f"{self.prefix}:handoff:queue"

    @property
    def taken_key(self) -> str:
        return f"{self.prefix}:handoff:taken"

    def key(self, sender: str, what: str = "") -> str:
        if not valid_sender(sender):
            raise ValueError(f"not a sender id the hand-off desk can key by: {sender!r}")
        return f"{self.prefix}:handoff:{sender}" + (f":{what}" if what else "")

    def _line(self, who: str, text: str, **extra: Any) -> Dict[str, Any]:
        if who not in WHO:
            raise ValueError(f"a thread line is from one of {sorted(WHO)}, not {who!r}")
        line: Dict[str, Any] = {"from": who, "text": clean(text), "at": round(self.clock(), 3)}
        line.update({k: v for k, v in extra.items() if v is not None})
        return line

    def ping(self) -> None:
        self._call(self.r.ping)

    # -- the shopper asks ----------------------------------------------------------------
    def request(
        self,
        sender: str,
        channel: str,
        store_id: Optional[str] = None,
        last_messages: Sequence[str] = (),
        looking_at: Sequence[Dict] = (),
    ) -> Dict[str, Any]:
        """Put the shopper in the queue (once: asking again keeps their place and first time).

        Returns the state (see :meth:`get`), with ``position`` (1-based, oldest first) and
        ``waiting`` (how many wait); when a person already has them, that state (``position`` None).
        """
        last = [clean(m, 500) for m in list(last_messages)[-MAX_LAST_MESSAGES:] if clean(m, 500)]
        looking = [dict(x) for x in list(looking_at)[:MAX_LOOKING_AT] if isinstance(x, Mapping)]
        args = [
            sender,
            repr(round(self.clock(), 3)),
            clean(channel, MAX_NAME),
            clean(store_id or "", MAX_NAME),
            json.dumps(looking, ensure_ascii=False, default=str)[:20000],
            json.dumps(last, ensure_ascii=False),
            self.ttl_s,
        ]
        keys = [self.key(sender), self.queue_key, self.taken_key]
        self._call(self._script("request", _REQUEST), keys=keys, args=args)
        state = self.get(sender)
        assert state is not None  # just written (a 7-day lifetime does not end in between)
        return state

    # -- reading ---------------------------------------------------------------------------
    def _state(self, sender: str, raw: Mapping[str, str]) -> Optional[Dict[str, Any]]:
        if not raw or raw.get("status") not in ("waiting", "taken"):
            return None

        def num(v: Optional[str]) -> Optional[float]:
            try:
                return float(v) if v else None
            except ValueError:
                return None

        def js(v: Optional[str]) -> List[Any]:
            try:
                out = json.loads(v) if v else []
            except ValueError:
                return []
            return out if isinstance(out, list) else []

        return {
            "sender": sender,
            "status": raw["status"],
            "staff": raw.get("staff") or None,
            "store_id": raw.get("store_id") or None,
            "channel": raw.get("channel") or None,
            "requested_at": num(raw.get("requested_at")),
            "taken_at": num(raw.get("taken_at")),
            "looking_at": js(raw.get("looking_at")),
            "last_messages": js(raw.get("last_messages")),
        }

    def get(self, sender: str) -> Optional[Dict[str, Any]]:
        """The hand-off of ``sender``: ``{sender, status, staff, store_id, channel, requested_at, taken_at,
        looking_at, last_messages, position, waiting}``, or None when there is none."""
        pipe = self.r.pipeline(transaction=False)
        pipe.hgetall(self.key(sender))
        pipe.zrank(self.queue_key, sender)
        pipe.zcard(self.queue_key)
        raw, rank, count = self._call(pipe.execute)
        state = self._state(sender, raw)
        if state is None:
            return None
        state["position"] = rank + 1 if state["status"] == "waiting" and rank is not None else None
        state["waiting"] = int(count or 0)
        return state

    def with_person(self, sender: str) -> bool:
        """Whether a member of staff has this conversation now (the bot then stays silent)."""
        if not valid_sender(sender):
            return False
        return self._call(self.r.hget, self.key(sender), "status") == "taken"

    def peek(self, sender: str) -> Dict[str, Any]:
        """One round trip for every shopper message: ``{"with_person": bool, "outbox": n undelivered}``."""
        if not valid_sender(sender):
            return {"with_person": False, "outbox": 0}
        pipe = self.r.pipeline(transaction=False)
        pipe.hget(self.key(sender), "status")
        pipe.llen(self.key(sender, "outbox"))
        status, n = self._call(pipe.execute)
        return {"with_person": status == "taken", "outbox": int(n or 0)}

    def _listed(self, index: str) -> List[Dict[str, Any]]:
        members = self._call(self.r.zrange, index, 0, -1, withscores=True)
        if not members:
            return []
        pipe = self.r.pipeline(transaction=False)
        for sender, _ in members:
            if valid_sender(sender):
                pipe.hgetall(self.key(sender))
            else:  # never written by this desk: dropped below
                pipe.echo("")
        raws = self._call(pipe.execute)
        out, stale = [], []
        for (sender, _), raw in zip(members, raws, strict=True):
            state = self._state(sender, raw) if isinstance(raw, dict) else None
            if state is None:
                stale.append(sender)
            else:
                out.append(state)
        if stale:  # the hash expired (7 days) or was released meanwhile
            self._call(self.r.zrem, index, *stale)
        return out

    def waiting(self, store_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """The queue, oldest first; with ``store_id``, the shoppers at that store first (a sort, one queue).

        Each item is a state (:meth:`get`) with ``position`` (place in the whole queue) and ``waiting``.
        """
        found = [s for s in self._listed(self.queue_key) if s["status"] == "waiting"]
        found.sort(key=lambda s: s["requested_at"] or 0)
        for i, s in enumerate(found, 1):
            s["position"], s["waiting"] = i, len(found)
        if store_id:
            found.sort(key=lambda s: (s["store_id"] != store_id, s["requested_at"] or 0))
        return found

    def taken(self, staff: Optional[str] = None) -> List[Dict[str, Any]]:
        """The conversations people have now (optionally one member of staff's), the latest taken first."""
        found = [s for s in self._listed(self.taken_key) if s["status"] == "taken"]
        if staff:
            found = [s for s in found if s["staff"] == staff]
        found.sort(key=lambda s: -(s["taken_at"] or 0))
        for s in found:
            s["position"], s["waiting"] = None, None
        return found

    # -- staff -----------------------------------------------------------------------------
    def take(self, sender: str, staff: str) -> bool:
        """Staff member ``staff`` takes the shopper (atomic: of two at once, exactly one gets them).

        True when ``staff`` has them now (also when they already had them); False when someone else
        has them or nobody asked (``get`` says which).
        """
        staff = clean(staff, MAX_NAME)
        if not staff:
            raise ValueError("a staff member's name is needed to take a shopper")
        keys = [self.key(sender), self.queue_key, self.taken_key]
        ok, _ = self._call(
            self._script("take", _TAKE), keys=keys, args=[sender, staff, repr(round(self.clock(), 3)), self.ttl_s]
        )
        return int(ok) == 1

    def reply(self, sender: str, staff: str, text: str, outbox: bool = True) -> Dict[str, Any]:
        """A staff member's message to the shopper: appended to the thread and (``outbox``) to the
        undelivered ones. Returns the thread line. Raises ``HandoffError`` unless ``staff`` has them."""
        staff = clean(staff, MAX_NAME)
        line = self._line("staff", text, staff=staff)
        if not line["text"]:
            raise ValueError("an empty reply says nothing")
        keys = [self.key(sender), self.key(sender, "thread"), self.key(sender, "outbox")]
        args = [staff, json.dumps(line, ensure_ascii=False), "1" if outbox else "0", self.ttl_s, MAX_THREAD]
        ok, holder = self._call(self._script("reply", _REPLY), keys=keys, args=args)
        if int(ok) == -1:
            raise HandoffError("this shopper is no longer waiting for a person", "gone")
        if int(ok) == 0:
            raise HandoffError(
                f"{holder or 'nobody'} has this shopper, not {staff}" if holder else "take this shopper first",
                "taken" if holder else "waiting",
                holder or None,
            )
        return line

    def note(self, sender: str, who: str, text: str, **extra: Any) -> Dict[str, Any]:
        """Append a line to the thread (a shopper's message the bot did not answer, a bot notice)."""
        line = self._line(who, text, **extra)
        k = self.key(sender, "thread")
        pipe = self.r.pipeline(transaction=True)
        pipe.rpush(k, json.dumps(line, ensure_ascii=False))
        pipe.ltrim(k, -MAX_THREAD, -1)
        pipe.expire(k, self.ttl_s)
        self._call(pipe.execute)
        return line

    def deliver_later(self, sender: str, line: Mapping[str, Any]) -> None:
        """Queue a thread line for the shopper's next message (a live delivery failed)."""
        k = self.key(sender, "outbox")
        pipe = self.r.pipeline(transaction=True)
        pipe.rpush(k, json.dumps(dict(line), ensure_ascii=False))
        pipe.expire(k, self.ttl_s)
        self._call(pipe.execute)

    def thread(self, sender: str) -> List[Dict[str, Any]]:
        """What was said since the hand-off began (and earlier hand-offs of the last 7 days), oldest first."""
        return _parse_lines(self._call(self.r.lrange, self.key(sender, "thread"), 0, -1))

    def drain_outbox(self, sender: str) -> List[Dict[str, Any]]:
        """Every undelivered line, oldest first, removed in the same step (two callers never both get one)."""
        k = self.key(sender, "outbox")
        pipe = self.r.pipeline(transaction=True)
        pipe.lrange(k, 0, -1)
        pipe.delete(k)
        lines, _ = self._call(pipe.execute)
        return _parse_lines(lines)

    def release(self, sender: str, by: str) -> bool:
        """Back to the bot: the state and queue entry go, the thread stays (with a ``released`` line).
        True when there was a hand-off to end."""
        line = self._line("bot", RELEASED_TEXT, event="released", by=clean(by, MAX_NAME))
        keys = [self.key(sender), self.queue_key, self.taken_key, self.key(sender, "thread")]
        args = [sender, json.dumps(line, ensure_ascii=False), self.ttl_s, MAX_THREAD]
        return int(self._call(self._script("release", _RELEASE), keys=keys, args=args)) == 1


def _parse_lines(raw: Sequence[str]) -> List[Dict[str, Any]]:
    out = []
    for item in raw or []:
        try:
            line = json.loads(item)
        except ValueError:
            continue
        if isinstance(line, dict):
            out.append(line)
    return out


def connect(settings: Any = None) -> HandoffDesk:
    """The desk for ``settings.dialogue`` (``REDIS_URL`` or the embedded server); connects lazily."""
    from config import get_settings

    d = (settings or get_settings()).dialogue
    return HandoffDesk.from_url(d.redis, d.redis_prefix)
