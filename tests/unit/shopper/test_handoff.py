"""The hand-off desk on a real Redis: the queue, taking a shopper (atomic), the thread, the outbox, release."""
from __future__ import annotations

import threading

import pytest

from shopper.handoff import MAX_TEXT, HandoffDesk, HandoffError, valid_sender
from shopper.store import StoreUnavailable


class Clock:
    def __init__(self, t: float = 1_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        self.t += 1.0
        return self.t


@pytest.fixture
def desk(redis_client):
    return HandoffDesk(redis_client, "t", clock=Clock())


def test_a_request_queues_the_shopper_once_and_keeps_the_first_time(desk, redis_client):
    first = desk.request("alice", "socketio", store_id="downtown", last_messages=["hi", "a person please"],
                         looking_at=[{"id": "D1", "name": "Kettle"}])
    assert first["status"] == "waiting" and first["position"] == 1 and first["waiting"] == 1
    assert first["store_id"] == "downtown" and first["channel"] == "socketio"
    assert first["last_messages"] == ["hi", "a person please"] and first["looking_at"] == [{"id": "D1", "name": "Kettle"}]
    again = desk.request("alice", "socketio")
    assert again["requested_at"] == first["requested_at"] and again["position"] == 1 and again["waiting"] == 1
    assert again["store_id"] == "downtown" and again["last_messages"] == ["hi", "a person please"]  # kept
    assert redis_client.zcard("t:handoff:queue") == 1
    bob = desk.request("bob", "rest")
    assert bob["position"] == 2 and bob["waiting"] == 2
    # every key has a lifetime
    for key in ("t:handoff:queue", "t:handoff:alice"):
        assert 0 < redis_client.ttl(key) <= 7 * 86400


def test_the_queue_is_oldest_first_with_the_stores_own_shoppers_first(desk):
    desk.request("web1", "socketio")
    desk.request("river", "socketio", store_id="riverside")
    desk.request("down1", "socketio", store_id="downtown")
    desk.request("web2", "rest")
    desk.request("down2", "socketio", store_id="downtown")
    assert [s["sender"] for s in desk.waiting()] == ["web1", "river", "down1", "web2", "down2"]
    at_downtown = desk.waiting("downtown")
    assert [s["sender"] for s in at_downtown] == ["down1", "down2", "web1", "river", "web2"]
    # position is the place in the one queue, whichever store looks
    assert {s["sender"]: s["position"] for s in at_downtown} == {"web1": 1, "river": 2, "down1": 3, "web2": 4, "down2": 5}
    assert desk.get("down2")["position"] == 5


def test_take_removes_from_the_queue_and_a_second_staff_member_is_refused(desk):
    desk.request("alice", "socketio", store_id="downtown")
    desk.request("bob", "socketio")
    assert not desk.with_person("alice")
    assert desk.take("alice", "Ann")
    assert desk.with_person("alice")
    assert desk.take("alice", "Ann")  # already hers
    assert not desk.take("alice", "Ben")
    state = desk.get("alice")
    assert state["status"] == "taken" and state["staff"] == "Ann" and state["taken_at"] and state["position"] is None
    assert [s["sender"] for s in desk.waiting()] == ["bob"] and desk.get("bob")["position"] == 1
    assert [s["sender"] for s in desk.taken()] == ["alice"] and desk.taken("Ben") == []
    # asking again while a person has them changes nothing
    assert desk.request("alice", "socketio")["status"] == "taken"
    assert not desk.take("nobody-asked", "Ann")


def test_twenty_staff_members_take_the_same_shopper_at_once_exactly_one_wins(redis_server):
    import redis

    desk = HandoffDesk.from_url(redis_server.url, "race")
    desk.request("alice", "socketio")
    wins, errors = [], []
    start = threading.Barrier(20)

    def grab(i: int) -> None:
        mine = HandoffDesk(redis.Redis.from_url(redis_server.url, decode_responses=True), "race")
        start.wait()
        try:
            if mine.take("alice", f"staff{i}"):
                wins.append(i)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(wins) == 1
    assert desk.get("alice")["staff"] == f"staff{wins[0]}"


def test_replies_go_to_the_thread_and_the_outbox_which_drains_once(desk):
    desk.request("alice", "rest")
    with pytest.raises(HandoffError) as e:
        desk.reply("alice", "Ann", "hello")  # not taken yet
    assert e.value.reason == "waiting"
    desk.take("alice", "Ann")
    with pytest.raises(HandoffError) as e:
        desk.reply("alice", "Ben", "me too")
    assert e.value.reason == "taken" and e.value.staff == "Ann"
    line = desk.reply("alice", "Ann", "Hi, I'm Ann.\x00 How can I help?")
    assert line["from"] == "staff" and line["staff"] == "Ann" and line["text"] == "Hi, I'm Ann. How can I help?"
    desk.note("alice", "shopper", "I need a tent")
    desk.reply("alice", "Ann", "x" * 5000, outbox=False)  # delivered live: thread only
    assert [(t["from"], len(t["text"])) for t in desk.thread("alice")] == [("staff", 28), ("shopper", 13), ("staff", MAX_TEXT)]
    assert desk.peek("alice") == {"with_person": True, "outbox": 1}
    assert [m["text"] for m in desk.drain_outbox("alice")] == ["Hi, I'm Ann. How can I help?"]
    assert desk.drain_outbox("alice") == []
    desk.deliver_later("alice", line)
    assert desk.drain_outbox("alice") == [line]
    with pytest.raises(ValueError):
        desk.reply("alice", "Ann", "  ")
    with pytest.raises(ValueError):
        desk.note("alice", "robot", "hi")


def test_the_outbox_drains_atomically_under_concurrency(redis_server):
    import redis

    desk = HandoffDesk.from_url(redis_server.url, "drain")
    desk.request("alice", "rest")
    desk.take("alice", "Ann")
    for i in range(50):
        desk.reply("alice", "Ann", f"m{i}")
    got = []
    start = threading.Barrier(8)

    def drain() -> None:
        mine = HandoffDesk(redis.Redis.from_url(redis_server.url, decode_responses=True), "drain")
        start.wait()
        got.extend(m["text"] for m in mine.drain_outbox("alice"))

    threads = [threading.Thread(target=drain) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(f"m{i}" for i in range(50))


def test_release_goes_back_to_the_bot_and_keeps_the_thread(desk, redis_client):
    desk.request("alice", "socketio")
    desk.request("bob", "socketio")
    desk.take("alice", "Ann")
    desk.reply("alice", "Ann", "hello")
    assert desk.release("alice", by="shopper")
    assert not desk.with_person("alice") and desk.get("alice") is None
    assert desk.taken() == [] and [s["sender"] for s in desk.waiting()] == ["bob"]
    thread = desk.thread("alice")
    assert [t["from"] for t in thread] == ["staff", "bot"] and thread[-1]["event"] == "released" and thread[-1]["by"] == "shopper"
    assert not desk.release("alice", by="Ann")  # nothing left to release
    assert desk.release("bob", by="Ann") and desk.waiting() == []  # a waiting one can be released too
    # asking again later starts a fresh wait
    assert desk.request("alice", "socketio")["status"] == "waiting"


def test_a_queue_entry_whose_state_expired_is_dropped(desk, redis_client):
    desk.request("alice", "socketio")
    desk.request("bob", "socketio")
    redis_client.delete("t:handoff:alice")
    assert [s["sender"] for s in desk.waiting()] == ["bob"]
    assert redis_client.zrange("t:handoff:queue", 0, -1) == ["bob"]


def test_sender_ids_that_could_clash_with_the_index_keys_are_refused(desk):
    assert valid_sender("0123456789abcdef") and valid_sender("123456789") and valid_sender("U024BE7LH")
    for bad in ("queue", "taken", "", "a:b", "has space", "x" * 257):
        assert not valid_sender(bad), bad
    with pytest.raises(ValueError):
        desk.request("queue", "rest")
    assert desk.with_person("a:thread") is False


def test_redis_down_is_a_clear_store_error(free_port):
    desk = HandoffDesk.from_url(f"redis://127.0.0.1:{free_port()}/0", "t", socket_timeout=0.5)
    with pytest.raises(StoreUnavailable, match="REDIS_URL"):
        desk.with_person("alice")
    with pytest.raises(StoreUnavailable):
        desk.request("alice", "rest")
