"""The pages and JSON endpoints served by Rasa itself (no browser needed)."""
from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

import pytest
from browser_env import IDLE_TIMEOUT_S, KIOSK_STORE

pytestmark = pytest.mark.slow


def get(stack, path, headers=None, data=None, method=None):
    req = urllib.request.Request(stack.rasa_url + path, headers=headers or {}, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - loopback
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def raw_get(stack, path):
    """A GET with the path sent as is (urllib would not send ../ unchanged on every version)."""
    u = urlsplit(stack.rasa_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, body


def test_pages_are_served_with_a_strict_content_security_policy(web_stack):
    for path, marker in (("/chat", b"data-chat-log"), ("/kiosk", b"data-start-menu")):
        status, headers, body = get(web_stack, path)
        assert status == 200 and marker in body
        assert headers["Content-Type"].startswith("text/html")
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "default-src 'self'" in csp
        assert headers["Referrer-Policy"] == "no-referrer"
    assert get(web_stack, "/webhooks/webpages/")[0] == 200
    assert get(web_stack, "/")[0] == 200  # Rasa's own root is untouched


def test_static_files_and_vendored_libraries(web_stack):
    for path, ctype in (("/static/shopchat.js", "text/javascript"), ("/static/kiosk.css", "text/css"),
                        ("/static/vendor/socket.io.min.js", "text/javascript"), ("/static/vendor/qrcode.js", "text/javascript"),
                        ("/static/placeholder-product.svg", "image/svg+xml")):
        status, headers, body = get(web_stack, path)
        assert status == 200 and headers["Content-Type"].startswith(ctype) and body, path
    for bad in ("/static/../bot/credentials.yml", "/static/%2e%2e/%2e%2e/bot/credentials.yml",
                "/static/vendor/../../chat.html", "/static/.hidden", "/static/nope.js"):
        status, body = raw_get(web_stack, bad)
        assert status == 404 and b"GuardedRestInput" not in body, bad


def test_config_has_the_kiosk_settings_but_never_the_pin(web_stack):
    status, _, body = get(web_stack, "/web/api/config")
    cfg = json.loads(body)
    assert status == 200
    assert cfg["store"]["id"] == KIOSK_STORE and cfg["store"]["name"] == "Downtown Superstore" and cfg["store"]["aisles"] > 0
    assert cfg["idle_timeout_s"] == IDLE_TIMEOUT_S and cfg["staff_enabled"] is True and cfg["error"] is None
    assert web_stack.staff_pin not in body.decode()


def test_history_reads_the_conversation_from_redis(web_stack, catalog):
    sid = uuid.uuid4().hex
    assert json.loads(get(web_stack, f"/web/api/history/{sid}")[2]) == {"session_id": sid, "messages": []}
    web_stack.send(sid, "show me backpacks")
    web_stack.send(sid, '/ask_details{"product_id":"D02413"}')
    status, headers, body = get(web_stack, f"/web/api/history/{sid}")
    msgs = json.loads(body)["messages"]
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert [m["sender"] for m in msgs] == ["user", "bot", "user", "bot"]
    assert msgs[0]["text"] == "show me backpacks" and msgs[2]["text"] == "Ask details"
    cards = msgs[1]["custom"]["cards"]
    assert msgs[1]["custom"]["type"] == "product_cards" and len(cards) == 3
    assert all(c["price"] == catalog.get(c["id"]).price for c in cards)
    assert any(b["payload"] == "/compare" for b in msgs[1]["buttons"])
    assert msgs[3]["custom"]["type"] == "product_details"
    # an id too short to be a page's, a malformed one and an unknown one: the same answer, nothing to probe
    for other in ("short", sid[:21], "a%20b", uuid.uuid4().hex):
        status, _, body = get(web_stack, f"/web/api/history/{other}")
        assert status == 200 and json.loads(body)["messages"] == [], other


def unlock(stack, pin):
    data = json.dumps({"pin": pin}).encode()
    status, headers, body = get(stack, "/web/api/staff/unlock", data=data, headers={"Content-Type": "application/json"})
    return status, json.loads(body)


def test_staff_endpoints_need_the_sign_in_the_pin_buys(web_stack):
    assert unlock(web_stack, "not-it")[0] == 403
    assert get(web_stack, "/web/api/staff/stock?q=D02413")[0] == 401
    assert get(web_stack, "/web/api/staff/stock?q=D02413", headers={"X-Staff-Pin": web_stack.staff_pin})[0] == 401
    status, signed_in = unlock(web_stack, web_stack.staff_pin)
    assert status == 200 and signed_in["ok"] is True and signed_in["expires_at"] > time.time() + 60
    assert web_stack.staff_pin not in json.dumps(signed_in)
    auth = {"Authorization": f"Bearer {signed_in['token']}"}
    assert get(web_stack, "/web/api/staff/stock?q=D02413", headers={"Authorization": "Bearer x.y.z"})[0] == 401
    status, _, body = get(web_stack, "/web/api/staff/stock?q=D02413", headers=auth)
    products = json.loads(body)["products"]
    assert status == 200 and [p["id"] for p in products] == ["D02413"]
    assert {s["store_id"] for s in products[0]["stock"]} == {"downtown", "riverside", "eastgate"}

    sid = uuid.uuid4().hex
    web_stack.send(sid, "can you help me out")
    status, _, body = get(web_stack, "/web/api/staff/help-requests", headers=auth)
    found = [r for r in json.loads(body)["requests"] if r["session_id"] == sid]
    assert status == 200 and found and found[0]["text"] == "can you help me out"
    web_stack.send(sid, "show me backpacks")  # no longer waiting once they ask for something else
    found = [r for r in json.loads(get(web_stack, "/web/api/staff/help-requests", headers=auth)[2])["requests"]
             if r["session_id"] == sid]
    assert found == []
