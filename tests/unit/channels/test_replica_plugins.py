"""What Rasa replicas share through Redis (docs/replicas.md).

The conversation lock (``UrlRedisLockStore`` on one real Redis): two stores stand for two replicas; their
tickets never collide and one never drops the other's queued turn, so a conversation's turns run one at a
time whichever replica takes them. Socket.IO rooms: on Redis only when ``socketio_redis`` is on."""
from __future__ import annotations

import asyncio
import threading
import time

from channels.rasa_plugins import UrlRedisLockStore, share_rooms_through_redis
from config import DialogueSettings


def two_replicas(url: str):
    return UrlRedisLockStore(url=url, key_prefix="t"), UrlRedisLockStore(url=url, key_prefix="t")


def test_tickets_issued_by_two_replicas_at_once_are_all_different(redis_server, redis_client):
    stores = two_replicas(redis_server.url)
    tickets: list = []

    def issue(store) -> None:
        for _ in range(150):
            tickets.append(store.issue_ticket("shopper", 60))

    threads = [threading.Thread(target=issue, args=(s,)) for s in stores for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(tickets) == list(range(600))


def test_one_replica_finishing_keeps_the_turn_another_replica_queued(redis_server, redis_client):
    a, b = two_replicas(redis_server.url)
    first = a.issue_ticket("shopper", 60)
    second = b.issue_ticket("shopper", 60)
    a.cleanup("shopper", first)
    lock = b.get_lock("shopper")
    assert lock is not None and not lock.is_locked(second)  # b's turn is next, not lost
    b.cleanup("shopper", second)
    assert not redis_client.exists(b.key_prefix + "shopper")


def test_turns_of_one_conversation_never_overlap_across_replicas(redis_server, redis_client):
    inside = {"now": 0, "most": 0, "turns": 0}
    guard = threading.Lock()

    async def turns(store) -> None:
        for _ in range(6):
            async with store.lock("shopper", 30, wait_time_in_seconds=0.01):
                with guard:
                    inside["now"] += 1
                    inside["most"] = max(inside["most"], inside["now"])
                await asyncio.sleep(0.005)
                time.sleep(0.002)
                with guard:
                    inside["now"] -= 1
                    inside["turns"] += 1

    threads = [threading.Thread(target=asyncio.run, args=(turns(s),)) for s in two_replicas(redis_server.url) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert inside == {"now": 0, "most": 1, "turns": 24}
    assert not redis_client.keys("t*")  # the last turn took the lock with it


def test_socketio_rooms_go_through_redis_only_with_replicas():
    import socketio

    one = socketio.AsyncServer(async_mode="sanic")
    before = one.manager
    share_rooms_through_redis(one, DialogueSettings())
    assert one.manager is before  # one server: rooms in memory, as ever

    many = socketio.AsyncServer(async_mode="sanic")
    d = DialogueSettings(socketio_redis=True, redis_url="redis://127.0.0.1:6390/0", redis_prefix="shop")
    share_rooms_through_redis(many, d)
    assert isinstance(many.manager, socketio.AsyncRedisManager) and many.manager.server is many
    assert many.manager.channel == "shop:socketio" and many.manager.redis_url == "redis://127.0.0.1:6390/0"
