"""What an outsider can reach on the stack `make run` starts (docs/security.md), against real processes:
Rasa's admin API needs the token, CORS and Socket.IO accept only the stack's own origin, the action server
needs Rasa's token, one shopper cannot read another's orders or reservations, staff endpoints need the staff
sign-in, and message rate, size and tracker length are bounded."""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
import uuid

import pytest

from channels.rasa_plugins import SLOW_DOWN_TEXT
from support.stack import cards, texts

pytestmark = pytest.mark.slow

# every route of Rasa's HTTP API that reads or changes a conversation or the model
ADMIN = [
    ("GET", "/status"), ("GET", "/domain"),
    ("GET", "/conversations/{c}/tracker"), ("POST", "/conversations/{c}/tracker/events"),
    ("PUT", "/conversations/{c}/tracker/events"), ("GET", "/conversations/{c}/story"),
    ("POST", "/conversations/{c}/execute"), ("POST", "/conversations/{c}/trigger_intent"),
    ("POST", "/conversations/{c}/predict"), ("POST", "/conversations/{c}/messages"),
    ("POST", "/model/train"), ("POST", "/model/test/stories"), ("POST", "/model/test/intents"),
    ("POST", "/model/predict"), ("POST", "/model/parse"), ("PUT", "/model"), ("DELETE", "/model"),
]


def me(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex}"


def at_window_start(window_s: float = 10.0) -> None:
    """Wait until a rate-limit window has just begun, so a burst falls inside one window."""
    time.sleep(window_s - time.time() % window_s + 0.05)


@pytest.mark.parametrize("method,path", ADMIN)
def test_every_admin_endpoint_refuses_a_caller_without_the_token(guarded, method, path):
    victim = me("victim")
    for suffix in ("", "?token=wrong", "?token="):
        status, _, body = guarded.request(method, path.format(c=victim) + suffix, body={})
        assert status == 401, (method, path, suffix, status, body[:200])


def test_with_the_token_the_admin_api_works(guarded):
    t = guarded.api_token
    sender = me("admin")
    guarded.send(sender, "I need a kettle")
    status, _, body = guarded.request("GET", f"/status?token={t}")
    assert status == 200 and json.loads(body)["model_file"]
    status, _, body = guarded.request("GET", f"/conversations/{sender}/tracker?token={t}")
    assert status == 200 and any(e.get("text") == "I need a kettle" for e in json.loads(body)["events"])
    status, _, body = guarded.request("POST", f"/model/parse?token={t}", {"text": "show me toasters"})
    assert status == 200 and json.loads(body)["intent"]["name"]


def test_the_token_is_made_once_per_install_and_only_its_owner_reads_it(guarded):
    path = guarded.workdir / "api-token"
    assert len(guarded.api_token) >= 32 and oct(path.stat().st_mode & 0o777) == "0o600"
    assert guarded.api_token not in guarded.launcher_log()  # printed: where it is, never the token itself


def test_cross_origin_requests_are_refused_and_the_own_origin_is_allowed(guarded):
    evil = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    _, headers, _ = guarded.request("OPTIONS", "/webhooks/rest/webhook", headers=evil)
    assert "http://evil.example" not in {v for k, v in headers.items() if k.lower() == "access-control-allow-origin"}
    own = {"Origin": guarded.url, "Access-Control-Request-Method": "POST"}
    _, headers, _ = guarded.request("OPTIONS", "/webhooks/rest/webhook", headers=own)
    assert {k.lower(): v for k, v in headers.items()}.get("access-control-allow-origin") == guarded.url
    # Socket.IO (which Rasa leaves open to every origin) accepts the own origin's handshake only
    path = "/socket.io/?EIO=4&transport=polling"
    assert guarded.request("GET", path, headers={"Origin": "http://evil.example"})[0] == 400
    assert guarded.request("GET", path, headers={"Origin": guarded.url})[0] == 200


def test_the_action_server_refuses_callers_without_rasas_token(guarded):
    call = json.dumps({"next_action": "action_show_cart", "sender_id": "x", "tracker": {"sender_id": "x"},
                       "domain": {}, "version": "3.6.0"}).encode()
    for suffix in ("", "?token=wrong"):
        req = urllib.request.Request(f"http://127.0.0.1:{guarded.action_port}/webhook{suffix}", data=call,
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=30)  # noqa: S310 - loopback
        assert e.value.code == 401


