"""Fixed-window rate limits in a real Redis, shared by every replica that counts the same sender."""
from __future__ import annotations

import redis

from shopper.limits import RateLimiter


class Clock:
    def __init__(self, t: float = 1_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_allows_up_to_the_limit_then_refuses_until_the_next_window(redis_client):
    clock = Clock()
    lim = RateLimiter(redis_client, "t", window_s=10, clock=clock)
    assert [lim.allow("sender", "alice", 3) for _ in range(5)] == [True, True, True, False, False]
    assert lim.allow("sender", "bob", 3)  # another sender has their own count
    assert lim.allow("client", "alice", 3)  # and another kind of limit its own
    clock.t += 10
    assert lim.allow("sender", "alice", 3)


def test_two_replicas_share_one_count(redis_server):
    a = RateLimiter(redis.Redis.from_url(redis_server.url), "shared", clock=Clock())
    b = RateLimiter(redis.Redis.from_url(redis_server.url), "shared", clock=Clock())
    assert a.count("sender", "carol") == 1 and b.count("sender", "carol") == 2 and a.count("sender", "carol") == 3


def test_keys_expire_and_do_not_name_the_sender(redis_client):
    lim = RateLimiter(redis_client, "t", window_s=10, clock=Clock())
    lim.allow("client", "203.0.113.9", 5)
    keys = redis_client.keys("t:rate:*")
    assert len(keys) == 1 and "203.0.113.9" not in keys[0]
    assert 0 < redis_client.pttl(keys[0]) <= 20_000


def test_redis_down_lets_the_message_through(free_port):
    down = redis.Redis(port=free_port(), socket_connect_timeout=0.2, socket_timeout=0.2)
    assert RateLimiter(down, "t").allow("sender", "alice", 1) is True
