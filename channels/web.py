"""The web chat and kiosk pages, served by the Rasa server itself (one origin with its Socket.IO).

Listed in ``bot/credentials.yml`` as ``channels.web.WebPagesInput``. It takes
no messages (shoppers talk over the Socket.IO channel); it serves:

==========================================  =====================================================
``GET /chat``                               the web chat page (``?session=<id>`` opens that conversation)
``GET /kiosk``                              the in-store kiosk page
``GET /static/<path>``                      ``web/static`` (JS, CSS, the card image placeholder;
                                            ``web/static/vendor`` is copied from npm by ``make web-assets``)
``GET /web/api/config``                     kiosk store, idle timeout, QR base URL, staff on/off, start menu
``GET /web/api/history/<session_id>``       the conversation's user/bot messages, read from the Redis tracker
``POST /web/api/staff/unlock``              ``{"pin": ...}`` -> 200 / 403 / 429 (locked) / 404 (staff mode off)
``GET /web/api/staff/stock?q=<id|words>``   stock of matching products in every store (header ``X-Staff-Pin``)
``GET /web/api/staff/help-requests``        shoppers whose latest message asked for help (header ``X-Staff-Pin``)
``GET /webhooks/webpages/``                 health
==========================================  =====================================================

Rasa mounts a channel's blueprint under ``/webhooks/<name>/``; the page routes are
added to the app itself from ``WebPagesBlueprint.register`` (as Rasa's own
``SocketBlueprint`` attaches Socket.IO), because ``/`` is taken by Rasa's HTTP API.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any, Awaitable, Callable, Dict, List, Optional

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


def _csp(request: Request) -> str:
    host = request.host
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' ws://{host} wss://{host}; object-src 'none'; base-uri 'none'"
    )


def _json(data: Any, status: int = 200) -> HTTPResponse:
    return response.json(data, status=status, headers={"Cache-Control": "no-store"})


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

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.gate = W.StaffGate(settings.web.kiosk_staff_pin)
        self._stores: Optional[List[Dict[str, Any]]] = None
        self._catalog: Any = None
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

    def staff_denied(self, request: Request) -> Optional[HTTPResponse]:
        verdict = self.gate.check(request.headers.get("x-staff-pin"))
        return self._verdict(verdict)

    @staticmethod
    def _verdict(verdict: str) -> Optional[HTTPResponse]:
        if verdict == "ok":
            return None
        if verdict == "off":
            return _json({"error": "staff mode is off (set SHOPGUIDE_KIOSK_STAFF_PIN)"}, 404)
        if verdict == "locked":
            return _json({"error": "too many wrong PINs; try again in a moment"}, 429)
        return _json({"error": "wrong PIN"}, 403)

    # -- pages and files --------------------------------------------------------------
    async def page(self, request: Request, which: str) -> HTTPResponse:
        path = W.PAGES[which]
        headers = dict(PAGE_HEADERS, **{"Content-Security-Policy": _csp(request)})
        return await response.file(str(path), mime_type=W.CONTENT_TYPES[".html"], headers=headers)

    async def chat_page(self, request: Request) -> HTTPResponse:
        return await self.page(request, "chat")

    async def kiosk_page(self, request: Request) -> HTTPResponse:
        return await self.page(request, "kiosk")

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
        if not W.valid_session_id(session_id):
            return _json({"error": "session ids are 16-128 letters, digits, - or _"}, 400)
        try:
            store = self.redis_store(request)
            raw = await self.off_loop(store.red.get, store.key_prefix + session_id)
        except LookupError as e:
            return _json({"error": str(e)}, 503)
        except Exception as e:  # noqa: BLE001 - Redis down: say so, never an empty history
            logger.error("history of %s: %s: %s", session_id, type(e).__name__, e)
            return _json({"error": "the conversation store is unreachable; try again"}, 503)
        events = json.loads(raw).get("events", []) if raw else []
        return _json({"session_id": session_id, "messages": W.history_messages(events)})

    async def staff_unlock(self, request: Request) -> HTTPResponse:
        try:
            pin = (request.json or {}).get("pin")
        except Exception:  # noqa: BLE001 - bad JSON is a wrong PIN
            pin = None
        denied = self._verdict(self.gate.check(pin))
        return denied or _json({"ok": True})

    async def staff_stock(self, request: Request) -> HTTPResponse:
        denied = self.staff_denied(request)
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
        denied = self.staff_denied(request)
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

    def routes(self) -> List[Dict[str, Any]]:
        def r(
            handler: Callable[..., Awaitable[HTTPResponse]], uri: str, name: str, methods: tuple = ("GET",)
        ) -> Dict[str, Any]:
            return {"handler": handler, "uri": uri, "methods": list(methods), "name": f"webpages_{name}"}

        return [
            r(self.chat_page, "/chat", "chat"),
            r(self.kiosk_page, "/kiosk", "kiosk"),
            r(self.static, "/static/<path:path>", "static"),
            r(self.config, "/web/api/config", "config"),
            r(self.history, "/web/api/history/<session_id:str>", "history"),
            r(self.staff_unlock, "/web/api/staff/unlock", "staff_unlock", ("POST",)),
            r(self.staff_stock, "/web/api/staff/stock", "staff_stock"),
            r(self.staff_help, "/web/api/staff/help-requests", "staff_help"),
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
            return response.json({"status": "ok", "pages": ["/chat", "/kiosk"]})

        return bp
