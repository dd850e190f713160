"""Rate limits shared by every server replica: fixed-window counters in Redis.

``RateLimiter.allow(kind, who, limit)`` counts one event for ``who`` (a sender id or
a client address) in the current window of ``window_s`` seconds and says whether it
is within ``limit``. The count and its expiry are set by one Lua call, so replicas
counting the same sender agree. Keys: ``<prefix>:rate:<kind>:<window>:<who digest>``
(the digest keeps addresses and ids out of key names).

Redis down: the limiter lets the message through (``allow`` returns True and logs);
the turn itself then says the store is unreachable.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any, Callable

from shopper.store import RedisPart, StoreUnavailable

logger = logging.getLogger(__name__)

COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RateLimiter(RedisPart):
    def __init__(
        self, client: Any, prefix: str, window_s: float = 10.0, url: str = "", clock: Callable[[], float] = time.time
    ) -> None:
        self.r = client
        self.prefix = prefix
        self.window_s = float(window_s)
        self.url = url
        self.clock = clock

    def key(self, kind: str, who: str) -> str:
        window = int(self.clock() // self.window_s)
        digest = hashlib.blake2b(str(who).encode(), digest_size=12).hexdigest()
        return f"{self.prefix}:rate:{kind}:{window}:{digest}"

    def count(self, kind: str, who: str) -> int:
        """Count one event; returns the number in this window so far (this one included)."""
        ttl_ms = int(self.window_s * 2000)
        return int(self._call(self._script("count", COUNT), keys=[self.key(kind, who)], args=[ttl_ms]))

    def allow(self, kind: str, who: str, limit: int) -> bool:
        """One more event of ``who``: True while the window's count is within ``limit``."""
        try:
            return self.count(kind, who) <= limit
        except StoreUnavailable as e:
            logger.warning("rate limit not checked (%s)", e)
            return True
