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


# ----------------------------------------------------------------------------- hand-off: the bot stays silent


@pytest.fixture(autouse=True)
def desk(monkeypatch, redis_client):
    """The process's hand-off desk, on the test Redis (so no test here reaches another Redis)."""
    from channels import rasa_plugins
    from shopper.handoff import HandoffDesk

    d = HandoffDesk(redis_client, "t")
    monkeypatch.setattr(rasa_plugins, "handoff_desk", lambda: d)
    return d


def rasa_says(text="a bot reply"):
    seen = []

    async def rasa(msg):
        seen.append(msg.text)
        await msg.output_channel.send_response(msg.sender_id, {"text": text})

    return rasa, seen


def run_rest(handler, text, sender="alice", metadata=None):
    out = CollectingOutputChannel()
    asyncio.run(guard(handler)(UserMessage(text, out, sender, metadata=metadata)))
    return [m.get("text") for m in out.messages]


def test_while_a_person_has_the_conversation_rasa_never_sees_the_message(desk):
    desk.request("alice", "rest")
    desk.take("alice", "Ann")
    rasa, seen = rasa_says()
    assert run_rest(rasa, "do you have tents?") == []  # nothing yet from Ann, and no "no reply" fallback
    assert run_rest(rasa, "👍") == []  # said to a person: not "I can only read words"
    desk.reply("alice", "Ann", "Yes, aisle 4")
    assert run_rest(rasa, "great, and sleeping bags?", metadata={"display": "great, and sleeping bags?"}) == [
        "Ann (store staff): Yes, aisle 4"]
    assert run_rest(rasa, "thanks") == []  # delivered once
    assert seen == []
    assert [(t["from"], t["text"]) for t in desk.thread("alice")] == [
        ("shopper", "do you have tents?"), ("shopper", "👍"), ("staff", "Yes, aisle 4"),
        ("shopper", "great, and sleeping bags?"), ("shopper", "thanks")]


def test_back_to_the_bot_hands_the_conversation_back(desk):
    from shopper.handoff import RELEASED_TEXT

    desk.request("alice", "rest")
    desk.take("alice", "Ann")
    rasa, seen = rasa_says("Here are some tents")
    assert run_rest(rasa, "OK, back to the bot please") == [RELEASED_TEXT]
    assert not desk.with_person("alice") and desk.get("alice") is None and seen == []
    assert run_rest(rasa, "show me tents") == ["Here are some tents"] and seen == ["show me tents"]


@pytest.mark.parametrize("text", ["back to the bot", "Can I talk to the bot again?", "bot please", "back to the assistant"])
def test_ways_to_ask_for_the_bot_back(text):
    from channels.rasa_plugins import BACK_TO_BOT_RE

    assert BACK_TO_BOT_RE.search(text)


@pytest.mark.parametrize("text", ["is the robot vacuum in stock", "a bottle please", "I want a person"])
def test_other_messages_are_not_asking_for_the_bot(text):
    from channels.rasa_plugins import BACK_TO_BOT_RE

    assert not BACK_TO_BOT_RE.search(text)


def test_after_staff_hand_back_a_rest_shopper_gets_the_undelivered_lines_then_the_bot(desk):
    desk.request("alice", "rest")
    desk.take("alice", "Ann")
    desk.reply("alice", "Ann", "Anything else, just ask the assistant")
    desk.release("alice", by="Ann")
    desk.deliver_later("alice", {"from": "bot", "text": "You're back with the shopping assistant.", "event": "released"})
    rasa, seen = rasa_says("Here are some tents")
    assert run_rest(rasa, "show me tents") == [
        "Ann (store staff): Anything else, just ask the assistant", "You're back with the shopping assistant.",
        "Here are some tents"]
    assert run_rest(rasa, "show me tents") == ["Here are some tents"]


def test_with_the_desk_unreachable_the_bot_answers(monkeypatch, free_port):
    from channels import rasa_plugins
    from shopper.handoff import HandoffDesk

    down = HandoffDesk.from_url(f"redis://127.0.0.1:{free_port()}/0", "t", socket_timeout=0.5)
    monkeypatch.setattr(rasa_plugins, "handoff_desk", lambda: down)
    rasa, seen = rasa_says("hello")
    assert run_rest(rasa, "hi") == ["hello"] and seen == ["hi"]


def test_on_socketio_the_outbox_goes_out_with_staff_metadata(desk):
    from rasa.core.channels.socketio import SocketIOOutput

    class Sio:
        emitted = []

        async def emit(self, event, data=None, room=None, **kw):
            self.emitted.append((event, data, room))

    sio = Sio()
    desk.request("alice", "socketio")
    desk.take("alice", "Ann")
    desk.reply("alice", "Ann", "hi there")  # e.g. the live delivery failed
    rasa, seen = rasa_says()
    asyncio.run(guard(rasa)(UserMessage("hello?", SocketIOOutput(sio, "bot_uttered"), "alice")))
    assert sio.emitted == [("bot_uttered", {"text": "hi there", "metadata": {"from": "staff", "outcome": "staff", "staff": "Ann"}}, "alice")]
    assert seen == []
