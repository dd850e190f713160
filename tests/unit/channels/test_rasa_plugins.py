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


@pytest.fixture(autouse=True)
def limiter(redis_client, monkeypatch):
    """The guard's rate limiter on the test Redis (a fresh count for every test)."""
    import uuid

    from channels import rasa_plugins
    from shopper.limits import RateLimiter

    lim = RateLimiter(redis_client, f"rl{uuid.uuid4().hex[:8]}")
    monkeypatch.setattr(rasa_plugins, "rate_limiter", lambda: lim)
    return lim


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


# -- abuse limits: tracker length, message rate, body size ---------------------------------

def _turns(n):
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet

    events = []
    for i in range(n):
        events += [UserUttered(f"message {i}", timestamp=i), SlotSet("turn", i, timestamp=i + 0.1),
                   BotUttered(f"reply {i}", timestamp=i + 0.2), ActionExecuted("action_listen", timestamp=i + 0.3)]
    return events


def test_trim_events_cuts_whole_turns_and_keeps_the_slots_they_set():
    from rasa.shared.core.events import SlotSet

    from channels.rasa_plugins import trim_events

    events = [SlotSet("name", "Ann", timestamp=0)] + _turns(50)
    kept = trim_events(events, 20)
    assert len(kept) <= 20 + 2
    assert [type(e).__name__ for e in kept[:2]] == ["SlotSet", "SlotSet"]
    assert {e.key: e.value for e in kept[:2]} == {"name": "Ann", "turn": 44}  # as it was before the cut
    assert isinstance(kept[2], UserUttered) and kept[2].text == "message 45"
    assert kept[-1].timestamp == events[-1].timestamp
    assert trim_events(events, 1000) == events


def test_tracker_store_keeps_at_most_max_events_and_the_state(redis_server, redis_client):
    from rasa.shared.core.slots import AnySlot

    domain = Domain.from_dict({"slots": {"turn": {"type": "any", "mappings": []}}})
    store = StrictRedisTrackerStore(domain, url=redis_server.url, key_prefix="cap", max_events=100)
    tracker = DialogueStateTracker.from_events("alice", _turns(60), slots=[AnySlot("turn", mappings=[])])
    asyncio.run(store.save(tracker))
    back = asyncio.run(store.retrieve("alice"))
    assert len(back.events) <= 101
    assert back.get_slot("turn") == 59 and back.latest_message.text == "message 59"
    back.update(UserUttered("one more"))  # the next turn saves on top of the trimmed one
    asyncio.run(store.save(back))
    again = asyncio.run(store.retrieve("alice"))
    assert len(again.events) <= 101 and again.latest_message.text == "one more"


def test_a_sender_over_the_rate_limit_gets_slow_down_and_rasa_never_sees_it(monkeypatch):
    from channels import rasa_plugins

    monkeypatch.setenv("SHOPGUIDE_SENDER_MESSAGES_PER_10S", "3")
    monkeypatch.setattr(rasa_plugins, "limits", lambda: __import__("config").DialogueSettings())
    seen = []

    async def rasa(msg):
        seen.append(msg.text)
        await msg.output_channel.send_response(msg.sender_id, {"text": "ok"})

    replies = []
    for i in range(5):
        out = CollectingOutputChannel()
        asyncio.run(guard(rasa)(UserMessage(f"hi {i}", out, "fast")))
        replies.append([m.get("text") for m in out.messages])
    assert seen == ["hi 0", "hi 1", "hi 2"]
    assert replies[3] == replies[4] == [rasa_plugins.SLOW_DOWN_TEXT]
    out = CollectingOutputChannel()
    asyncio.run(guard(rasa)(UserMessage("hello", out, "calm")))  # another sender is not slowed
    assert [m.get("text") for m in out.messages] == ["ok"]


def test_rest_refuses_big_bodies_and_too_many_messages_from_one_address(monkeypatch):
    from types import SimpleNamespace

    from channels import rasa_plugins

    monkeypatch.setenv("SHOPGUIDE_CLIENT_REQUESTS_PER_10S", "2")
    monkeypatch.setattr(rasa_plugins, "limits", lambda: __import__("config").DialogueSettings())

    def req(size=100, addr="198.51.100.7", method="POST"):
        return SimpleNamespace(method=method, headers={"content-length": str(size)}, remote_addr=addr, ip="127.0.0.1")

    big = asyncio.run(rasa_plugins.refuse_request(req(size=10**6)))
    assert big.status == 413
    assert asyncio.run(rasa_plugins.refuse_request(req())) is None
    assert asyncio.run(rasa_plugins.refuse_request(req())) is None
    third = asyncio.run(rasa_plugins.refuse_request(req()))
    assert third.status == 429 and third.headers["Retry-After"] == "10"
    assert asyncio.run(rasa_plugins.refuse_request(req(addr="198.51.100.8"))) is None
    assert asyncio.run(rasa_plugins.refuse_request(req(method="GET"))) is None  # only messages count


def test_a_failed_save_fails_the_turn_instead_of_going_to_memory(tmp_path):
    from support.redis_process import RedisProcess, free_port

    server = RedisProcess(free_port(), tmp_path)
    server.start()
    store = FailSafeTrackerStore(StrictRedisTrackerStore(Domain.empty(), url=server.url))
    tracker = DialogueStateTracker.from_events("alice", [UserUttered("hi")])
    asyncio.run(store.save(tracker))
    server.stop()
    with pytest.raises(RedisUnavailableError):
        asyncio.run(store.save(tracker))
    with pytest.raises(RedisUnavailableError):
        asyncio.run(store.retrieve("alice"))
    assert asyncio.run(FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty())).retrieve("bob")) is None


def test_a_turn_that_failed_after_replying_sends_only_the_apology_on_rest():
    async def replied_then_failed(msg):
        await msg.output_channel.send_response(msg.sender_id, {"text": "a reply that was never saved"})
        raise RedisUnavailableError("Redis went away")

    assert run_guarded(replied_then_failed) == [STORE_DOWN_TEXT]
