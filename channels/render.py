"""One place that maps a bot reply to each channel's format.

The actions never look at the channel: every reply is ``text`` + ``buttons``
(``[{title, payload}]``) + optionally product cards in ``custom``
(``{"type": kind, "act": act, "cards": [...]}``, see ``actions/cards.py``).
:func:`render` turns one such Rasa bot message into the message(s) a channel's
output methods can send:

=====================  ==================================================================
channel                what it gets
=====================  ==================================================================
``rest``, ``socketio``,  the message as it is (cards in ``custom``): the web widget and the
``web``, ``kiosk``       kiosk draw the cards, integrations read them
``telegram``           text (product lines added when the text lacks them) + an inline
                       keyboard: titles <= 64 bytes, ``callback_data`` <= 64 bytes (longer
                       payloads become a short token, see :class:`ButtonTokens`), <= 4,096
                       characters per message
``slack``              without buttons: mrkdwn text (``& < >`` escaped); with buttons: a
                       ``custom`` Block Kit message (section text <= 3,000 characters,
                       buttons <= 25 per actions block, title <= 75, value <= 2,000,
                       <= 50 blocks), posted by Rasa's ``SlackBot.send_custom_json``
``facebook``           <= 3 buttons and text <= 640: a button template (titles <= 20);
                       otherwise text <= 2,000 with up to 11 quick replies (titles <= 20,
                       payloads <= 1,000; fbmessenger refuses more than 11)
anything else          text + buttons, no card JSON
=====================  ==================================================================

No card JSON ever reaches a messaging app. Rendering is idempotent: rendering an
already rendered message again gives the same message(s).

Pure Python (no Rasa import), so it is unit-testable on its own;
``channels/messaging.py`` plugs it into Rasa's Telegram, Slack and Messenger channels.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, TypeGuard

logger = logging.getLogger(__name__)

# The kinds of card payloads the actions attach (Turn.say(kind=...)).
CARD_KINDS = frozenset({"product_cards", "product_details", "comparison", "cart_update", "stock"})
# Channels whose clients draw the cards themselves: they get every message unchanged.
CARD_CHANNELS = frozenset({"rest", "socketio", "web", "kiosk"})
MESSAGING_CHANNELS = frozenset({"telegram", "slack", "facebook"})
# Keys of a Rasa bot message that carry something to show (the rest is bookkeeping:
# timestamp, utter_action, the phraser's verdict...). Passed through untouched.
PASS_THROUGH = ("image", "attachment", "elements")
CHOOSE_TEXT = "Pick one:"  # Telegram and Messenger refuse buttons without text

# Platform limits (checked against each platform's API reference; see docs/channels.md).
TELEGRAM_TEXT = 4096  # characters of one message
TELEGRAM_TITLE_BYTES = 64  # inline keyboard button text (project limit, UTF-8 bytes)
TELEGRAM_DATA_BYTES = 64  # callback_data, UTF-8 bytes (Bot API)
TELEGRAM_BUTTONS = 100  # buttons of one inline keyboard
SLACK_SECTION = 3000  # section block text
SLACK_TITLE = 75  # button text
SLACK_VALUE = 2000  # button value
SLACK_ACTIONS = 25  # elements of one actions block
SLACK_BLOCKS = 50  # blocks of one message
FB_TEXT = 2000  # text message (also with quick replies)
FB_TEMPLATE_TEXT = 640  # button template text
FB_TEMPLATE_BUTTONS = 3  # buttons of one button template
FB_QUICK_REPLIES = 11  # the platform allows 13; fbmessenger 6.0 raises above 11
FB_TITLE = 20  # button and quick reply titles
FB_PAYLOAD = 1000  # postback / quick reply payload


# ----------------------------------------------------------------------------- button tokens


class ButtonTokens:
    """Short stand-ins for button payloads too long for a platform (Telegram: 64 bytes).

    ``shorten(payload, limit)`` returns the payload when it fits, else ``/~`` + 16
    base32 characters (a hash of the payload, so the same payload always gets the
    same token) and remembers the mapping: in process memory (bounded LRU) and,
    when a Redis client is available, under ``<prefix>:button:<token>`` for
    ``ttl_s`` so a button still works after Rasa restarts. ``expand(text)``
    maps a token back (``None`` when it is unknown) and leaves other text alone.
    """

    MARK = "/~"
    LENGTH = len(MARK) + 16

    def __init__(
        self,
        redis_client: Any = None,
        prefix: str = "shopguide",
        ttl_s: int = 90 * 86400,
        max_memory: int = 20000,
        use_env_redis: bool = False,
    ) -> None:
        self._memory: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self._redis = redis_client
        self._use_env_redis = use_env_redis and redis_client is None
        self.prefix = prefix
        self.ttl_s = ttl_s
        self.max_memory = max_memory

    @classmethod
    def token_of(cls, payload: str) -> str:
        digest = hashlib.sha256(payload.encode("utf-8")).digest()
        return cls.MARK + base64.b32encode(digest).decode("ascii")[:16].lower()

    @classmethod
    def is_token(cls, text: str) -> bool:
        return len(text) == cls.LENGTH and text.startswith(cls.MARK)

    def _client(self) -> Any:
        if self._redis is None and self._use_env_redis:
            self._use_env_redis = False  # one try per process
            try:
                import redis

                from config import get_settings

                d = get_settings().dialogue
                self.prefix = d.redis_prefix
                self._redis = redis.Redis.from_url(d.redis, socket_timeout=2, socket_connect_timeout=2)
            except Exception as e:  # noqa: BLE001 - memory still works
                logger.warning("button tokens kept in memory only (no Redis: %s)", type(e).__name__)
        return self._redis

    def _key(self, token: str) -> str:
        return f"{self.prefix}:button:{token[len(self.MARK) :]}"

    def _remember(self, token: str, payload: str) -> None:
        with self._lock:
            self._memory[token] = payload
            self._memory.move_to_end(token)
            while len(self._memory) > self.max_memory:
                self._memory.popitem(last=False)

    def shorten(self, payload: str, limit: int) -> str:
        if len(payload.encode("utf-8")) <= limit:
            return payload
        token = self.token_of(payload)
        self._remember(token, payload)
        client = self._client()
        if client is not None:
            try:
                client.set(self._key(token), payload, ex=self.ttl_s)
            except Exception as e:  # noqa: BLE001 - the in-memory copy still works until a restart
                logger.warning("could not keep button token in Redis: %s", type(e).__name__)
        return token

    def expand(self, text: Optional[str]) -> Optional[str]:
        """The payload behind a token; other text unchanged; ``None`` for an unknown token."""
        if not text or not self.is_token(text):
            return text
        with self._lock:
            payload = self._memory.get(text)
        if payload is not None:
            return payload
        client = self._client()
        if client is not None:
            try:
                raw = client.get(self._key(text))
            except Exception as e:  # noqa: BLE001 - Redis down: the token is unknown, as if expired
                logger.warning("could not read button token from Redis: %s", type(e).__name__)
                raw = None
            if raw is not None:
                payload = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
                self._remember(text, payload)
                return payload
        return None


_tokens: Optional[ButtonTokens] = None


def button_tokens() -> ButtonTokens:
    """The process-wide token map (Redis-backed when ``REDIS_URL`` / the stack's Redis answers)."""
    global _tokens
    if _tokens is None:
        from config import get_settings

        _tokens = ButtonTokens(use_env_redis=bool(get_settings().dialogue.redis_url))
    return _tokens


def set_button_tokens(tokens: Optional[ButtonTokens]) -> None:
    """Tests: use this token map (``None``: back to the default)."""
    global _tokens
    _tokens = tokens


# ----------------------------------------------------------------------------- the reply


def is_card_payload(custom: Any) -> TypeGuard[Dict[str, Any]]:
    return isinstance(custom, dict) and custom.get("type") in CARD_KINDS and isinstance(custom.get("cards"), list)


@dataclass
class Reply:
    """A bot message taken apart: what the actions said, independent of any channel."""

    text: str = ""
    buttons: List[Dict[str, str]] = field(default_factory=list)
    cards: List[Dict[str, Any]] = field(default_factory=list)
    kind: str = ""
    act: str = ""
    custom: Any = None  # a custom payload that is not cards (channel-native)
    extra: Dict[str, Any] = field(default_factory=dict)  # image / attachment / elements

    @classmethod
    def of(cls, message: Dict[str, Any]) -> Reply:
        buttons = [b for b in (message.get("buttons") or []) if isinstance(b, dict)]
        # Rasa's quick_replies have the same {title, payload} shape
        buttons += [b for b in (message.get("quick_replies") or []) if isinstance(b, dict)]
        reply = cls(
            text=str(message.get("text") or ""),
            buttons=[
                {"title": str(b.get("title") or ""), "payload": str(b.get("payload") or "")}
                for b in buttons
                if b.get("title") or b.get("payload")
            ],
            extra={k: message[k] for k in PASS_THROUGH if message.get(k)},
        )
        custom = message.get("custom")
        if is_card_payload(custom):
            reply.cards = [c for c in custom["cards"] if isinstance(c, dict)]
            reply.kind = custom.get("type") or ""
            reply.act = custom.get("act") or ""
        elif custom:
            reply.custom = custom
        return reply


# ----------------------------------------------------------------------------- text of the cards


def stock_text(card: Dict[str, Any]) -> str:
    """``in stock at Downtown (Aisle 7), Riverside; out of stock at Eastgate`` ('' without stock data)."""
    have, out = [], []
    for s in card.get("stock") or []:
        name = s.get("store") or s.get("store_id") or "?"
        if (s.get("quantity") or 0) > 0:
            have.append(f"{name} ({s['aisle']})" if s.get("aisle") else str(name))
        else:
            out.append(str(name))
    parts = []
    if have:
        parts.append("in stock at " + ", ".join(have))
    if out:
        parts.append("out of stock at " + ", ".join(out))
    return "; ".join(parts)


def product_line(card: Dict[str, Any]) -> str:
    """``2. Cedarwood Candle — Hearth & Loom — $18.49 (in stock at Downtown (Aisle 4))``."""
    parts = [str(card.get("name") or card.get("id") or "product")]
    if card.get("brand"):
        parts.append(str(card["brand"]))
    if card.get("price_text"):
        parts.append(str(card["price_text"]))
    line = " — ".join(parts)
    if card.get("position"):
        line = f"{card['position']}. {line}"
    stock = stock_text(card)
    return f"{line} ({stock})" if stock else line


def _covered(text: str, card: Dict[str, Any], kind: str = "") -> bool:
    """Does the text already list this card? Its name and price are in it (a stock reply: its name and stores)."""
    name, price = card.get("name"), card.get("price_text")
    if not name or str(name) not in text:
        return False
    if kind == "stock":
        return not card.get("stock") or _stores_named(text, card)
    return not price or str(price) in text


def _stores_named(text: str, card: Dict[str, Any]) -> bool:
    names = [str(s.get("store") or "") for s in card.get("stock") or []]
    return any(n and n in text for n in names)


def messaging_text(reply: Reply) -> str:
    """The reply's text, plus a line for every card it does not already list.

    A card counts as listed when its name and price text are both in the text (the
    templates list every product that way; a phrased reply may not); for a stock
    reply, its name and its stores. Details and stock replies also get the
    store-by-store stock when the text names no store.
    """
    text = reply.text.strip()
    lines = []
    for c in reply.cards:
        if not _covered(text, c, reply.kind):
            lines.append(product_line(c))
        elif reply.kind in ("product_details", "stock") and not _stores_named(text, c):
            stock = stock_text(c)
            if stock:
                lines.append(f"{c.get('name')}: {stock}.")
        if c.get("options_text") and str(c["options_text"]) not in text:  # a model's sizes and colours in stock
            lines.append(f"{c.get('name')}: {c['options_text']}.")
    return "\n".join([text] + lines if text else lines)


# ----------------------------------------------------------------------------- helpers


def cut(s: str, limit: int, in_bytes: bool = False) -> str:
    """``s`` shortened to ``limit`` characters (or UTF-8 bytes), ending in '…' when cut."""
    size = (lambda x: len(x.encode("utf-8"))) if in_bytes else len
    if size(s) <= limit:
        return s
    ell = "…"
    out = s
    while out and size(out + ell) > limit:
        out = out[:-1]
    return out.rstrip() + ell


def chunks(text: str, limit: int) -> List[str]:
    """``text`` in pieces of at most ``limit`` characters, split at line ends where possible."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    out: List[str] = []
    cur = ""
    for line in text.split("\n"):
        while len(line) > limit:  # one line longer than a message: split at a space
            cut_at = line.rfind(" ", 0, limit)
            cut_at = cut_at if cut_at > limit // 2 else limit
            if cur:
                out.append(cur)
                cur = ""
            out.append(line[:cut_at].rstrip())
            line = line[cut_at:].lstrip()
        cand = f"{cur}\n{line}" if cur else line
        if len(cand) > limit:
            out.append(cur)
            cur = line
        else:
            cur = cand
    if cur:
        out.append(cur)
    return [c for c in out if c.strip()]


def slack_escape(text: str) -> str:
    """Slack's three control characters in mrkdwn text (https://api.slack.com/reference/surfaces/formatting)."""
    return re.sub(r"&(?!amp;|lt;|gt;)", "&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def _extras(reply: Reply) -> List[Dict[str, Any]]:
    out: List[Dict[str, Any]] = []
    if reply.custom is not None:
        out.append({"custom": reply.custom})
    for k, v in reply.extra.items():
        out.append({k: v})
    return out


def _text_then_last(text: str, limit: int) -> List[str]:
    parts = chunks(text, limit)
    return parts or [""]


# ----------------------------------------------------------------------------- per channel


def render_telegram(reply: Reply, tokens: ButtonTokens) -> List[Dict[str, Any]]:
    parts = _text_then_last(messaging_text(reply), TELEGRAM_TEXT)
    out: List[Dict[str, Any]] = [{"text": p} for p in parts[:-1]]
    last = parts[-1]
    if reply.buttons:
        if len(reply.buttons) > TELEGRAM_BUTTONS:
            logger.warning("telegram: %d buttons, sending the first %d", len(reply.buttons), TELEGRAM_BUTTONS)
        buttons = [
            {
                "title": cut(b["title"] or b["payload"], TELEGRAM_TITLE_BYTES, in_bytes=True),
                "payload": tokens.shorten(b["payload"] or b["title"], TELEGRAM_DATA_BYTES),
            }
            for b in reply.buttons[:TELEGRAM_BUTTONS]
        ]
        one_row = len(buttons) <= 3 and all(len(b["title"]) <= 20 for b in buttons)
        out.append(
            {"text": last or CHOOSE_TEXT, "buttons": buttons, "button_type": "inline" if one_row else "vertical"}
        )
    elif last:
        out.append({"text": last})
    return out + _extras(reply)


def render_slack(reply: Reply, tokens: ButtonTokens) -> List[Dict[str, Any]]:
    text = messaging_text(reply)
    if not reply.buttons:
        return [{"text": slack_escape(p)} for p in chunks(text, 40000)] + _extras(reply)
    sections: List[Dict[str, Any]] = [
        {"type": "section", "text": {"type": "plain_text", "text": p}} for p in chunks(text, SLACK_SECTION)
    ]
    elements = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": cut(b["title"] or b["payload"], SLACK_TITLE)},
            "value": tokens.shorten(b["payload"] or b["title"], SLACK_VALUE),
            "action_id": f"button_{i}",
        }
        for i, b in enumerate(reply.buttons)
    ]
    actions = [
        {"type": "actions", "elements": elements[i : i + SLACK_ACTIONS]} for i in range(0, len(elements), SLACK_ACTIONS)
    ]
    out: List[Dict[str, Any]] = []
    room = SLACK_BLOCKS - len(actions)
    while len(sections) > room:  # a very long text: the overflow goes first, as plain messages
        out.append({"text": slack_escape(sections.pop(0)["text"]["text"])})
    fallback = slack_escape(cut(text, SLACK_SECTION)) if text else CHOOSE_TEXT
    out.append({"custom": {"text": fallback, "blocks": sections + actions}})
    return out + _extras(reply)


