"""What the web chat, kiosk, staff console and checkout pages need from the server, as plain functions.

No Rasa or Sanic imports here (``channels.web`` wires these into Rasa's
Sanic app), so the logic is unit-tested on its own:

* ``history_messages``: a conversation's user/bot events (from the Redis
  tracker) -> the messages the widget shows again after a reload or on
  another device (the kiosk's QR hand-off);
* ``help_request``: is this conversation a shopper asking for help (their
  latest message was the ``help`` intent, recently)?
* ``kiosk_config`` / ``stock_lookup``: the kiosk's store and start menu, and
  stock across stores for staff;
* ``StaffGate``: the staff PIN check (only a salted scrypt hash of the PIN is kept), with a
  lockout per client after repeated misses;
* ``staff_token`` / ``verify_staff_token``: the staff sign-in the PIN buys, a signed, expiring
  token any replica checks with the secret they share (``shopper.links.shared_secret``);
* ``merge_thread`` / ``handoff_item``: the hand-off thread (staff replies, messages the bot
  did not answer) woven into a conversation's history; a hand-off as the staff console lists it;
* ``checkout_html`` / ``checkout_error_html``: the checkout summary of one order, every value
  escaped;
* ``resolve_asset``: static files, never outside their folder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import secrets
import string
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from config import REPO_ROOT, Settings, WebSettings

WEB_DIR = REPO_ROOT / "web"
STATIC_DIR = WEB_DIR / "static"  # our pages' JS, CSS, images (committed)
VENDOR_DIR = STATIC_DIR / "vendor"  # copied from web/node_modules by `make web-assets` (ignored)
PAGES = {
    "chat": WEB_DIR / "chat.html",
    "kiosk": WEB_DIR / "kiosk.html",
    "staff": WEB_DIR / "staff.html",
    "checkout": WEB_DIR / "checkout.html",  # a template: $title and $main are filled in (escaped) per order
}

# Session ids the pages create are 32 hex characters (128 random bits). History is
# read only for ids at least as long as a 128-bit random id written in base64url (22
# characters), so a conversation cannot be found by guessing; any other id gets no messages.
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{22,128}$")
HELP_INTENTS = frozenset({"help"})
HELP_WINDOW_S = 2 * 3600
MAX_HELP_SCAN = 1000  # trackers read per staff refresh (newest conversations are not indexed)
MAX_HISTORY = 300  # messages a page draws again (the latest ones)

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
    ".map": "application/json",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
}

# The kiosk's on-screen start menu: common needs, each a search the bot understands.
START_MENU: Tuple[Tuple[str, str], ...] = (
    ("Coffee", "show me coffee"),
    ("Tea", "show me tea"),
    ("Snack bars", "granola bars"),
    ("Phone chargers", "I need a phone charger"),
    ("Running shoes", "running shoes"),
    ("Diapers", "show me diapers"),
    ("Cleaning spray", "show me cleaning spray"),
    ("Shampoo", "shampoo"),
    ("A gift", "I need a gift"),
    ("Help", "/request_human"),  # a member of staff: the shopper joins the hand-off queue with this store
)
STORE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def valid_session_id(session_id: str) -> bool:
    """Could this be a session id a page made (22-128 letters, digits, ``-`` or ``_``)?"""
    return bool(SESSION_ID_RE.match(session_id or ""))


# ----------------------------------------------------------------------------- history


def display_text(event: Mapping[str, Any]) -> str:
    """What the shopper saw as their own message.

    A button sends its payload (``/ask_details{"product_id":"D1"}``) or a search
    (the kiosk's start menu); the page puts the button's title in the message
    metadata as ``display``, which is shown instead. A payload without one is
    shown as its intent in words.
    """
    text = str(event.get("text") or "")
    meta = event.get("metadata") or {}
    shown = meta.get("display") if isinstance(meta, Mapping) else None
    if isinstance(shown, str) and shown.strip():
        return shown.strip()[:200]
    if text.startswith("/"):
        intent = re.match(r"/([A-Za-z0-9_]+)", text)
        return intent.group(1).replace("_", " ").capitalize() if intent else text
    return text


def _buttons(data: Mapping[str, Any]) -> List[Dict[str, str]]:
    out = []
    for b in list(data.get("buttons") or []) + list(data.get("quick_replies") or []):
        if isinstance(b, Mapping) and b.get("payload") is not None:
            out.append({"title": str(b.get("title") or b["payload"]), "payload": str(b["payload"])})
    return out


def history_messages(events: Iterable[Mapping[str, Any]], limit: int = MAX_HISTORY) -> List[Dict[str, Any]]:
    """User and bot messages of a tracker's events, oldest first, as the widget draws them
    (the latest ``limit`` of them).

    Each: ``{"sender": "user"|"bot", "text", "buttons": [{title, payload}], "custom", "timestamp"}``.
    """
    out: List[Dict[str, Any]] = []
    for e in events:
        kind = e.get("event")
        if kind == "user":
            text = display_text(e)
            if text:
                out.append(
                    {"sender": "user", "text": text, "buttons": [], "custom": None, "timestamp": e.get("timestamp")}
                )
        elif kind == "bot":
            data = e.get("data") or {}
            custom = data.get("custom") if isinstance(data.get("custom"), Mapping) else None
            msg = {
                "sender": "bot",
                "text": str(e.get("text") or ""),
                "buttons": _buttons(data),
                "custom": custom,
                "timestamp": e.get("timestamp"),
            }
            if msg["text"] or msg["buttons"] or msg["custom"]:
                out.append(msg)
    return out[-limit:] if limit else out


# ----------------------------------------------------------------------------- staff


def last_user_event(events: Sequence[Mapping[str, Any]]) -> Optional[Mapping[str, Any]]:
    for e in reversed(events):
        if e.get("event") == "user":
            return e
    return None


def help_request(
    sender_id: str, events: Sequence[Mapping[str, Any]], now: Optional[float] = None, window_s: float = HELP_WINDOW_S
) -> Optional[Dict[str, Any]]:
    """A shopper waiting for help: their latest message was a help request within ``window_s``.

    Read from the conversation itself (the NLU intent of the latest user message,
    e.g. "I'm lost", "can you help me out", or the kiosk's Help button); nothing
    else is recorded. Returns ``None`` otherwise.
    """
    e = last_user_event(events)
    if e is None:
        return None
    intent = ((e.get("parse_data") or {}).get("intent") or {}).get("name")
    ts = float(e.get("timestamp") or 0)
    now = time.time() if now is None else now
    if intent not in HELP_INTENTS or now - ts > window_s:
        return None
    raw_meta = e.get("metadata")
    meta = raw_meta if isinstance(raw_meta, Mapping) else {}
    return {
        "session_id": sender_id,
        "text": display_text(e),
        "timestamp": ts,
        "store_id": meta.get("store_id"),
        "kiosk": bool(meta.get("kiosk")),
        "channel": e.get("input_channel"),
    }


SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}  # about 16 MiB and 50 ms a check
MAX_GATE_CLIENTS = 10_000  # clients the staff gate remembers misses of (the oldest are dropped)


def pin_hash(pin: str, salt: bytes) -> bytes:
    """The salted scrypt hash of a PIN (surrounding spaces ignored)."""
    return hashlib.scrypt(pin.strip().encode(), salt=salt, **SCRYPT)


@dataclass
class Misses:
    """One client's record at the staff gate."""

    count: int = 0  # wrong PINs in a row
    pending: int = 0  # checks under way
    locked_until: float = 0.0


class StaffGate:
    """Checks the staff PIN. Only a salted scrypt hash of it is kept, and every attempt (an empty
    one too) is hashed and compared in constant time. After ``max_failures`` wrong PINs in a row
    from one client (its address) that client is refused for ``lockout_s``; other clients are not.
    Checks already under way count, so parallel guesses do not get round the limit."""

    def __init__(
        self,
        pin: Optional[str],
        max_failures: int = 5,
        lockout_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_GATE_CLIENTS,
    ) -> None:
        pin = (pin or "").strip()
        self.salt = secrets.token_bytes(16)
        self.digest: Optional[bytes] = pin_hash(pin, self.salt) if pin else None
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.clock = clock
        self.max_clients = max_clients
        self.clients: OrderedDict[str, Misses] = OrderedDict()  # the most recently seen last
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.digest is not None

    def check(self, given: Any, client: str = "") -> str:
        """``"ok"``, ``"wrong"``, ``"locked"`` (this client missed too often) or ``"off"`` (no PIN configured)."""
        digest = self.digest
        if digest is None:
            return "off"
        if not self._begin(client):
            return "locked"
        ok = hmac.compare_digest(pin_hash("" if given is None else str(given), self.salt), digest)
        self._end(client, ok)
        return "ok" if ok else "wrong"

    def locked_for(self, client: str = "") -> float:
        """Seconds until ``client`` may try again (0 when it may now)."""
        with self._lock:
            entry = self.clients.get(client)
            return max(0.0, entry.locked_until - self.clock()) if entry else 0.0

    def _begin(self, client: str) -> bool:
        """Count an attempt under way; False while the client is locked out or its attempts under way
        could already reach the limit."""
        with self._lock:
            entry = self.clients.pop(client, None) or Misses()
            self.clients[client] = entry
            while len(self.clients) > self.max_clients:
                self.clients.popitem(last=False)
            if self.clock() < entry.locked_until or entry.count + entry.pending >= self.max_failures:
                return False
            entry.pending += 1
            return True

    def _end(self, client: str, ok: bool) -> None:
        with self._lock:
            entry = self.clients.get(client)
            if entry is None:  # dropped meanwhile: the table filled up with other clients
                return
            entry.pending -= 1
            if ok:
                entry.count = 0
                if not entry.pending:
                    del self.clients[client]
                return
            entry.count += 1
            if entry.count >= self.max_failures:
                entry.count = 0
                entry.locked_until = self.clock() + self.lockout_s


STAFF_TOKEN_RE = re.compile(r"^(\d{1,12})\.([A-Za-z0-9_-]{22,64})\.([A-Za-z0-9_-]{43})$")


class StaffTokenInvalid(ValueError):
    """Not a staff sign-in this store made (malformed, tampered, or signed with another secret)."""


class StaffTokenExpired(ValueError):
    """A genuine staff sign-in whose time is up."""


def _staff_sig(secret: str, expires: str, nonce: str) -> str:
    """HMAC-SHA256 of a sign-in, with a key derived from the shared secret: a checkout link (signed
    with the secret itself, ``shopper.links``) is never a staff sign-in, nor the other way round."""
    key = hmac.new(secret.encode(), b"shopguide staff sign-in", hashlib.sha256).digest()
    mac = hmac.new(key, f"staff.{expires}.{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def staff_token(secret: str, ttl_s: float, now: Optional[float] = None) -> Tuple[str, int]:
    """A staff sign-in ``<expiry>.<random nonce>.<signature>`` valid ``ttl_s`` seconds, and its expiry
    (unix seconds). Nothing is stored: any replica with the secret checks it."""
    if not secret:
        raise ValueError("an empty secret would sign nothing")
    expires = int((time.time() if now is None else now) + ttl_s)
    nonce = secrets.token_urlsafe(16)
    return f"{expires}.{nonce}.{_staff_sig(secret, str(expires), nonce)}", expires


def verify_staff_token(token: Optional[str], secret: str, now: Optional[float] = None) -> int:
    """The expiry of a genuine staff sign-in. Raises ``StaffTokenInvalid`` or ``StaffTokenExpired``."""
    m = STAFF_TOKEN_RE.match(token or "")
    if not m or not secret:
        raise StaffTokenInvalid("not a valid staff sign-in")
    expires, nonce, sig = m.groups()
    if not hmac.compare_digest(sig, _staff_sig(secret, expires, nonce)):
        raise StaffTokenInvalid("not a valid staff sign-in")
    if int(expires) <= (time.time() if now is None else now):
        raise StaffTokenExpired("the staff sign-in has expired")
    return int(expires)


def bearer_token(header: Optional[str]) -> Optional[str]:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def ensure_staff_pin(configured: Optional[str]) -> Tuple[str, bool]:
    """For ``make run``: the configured staff PIN, or a random 6-digit one. Returns (pin, generated);
    the launcher hands it to the servers it starts in their environment."""
    pin = (configured or "").strip()
    if pin:
        return pin, False
    return f"{secrets.randbelow(10**6):06d}", True


# ----------------------------------------------------------------------------- kiosk


def load_store_list() -> List[Dict[str, Any]]:
    """The stores of data/demo/stores.yml (id, name, address, hours, aisle count); [] if unreadable."""
    try:
        from retrieval.demo_catalog import load_stores

        stores = load_stores()
    except Exception:  # noqa: BLE001 - a catalog without store layouts still has store ids
        return []
    return [
        {
            "id": s["id"],
            "name": s["name"],
            "address": s.get("address", ""),
            "hours": s.get("hours", ""),
            "aisles": max(s.get("aisle_numbers", {}).values() or [0]),
        }
        for s in stores
    ]


def kiosk_config(s: WebSettings, stores: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """What the kiosk page needs: its store, idle timeout, QR base URL, whether staff mode exists."""
    by_id = {st["id"]: dict(st) for st in stores}
    store = by_id.get(s.kiosk_store)
    error = None
    if store is None:
        error = f"SHOPGUIDE_KIOSK_STORE={s.kiosk_store!r} is not a known store" + (
            f" (one of {', '.join(sorted(by_id))})" if by_id else ""
        )
        store = {"id": s.kiosk_store, "name": s.kiosk_store, "address": "", "hours": "", "aisles": 0}
    return {
        "store": store,
        "stores": [{"id": st["id"], "name": st["name"]} for st in stores],
        "idle_timeout_s": s.kiosk_idle_timeout_s,
        "public_base_url": (s.public_base_url or "").rstrip("/") or None,
        "staff_enabled": bool((s.kiosk_staff_pin or "").strip()),
        "start_menu": [{"title": t, "text": q} for t, q in START_MENU],
        "error": error,
    }


def stock_lookup(catalog: Any, query: str, store_names: Mapping[str, str], limit: int = 8) -> List[Dict[str, Any]]:
    """Products matching ``query`` (an id, or words all in the name/brand) with stock in every store."""
    from actions.replies import money

    q = (query or "").strip()
    if not q:
        return []
    found = []
    if q in catalog:
        found = [catalog.get(q)]
    else:
        words = q.lower().split()
        for p in catalog.products:
            hay = f"{p.name} {p.brand or ''}".lower()
            if all(w in hay for w in words):
                found.append(p)
                if len(found) >= limit:
                    break
    return [
        {
            "id": p.id,
            "name": p.name,
            "brand": p.brand,
            "price_text": money(p.price, p.currency),
            "stock": [
                {"store_id": sid, "store": store_names.get(sid, sid), "quantity": st.quantity, "aisle": st.aisle}
                for sid, st in sorted(p.stock.items())
            ],
        }
        for p in found
    ]


# ----------------------------------------------------------------------------- hand-off


def thread_message(line: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """A hand-off thread line as a history message (``from``/``staff`` say who wrote a bot-side one)."""
    text = str(line.get("text") or "")
    if not text:
        return None
    who = line.get("from")
    if who == "shopper":
        return {"sender": "user", "text": text, "buttons": [], "custom": None, "timestamp": line.get("at")}
    meta: Dict[str, Any] = {"from": who or "bot", "outcome": "staff" if who == "staff" else "handoff"}
    if line.get("staff"):
        meta["staff"] = str(line["staff"])
    if line.get("event"):
        meta["handoff"] = str(line["event"])
    return {"sender": "bot", "text": text, "buttons": [], "custom": None, "timestamp": line.get("at"), "metadata": meta}


def merge_thread(
    messages: Sequence[Mapping[str, Any]], thread: Iterable[Mapping[str, Any]], limit: int = MAX_HISTORY
) -> List[Dict[str, Any]]:
    """The conversation's history with the hand-off thread woven in by time: staff replies and the
    messages the bot did not see (a person had the conversation) are not in Rasa's tracker."""
    extra = [m for m in (thread_message(line) for line in thread) if m]
    if not extra:
        return [dict(m) for m in messages][-limit:] if limit else [dict(m) for m in messages]
    tagged = [(float(m.get("timestamp") or 0), 0, i, dict(m)) for i, m in enumerate(messages)]
    tagged += [(float(m.get("timestamp") or 0), 1, i, m) for i, m in enumerate(extra)]
    out = [m for *_, m in sorted(tagged, key=lambda t: (t[0], t[1], t[2]))]
    return out[-limit:] if limit else out


def handoff_item(
    state: Mapping[str, Any], store_names: Mapping[str, str], now: Optional[float] = None
) -> Dict[str, Any]:
    """A hand-off as the staff console lists it: the desk's state plus the store's name and how long
    the shopper has waited (seconds, by the server's clock)."""
    now = time.time() if now is None else now
    item = dict(state)
    sid = state.get("store_id")
    item["store"] = store_names.get(sid, sid) if sid else None
    item["waited_s"] = round(max(0.0, now - float(state.get("requested_at") or now)), 1)
    last = state.get("last_messages") or []
    item["preview"] = str(last[-1])[:140] if last else ""
    return item


# ----------------------------------------------------------------------------- checkout

CHECKOUT_TEMPLATE = PAGES["checkout"]
PAYMENT_NOTE = (
    "Payment is not taken on this page. This demo shop stops here: in a live shop, the payment "
    "provider's own checkout (a hosted payment page or card form) opens from this summary, and the "
    "order is confirmed when it reports the payment."
)


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _when(value: Any) -> str:
    """A unix time or an ISO string as a date people read (UTC)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return time.strftime("%d %b %Y, %H:%M UTC", time.gmtime(float(value)))
    return str(value or "")


def _status(value: Any) -> str:
    return str(value or "unknown").replace("_", " ").strip().capitalize()


def _money(amount: Any, currency: str) -> str:
    from actions.replies import money

    try:
        return money(float(amount), currency)
    except (TypeError, ValueError):
        return "price not listed"


def _render(title: str, main: str) -> str:
    template = string.Template(CHECKOUT_TEMPLATE.read_text(encoding="utf-8"))
    return template.safe_substitute(title=_esc(title), main=main)


def checkout_html(order: Mapping[str, Any], expires_at: Optional[float] = None) -> str:
    """The checkout summary page of one order (``shopper.orders`` JSON): every value is escaped."""
    currency = str(order.get("currency") or "USD")
    oid = _esc(order.get("id"))
    rows, computed = [], 0.0
    for line in order.get("lines") or []:
        if not isinstance(line, Mapping):
            continue
        qty = int(line.get("quantity") or 0)
        try:
            subtotal = float(line.get("unit_price") or 0) * qty
        except (TypeError, ValueError):
            subtotal = 0.0
        computed += subtotal
        variant = f'<span class="co-variant">{_esc(line.get("variant"))}</span>' if line.get("variant") else ""
        rows.append(
            f'<tr data-product-id="{_esc(line.get("product_id"))}"><th scope="row">{_esc(line.get("name"))}{variant}</th>'
            f'<td class="num">{qty}</td><td class="num">{_esc(_money(line.get("unit_price"), currency))}</td>'
            f'<td class="num">{_esc(_money(subtotal, currency))}</td></tr>'
        )
    total = order.get("total") if order.get("total") is not None else computed
    raw_f = order.get("fulfilment")
    f: Mapping[str, Any] = raw_f if isinstance(raw_f, Mapping) else {}
    if f.get("type") == "pickup":
        where = _esc(f.get("store_name") or f.get("store_id") or "a store")
        fulfil = f"<p><strong>Pick up in store:</strong> {where}</p>"
        if f.get("address"):
            fulfil += f"<p>{_esc(f.get('address'))}</p>"
    elif f.get("type") == "delivery":
        fulfil = "<p><strong>Delivery to:</strong> " + _esc(f.get("address") or "the address you gave") + "</p>"
    else:
        fulfil = "<p>Not chosen yet: ask the assistant to deliver it or to reserve it in a store.</p>"
    history = "".join(
        f"<li><strong>{_esc(_status(h.get('status')))}</strong> <span>{_esc(_when(h.get('at')))}</span></li>"
        for h in order.get("history") or []
        if isinstance(h, Mapping)
    )
    expires = f'<p class="co-expires">This link works until {_esc(_when(float(expires_at)))}.</p>' if expires_at else ""
    main = f"""
<header class="co-head">
  <p class="co-kicker">Shopping guide · checkout</p>
  <h1>Order {oid}</h1>
  <p class="co-status">Status: <strong data-status="{_esc(order.get("status"))}">{_esc(_status(order.get("status")))}</strong></p>
  <p class="co-created">Placed {_esc(_when(order.get("created_at")))}</p>
</header>
<section aria-labelledby="co-items">
  <h2 id="co-items">Items</h2>
  <table class="co-lines">
    <caption class="visually-hidden">Items in order {oid}</caption>
    <thead><tr><th scope="col">Product</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Price each</th><th scope="col" class="num">Subtotal</th></tr></thead>
    <tbody>{"".join(rows) or '<tr><td colspan="4">No items.</td></tr>'}</tbody>
    <tfoot><tr><th scope="row" colspan="3">Total</th><td class="num co-total">{_esc(_money(total, currency))}</td></tr></tfoot>
  </table>
</section>
<section aria-labelledby="co-fulfil">
  <h2 id="co-fulfil">{"Pickup" if f.get("type") == "pickup" else "Delivery"}</h2>
  {fulfil}
</section>
<section aria-labelledby="co-pay" class="co-pay">
  <h2 id="co-pay">Payment</h2>
  <p data-payment-note>{_esc(PAYMENT_NOTE)}</p>
</section>
{f'<section aria-labelledby="co-hist"><h2 id="co-hist">History</h2><ol class="co-history">{history}</ol></section>' if history else ""}
{expires}
"""
    return _render(f"Order {order.get('id')} – checkout", main)


CHECKOUT_ERRORS = {
    404: (
        "Not a valid checkout link",
        "This is not a valid checkout link. Check that the whole link was copied, or ask the assistant for your order's link again.",
    ),
    410: (
        "This link has expired",
        "This checkout link has expired. Ask the assistant for a new one: your order is still there.",
    ),
    503: (
        "Try again in a moment",
        "We can't show this order right now. Nothing is lost: please try again in a moment.",
    ),
    500: (
        "Something went wrong",
        "Something went wrong showing this order. Please try again, or ask the assistant for a new link.",
    ),
}


def checkout_error_html(status: int) -> str:
    """The page for a checkout link that cannot be shown (404 invalid, 410 expired, 503 store down)."""
    title, text = CHECKOUT_ERRORS.get(status, CHECKOUT_ERRORS[500])
    main = f"""
<header class="co-head">
  <p class="co-kicker">Shopping guide · checkout</p>
  <h1>{_esc(title)}</h1>
</header>
<p class="co-error" data-error="{status}">{_esc(text)}</p>
<p><a href="/chat">Open the shopping assistant</a></p>
"""
    return _render(title, main)


# ----------------------------------------------------------------------------- files and URLs


def resolve_asset(root: Path, relpath: str) -> Optional[Path]:
    """``root/relpath`` if it is a file inside ``root`` (no ``..``, no hidden files), else None."""
    if not relpath or "\x00" in relpath or any(part.startswith(".") for part in relpath.split("/")):
        return None
    try:
        root = root.resolve()
        path = (root / relpath).resolve()
    except (OSError, RuntimeError):
        return None
    if root not in path.parents or not path.is_file():
        return None
    return path


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


def page_urls(s: Settings) -> Dict[str, str]:
    """Where the pages are served: Rasa's own port (one origin for the page and its Socket.IO)."""
    base = s.dialogue.rasa_url
    return {"chat": f"{base}/chat", "kiosk": f"{base}/kiosk", "staff": f"{base}/staff"}


def urls_text(settings: Settings, staff_pin: Optional[str] = None, generated_pin: bool = False) -> str:
    """The lines `make run` prints about the pages (``staff_pin``: the one the stack was started with)."""
    urls = page_urls(settings)
    s, rasa_url = settings.web, settings.dialogue.rasa_url
    pin = (staff_pin or s.kiosk_staff_pin or "").strip()
    staff = (
        f"staff PIN {pin}"
        + (" (random for this run; set SHOPGUIDE_KIOSK_STAFF_PIN to choose)" if generated_pin else "")
        if pin
        else "staff mode off (set SHOPGUIDE_KIOSK_STAFF_PIN)"
    )
    lines = [
        f'  Web chat:         {urls["chat"]}   (embed on a page: <script src="{rasa_url}/static/embed.js" defer></script>)',
        f"  Kiosk:            {urls['kiosk']}  (store {s.kiosk_store}, idle reset after {s.kiosk_idle_timeout_s} s; {staff})",
        f"  Staff console:    {urls['staff']}  (shoppers who asked for a person; the staff PIN)",
    ]
    if s.public_base_url:
        lines.append(f"  Kiosk QR codes:   {s.public_base_url.rstrip('/')}/chat?session=...")
    if not (VENDOR_DIR / "socket.io.min.js").exists():
        lines.append("  (web/static/vendor is missing: run `make web-assets`, or the pages cannot chat)")
    return "\n".join(lines)
