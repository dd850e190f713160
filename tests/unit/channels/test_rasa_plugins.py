"""Rasa-side plugins: URL-configured Redis stores that fail loudly, channels that never go silent."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.rasa_plugins import (
    NO_REPLY_TEXT,
    STORE_DOWN_TEXT,
    RedisUnavailableError,
    StrictRedisTrackerStore,
    UrlRedisLockStore,
    assert_redis_backed,
    guard,
    redis_kwargs,
)


def test_redis_kwargs_from_url():
    assert redis_kwargs("redis://:pw@10.0.0.1:6380/2") == {
        "host": "10.0.0.1", "port": 6380, "db": 2, "username": None, "password": "pw", "use_ssl": False}
    assert redis_kwargs("rediss://h")["use_ssl"] is True
    with pytest.raises(ValueError, match="REDIS_URL"):
        redis_kwargs("http://h:1")


def test_tracker_store_refuses_to_start_without_redis(free_port):
    with pytest.raises(RedisUnavailableError, match="REDIS_URL"):
        StrictRedisTrackerStore(Domain.empty(), url=f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(RedisUnavailableError, match="REDIS_URL"):
        UrlRedisLockStore(url=f"redis://127.0.0.1:{free_port()}/0")


def test_tracker_store_round_trip_with_prefix_and_expiry(redis_server, redis_client):
    store = StrictRedisTrackerStore(Domain.empty(), url=redis_server.url, key_prefix="shopguide", record_exp=60)
    tracker = DialogueStateTracker.from_events("alice", [UserUttered("hi")])
    asyncio.run(store.save(tracker))
    assert redis_client.exists("shopguide:tracker:alice")
    assert 0 < redis_client.ttl("shopguide:tracker:alice") <= 60
    back = asyncio.run(store.retrieve("alice"))
    assert back.latest_message.text == "hi"


def test_assert_redis_backed_sees_through_the_fail_safe(redis_server):
    redis_store = StrictRedisTrackerStore(Domain.empty(), url=redis_server.url)
    assert assert_redis_backed(FailSafeTrackerStore(redis_store)) is redis_store
    with pytest.raises(RuntimeError, match="not Redis"):
        assert_redis_backed(FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty())))


def run_guarded(handler):
    out = CollectingOutputChannel()
    asyncio.run(guard(handler)(UserMessage("hi", out, "alice")))
    return [m.get("text") for m in out.messages]


def test_guard_passes_replies_through():
    async def ok(msg):
        await msg.output_channel.send_response(msg.sender_id, {"text": "hello"})
    assert run_guarded(ok) == ["hello"]


def test_guard_answers_when_nothing_was_said():
    async def silent(msg):
        return None
    assert run_guarded(silent) == [NO_REPLY_TEXT]


def test_guard_answers_when_redis_is_down():
    import redis

    async def down(msg):
        raise redis.ConnectionError("Connection refused")
    assert run_guarded(down) == [STORE_DOWN_TEXT]


def test_lock_store_from_endpoint_config(redis_server):
    from rasa.utils.endpoints import EndpointConfig

    cfg = EndpointConfig(url=redis_server.url, type="channels.rasa_plugins.UrlRedisLockStore", key_prefix="shopguide")
    from rasa.core.lock_store import LockStore

    store = LockStore.create(cfg)
    assert isinstance(store, UrlRedisLockStore) and store.key_prefix == "shopguide:lock:"


def test_clean_text_cases():
    from channels.rasa_plugins import EMPTY_TEXT, MAX_CHARS, NO_WORDS_TEXT, clean_text

    assert clean_text("") == ("", EMPTY_TEXT)
    assert clean_text("  \x00\x07 \n ")[1] == EMPTY_TEXT
    assert clean_text("😀🛒🎁")[1] == NO_WORDS_TEXT
    assert clean_text("ke\x00ttle\tunder\x1b 40") == ("ke ttle under 40", None)
    assert clean_text('/ask_details{"product_id":"x"}')[1] is None
    text, instead = clean_text("kettle " * 2000)
    assert instead is None and len(text) == MAX_CHARS


def test_guard_long_message_is_cut_and_announced():
    from channels.rasa_plugins import LONG_TEXT

    seen = {}

    async def ok(msg):
        seen["len"] = len(msg.text)
        await msg.output_channel.send_response(msg.sender_id, {"text": "fine"})

    out = CollectingOutputChannel()
    asyncio.run(guard(ok)(UserMessage("a" * 10_000, out, "alice")))
    assert [m["text"] for m in out.messages] == [LONG_TEXT, "fine"] and seen["len"] == 2000


def test_guard_empty_message_is_not_processed():
    from channels.rasa_plugins import EMPTY_TEXT

    async def must_not_run(msg):
        raise AssertionError("processed")

    assert run_guarded_text(must_not_run, "   ") == [EMPTY_TEXT]


def run_guarded_text(handler, text):
    out = CollectingOutputChannel()
    asyncio.run(guard(handler)(UserMessage(text, out, "alice")))
    return [m.get("text") for m in out.messages]


def test_guard_answers_when_the_lock_store_cannot_reach_redis():
    from rasa.core.lock_store import LockError

    async def down(msg):
        raise LockError("Error while acquiring lock. Error: Error 111 connecting. Connection refused.")
    assert run_guarded(down) == [STORE_DOWN_TEXT]
