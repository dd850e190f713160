"""The web chat, kiosk, staff console and checkout pages, served by the Rasa server itself (one origin
with its Socket.IO).

Listed in ``bot/credentials.yml`` as ``channels.web.WebPagesInput``. It takes
no messages (shoppers talk over the Socket.IO channel); it serves:

==============================================  =====================================================
``GET /chat``                                   the web chat page (``?session=<id>`` opens that conversation)
``GET /kiosk``                                  the in-store kiosk page
``GET /staff``                                  the staff console: shoppers waiting for a person (asks the PIN)
``GET /checkout/<token>``                       one order's summary (``shopper.links`` token): 200, 404 not
                                                a valid link, 410 expired, 503 Redis down
``GET /static/<path>``                          ``web/static`` (JS, CSS, the card image placeholder;
                                                ``web/static/vendor`` is copied from npm by ``make web-assets``)
``GET /web/api/config``                         kiosk store, idle timeout, QR base URL, staff on/off, start menu
``GET /web/api/history/<session_id>``           the conversation's user/bot messages, read from the Redis tracker,
                                                with the hand-off thread (staff replies) woven in; an id that
                                                is malformed, shorter than a 128-bit random one (22 chars),
                                                unknown or without a tracker gets the same 200 with no messages
``POST /web/api/staff/unlock``                  ``{"pin": ...}`` -> 200 ``{ok, token, expires_at}`` (a staff
                                                sign-in for ``staff_session_ttl_s``), 403 wrong PIN, 429 this
                                                client is locked out (``Retry-After``), 404 staff mode off
``GET /web/api/staff/stock?q=<id|words>``       stock of matching products in every store
``GET /web/api/staff/help-requests``            shoppers whose latest message asked the bot for help
``GET /web/api/staff/handoffs?store=<id>``      the hand-off queue (that store's shoppers first) and the taken ones
``GET /web/api/staff/handoffs/<sender>``        one hand-off: state, thread, the conversation before it
``POST /web/api/staff/handoffs/<sender>/take``  ``{"staff": name}`` -> 200, 409 someone else has them, 404 gone
``POST /web/api/staff/handoffs/<sender>/reply`` ``{"staff", "text"}`` -> 200 ``{line, delivered: live|outbox}``
``POST .../<sender>/release``                   ``{"staff"}`` -> 200: back to the bot
``GET /web/api/staff/reservations``             held pickup reservations (``?store=<id>``), soonest first
``POST .../reservations/<code>/collect``        the shopper collected it
``GET /webhooks/webpages/``                     health
==============================================  =====================================================

The PIN is tried only at ``unlock``: the server keeps a salted scrypt hash of it, and a client
(its address) with ``staff_max_failures`` wrong PINs in a row is refused for ``staff_lockout_s``.
Every other ``/web/api/staff/...`` endpoint needs the sign-in it returns, as ``Authorization: Bearer
<token>``: 401 without one, with a forged one or an expired one (the page asks for the PIN again),
404 staff mode off, 503 Redis down. The token ``<expiry>.<nonce>.<HMAC-SHA256>`` is signed with the
secret the replicas share in Redis (``shopper.links.shared_secret``, as checkout links), so any
replica accepts it and nothing is stored per sign-in.

A staff reply reaches the shopper live on Socket.IO (``bot_uttered`` to the session's room, metadata
``{"from": "staff"}``) and on a messaging app (its input channel's output channel); on REST it waits
in the hand-off outbox for the shopper's next message.

Rasa mounts a channel's blueprint under ``/webhooks/<name>/``; the page routes are
added to the app itself from ``WebPagesBlueprint.register`` (as Rasa's own
``SocketBlueprint`` attaches Socket.IO), because ``/`` is taken by Rasa's HTTP API.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import time
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import pages as W
from config import Settings

logger = logging.getLogger(__name__)

PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",  # /chat?session=<id> must not leak through Referer
    "X-Content-Type-Options": "nosniff",
}
CHECKOUT_HEADERS = dict(PAGE_HEADERS, **{"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"})
PULL_CHANNELS = frozenset({"rest", "cmdline", ""})  # no way to reach the shopper but their next message
MAX_STAFF_BODY = 8  # keys of a staff request's JSON body


def _csp(request: Request) -> str:
    host = request.host
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' ws://{host} wss://{host}; object-src 'none'; base-uri 'none'"
    )


def _json(data: Any, status: int = 200, headers: Optional[Mapping[str, str]] = None) -> HTTPResponse:
    return response.json(data, status=status, headers=dict(headers or {}, **{"Cache-Control": "no-store"}))


def _signed_out(error: str) -> HTTPResponse:
    return _json({"error": error}, 401, {"WWW-Authenticate": 'Bearer realm="staff"'})


STAFF_OFF = {"error": "staff mode is off (set SHOPGUIDE_KIOSK_STAFF_PIN)"}


class _Unavailable(Exception):
    """The hand-off desk's Redis did not answer (the endpoint answers 503)."""


