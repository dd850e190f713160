"""Rasa-process plugins: Redis stores that fail loudly, channels that never go silent.

Referenced by dotted path from ``bot/endpoints.yml`` and ``bot/credentials.yml``.
Imports Rasa, so only the Rasa server imports this module (the action server
needs only rasa-sdk).

Why: Rasa wraps every tracker store in a ``FailSafeTrackerStore`` that, when
Redis fails, silently keeps the conversation in process memory. Here:

* ``StrictRedisTrackerStore`` pings Redis when created and raises a clear error
  naming ``REDIS_URL`` (so ``rasa run`` refuses to start without Redis), and
  ``assert_redis_backed`` lets the launcher check the live server's store.
* ``UrlRedisLockStore`` takes the same URL. Rasa takes the conversation lock
  before it reads the tracker, so when Redis drops mid-conversation the turn
  fails before the fail-safe can start a blank in-memory conversation.
* ``GuardedRestInput`` / ``GuardedSocketIOInput`` turn such a failed turn into a
  clear message to the shopper, and a turn that produced no message at all
  (action server down) into a fallback message instead of silence.
* ``StrictRedisTrackerStore`` also caps a conversation at ``max_tracker_events``
  events: older turns are dropped, the slots they set are kept (``trim_events``).
* ``guard`` limits how fast one sender may send (``shopper.limits``, shared by
  replicas); the REST and Socket.IO channels also limit each client address
  (REST: 429) and refuse bodies over ``max_body_bytes`` (413). Socket.IO accepts
  connections only from the allowed origins (``SHOPGUIDE_CORS_ORIGINS``).
* While a member of staff has the conversation (``shopper.handoff``), ``guard``
  keeps the shopper's messages from Rasa: they go to the hand-off thread for the
  staff console, undelivered staff replies come back instead (REST), and "back to
  the bot" hands the conversation back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import unicodedata
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.core.tracker_store import FailSafeTrackerStore, RedisTrackerStore

import channels.action_validation  # noqa: F401 - action responses checked against a schema built once
import channels.nlu_cache  # noqa: F401 - a text's NLU parse remembered
import channels.policy_cache  # noqa: F401 - TED's predictions remembered by dialogue state
from shopper.handoff import RELEASED_TEXT
from shopper.pii import redact as redact_pii
from shopper.store import StoreUnavailable, redact, unavailable_message

logger = logging.getLogger(__name__)

STORE_DOWN_TEXT = (
    "Sorry, I can't reach my memory of our conversation right now, so I didn't act on that. "
    "Nothing is lost: please try again in a moment."
)
EMPTY_TEXT = "I didn't get any text. Tell me what you're looking for, e.g. \"a kettle under $40\"."
NO_WORDS_TEXT = (
    'I can only read words for now, not emoji or symbols. Tell me what you\'re looking for, e.g. "running shoes".'
)
MAX_CHARS = 2000
MAX_METADATA_KEYS = 16  # a REST message's metadata: small scalars only
LONG_TEXT = f"That's a long message, so I read only its first {MAX_CHARS:,} characters."
SLOW_DOWN_TEXT = "You're sending messages faster than I can read them. Give me a few seconds, then send that again."
TOO_MANY_TEXT = "Too many messages from your network right now; please wait a few seconds and try again."
NO_REPLY_TEXT = (
    "Sorry, I couldn't look that up just now (my product service isn't answering). Please try again in a moment."
)
# "back to the bot" while a person has the conversation hands it back to the assistant
BACK_TO_BOT_RE = re.compile(
    r"\b(?:back to the (?:bot|assistant)|(?:talk|speak|go) (?:to|with) the (?:bot|assistant)(?: again)?|"
    r"(?:the )?bot,? please|i want the (?:bot|assistant)(?: back)?|end (?:the )?(?:chat|hand-?off) with (?:staff|the person))\b",
    re.IGNORECASE,
)


class RedisUnavailableError(RuntimeError):
    """Raised when the Redis behind the tracker or lock store cannot be reached."""


def redis_kwargs(url: str) -> Dict[str, Any]:
    """``redis://[:password@]host:port/db`` -> keyword arguments of Rasa's Redis stores."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"REDIS_URL must look like redis://host:port/db, got {redact(url)!r}")
    db = (parts.path or "/0").lstrip("/") or "0"
    return {
        "host": parts.hostname or "localhost",
        "port": int(parts.port or 6379),
        "db": int(db),
        "username": parts.username or None,
        "password": parts.password or None,
        "use_ssl": parts.scheme == "rediss",
    }


