"""The staff credential (channels/pages.py ``StaffGate`` and staff tokens, channels/web.py's staff
endpoints): the PIN is held only as a salted scrypt hash and compared in constant time; wrong PINs
lock out one client, not the others; the PIN buys a signed, expiring sign-in that every replica
checks with the secret they share in Redis. And the history endpoint, which answers the same for
every id it has nothing for (malformed, too short, unknown, no tracker).

Redis is a real ``redis-server`` (tests/support/redis_process.py); the handlers get a stand-in for
Sanic's request (no server)."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from types import SimpleNamespace

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels import pages as W
from channels.rasa_plugins import StrictRedisTrackerStore
from channels.web import WebPages
from config import DialogueSettings, Settings, WebSettings
from shopper import links
from shopper.handoff import HandoffDesk
from support.redis_process import RedisProcess, free_port

PIN = "482913"
SECRET = "staff-test-secret"


class Clock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


class Req:
    """What the handlers read of a Sanic request: headers, JSON body, query args, the client address."""

    def __init__(self, app_ctx=None, token=None, body=None, client="10.0.0.1", args=None, headers=None):
        self.headers = dict(headers or {})
        if token is not None:
            self.headers["authorization"] = f"Bearer {token}"
        self.json = body
        self.args = args or {}
        self.remote_addr, self.ip = "", client
        self.app = SimpleNamespace(ctx=app_ctx or SimpleNamespace())
        self.host = "127.0.0.1:5005"


def call(coro):
    res = asyncio.run(coro)
    return res.status, json.loads(res.body.decode()), dict(res.headers)


def make_pages(desk, secret=SECRET, clock=None, **web):
    settings = Settings(dialogue=DialogueSettings(redis_prefix="t", checkout_secret=secret),
                        web=WebSettings(kiosk_staff_pin=PIN, **web))
    pages = WebPages(settings, desk=desk)
    pages._stores = [{"id": "downtown", "name": "Downtown Superstore"}]
    if clock is not None:
        pages.gate.clock = clock
    return pages


@pytest.fixture
def desk(redis_client):
    return HandoffDesk(redis_client, "t")


@pytest.fixture
def down_desk():
    return HandoffDesk.from_url(f"redis://127.0.0.1:{free_port()}/0", "t", socket_timeout=0.5)


# ----------------------------------------------------------------------------- the PIN, hashed


def test_the_gate_holds_a_salted_scrypt_hash_never_the_pin():
    gate = W.StaffGate(PIN)
    held = repr(vars(gate))
    assert PIN not in held and PIN.encode().hex() not in held
    assert not any(v in (PIN, PIN.encode()) for v in vars(gate).values())
    assert gate.digest == hashlib.scrypt(PIN.encode(), salt=gate.salt, n=2**14, r=8, p=1, dklen=32)
    assert len(gate.salt) >= 16
    other = W.StaffGate(PIN)  # the same PIN in another process: another salt, another hash
    assert other.salt != gate.salt and other.digest != gate.digest
    assert gate.check(PIN) == "ok" and other.check(f" {PIN} ") == "ok"


def test_every_attempt_takes_the_same_path_hash_then_constant_time_compare(monkeypatch):
    gate = W.StaffGate(PIN, max_failures=100)
    hashed, compared = [], []
    real_scrypt, real_compare = hashlib.scrypt, hmac.compare_digest

    def scrypt(password, **kw):
        hashed.append(password)
        return real_scrypt(password, **kw)

    def compare(a, b):
        compared.append((len(a), len(b)))
        return real_compare(a, b)

    monkeypatch.setattr(W.hashlib, "scrypt", scrypt)
    monkeypatch.setattr(W.hmac, "compare_digest", compare)
    tries = [PIN, "000000", "4829", PIN + "0" * 50, "", None, 482913, "x" * 1000]
    verdicts = [gate.check(t) for t in tries]
    assert verdicts == ["ok", "wrong", "wrong", "wrong", "wrong", "wrong", "ok", "wrong"]
    assert len(hashed) == len(compared) == len(tries)  # no attempt skips the hash or the comparison
    assert set(compared) == {(32, 32)}  # fixed-length digests: the comparison never depends on the PIN's length


def test_no_pin_configured_means_staff_mode_off():
    for pin in (None, "", "   "):
        gate = W.StaffGate(pin)
        assert not gate.enabled and gate.digest is None and gate.check(pin) == "off"


# ----------------------------------------------------------------------------- lockout per client


def test_one_clients_misses_lock_out_that_client_only_until_the_lockout_ends():
    clock = Clock()
    gate = W.StaffGate(PIN, max_failures=3, lockout_s=60, clock=clock)
    assert [gate.check("000000", "A") for _ in range(3)] == ["wrong"] * 3
    assert gate.check(PIN, "A") == "locked"  # even the right PIN, while locked
    assert gate.locked_for("A") == 60 and gate.locked_for("B") == 0
    assert gate.check(PIN, "B") == "ok"  # another client is not locked out
    assert gate.check("111111", "B") == "wrong"
    clock.t += 59
    assert gate.check(PIN, "A") == "locked" and gate.locked_for("A") == pytest.approx(1)
    clock.t += 1.5
    assert gate.locked_for("A") == 0 and gate.check(PIN, "A") == "ok"


def test_a_right_pin_resets_the_clients_count():
    gate = W.StaffGate(PIN, max_failures=3, clock=Clock())
    assert [gate.check(x, "A") for x in ("1", "2", PIN, "3", "4")] == ["wrong", "wrong", "ok", "wrong", "wrong"]
    assert gate.check(PIN, "A") == "ok"


def test_guesses_sent_in_parallel_do_not_get_round_the_limit(monkeypatch):
    gate = W.StaffGate(PIN, max_failures=3, clock=Clock())
    release, inside = threading.Event(), []
    real_scrypt = hashlib.scrypt

    def slow_scrypt(password, **kw):
        inside.append(password)
        release.wait(5)
        return real_scrypt(password, **kw)

    monkeypatch.setattr(W.hashlib, "scrypt", slow_scrypt)
    verdicts = []
    threads = [threading.Thread(target=lambda i=i: verdicts.append(gate.check(f"{i:06d}", "A"))) for i in range(10)]
    for t in threads:
        t.start()
    deadline = time.time() + 5
    while len(verdicts) < 7 and time.time() < deadline:
        time.sleep(0.01)
    release.set()
    for t in threads:
        t.join(5)
    assert len(inside) == 3  # only max_failures guesses were ever checked
    assert sorted(verdicts) == ["locked"] * 7 + ["wrong"] * 3
    assert gate.check(PIN, "A") == "locked"


def test_the_client_table_is_bounded_and_drops_the_oldest():
    gate = W.StaffGate(PIN, max_failures=2, clock=Clock(), max_clients=3)
    for client in ("A", "B", "C", "D", "E"):
        gate.check("000000", client)
    assert list(gate.clients) == ["C", "D", "E"]
    assert W.MAX_GATE_CLIENTS == 10_000


# ----------------------------------------------------------------------------- sign-in tokens


def test_a_token_round_trips_until_it_expires():
    token, expires = W.staff_token(SECRET, 600, now=1_000_000.0)
    assert expires == 1_000_600
    exp, nonce, sig = token.split(".")
    assert exp == "1000600" and len(nonce) >= 22 and len(sig) == 43
    assert W.verify_staff_token(token, SECRET, now=1_000_599.0) == 1_000_600
    with pytest.raises(W.StaffTokenExpired):
        W.verify_staff_token(token, SECRET, now=1_000_600.0)
    assert W.staff_token(SECRET, 600, now=1_000_000.0)[0] != token  # a fresh nonce each time


def test_tampered_foreign_and_malformed_tokens_are_refused():
    token, _ = W.staff_token(SECRET, 600)
    exp, nonce, sig = token.split(".")
    later = f"{int(exp) + 3600}.{nonce}.{sig}"  # a longer sign-in, same signature
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    other_nonce = f"{exp}.{'x' * len(nonce)}.{sig}"
    foreign, _ = W.staff_token("another-secret", 600)  # another store's (or a guessed) secret
    checkout_link = links.sign("x" * 22, SECRET, 600)  # a shopper's checkout link, same secret
    for bad in (later, flipped, other_nonce, foreign, checkout_link, "", None, "a.b.c", token + ".", " " + token):
        with pytest.raises(W.StaffTokenInvalid):
            W.verify_staff_token(bad, SECRET)
    with pytest.raises(W.StaffTokenInvalid):
        W.verify_staff_token(token, "")
    with pytest.raises(ValueError):
        W.staff_token("", 600)


@pytest.mark.parametrize("header,token", [
    ("Bearer abc.def", "abc.def"), ("bearer   abc ", "abc"), ("Basic abc", None), ("Bearer", None),
    ("Bearer ", None), ("", None), (None, None), ("abc", None),
])
def test_bearer_header_parsing(header, token):
    assert W.bearer_token(header) == token


# ----------------------------------------------------------------------------- the endpoints


def unlock(pages, pin, client="10.0.0.1"):
    return call(pages.staff_unlock(Req(body={"pin": pin}, client=client)))


def test_unlock_returns_a_token_the_staff_endpoints_accept(desk):
    pages = make_pages(desk, staff_session_ttl_s=600)
    before = time.time()
    status, data, headers = unlock(pages, PIN)
    assert status == 200 and data["ok"] is True and headers["Cache-Control"] == "no-store"
    assert before + 600 - 1 <= data["expires_at"] <= time.time() + 600
    assert W.verify_staff_token(data["token"], SECRET) == data["expires_at"]
    assert PIN not in json.dumps(data)
    status, listed, _ = call(pages.staff_handoffs(Req(token=data["token"])))
    assert status == 200 and listed["waiting"] == []


def test_missing_forged_and_expired_sign_ins_get_401(desk):
    pages = make_pages(desk)
    expired, _ = W.staff_token(SECRET, 60, now=time.time() - 3600)
    forged, _ = W.staff_token("not-the-secret", 600)
    answers = {name: call(pages.staff_handoffs(req)) for name, req in {
        "none": Req(), "pin as header": Req(headers={"x-staff-pin": PIN}), "pin as token": Req(token=PIN),
        "forged": Req(token=forged), "expired": Req(token=expired)}.items()}
    assert {name: a[0] for name, a in answers.items()} == dict.fromkeys(answers, 401)
    assert "expired" in answers["expired"][1]["error"] and "PIN again" in answers["expired"][1]["error"]
    assert "expired" not in answers["forged"][1]["error"]
    assert answers["none"][2]["WWW-Authenticate"].startswith("Bearer")


def test_wrong_pins_lock_out_one_client_with_retry_after(desk):
    clock = Clock()
    pages = make_pages(desk, clock=clock, staff_max_failures=3, staff_lockout_s=45)
    assert [unlock(pages, "000000", "10.0.0.1")[0] for _ in range(3)] == [403, 403, 403]
    status, data, headers = unlock(pages, PIN, "10.0.0.1")
    assert status == 429 and headers["Retry-After"] == "45" and data["retry_after_s"] == 45
    assert unlock(pages, PIN, "10.0.0.2")[0] == 200  # another client still gets in
    clock.t += 46
    assert unlock(pages, PIN, "10.0.0.1")[0] == 200


def test_the_client_is_the_forwarded_address_only_when_sanic_reports_one():
    assert WebPages.client_of(SimpleNamespace(remote_addr="", ip="10.0.0.9")) == "10.0.0.9"
    assert WebPages.client_of(SimpleNamespace(remote_addr="203.0.113.5", ip="10.0.0.9")) == "203.0.113.5"


def test_bad_bodies_are_wrong_pins(desk):
    pages = make_pages(desk)
    for i, body in enumerate((None, [], "482913", {"pin": None}, {"pin": ["482913"]}, {"nope": PIN})):
        assert call(pages.staff_unlock(Req(body=body, client=f"10.0.1.{i}")))[0] == 403, body


def test_staff_mode_off_is_404_everywhere(desk):
    settings = Settings(dialogue=DialogueSettings(redis_prefix="t", checkout_secret=SECRET), web=WebSettings())
    pages = WebPages(settings, desk=desk)
    token, _ = W.staff_token(SECRET, 600)
    assert call(pages.staff_unlock(Req(body={"pin": ""})))[0] == 404
    assert call(pages.staff_handoffs(Req(token=token)))[0] == 404


def test_replicas_sharing_redis_accept_each_others_sign_ins(redis_client):
    first = make_pages(HandoffDesk(redis_client, "t"), secret=None)
    second = make_pages(HandoffDesk(redis_client, "t"), secret=None)
    status, data, _ = unlock(first, PIN)
    assert status == 200
    assert call(second.staff_handoffs(Req(token=data["token"])))[0] == 200
    assert redis_client.get("t:secret:links")  # the secret the checkout links use
    elsewhere = make_pages(HandoffDesk(redis_client, "t"), secret="another-stores-secret")
    assert call(elsewhere.staff_handoffs(Req(token=data["token"])))[0] == 401


def test_redis_down_is_503_not_a_sign_in_or_a_refusal(down_desk):
    pages = make_pages(down_desk, secret=None)
    status, data, _ = unlock(pages, PIN)
    assert status == 503 and "unreachable" in data["error"] and "token" not in data
    token, _ = W.staff_token(SECRET, 600)
    status, data, _ = call(pages.staff_handoffs(Req(token=token)))
    assert status == 503 and "unreachable" in data["error"]


# ----------------------------------------------------------------------------- history


@pytest.fixture
def app_ctx(redis_server):
    store = StrictRedisTrackerStore(Domain.empty(), url=redis_server.url, key_prefix="t")
    return SimpleNamespace(input_channels=[], agent=SimpleNamespace(tracker_store=store))


def save(app_ctx, sender, events):
    asyncio.run(app_ctx.agent.tracker_store.save(DialogueStateTracker.from_events(sender, events)))


def test_history_answers_the_same_for_every_id_it_has_nothing_for(desk, app_ctx):
    pages = make_pages(desk)
    known = "0123456789abcdef0123456789abcdef"
    save(app_ctx, known, [UserUttered("kettle", timestamp=1.0), BotUttered("Here are kettles", timestamp=2.0)])
    quiet = "fedcba9876543210fedcba9876543210"  # a tracker, but nothing said in it
    save(app_ctx, quiet, [ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.0),
                          ActionExecuted("action_listen", timestamp=1.0)])
    short = known[:21]  # a real conversation's id cut short: never looked up
    save(app_ctx, short, [UserUttered("secret", timestamp=1.0)])
    ids = {"malformed": "../../etc/passwd", "spaces": "has spaces in it 0123456789", "too long": "a" * 129,
           "short": short, "tiny": "abc", "unknown": "0" * 32, "no messages": quiet}
    answers = {name: call(pages.history(Req(app_ctx), sid)) for name, sid in ids.items()}
    for name, (status, data, headers) in answers.items():
        assert (status, data) == (200, {"session_id": ids[name], "messages": []}), name
        assert headers == answers["unknown"][2], name
    status, data, _ = call(pages.history(Req(app_ctx), known))
    assert status == 200 and [m["text"] for m in data["messages"]] == ["kettle", "Here are kettles"]


def test_history_with_redis_down_is_503(down_desk, tmp_path):
    redis = RedisProcess(free_port(), tmp_path)
    redis.start()
    store = StrictRedisTrackerStore(Domain.empty(), url=redis.url, key_prefix="t")
    redis.stop()  # the tracker store was connected; now its Redis is gone
    ctx = SimpleNamespace(input_channels=[], agent=SimpleNamespace(tracker_store=store))
    status, data, _ = call(make_pages(down_desk).history(Req(ctx), "0" * 32))
    assert status == 503 and "unreachable" in data["error"]
    assert call(make_pages(down_desk).history(Req(ctx), "short"))[:2] == (200, {"session_id": "short", "messages": []})
