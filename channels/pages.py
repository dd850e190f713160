"""What the web chat and kiosk pages need from the server, as plain functions.

No Rasa or Sanic imports here (``channels.web`` wires these into Rasa's
Sanic app), so the logic is unit-tested on its own:

* ``history_messages``: a conversation's user/bot events (from the Redis
  tracker) -> the messages the widget shows again after a reload or on
  another device (the kiosk's QR hand-off);
* ``help_request``: is this conversation a shopper asking for help (their
  latest message was the ``help`` intent, recently)?
* ``kiosk_config`` / ``stock_lookup``: the kiosk's store and start menu, and
  stock across stores for staff;
* ``StaffGate``: the staff PIN check, with a lockout after repeated misses;
* ``resolve_asset``: static files, never outside their folder.
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from config import REPO_ROOT, Settings, WebSettings

WEB_DIR = REPO_ROOT / "web"
STATIC_DIR = WEB_DIR / "static"  # our pages' JS, CSS, images (committed)
VENDOR_DIR = STATIC_DIR / "vendor"  # copied from web/node_modules by `make web-assets` (ignored)
PAGES = {"chat": WEB_DIR / "chat.html", "kiosk": WEB_DIR / "kiosk.html"}

# Session ids the pages create are 32 hex characters (128 random bits). History is
# served only for ids that long, so a conversation cannot be found by guessing.
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
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
    ("Help", "/help"),
)


def valid_session_id(session_id: str) -> bool:
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


class StaffGate:
    """Checks the staff PIN in constant time; after ``max_failures`` misses in a row
    every attempt is refused for ``lockout_s`` (slows down guessing a short PIN)."""

    def __init__(
        self, pin: Optional[str], max_failures: int = 5, lockout_s: float = 30.0, clock=time.monotonic
    ) -> None:
        self.pin = (pin or "").strip() or None
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.clock = clock
        self.failures = 0
        self.locked_until = 0.0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.pin is not None

    def check(self, given: Optional[str]) -> str:
        """``"ok"``, ``"wrong"``, ``"locked"`` (too many misses) or ``"off"`` (no PIN configured)."""
        pin = self.pin
        if not self.enabled or pin is None:
            return "off"
        with self._lock:
            if self.clock() < self.locked_until:
                return "locked"
            if given is not None and hmac.compare_digest(str(given).strip().encode(), pin.encode()):
                self.failures = 0
                return "ok"
            self.failures += 1
            if self.failures >= self.max_failures:
                self.failures = 0
                self.locked_until = self.clock() + self.lockout_s
            return "wrong"


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
    return {"chat": f"{base}/chat", "kiosk": f"{base}/kiosk"}


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
    ]
    if s.public_base_url:
        lines.append(f"  Kiosk QR codes:   {s.public_base_url.rstrip('/')}/chat?session=...")
    if not (VENDOR_DIR / "socket.io.min.js").exists():
        lines.append("  (web/static/vendor is missing: run `make web-assets`, or the pages cannot chat)")
    return "\n".join(lines)