def _ping(red: Any, url: str) -> None:
    import redis

    try:
        red.ping()
    except (redis.ConnectionError, redis.TimeoutError) as e:
        raise RedisUnavailableError(unavailable_message(url, e)) from e


def trim_events(events: List[Any], keep: int) -> List[Any]:
    """At most about ``keep`` of ``events``: the oldest turns go (the cut falls on a shopper message, so
    no turn is split), and the slot values they had set come first as ``SlotSet`` events."""
    from rasa.shared.core.events import AllSlotsReset, Restarted, SlotSet, UserUttered

    if len(events) <= keep:
        return list(events)
    cut = len(events) - keep
    while cut < len(events) and not isinstance(events[cut], UserUttered):
        cut += 1
    if cut >= len(events):  # no shopper message in the last ``keep`` events: keep them all
        return list(events)
    slots: Dict[str, Any] = {}
    for e in events[:cut]:
        if isinstance(e, (Restarted, AllSlotsReset)):
            slots.clear()
        elif isinstance(e, SlotSet):
            slots[e.key] = e.value
    at = events[cut].timestamp
    return [SlotSet(k, v, timestamp=at) for k, v in slots.items()] + list(events[cut:])


class StrictRedisTrackerStore(RedisTrackerStore):
    """``RedisTrackerStore`` configured by URL that refuses to start without Redis, keeping at most
    ``max_events`` events per conversation (default ``SHOPGUIDE_MAX_TRACKER_EVENTS``)."""

    def __init__(
        self,
        domain: Any = None,
        host: str = "redis://localhost:6379/0",
        url: Optional[str] = None,
        event_broker: Any = None,
        record_exp: Optional[float] = None,
        key_prefix: Optional[str] = None,
        max_events: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        from config import get_settings

        self.max_events = int(max_events or get_settings().dialogue.max_tracker_events)
        url = url or host
        if not str(url).startswith(("redis://", "rediss://")):
            url = f"redis://{url}:{kwargs.pop('port', 6379)}/{kwargs.pop('db', 0)}"
        kw = redis_kwargs(url)
        use_ssl = kw.pop("use_ssl")
        super().__init__(
            domain=domain,
            event_broker=event_broker,
            record_exp=int(float(record_exp)) if record_exp else None,
            key_prefix=key_prefix,
            use_ssl=use_ssl,
            **kw,
            **kwargs,
        )
        self.url = url
        _ping(self.red, url)
        logger.info("Tracker store: Redis at %s, keys %s<sender_id>", redact(url), self.key_prefix)

    async def save(self, tracker: Any, timeout: Optional[float] = None) -> None:
        """Rasa's save (merged with the stored conversation), then capped at ``max_events`` events."""
        await self.stream_events(tracker)
        timeout = timeout or self.record_exp
        key = self.key_prefix + tracker.sender_id
        stored = self.red.get(key)
        if stored is not None:
            tracker = self._merge_trackers(self.deserialise_tracker(tracker.sender_id, stored), tracker)
        if len(tracker.events) > self.max_events:
            events = trim_events(list(tracker.events), self.max_events)
            trimmed = tracker.init_copy()
            trimmed.update_with_events(events, override_timestamp=False, domain=None)
            tracker = trimmed
        self.red.set(key, self.serialise_tracker(tracker), ex=timeout)


class UrlRedisLockStore(RedisLockStore):
    """``RedisLockStore`` configured by URL that refuses to start without Redis.

    Rasa builds custom lock stores as ``cls(endpoint_config=...)``.
    """

    def __init__(
        self, endpoint_config: Any = None, url: Optional[str] = None, key_prefix: Optional[str] = None, **kwargs: Any
    ) -> None:
        if endpoint_config is not None:
            url = url or endpoint_config.url
            kwargs = {**endpoint_config.kwargs, **kwargs}
            key_prefix = key_prefix or kwargs.pop("key_prefix", None)
            kwargs.pop("url", None)
        url = url or "redis://localhost:6379/0"
        kw = redis_kwargs(url)
        allowed = {"socket_timeout"}
        super().__init__(key_prefix=key_prefix, **kw, **{k: v for k, v in kwargs.items() if k in allowed})
        self.url = url
        _ping(self.red, url)

    # Rasa's RedisLockStore reads a conversation's lock, changes it and writes it back in separate steps.
    # That is safe inside one process (no await in between) but not across replicas sharing the Redis: two
    # could issue the same ticket, or one could delete a lock another just queued on. Each change below is
    # one Redis transaction instead (WATCH the key, retried when another replica wrote it in between).
    def _change(self, conversation_id: str, change: Callable[[Optional[TicketLock]], Tuple[Any, Any]]) -> Any:
        """Apply ``change(lock) -> (result, lock to keep or None to delete)`` atomically; returns result."""
        key = self.key_prefix + conversation_id

        def step(pipe: Any) -> Any:
            raw = pipe.get(key)
            result, lock = change(TicketLock.from_dict(json.loads(raw)) if raw else None)
            pipe.multi()
            if lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, lock.dumps())
            return result

        return self.red.transaction(step, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[int, TicketLock]:
            lock = lock or TicketLock(conversation_id)
            return lock.issue_ticket(lock_lifetime), lock

        try:
            return self._change(conversation_id, issue)
        except Exception as e:  # noqa: BLE001 - as Rasa's: the turn fails with a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_expired_tickets()
            return None, lock

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return None, lock

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finish ``ticket_number``; the lock goes when no one else waits on it (in the same step)."""

        def finish(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return None, lock if lock is not None and lock.is_someone_waiting() else None

        self._change(conversation_id, finish)


def _fail_loudly(fallback: Callable[[Any, Exception], None]) -> Callable[[Any, Exception], None]:
    """Rasa's fail-safe wrapper keeps a turn whose save to Redis failed in process memory and answers as
    if it were saved (and starts a blank conversation when a read fails). Around our store it raises
    instead: the turn fails, and the guard tells the shopper nothing was done."""

    def on_error(self: Any, error: Exception) -> None:
        if isinstance(self._tracker_store, StrictRedisTrackerStore):
            raise RedisUnavailableError(unavailable_message(self._tracker_store.url, error)) from error
        fallback(self, error)

    return on_error


FailSafeTrackerStore.on_tracker_store_error = _fail_loudly(FailSafeTrackerStore.on_tracker_store_error)
FailSafeTrackerStore.on_tracker_store_retrieve_error = _fail_loudly(
    FailSafeTrackerStore.on_tracker_store_retrieve_error
)


def assert_redis_backed(tracker_store: Any) -> StrictRedisTrackerStore:
    """Return the Redis store behind Rasa's fail-safe wrapper, or raise loudly."""
    inner = tracker_store
    while isinstance(inner, FailSafeTrackerStore) or hasattr(inner, "_tracker_store"):
        inner = inner._tracker_store
    if not isinstance(inner, RedisTrackerStore):
        raise RuntimeError(
            f"Rasa is keeping conversations in {inner.__class__.__name__}, not Redis: "
            "check tracker_store in bot/endpoints.yml and REDIS_URL."
        )
    return inner


class _GuardedOutput(OutputChannel):
    """Delegates to the real output channel and counts what was sent."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> str:
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent += 1
        if isinstance(self.inner, SocketIOOutput) and message.get("custom"):
            # Rasa's SocketIOOutput passes the custom dict as emit() keywords; send it as data.
            custom = message.pop("custom")
            if message.get("text") or message.get("buttons"):
                await self.inner.send_response(recipient_id, message)
            await self.inner.sio.emit(self.inner.bot_message_evt, {"custom": custom}, room=recipient_id)
            return
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)


def clean_text(text: Optional[str]) -> Tuple[str, Optional[str]]:
    """Control characters out, length capped. Returns (text, reply-instead) where
    reply-instead is set when there is nothing to process (empty, no words)."""
    raw = text or ""
    cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in raw)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        return "", EMPTY_TEXT
    if not cleaned.startswith("/") and not any(ch.isalnum() for ch in cleaned):
        return cleaned, NO_WORDS_TEXT
    return cleaned[:MAX_CHARS], None


async def _send_fallback(channel: OutputChannel, recipient: str, text: str) -> None:
    """Send the fallback text; when the platform itself is unreachable, log it (nothing more can be done)."""
    try:
        await channel.send_text_message(recipient, text)
    except Exception as e:  # noqa: BLE001 - e.g. Slack or Telegram offline
        logger.error("could not send the fallback reply to %s: %s: %s", recipient, type(e).__name__, e)


@lru_cache(maxsize=1)
def handoff_desk() -> Any:
    """The process's hand-off desk (``shopper.handoff``), built on first use from ``settings.dialogue``."""
    from config import get_settings
    from shopper.handoff import connect

    return connect(get_settings())


@lru_cache(maxsize=1)
def rate_limiter() -> Any:
    """The process's rate limiter (``shopper.limits``) on the stack's Redis."""
    from config import get_settings
    from shopper.limits import RateLimiter
    from shopper.store import redis_client

    d = get_settings().dialogue
    return RateLimiter(redis_client(d.redis, socket_timeout=1.0), d.redis_prefix, url=d.redis)


def limits() -> Any:
    from config import get_settings

    return get_settings().dialogue


def client_address(request: Any) -> str:
    """The caller's address: the proxy-reported one when Sanic trusts a proxy (``SANIC_PROXIES_COUNT``)."""
    return str(getattr(request, "remote_addr", "") or getattr(request, "ip", "") or "?")


async def refuse_request(request: Any, limiter: Optional[Callable[[], Any]] = None) -> Any:
    """413 for a body over ``max_body_bytes``, 429 when the client address sent too many messages;
    None lets the request through. Only POSTs (messages) count."""
    from sanic import response

    if request.method != "POST":
        return None
    d = limits()
    try:
        size = int(request.headers.get("content-length") or 0)
    except ValueError:
        size = 0
    if size > d.max_body_bytes:
        return response.json({"error": f"message too large (at most {d.max_body_bytes:,} bytes)"}, status=413)
    limiter_ = (limiter or rate_limiter)()
    allowed = await _off_loop(limiter_.allow, "client", client_address(request), d.client_requests_per_10s)
    if not allowed:
        return response.json({"error": TOO_MANY_TEXT}, status=429, headers={"Retry-After": "10"})
    return None


def profiles_of(desk: Any) -> Any:
    """The shopper profiles (``shopper.profile``) on the hand-off desk's Redis."""
    from shopper.profile import ProfileBook

    return ProfileBook(desk.r, desk.prefix)


def line_payload(line: Mapping[str, Any]) -> Dict[str, Any]:
    """A hand-off thread line as a Socket.IO ``bot_uttered`` message (the page shows staff lines as staff)."""
    who = line.get("from") or "bot"
    meta: Dict[str, Any] = {"from": who, "outcome": "staff" if who == "staff" else "handoff"}
    if line.get("staff"):
        meta["staff"] = line["staff"]
    if line.get("event"):
        meta["handoff"] = line["event"]
    out: Dict[str, Any] = {"text": str(line.get("text") or ""), "metadata": meta}
    if line.get("event") == "joined":
        out["quick_replies"] = [
            {"content_type": "text", "title": "Back to the assistant", "payload": "back to the bot"}
        ]
    return out


def line_text(line: Mapping[str, Any]) -> str:
    """A hand-off thread line as plain text (REST, messaging apps): staff lines say who wrote them."""
    text = str(line.get("text") or "")
    if line.get("from") == "staff" and line.get("staff") and not line.get("event"):
        return f"{line['staff']} (store staff): {text}"
    return text


async def send_line(output: Optional[OutputChannel], recipient: str, line: Mapping[str, Any]) -> None:
    """Send one hand-off line through an output channel (Socket.IO: with its metadata, to the session's room)."""
    inner = output.inner if isinstance(output, _GuardedOutput) else output
    if inner is None:
        raise LookupError("no output channel")
    if isinstance(inner, SocketIOOutput):
        await inner.sio.emit(inner.bot_message_evt, line_payload(line), room=recipient)
    else:
        await inner.send_text_message(recipient, line_text(line))


async def _off_loop(fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


async def _person_has_it(message: UserMessage, text: str, desk_of: Callable[[], Any]) -> bool:
    """True when a member of staff has this conversation and the message was handled here (not by Rasa).

    Otherwise (nobody has it, or the desk is unreachable: Rasa then reports its own store error) any
    undelivered hand-off lines are sent first and False is returned.
    """
    sender = message.sender_id
    out = message.output_channel
    try:
        desk = desk_of()
        state = await _off_loop(desk.peek, sender)
        if not state["with_person"]:
            if state["outbox"]:  # e.g. a REST shopper's last staff replies and the "back" notice
                for line in await _off_loop(desk.drain_outbox, sender):
                    await send_line(out, sender, line)
            return False
    except (StoreUnavailable, ValueError, LookupError) as e:
        logger.warning("hand-off desk unavailable for %s (%s: %s): the bot answers", sender, type(e).__name__, e)
        return False
    meta = message.metadata if isinstance(message.metadata, Mapping) else {}
    shown = meta.get("display") if isinstance(meta.get("display"), str) and meta.get("display", "").strip() else text
    try:
        await _off_loop(desk.note, sender, "shopper", shown)
        if BACK_TO_BOT_RE.search(text):
            await _off_loop(desk.release, sender, "shopper")
            lines: List[Dict[str, Any]] = await _off_loop(desk.drain_outbox, sender)
            lines.append({"from": "bot", "text": RELEASED_TEXT, "event": "released"})
        else:
            lines = await _off_loop(desk.drain_outbox, sender)
    except StoreUnavailable as e:
        logger.error("hand-off of %s: %s", sender, e)
        await _send_fallback(out, sender, STORE_DOWN_TEXT)
        return True
    for line in lines:  # Socket.IO: usually none (replies went out live); REST: the staff's replies so far
        try:
            await send_line(out, sender, line)
        except Exception as e:  # noqa: BLE001 - e.g. Slack or Telegram offline
            logger.error("could not deliver a hand-off line to %s: %s: %s", sender, type(e).__name__, e)
    return True


def guard(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    desk: Optional[Callable[[], Any]] = None,
    limiter: Optional[Callable[[], Any]] = None,
) -> Callable[[UserMessage], Awaitable[Any]]:
    """Wrap Rasa's message handler so a turn always ends with a message, and the bot stays out of a
    conversation a member of staff has taken.

    Empty or symbol-only messages get a specific answer without touching the
    conversation; control characters are dropped; very long messages are cut
    (and the shopper is told). A sender over ``sender_messages_per_10s`` gets a
    "slow down" reply and the message is not processed. ``desk`` / ``limiter``:
    return the hand-off desk / rate limiter (default: the process's).
    """

    def desk_of() -> Any:
        return desk() if desk is not None else handoff_desk()

    async def handler(message: UserMessage) -> None:
        await _handle(message)
        try:  # "forget me" in this turn: its tracker goes now that Rasa has saved it
            await _off_loop(profiles_of(desk_of()).finish_erase, message.sender_id)
        except Exception as e:  # noqa: BLE001 - the erase marker stays; the next turn tries again
            logger.error("could not finish erasing %s: %s: %s", message.sender_id, type(e).__name__, e)

    async def _handle(message: UserMessage) -> None:
        limiter_ = (limiter or rate_limiter)()
        if not await _off_loop(limiter_.allow, "sender", message.sender_id, limits().sender_messages_per_10s):
            logger.warning("sender %s is over the message rate limit", message.sender_id)
            await _send_fallback(message.output_channel, message.sender_id, SLOW_DOWN_TEXT)
            return
        text, instead = clean_text(message.text)
        text, found = redact_pii(text)  # e-mails, card and phone numbers, street addresses: never stored
        if found.get("address"):
            try:
                await _off_loop(profiles_of(desk_of()).keep_address, message.sender_id, found["address"][-1])
            except Exception as e:  # noqa: BLE001 - the turn goes on; an address change will ask again
                logger.error("could not keep the address %s gave: %s", message.sender_id, type(e).__name__)
        if text and await _person_has_it(message, text[:MAX_CHARS], desk_of):
            return
        if instead:
            await message.output_channel.send_text_message(message.sender_id, instead)
            return
        if len(" ".join((message.text or "").split())) > MAX_CHARS:
            await message.output_channel.send_text_message(message.sender_id, LONG_TEXT)
        message.text = text
        out = _GuardedOutput(message.output_channel)
        message.output_channel = out
        try:
            await on_new_message(message)
        except Exception as e:  # noqa: BLE001 - the shopper must get an answer
            import redis

            # Rasa wraps a Redis failure of the lock store in LockError
            is_store = isinstance(e, (redis.ConnectionError, redis.TimeoutError, RedisUnavailableError, LockError)) or (
                "redis" in type(e).__module__.lower()
            )
            logger.error("turn for %s failed: %s: %s", message.sender_id, type(e).__name__, e)
            if isinstance(out.inner, CollectingOutputChannel):  # REST: replies of a turn that was not kept
                out.inner.messages.clear()
            await _send_fallback(out.inner, message.sender_id, STORE_DOWN_TEXT if is_store else NO_REPLY_TEXT)
            return
        if out.sent == 0:
            logger.warning("turn for %s produced no message (action server down?)", message.sender_id)
            await _send_fallback(out.inner, message.sender_id, NO_REPLY_TEXT)

    return handler


class GuardedRestInput(RestInput):
    """Rasa's REST channel (``/webhooks/rest/webhook``) that never answers with silence."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]):
        bp = super().blueprint(guard(on_new_message))
        bp.middleware("request")(refuse_request)  # 413 / 429 before the body is read or Rasa sees it
        return bp

    def get_metadata(self, request: Any) -> Optional[Dict[str, Any]]:
        """The body's ``metadata`` object (e.g. ``{"replies": "templates"}`` for exact template wording,
        ``{"store_id": "riverside"}``), as the Socket.IO channel passes it; anything else is ignored."""
        body = request.json if isinstance(getattr(request, "json", None), dict) else {}
        meta = body.get("metadata")
        if not isinstance(meta, dict) or len(meta) > MAX_METADATA_KEYS:
            return None
        return {str(k)[:64]: v for k, v in meta.items() if isinstance(v, (str, int, float, bool)) or v is None}


def share_rooms_through_redis(sio: Any, d: Any) -> None:
    """With ``socketio_redis`` on (replicas behind nginx: docs/replicas.md), an emit to a session's room
    also reaches that session's socket on another replica, through Redis pub/sub (python-socketio's
    ``AsyncRedisManager``): a staff reply sent by any replica reaches the shopper. Sockets on this replica
    still get it directly, Redis or not. Off (one server): rooms stay in process memory, as before."""
    if not d.socketio_redis:
        return
    from socketio import AsyncRedisManager

    manager = AsyncRedisManager(d.redis, channel=f"{d.redis_prefix}:socketio")
    manager.set_server(sio)  # before any connection: the server starts the manager's listener on the first
    sio.manager = manager
    logger.info("Socket.IO rooms shared through Redis at %s (channel %s)", redact(d.redis), manager.channel)


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's Socket.IO channel (``/socket.io``) that never answers with silence."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]):
        from config import cors_origin_list, get_settings

        bp = super().blueprint(guard(on_new_message))
        sio = self.sio
        share_rooms_through_redis(sio, get_settings().dialogue)
        # Rasa disables Socket.IO's origin check (cors_allowed_origins=[]): only the allowed origins connect
        sio.eio.cors_allowed_origins = cors_origin_list(get_settings().dialogue, get_settings().web.public_base_url)
        bp.middleware("request")(refuse_request)  # the HTTP long-polling transport's posts
        namespace = self.namespace or "/"
        rasa_handler = sio.handlers[namespace][self.user_message_evt]

        async def user_uttered(sid: str, data: Any) -> Any:
            """Rasa's handler, after the per-address limit (the address of the connection's request)."""
            request = (sio.get_environ(sid, namespace=self.namespace) or {}).get("sanic.request")
            d = limits()
            if request is not None:
                allowed = await _off_loop(
                    rate_limiter().allow, "client", client_address(request), d.client_requests_per_10s
                )
                if not allowed:
                    room = (data or {}).get("session_id") if self.session_persistence else sid
                    await sio.emit(self.bot_message_evt, {"text": TOO_MANY_TEXT}, room=room or sid)
                    return None
            return await rasa_handler(sid, data)

        sio.on(self.user_message_evt, handler=user_uttered, namespace=self.namespace)

        # Rasa 3.6 calls `sio.enter_room(...)` without awaiting it; with python-socketio 5.x
        # that is a coroutine, so the session room is never joined and replies go nowhere.
        async def session_request(sid: str, data: Optional[Dict]) -> None:
            import inspect
            import uuid

            data = data or {}
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                entered = sio.enter_room(sid, data["session_id"], namespace=self.namespace)
                if inspect.isawaitable(entered):
                    await entered
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=self.namespace)

        sio.on("session_request", handler=session_request, namespace=self.namespace)
        return bp
