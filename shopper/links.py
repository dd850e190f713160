"""Signed, expiring links to one order's checkout page: ``/checkout/<token>``.

A token is ``<order id>.<expiry, unix seconds>.<signature>``; the signature is HMAC-SHA256 over the
first two parts with a secret every replica shares (``shared_secret``: set once in Redis, or given in
``SHOPGUIDE_CHECKOUT_SECRET``). Anyone holding the link sees that order's summary until it expires;
changing any character of it makes it invalid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from typing import Any, Optional

TOKEN_RE = re.compile(r"^([A-Za-z0-9-]{1,32})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")


class LinkInvalid(ValueError):
    """The token was not made by this store (tampered, truncated, or a different secret)."""


class LinkExpired(ValueError):
    """The token was genuine but its time is up."""


def _sig(secret: str, body: str) -> str:
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def sign(order_id: str, secret: str, ttl_s: int, now: Optional[float] = None) -> str:
    """A token for ``order_id`` valid for ``ttl_s`` seconds."""
    if not secret:
        raise ValueError("an empty secret would sign nothing")
    expires = int((now if now is not None else time.time()) + ttl_s)
    body = f"{order_id}.{expires}"
    return f"{body}.{_sig(secret, body)}"


def verify(token: str, secret: str, now: Optional[float] = None) -> str:
    """The order id the token was made for. Raises ``LinkInvalid`` or ``LinkExpired``."""
    m = TOKEN_RE.match(token or "")
    if not m or not secret:
        raise LinkInvalid("this checkout link is not valid")
    order_id, expires, sig = m.groups()
    if not hmac.compare_digest(sig, _sig(secret, f"{order_id}.{expires}")):
        raise LinkInvalid("this checkout link is not valid")
    if int(expires) < (now if now is not None else time.time()):
        raise LinkExpired("this checkout link has expired")
    return order_id


def shared_secret(client: Any, prefix: str, configured: Optional[str] = None) -> str:
    """The configured secret, or the one kept in Redis under ``<prefix>:secret:links`` (made by whichever
    process asks first, so every replica signs and checks with the same one)."""
    if configured:
        return configured
    key = f"{prefix}:secret:links"
    client.set(key, secrets.token_urlsafe(32), nx=True)
    value = client.get(key)
    return value.decode() if isinstance(value, bytes) else str(value)