def render_facebook(reply: Reply, tokens: ButtonTokens) -> List[Dict[str, Any]]:
    text = messaging_text(reply)
    buttons = [
        {
            "title": cut(b["title"] or b["payload"], FB_TITLE),
            "payload": tokens.shorten(b["payload"] or b["title"], FB_PAYLOAD),
        }
        for b in reply.buttons
    ]
    if not buttons:
        return [{"text": p} for p in chunks(text, FB_TEXT)] + _extras(reply)
    if len(buttons) <= FB_TEMPLATE_BUTTONS and len(text) <= FB_TEMPLATE_TEXT:
        return [{"text": text or CHOOSE_TEXT, "buttons": buttons}] + _extras(reply)
    if len(buttons) > FB_QUICK_REPLIES:
        logger.warning("facebook: %d buttons, sending the first %d as quick replies", len(buttons), FB_QUICK_REPLIES)
    parts = _text_then_last(text, FB_TEXT)
    out: List[Dict[str, Any]] = [{"text": p} for p in parts[:-1]]
    out.append(
        {
            "text": parts[-1] or CHOOSE_TEXT,
            "quick_replies": [{"content_type": "text", **b} for b in buttons[:FB_QUICK_REPLIES]],
        }
    )
    return out + _extras(reply)


def render_plain(reply: Reply) -> List[Dict[str, Any]]:
    msg: Dict[str, Any] = {}
    text = messaging_text(reply)
    if text:
        msg["text"] = text
    if reply.buttons:
        msg["buttons"] = reply.buttons
    return ([msg] if msg else []) + _extras(reply)


RENDERERS = {"telegram": render_telegram, "slack": render_slack, "facebook": render_facebook}


def render(channel: str, message: Dict[str, Any], tokens: Optional[ButtonTokens] = None) -> List[Dict[str, Any]]:
    """One Rasa bot message -> the message(s) to hand ``channel``'s output methods, in order.

    Card channels get ``message`` unchanged (a copy). Messaging channels get only the
    keys their Rasa output methods read (``text``, ``buttons``, ``button_type``,
    ``quick_replies``, ``custom`` for channel-native payloads, ``image``...).
    """
    if channel in CARD_CHANNELS:
        return [dict(message)]
    reply = Reply.of(message)
    fn = RENDERERS.get(channel)
    if fn is None:
        return render_plain(reply)
    return fn(reply, tokens or button_tokens())


def render_all(
    channel: str, messages: Sequence[Dict[str, Any]], tokens: Optional[ButtonTokens] = None
) -> List[Dict[str, Any]]:
    out: List[Dict[str, Any]] = []
    for m in messages:
        out += render(channel, m, tokens)
    return out