class WebPagesBlueprint(Blueprint):
    """A blueprint that also adds app-level routes (``/chat``, ``/kiosk``, ``/static``, ``/web/api``)."""

    def __init__(self, app_routes: List[Dict[str, Any]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.app_routes = app_routes

    def register(self, app: Sanic, options: Dict[str, Any]) -> None:
        for r in self.ctx.app_routes:
            app.add_route(r["handler"], r["uri"], methods=r["methods"], name=r["name"])
        super().register(app, options)


class WebPages:
    """The handlers, with what they share: settings, the staff gate, the lazily loaded catalog."""

    def __init__(self, settings: Settings, desk: Any = None) -> None:
        self.settings = settings
        w = settings.web
        self.gate = W.StaffGate(w.kiosk_staff_pin, w.staff_max_failures, w.staff_lockout_s)
        self._stores: Optional[List[Dict[str, Any]]] = None
        self._catalog: Any = None
        self._desk = desk
        self._lock = threading.Lock()

    # -- shared pieces ----------------------------------------------------------------
    @property
    def stores(self) -> List[Dict[str, Any]]:
        if self._stores is None:
            self._stores = W.load_store_list()
        return self._stores

    def catalog(self) -> Any:
        """The catalog the actions serve (``SHOPGUIDE_CATALOG``), loaded on first staff lookup."""
        with self._lock:
            if self._catalog is None:
                from config import get_settings
                from retrieval.catalog import load_catalog

                cs = get_settings().search
                self._catalog = load_catalog(cs.catalog, mapping=cs.catalog_mapping)
            return self._catalog

    @property
    def desk(self) -> Any:
        """The hand-off desk (``shopper.handoff``): the process's one, unless one was given."""
        if self._desk is None:
            from channels.rasa_plugins import handoff_desk

            self._desk = handoff_desk()
        return self._desk

    @property
    def reservations(self) -> Any:
        """Pickup reservations (``shopper.reservations``) on the hand-off desk's Redis."""
        from shopper.reservations import Reservations

        d = self.settings.dialogue
        return Reservations(self.desk.r, self.desk.prefix, d.reservation_hold_s, d.order_ttl_s, url=d.redis)

    @property
    def store_names(self) -> Dict[str, str]:
        return {s["id"]: s["name"] for s in self.stores}

    @staticmethod
    def redis_store(request: Request) -> Any:
        from channels.rasa_plugins import assert_redis_backed

        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or getattr(agent, "tracker_store", None) is None:
            raise LookupError("the Rasa agent is not loaded yet")
        return assert_redis_backed(agent.tracker_store)

    @staticmethod
    async def off_loop(fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    @staticmethod
    def client_of(request: Request) -> str:
        """The client a PIN attempt counts against: its address as Sanic reports it (the forwarded one
        only behind a proxy Sanic is told to trust)."""
        return str(request.remote_addr or request.ip or "")

    def _staff_secret(self) -> str:
        """The secret staff sign-ins are signed with: the one every replica shares (``shopper.links``)."""
        from shopper.links import shared_secret

        d = self.settings.dialogue
        return shared_secret(self.desk.r, d.redis_prefix, d.checkout_secret)

    async def staff_secret(self) -> str:
        """``_staff_secret`` off the event loop; Redis down -> raises ``_Unavailable`` (a 503 answer)."""
        import redis

        from shopper.store import StoreUnavailable

        try:
            return await self.off_loop(self._staff_secret)
        except (redis.RedisError, StoreUnavailable) as e:
            logger.error("staff sign-in secret: %s: %s", type(e).__name__, e)
            raise _Unavailable() from e

    async def staff_denied(self, request: Request) -> Optional[HTTPResponse]:
        """None when the request carries a genuine, unexpired staff sign-in (``Authorization: Bearer``);
        else the answer: 404 staff mode off, 401 no, forged or expired sign-in, 503 Redis down."""
        if not self.gate.enabled:
            return _json(STAFF_OFF, 404)
        token = W.bearer_token(request.headers.get("authorization"))
        if not token:
            return _signed_out("sign in with the staff PIN first")
        try:
            W.verify_staff_token(token, await self.staff_secret())
        except W.StaffTokenExpired:
            return _signed_out("your sign-in expired: enter the PIN again")
        except W.StaffTokenInvalid:
            return _signed_out("not a valid staff sign-in: enter the PIN again")
        except _Unavailable:
            return _json({"error": "the staff sign-in cannot be checked (Redis is unreachable); try again"}, 503)
        return None

    # -- pages and files --------------------------------------------------------------
    async def page(self, request: Request, which: str) -> HTTPResponse:
        path = W.PAGES[which]
        headers = dict(PAGE_HEADERS, **{"Content-Security-Policy": _csp(request)})
        return await response.file(str(path), mime_type=W.CONTENT_TYPES[".html"], headers=headers)

    async def chat_page(self, request: Request) -> HTTPResponse:
        return await self.page(request, "chat")

    async def kiosk_page(self, request: Request) -> HTTPResponse:
        return await self.page(request, "kiosk")

    async def staff_page(self, request: Request) -> HTTPResponse:
        return await self.page(request, "staff")

    async def checkout(self, request: Request, token: str) -> HTTPResponse:
        from shopper.links import LinkExpired, LinkInvalid
        from shopper.store import StoreUnavailable

        headers = dict(CHECKOUT_HEADERS, **{"Content-Security-Policy": _csp(request)})
        try:
            order, expires = await self.off_loop(self._order_for, token)
            status, body = 200, W.checkout_html(order, expires_at=expires)
        except LinkExpired:
            status = 410
        except (LinkInvalid, LookupError):
            status = 404
        except StoreUnavailable as e:
            logger.error("checkout page: %s", e)
            status = 503
        except Exception as e:  # noqa: BLE001 - a page saying so, never a stack trace
            logger.exception("checkout page failed: %s: %s", type(e).__name__, e)
            status = 500
        if status != 200:
            body = W.checkout_error_html(status)
        return response.html(body, status=status, headers=headers)

    def _order_for(self, token: str) -> tuple:
        """(order, link expiry) of a checkout token; LinkInvalid/LinkExpired/LookupError/StoreUnavailable."""
        import redis

        from shopper.links import shared_secret, verify
        from shopper.store import StoreUnavailable, unavailable_message

        d = self.settings.dialogue
        client = self.desk.r
        try:
            order_id = verify(token, shared_secret(client, d.redis_prefix, d.checkout_secret))
            raw = client.get(f"{d.redis_prefix}:order:{order_id}")
        except (redis.ConnectionError, redis.TimeoutError) as e:
            raise StoreUnavailable(unavailable_message(d.redis, e)) from e
        if not raw:
            raise LookupError(f"no order {order_id}")
        order = json.loads(raw)
        if not isinstance(order, dict) or str(order.get("id")) != order_id:
            raise LookupError(f"order {order_id} does not match its key")
        return order, float(token.split(".")[1])

    async def static(self, request: Request, path: str) -> HTTPResponse:
        found = W.resolve_asset(W.STATIC_DIR, path)
        if found is None:
            hint = " (run `make web-assets`)" if path.startswith("vendor/") else ""
            return response.text(f"not found: /static/{path}{hint}", status=404)
        return await response.file(
            str(found),
            mime_type=W.content_type(found),
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    # -- JSON endpoints ---------------------------------------------------------------
    async def config(self, request: Request) -> HTTPResponse:
        return _json(W.kiosk_config(self.settings.web, self.stores))

    async def history(self, request: Request, session_id: str) -> HTTPResponse:
        """The conversation's messages. A malformed or too short id, an unknown one and one without a
        tracker all get the same answer (no messages), so the endpoint tells nobody which ids exist."""
        if not W.valid_session_id(session_id):
            return _json({"session_id": session_id, "messages": []})
        try:
            store = self.redis_store(request)
            raw = await self.off_loop(store.red.get, store.key_prefix + session_id)
        except LookupError as e:
            return _json({"error": str(e)}, 503)
        except Exception as e:  # noqa: BLE001 - Redis down: say so, never an empty history
            logger.error("history of %s: %s: %s", session_id, type(e).__name__, e)
            return _json({"error": "the conversation store is unreachable; try again"}, 503)
        events = json.loads(raw).get("events", []) if raw else []
        messages = W.history_messages(events)
        try:  # staff replies, and what the shopper said while a person had the conversation
            thread = await self.off_loop(self.desk.thread, session_id)
            messages = W.merge_thread(messages, thread)
        except Exception as e:  # noqa: BLE001 - the tracker's part is still worth showing
            logger.warning("history of %s without its hand-off thread: %s: %s", session_id, type(e).__name__, e)
        return _json({"session_id": session_id, "messages": messages})

    async def staff_unlock(self, request: Request) -> HTTPResponse:
        """``{"pin"}`` -> a staff sign-in (``{ok, token, expires_at}``); 403 wrong PIN, 429 this client is
        locked out, 404 staff mode off, 503 Redis down (no secret to sign with)."""
        client = self.client_of(request)
        verdict = await self.off_loop(self.gate.check, self._body(request).get("pin"), client)
        if verdict == "off":
            return _json(STAFF_OFF, 404)
        if verdict == "locked":
            wait = max(1, math.ceil(self.gate.locked_for(client)))
            return _json(
                {"error": f"too many wrong PINs; try again in {wait} s", "retry_after_s": wait},
                429,
                {"Retry-After": str(wait)},
            )
        if verdict != "ok":
            return _json({"error": "wrong PIN"}, 403)
        try:
            token, expires = W.staff_token(await self.staff_secret(), self.settings.web.staff_session_ttl_s)
        except _Unavailable:
            return _json({"error": "staff sign-in is unavailable (Redis is unreachable); try again"}, 503)
        return _json({"ok": True, "token": token, "expires_at": expires})

    async def staff_stock(self, request: Request) -> HTTPResponse:
        denied = await self.staff_denied(request)
        if denied:
            return denied
        query = (request.args.get("q") or "").strip()[:100]
        names = {s["id"]: s["name"] for s in self.stores}
        try:
            catalog = await self.off_loop(self.catalog)
        except Exception as e:  # noqa: BLE001 - the staff page shows why instead of a server error
            logger.error("staff stock lookup: catalog failed to load: %s", e)
            return _json({"error": f"the catalog could not be loaded: {e}"}, 503)
        return _json({"query": query, "products": W.stock_lookup(catalog, query, names)})

    async def staff_help(self, request: Request) -> HTTPResponse:
        denied = await self.staff_denied(request)
        if denied:
            return denied
        try:
            store = self.redis_store(request)
            found, scanned = await self.off_loop(self._scan_help, store)
        except LookupError as e:
            return _json({"error": str(e)}, 503)
        except Exception as e:  # noqa: BLE001 - Redis down: say so, never an empty list
            logger.error("help requests: %s: %s", type(e).__name__, e)
            return _json({"error": "the conversation store is unreachable; try again"}, 503)
        names = {s["id"]: s["name"] for s in self.stores}
        for f in found:
            f["store"] = names.get(f.get("store_id") or "", f.get("store_id"))
        return _json({"requests": found, "scanned": scanned, "window_s": W.HELP_WINDOW_S})

    @staticmethod
    def _scan_help(store: Any) -> tuple:
        found, scanned = [], 0
        prefix = store.key_prefix
        for key in store.red.scan_iter(match=prefix + "*", count=200):
            key = key.decode() if isinstance(key, bytes) else key
            scanned += 1
            raw = store.red.get(key)
            if raw:
                try:
                    events = json.loads(raw).get("events", [])
                except ValueError:
                    continue
                req = W.help_request(key[len(prefix) :], events)
                if req:
                    found.append(req)
            if scanned >= W.MAX_HELP_SCAN:
                break
        found.sort(key=lambda r: -r["timestamp"])
        return found, scanned

    # -- hand-off to staff -----------------------------------------------------------------
    @staticmethod
    def _body(request: Request) -> Dict[str, Any]:
        try:
            body = request.json
        except Exception:  # noqa: BLE001 - bad JSON is an empty body
            return {}
        return body if isinstance(body, dict) and len(body) <= MAX_STAFF_BODY else {}

    def _staff_name(self, request: Request) -> str:
        from shopper.handoff import MAX_NAME, clean

        return clean(self._body(request).get("staff"), MAX_NAME)

    async def _desk_call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a desk call off the event loop; Redis down -> raises ``_Unavailable`` (a 503 answer)."""
        from shopper.store import StoreUnavailable

        try:
            return await self.off_loop(fn, *args)
        except StoreUnavailable as e:
            logger.error("hand-off desk: %s", e)
            raise _Unavailable() from e

    async def _handoff_denied(self, request: Request, sender: str) -> Optional[HTTPResponse]:
        from shopper.handoff import valid_sender

        denied = await self.staff_denied(request)
        if denied:
            return denied
        if not valid_sender(sender):
            return _json({"error": "not a conversation id"}, 400)
        return None

    async def deliver(
        self, request: Request, sender: str, state: Optional[Mapping[str, Any]], line: Mapping[str, Any]
    ) -> str:
        """Get a hand-off line to the shopper: ``live`` on Socket.IO and messaging apps (through the
        input channel's own output channel), else ``outbox`` (their next message picks it up)."""
        from channels.rasa_plugins import send_line

        channel = str((state or {}).get("channel") or "")
        if channel not in PULL_CHANNELS:
            for ch in getattr(request.app.ctx, "input_channels", None) or []:
                if ch.name() != channel:
                    continue
                try:
                    out = ch.get_output_channel()
                    if out is not None:
                        await send_line(out, sender, line)
                        return "live"
                except Exception as e:  # noqa: BLE001 - e.g. Telegram unreachable: the outbox keeps it
                    logger.error("live delivery to %s on %s failed: %s: %s", sender, channel, type(e).__name__, e)
                break
        await self._desk_call(self.desk.deliver_later, sender, line)
        return "outbox"

    def live_channel(self, request: Request, state: Optional[Mapping[str, Any]]) -> bool:
        channel = str((state or {}).get("channel") or "")
        return channel not in PULL_CHANNELS and any(
            ch.name() == channel for ch in getattr(request.app.ctx, "input_channels", None) or []
        )

    async def staff_handoffs(self, request: Request) -> HTTPResponse:
        denied = await self.staff_denied(request)
        if denied:
            return denied
        store = (request.args.get("store") or "").strip()
        store = store if W.STORE_ID_RE.match(store) else ""
        try:
            waiting = await self._desk_call(self.desk.waiting, store or None)
            taken = await self._desk_call(self.desk.taken)
        except _Unavailable:
            return _json({"error": "the hand-off queue is unreachable (Redis); try again"}, 503)
        now, names = time.time(), self.store_names
        return _json(
            {
                "store": store or None,
                "store_name": names.get(store) if store else None,
                "now": now,
                "waiting": [W.handoff_item(s, names, now) for s in waiting],
                "taken": [W.handoff_item(s, names, now) for s in taken],
            }
        )

    async def staff_handoff(self, request: Request, sender: str) -> HTTPResponse:
        denied = await self._handoff_denied(request, sender)
        if denied:
            return denied
        try:
            state = await self._desk_call(self.desk.get, sender)
            thread = await self._desk_call(self.desk.thread, sender)
        except _Unavailable:
            return _json({"error": "the hand-off queue is unreachable (Redis); try again"}, 503)
        if state is None and not thread:
            return _json({"error": "nobody with this id asked for a person"}, 404)
        conversation: List[Dict[str, Any]] = []
        note = None
        try:
            store = self.redis_store(request)
            raw = await self.off_loop(store.red.get, store.key_prefix + sender)
            events = json.loads(raw).get("events", []) if raw else []
            conversation = W.history_messages(events, limit=40)
        except Exception as e:  # noqa: BLE001 - the hand-off itself is still shown
            note = f"the earlier conversation could not be read ({type(e).__name__})"
        return _json(
            {
                "sender": sender,
                "state": W.handoff_item(state, self.store_names) if state else None,
                "thread": thread,
                "conversation": conversation,
                "conversation_error": note,
                "now": time.time(),
            }
        )

    async def staff_take(self, request: Request, sender: str) -> HTTPResponse:
        denied = await self._handoff_denied(request, sender)
        if denied:
            return denied
        staff = self._staff_name(request)
        if not staff:
            return _json({"error": "type your name first, so the shopper knows who they talk to"}, 400)
        try:
            before = await self._desk_call(self.desk.get, sender)
            ok = await self._desk_call(self.desk.take, sender, staff)
            state = await self._desk_call(self.desk.get, sender)
            if not ok:
                if state is None:
                    return _json({"error": "this shopper is no longer waiting"}, 404)
                return _json(
                    {"error": f"{state['staff']} has already taken this shopper", "staff": state["staff"]}, 409
                )
            delivered = None
            if not (before and before.get("status") == "taken"):  # newly taken: tell the shopper who joined
                line = await self._desk_call(
                    lambda: self.desk.note(
                        sender, "staff", f"{staff} from the store has joined the chat.", staff=staff, event="joined"
                    )
                )
                delivered = await self.deliver(request, sender, state, line)
        except _Unavailable:
            return _json({"error": "the hand-off queue is unreachable (Redis); try again"}, 503)
        return _json({"state": W.handoff_item(state, self.store_names) if state else None, "delivered": delivered})

    async def staff_reply(self, request: Request, sender: str) -> HTTPResponse:
        from shopper.handoff import HandoffError, clean

        denied = await self._handoff_denied(request, sender)
        if denied:
            return denied
        staff = self._staff_name(request)
        text = clean(self._body(request).get("text"))
        if not staff or not text:
            return _json({"error": "a reply needs your name and some text"}, 400)
        try:
            state = await self._desk_call(self.desk.get, sender)
            live = self.live_channel(request, state)
            try:
                line = await self._desk_call(self.desk.reply, sender, staff, text, not live)
            except HandoffError as e:
                return _json({"error": str(e), "staff": e.staff}, 404 if e.reason == "gone" else 409)
            delivered = await self.deliver(request, sender, state, line) if live else "outbox"
        except _Unavailable:
            return _json({"error": "the hand-off queue is unreachable (Redis); try again"}, 503)
        return _json({"line": line, "delivered": delivered})

    async def staff_release(self, request: Request, sender: str) -> HTTPResponse:
        from shopper.handoff import RELEASED_TEXT

        denied = await self._handoff_denied(request, sender)
        if denied:
            return denied
        staff = self._staff_name(request) or "staff"
        try:
            state = await self._desk_call(self.desk.get, sender)
            if not await self._desk_call(self.desk.release, sender, staff):
                return _json({"error": "this shopper is not waiting for or talking to a person"}, 404)
            line = {"from": "bot", "text": RELEASED_TEXT, "event": "released", "at": round(time.time(), 3)}
            delivered = await self.deliver(request, sender, state, line)
        except _Unavailable:
            return _json({"error": "the hand-off queue is unreachable (Redis); try again"}, 503)
        return _json({"released": True, "delivered": delivered})

    async def staff_reservations(self, request: Request) -> HTTPResponse:
        """Held pickup reservations of one store (``?store=<id>``), or of every store, soonest deadline first."""
        denied = await self.staff_denied(request)
        if denied:
            return denied
        store = (request.args.get("store") or "").strip()
        names = self.store_names
        ids = [store] if store in names else sorted(names)
        try:
            held = []
            for sid in ids:
                held += await self._desk_call(self.reservations.for_store, sid)
        except _Unavailable:
            return _json({"error": "reservations are unreachable (Redis); try again"}, 503)
        held.sort(key=lambda r: r["deadline"])
        keep = ("code", "name", "variant", "quantity", "store_id", "store_name", "created_at", "deadline")
        return _json(
            {
                "store": store if store in names else None,
                "now": time.time(),
                "reservations": [{k: r.get(k) for k in keep} for r in held],
            }
        )

    async def staff_collect(self, request: Request, code: str) -> HTTPResponse:
        """Staff hand a reservation over: 200, 404 (no such code) or 409 (no longer held)."""
        denied = await self.staff_denied(request)
        if denied:
            return denied
        try:
            result = await self._desk_call(self.reservations.collect, code[:16])
        except _Unavailable:
            return _json({"error": "reservations are unreachable (Redis); try again"}, 503)
        if result == "missing":
            return _json({"error": "no reservation with that code"}, 404)
        if result != "ok":
            return _json({"error": "that reservation is no longer held (collected, cancelled or expired)"}, 409)
        return _json({"code": code, "status": "collected"})

    def routes(self) -> List[Dict[str, Any]]:
        def r(
            handler: Callable[..., Awaitable[HTTPResponse]], uri: str, name: str, methods: tuple = ("GET",)
        ) -> Dict[str, Any]:
            return {"handler": handler, "uri": uri, "methods": list(methods), "name": f"webpages_{name}"}

        return [
            r(self.chat_page, "/chat", "chat"),
            r(self.kiosk_page, "/kiosk", "kiosk"),
            r(self.staff_page, "/staff", "staff"),
            r(self.checkout, "/checkout/<token:str>", "checkout"),
            r(self.static, "/static/<path:path>", "static"),
            r(self.config, "/web/api/config", "config"),
            r(self.history, "/web/api/history/<session_id:str>", "history"),
            r(self.staff_unlock, "/web/api/staff/unlock", "staff_unlock", ("POST",)),
            r(self.staff_stock, "/web/api/staff/stock", "staff_stock"),
            r(self.staff_help, "/web/api/staff/help-requests", "staff_help"),
            r(self.staff_handoffs, "/web/api/staff/handoffs", "staff_handoffs"),
            r(self.staff_handoff, "/web/api/staff/handoffs/<sender:str>", "staff_handoff"),
            r(self.staff_take, "/web/api/staff/handoffs/<sender:str>/take", "staff_take", ("POST",)),
            r(self.staff_reply, "/web/api/staff/handoffs/<sender:str>/reply", "staff_reply", ("POST",)),
            r(self.staff_release, "/web/api/staff/handoffs/<sender:str>/release", "staff_release", ("POST",)),
            r(self.staff_reservations, "/web/api/staff/reservations", "staff_reservations"),
            r(self.staff_collect, "/web/api/staff/reservations/<code:str>/collect", "staff_collect", ("POST",)),
        ]


class WebPagesInput(InputChannel):
    """Serves the web chat and kiosk pages from the Rasa server (see the module docstring)."""

    @classmethod
    def name(cls) -> str:
        return "webpages"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        from config import get_settings

        pages = WebPages(get_settings())
        if not (W.VENDOR_DIR / "socket.io.min.js").exists():
            logger.warning("web/static/vendor is missing: run `make web-assets` (npm ci) or the pages cannot chat")
        bp = WebPagesBlueprint(pages.routes(), "webpages_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "pages": ["/chat", "/kiosk", "/staff"]})

        return bp
