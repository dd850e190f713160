"""Two replicas behind a real nginx, as `make run REPLICAS=2` starts them: real Rasa x2, action servers x2,
one real Redis (docs/replicas.md).

* turns spread over both replicas and every conversation's tracker holds its messages in order, each turn
  done before the next (scripts/ordering_check.py, the check the load benchmark runs at 50 x 5);
* one sender's overlapping turns, in flight on both replicas at once, still run one at a time;
* Socket.IO through nginx: the session sticks to one replica (the page's cookie), and a staff reply sent through
  either replica reaches the shopper's socket (rooms shared on Redis);
* a Rasa replica killed (SIGKILL) mid-conversation: the next turns go to the other replica, which carries
  on with the conversation's state (the shown list, the cart) from Redis.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from support.replicas import ReplicaStack, load_ordering_check
from support.stack import cards, first_model_or_train, texts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.skip("no nginx: `make nginx` installs Debian's")
    first_model_or_train()
    s = ReplicaStack(tmp_path_factory.mktemp("replicas"), staff_pin=f"{secrets.randbelow(10**6):06d}")
    try:
        s.start()
        yield s
    finally:
        s.close()


@pytest.fixture(scope="module")
def ordering():
    return load_ordering_check()


def http(url: str, body=None, token: str = ""):
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310 - loopback
            return r.status, json.loads(r.read().decode() or "null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def test_turns_spread_over_both_replicas_and_every_tracker_is_in_order(replicas, ordering):
    mark = len(replicas.access_log())
    report = ordering.run_check(replicas.url, replicas.api_token, senders=20, messages=5)
    assert report.ok, report.summary() + "\n" + "\n".join(report.errors[:10])
    served = replicas.served_by(mark, at_least=100)
    assert len(served) == 100
    for i in (1, 2):  # least_conn: each replica took a fair share
        assert served.count(replicas.replica_addr(i)) >= 15, served


def test_one_senders_overlapping_turns_run_one_at_a_time_across_replicas(replicas, ordering):
    mark = len(replicas.access_log())
    report = ordering.run_check(replicas.url, replicas.api_token, senders=4, messages=5, overlap_s=0.2)
    assert not report.errors, report.summary() + "\n" + "\n".join(report.errors[:10])
    assert report.answered == 20
    assert {replicas.replica_addr(1), replicas.replica_addr(2)} <= set(replicas.served_by(mark))


async def _socket_session(replicas, session_id: str):
    import aiohttp
    import socketio

    # a browser keeps cookies for 127.0.0.1; aiohttp's default jar would not (so no stickiness)
    http_session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    sio = socketio.AsyncClient(reconnection=False, http_session=http_session)
    received: list = []
    confirmed = asyncio.get_running_loop().create_future()
    sio.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
    sio.on("bot_uttered", lambda data: received.append(data))
    # long-polling: the transport that needs the stickiness (this client's WebSocket needs a newer aiohttp)
    try:
        async with http_session.get(f"{replicas.url}/chat") as page:  # as a browser: the page sets the cookie
            await page.read()
        assert [c.key for c in http_session.cookie_jar] == ["shopguide_replica"]
        await sio.connect(replicas.url, socketio_path="/socket.io", transports=["polling"], wait_timeout=30)
        await sio.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed, 30)
    except BaseException:
        await http_session.close()
        raise
    return sio, http_session, received


async def _until(received: list, pred, within_s: float = 60):
    deadline = time.time() + within_s
    while time.time() < deadline:
        found = [m for m in received if pred(m)]
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"nothing matching arrived within {within_s:.0f}s; got {received}")


def test_socketio_upgrades_to_a_websocket_through_nginx(replicas):
    import aiohttp

    async def open_packet() -> str:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"{replicas.url}/socket.io/?EIO=4&transport=websocket") as ws:
                msg = await ws.receive(timeout=15)
                return str(msg.data)

    assert asyncio.run(open_packet()).startswith('0{"sid":')  # Engine.IO's open packet, over the WebSocket


def test_socketio_sticks_to_a_replica_and_staff_replies_from_either_replica_reach_the_shopper(replicas):
    mark = len(replicas.access_log())
    session_id = uuid.uuid4().hex
    staff_said = {}

    async def scenario():
        sio, http_session, received = await _socket_session(replicas, session_id)
        try:
            meta = {"replies": "templates"}
            await sio.emit("user_uttered", {"message": "hello", "session_id": session_id, "metadata": meta})
            await _until(received, lambda m: m.get("text"))
            await sio.emit("user_uttered", {"message": "I want to talk to a real person", "session_id": session_id,
                                            "metadata": meta})
            loop = asyncio.get_running_loop()
            status, signed = await loop.run_in_executor(
                None, http, f"{replicas.url}/web/api/staff/unlock", {"pin": replicas.staff_pin})
            assert status == 200, signed
            token = signed["token"]
            take = f"{replicas.url}/web/api/staff/handoffs/{session_id}/take"
            deadline = time.time() + 60
            while True:  # the hand-off request is queued by the turn just sent
                status, taken = await loop.run_in_executor(None, http, take, {"staff": "Ann"}, token)
                if status == 200 or time.time() > deadline:
                    break
                await asyncio.sleep(0.5)
            assert status == 200, taken
            for i in (1, 2):  # straight to each replica: one of them does not hold the shopper's socket
                text = f"Hello from replica {i}"
                status, sent = await loop.run_in_executor(
                    None, http, f"{replicas.replica_url(i)}/web/api/staff/handoffs/{session_id}/reply",
                    {"staff": "Ann", "text": text}, token)
                assert status == 200 and sent["delivered"] == "live", sent
                staff_said[i] = await _until(received, lambda m, t=text: m.get("text") == t, 20)
        finally:
            try:  # a long-poll in flight would hold the disconnect for its 30 s
                await asyncio.wait_for(sio.disconnect(), 5)
            except asyncio.TimeoutError:
                pass
            await http_session.close()

    asyncio.run(scenario())
    for i in (1, 2):
        assert staff_said[i][0]["metadata"]["from"] == "staff"
    polled = replicas.served_by(mark, uri="/socket.io/")
    assert polled and len(set(polled)) == 1, polled  # every request of the session went to one replica


def test_a_replica_killed_mid_conversation_the_other_carries_it_on(replicas):
    sender = f"kill-{uuid.uuid4().hex}"
    shown = cards(replicas.send(sender, "I need an electric kettle under $50"))
    assert len(shown) >= 2
    assert "Added" in texts(replicas.send(sender, "add the first one"))
    mark = len(replicas.access_log())
    replicas.send(sender, "hi")
    served = replicas.served_by(mark)[-1]
    victim = 1 if served == replicas.replica_addr(1) else 2  # the replica that took the last turn
    survivor = replicas.replica_addr(3 - victim)
    replicas.kill9(f"rasa-{victim}")
    time.sleep(0.5)

    mark = len(replicas.access_log())
    more = texts(replicas.send(sender, "tell me more about the second one"))
    assert more.startswith(shown[1]["name"]), more[:200]
    cart = texts(replicas.send(sender, "what's in my cart?"))
    assert shown[0]["name"] in cart, cart
    said = [e.get("text") for e in replicas.tracker(sender)["events"] if e.get("event") == "user"]
    assert said == ["I need an electric kettle under $50", "add the first one", "hi",
                    "tell me more about the second one", "what's in my cart?"]
    served = replicas.served_by(mark)
    assert served and all(s.split(", ")[-1] == survivor for s in served), served
    assert f"rasa-{victim} exited unexpectedly (code -9)" in replicas.launcher_log()