def test_a_shopper_cannot_read_or_change_another_shoppers_order_or_reservation(guarded):
    owner, other = me("owner"), me("other")
    shown = cards(guarded.send(owner, "I need an electric kettle"))
    assert shown
    assert "Added" in texts(guarded.send(owner, "add the first one"))
    guarded.send(owner, "check out")
    placed = texts(guarded.send(owner, "place the order"))
    order_id = re.search(r"order number is (\d+)", placed).group(1)
    for ask in ("where is my order {}?", "cancel order {}", "change the address of order {} to 1 Main St"):
        theirs = texts(guarded.send(other, ask.format(order_id)))
        unknown = texts(guarded.send(other, ask.format("999999")))
        assert theirs.replace(order_id, "N") == unknown.replace("999999", "N"), ask
        time.sleep(0.8)  # within the per-sender rate limit
    assert "is placed" in texts(guarded.send(owner, f"where is my order {order_id}?"))  # still the owner's, unchanged

    # a checkout link is signed: another order number in a real link's shape is refused like a made-up one
    link = re.search(r"/checkout/(\S+?) ", placed).group(1)
    forged = str(int(order_id) + 1) + link[len(order_id):]
    assert guarded.request("GET", f"/checkout/{forged}")[0] == guarded.request("GET", "/checkout/nonsense")[0] == 404


def test_history_of_an_unknown_or_guessed_session_is_the_same_empty_answer(guarded):
    owner = uuid.uuid4().hex  # the web chat's ids: 128 random bits
    guarded.send(owner, "I need a toaster")
    status, _, body = guarded.request("GET", f"/web/api/history/{owner}")
    assert status == 200 and json.loads(body)["messages"]
    answers = set()
    for guess in (uuid.uuid4().hex, "demo-shopper", "owner", owner[:12]):
        status, _, body = guarded.request("GET", f"/web/api/history/{guess}")
        answers.add((status, json.dumps(json.loads(body)["messages"])))
    assert answers == {(200, "[]")}


def test_staff_endpoints_need_the_staff_sign_in(guarded):
    for path in ("/web/api/staff/handoffs", "/web/api/staff/reservations", "/web/api/staff/stock?q=kettle"):
        assert guarded.request("GET", path)[0] == 401
        assert guarded.request("GET", path, headers={"X-Staff-Pin": guarded.staff_pin})[0] == 401  # the PIN alone is not a session
        assert guarded.request("GET", path, headers={"Authorization": "Bearer forged.token.x"})[0] == 401
    status, _, body = guarded.request("POST", "/web/api/staff/unlock", {"pin": guarded.staff_pin})
    assert status == 200
    token = json.loads(body)["token"]
    assert guarded.request("GET", "/web/api/staff/handoffs", headers={"Authorization": f"Bearer {token}"})[0] == 200


def test_wrong_pins_lock_the_client_out(guarded):
    wrong = "000000" if guarded.staff_pin != "000000" else "111111"
    codes = [guarded.request("POST", "/web/api/staff/unlock", {"pin": wrong})[0] for _ in range(7)]
    assert codes[0] == 403 and codes[-1] == 429
    # locked out: even the right PIN is refused until the lockout ends
    assert guarded.request("POST", "/web/api/staff/unlock", {"pin": guarded.staff_pin})[0] == 429


def test_a_huge_message_is_refused_before_it_is_read(guarded):
    big = json.dumps({"sender": me("big"), "message": "a" * 200_000}).encode()
    status, _, body = guarded.request("POST", "/webhooks/rest/webhook", raw=big)
    assert status == 413 and b"too large" in body


def test_a_sender_sending_too_fast_is_asked_to_slow_down(guarded):
    """Ten messages at once from one sender: eight are answered, two are asked to slow down (counted when
    they arrive, before Rasa queues them behind the conversation's lock)."""
    sender = me("fast")
    replies, lock = [], threading.Lock()

    def say(i):
        got = texts(guarded.send(sender, f"hello {i}", timeout=120))
        with lock:
            replies.append(got)

    threads = [threading.Thread(target=say, args=(i,)) for i in range(10)]
    at_window_start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert replies.count(SLOW_DOWN_TEXT) == 2 and len(replies) == 10
    time.sleep(10)
    assert texts(guarded.send(sender, "hello")) != SLOW_DOWN_TEXT  # the next window lets them in


def test_one_address_sending_too_many_messages_gets_429(guarded):
    """Runs last: it uses up this address's allowance for the next 10 s."""
    codes, lock = [], threading.Lock()

    def post(i):
        status, _, _ = guarded.request("POST", "/webhooks/rest/webhook", {"sender": me(f"flood{i}"), "message": ""})
        with lock:
            codes.append(status)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(80)]
    at_window_start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes.count(429) >= 80 - 60 and set(codes) <= {200, 429}
