"""Replies on Telegram, Slack and Messenger through Rasa's own output channels, with the
platform API intercepted at the lowest level (no network, dummy credentials):

* Telegram: aiogram ``BaseBot.request(method, payload)`` — the Bot API call;
* Slack: slack_sdk ``AsyncWebClient.api_call(method, json=...)`` — the Web API call;
* Messenger: ``requests.Session.post`` under fbmessenger's ``MessengerClient``.

Then the whole webhook path: a platform update posted to the channel's Sanic
route (Rasa's handler, our guard and token expansion) -> a stand-in for Rasa's
agent that answers like the processor does -> the platform API call.
"""
from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import time
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode

import pytest
from aiogram.bot.base import BaseBot
from fbmessenger import MessengerClient
from rasa.core.channels.facebook import MessengerBot
from rasa.core.channels.slack import SlackBot
from rasa.core.channels.telegram import TelegramOutput
from slack_sdk.web.async_client import AsyncWebClient

from channels.messaging import (
    EXPIRED_TEXT,
    GuardedFacebookInput,
    GuardedSlackInput,
    GuardedTelegramInput,
    ShopMessengerBot,
    ShopSlackBot,
    ShopTelegramOutput,
)
from channels.rasa_plugins import NO_REPLY_TEXT
from channels.render import ButtonTokens

TG_TOKEN = "123456789:AAFakeTokenForUnitTests_abcdefghijklmno"
SLACK_TOKEN = "xoxb-000000000000-000000000000-FakeTokenForTests"
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
FB_SECRET = "fake-app-secret"
FB_TOKEN = "EAAFakePageAccessToken"


def leak_free(blob: Any) -> None:
    s = json.dumps(blob, ensure_ascii=False, default=str)
    for bad in ('"cards"', "product_cards", "product_details", "placeholder-product", "phraser", "stock\""):
        assert bad not in s, bad


# ----------------------------------------------------------------------------- interceptors

@pytest.fixture
def telegram_api(monkeypatch) -> List[tuple]:
    """Every Bot API call as (method, payload); answers like Telegram would."""
    calls: List[tuple] = []

    async def request(self, method, data=None, files=None, **kwargs):
        calls.append((method, dict(data or {})))
        if method == "getMe":
            return {"id": 123456789, "is_bot": True, "first_name": "Shop", "username": "shopguide_bot"}
        if method == "sendMessage":
            return {"message_id": len(calls), "date": 0, "chat": {"id": int(data["chat_id"]), "type": "private"},
                    "text": data["text"]}
        return True

    monkeypatch.setattr(BaseBot, "request", request)
    return calls


@pytest.fixture
def slack_api(monkeypatch) -> List[tuple]:
    calls: List[tuple] = []

    async def api_call(self, api_method, *, http_verb="POST", files=None, data=None, params=None, json=None,
                       headers=None, auth=None):
        calls.append((api_method, copy.deepcopy(json)))
        return {"ok": True}

    monkeypatch.setattr(AsyncWebClient, "api_call", api_call)
    return calls


@pytest.fixture
def graph_api(monkeypatch) -> List[tuple]:
    import requests

    calls: List[tuple] = []

    class Response:
        def json(self):
            return {"recipient_id": "1", "message_id": "m"}

    def post(self, url, params=None, json=None, timeout=None, **kw):
        calls.append((url, copy.deepcopy(json)))
        return Response()

    monkeypatch.setattr(requests.Session, "post", post)
    return calls


def tg_markup(payload: Dict[str, Any]) -> Dict[str, Any]:
    rm = payload["reply_markup"]
    return json.loads(rm) if isinstance(rm, str) else rm


# ----------------------------------------------------------------------------- output channels alone

def test_our_outputs_are_rasas_classes():
    assert issubclass(ShopTelegramOutput, TelegramOutput) and issubclass(ShopSlackBot, SlackBot)
    assert issubclass(ShopMessengerBot, MessengerBot)


def test_telegram_output_sends_text_and_an_inline_keyboard(recommend, telegram_api, tokens):
    out = ShopTelegramOutput(TG_TOKEN)
    asyncio.run(out.send_response("42", copy.deepcopy(recommend)))
    (method, payload), = telegram_api
    assert method == "sendMessage" and set(payload) == {"chat_id", "text", "reply_markup"}
    assert payload["chat_id"] == "42"
    assert payload["text"] == recommend["text"]
    assert "1. Hearth & Loom Cedarwood Scented Candle, Small 200 g — Hearth & Loom — $18.49" in payload["text"]
    assert "— Willow Lane Home — $21.99" in payload["text"] and "— ₹1,299.00" in payload["text"]
    keyboard = tg_markup(payload)["inline_keyboard"]
    assert [len(row) for row in keyboard] == [1] * 7  # vertical: one button a row
    assert [row[0]["text"] for row in keyboard] == ["More about #1", "More about #2", "More about #3", "Cheaper",
                                                    "Other brands", "Show more", "Compare"]
    data = [row[0]["callback_data"] for row in keyboard]
    assert data[0] == '/ask_details{"product_id":"D01134"}' and data[3] == '/refine{"refinement":"cheaper"}'
    assert all(len(d.encode()) <= 64 and len(r[0]["text"].encode()) <= 64 for d, r in zip(data, keyboard, strict=False))
    assert tokens.expand(data[2]) == '/ask_details{"product_id":"BB-10000219-ORGANIC-SANDALWOOD-AMBER"}'
    leak_free(telegram_api)


def test_telegram_output_details_with_stock(details, telegram_api):
    asyncio.run(ShopTelegramOutput(TG_TOKEN).send_response("42", copy.deepcopy(details)))
    (method, payload), = telegram_api
    assert payload["text"].endswith("in stock at Downtown (Aisle 7 - Home Fragrance); out of stock at Riverside.")
    keyboard = tg_markup(payload)["inline_keyboard"]
    assert [b["text"] for row in keyboard for b in row] == ["Add to cart", "Is it in stock?", "More like this"]
    assert [b["callback_data"] for row in keyboard for b in row] == [
        '/choose{"product_id":"D01134"}', '/ask_availability{"product_id":"D01134"}',
        '/refine{"refinement":"similar","product_id":"D01134"}']
    leak_free(telegram_api)


def test_slack_output_posts_blocks(recommend, slack_api):
    asyncio.run(ShopSlackBot(SLACK_TOKEN, None).send_response("D123", copy.deepcopy(recommend)))
    (method, body), = slack_api
    assert method == "chat.postMessage"
    assert set(body) == {"channel", "text", "blocks"} and body["channel"] == "D123"  # no as_user (new Slack apps)
    section, actions = body["blocks"]
    assert section["text"] == {"type": "plain_text", "text": recommend["text"]}
    assert "$18.49" in section["text"]["text"] and "₹1,299.00" in section["text"]["text"]
    assert [e["text"]["text"] for e in actions["elements"]] == ["More about #1", "More about #2", "More about #3",
                                                                "Cheaper", "Other brands", "Show more", "Compare"]
    assert [e["value"] for e in actions["elements"]] == [b["payload"] for b in recommend["buttons"]]
    assert all(len(e["text"]["text"]) <= 75 and len(e["value"]) <= 2000 for e in actions["elements"])
    leak_free(slack_api)


def test_slack_output_plain_text_reply(slack_api):
    asyncio.run(ShopSlackBot(SLACK_TOKEN, "C999").send_response("U1", {"text": "Goodbye & happy shopping!"}))
    assert slack_api == [("chat.postMessage", {"channel": "C999", "text": "Goodbye &amp; happy shopping!",
                                               "type": "mrkdwn"})]


def test_messenger_output_quick_replies(recommend, graph_api):
    out = ShopMessengerBot(MessengerClient(FB_TOKEN))
    asyncio.run(out.send_response("1001", copy.deepcopy(recommend)))
    (url, body), = graph_api
    assert url.endswith("/me/messages")
    assert body["recipient"] == {"id": "1001"} and body["messaging_type"] == "RESPONSE"
    msg = body["message"]
    assert msg["text"] == recommend["text"] and len(msg["text"]) <= 2000
    assert "— Hearth & Loom — $18.49" in msg["text"]
    assert msg["quick_replies"] == [{"content_type": "text", "title": b["title"], "payload": b["payload"]}
                                    for b in recommend["buttons"]]
    leak_free(graph_api)


def test_messenger_output_button_template(details, graph_api):
    asyncio.run(ShopMessengerBot(MessengerClient(FB_TOKEN)).send_response("1001", copy.deepcopy(details)))
    (url, body), = graph_api
    tpl = body["message"]["attachment"]
    assert tpl["type"] == "template" and tpl["payload"]["template_type"] == "button"
    assert len(tpl["payload"]["text"]) <= 640 and "$18.49" in tpl["payload"]["text"]
    assert tpl["payload"]["buttons"] == [
        {"title": "Add to cart", "payload": '/choose{"product_id":"D01134"}', "type": "postback"},
        {"title": "Is it in stock?", "payload": '/ask_availability{"product_id":"D01134"}', "type": "postback"},
        {"title": "More like this", "payload": '/refine{"refinement":"similar","product_id":"D01134"}',
         "type": "postback"}]
    leak_free(graph_api)


# ----------------------------------------------------------------------------- the webhook path

class FakeRequest:
    """What Rasa's channel handlers read from a Sanic request."""

    def __init__(self, body: bytes, headers: Dict[str, str], json_body: Any = None, form: Any = None,
                 method: str = "POST", args: Optional[Dict[str, str]] = None):
        self.body, self.headers, self.json, self.form, self.method = body, headers, json_body, form or {}, method
        self.args = args or {}


class FakeAgent:
    """Stands in for Rasa's agent: records the user message, sends the bot messages like the processor."""

    def __init__(self, replies: List[Dict[str, Any]]):
        self.replies = replies
        self.seen: List[tuple] = []

    async def handle_message(self, message) -> None:
        self.seen.append((message.text, message.input_channel, str(message.sender_id)))
        for m in self.replies:
            await message.output_channel.send_response(message.sender_id, copy.deepcopy(m))


def route(bp, uri: str, method: str = "POST"):
    for r in bp._future_routes:
        if r.uri == uri and method in r.methods:
            return r.handler
    raise AssertionError(f"no {method} {uri} on {bp.name}")


def test_telegram_webhook_round_trip_with_a_shortened_button(recommend, details, telegram_api, tokens):
    agent = FakeAgent([recommend])
    inp = GuardedTelegramInput(TG_TOKEN, "shopguide_bot", "https://shop.example.com/webhooks/telegram/webhook")
    bp = inp.blueprint(agent.handle_message)
    assert telegram_api == []  # building the channel called no API (Rasa's sets the webhook here)
    hook = route(bp, "/webhook")
    chat = {"id": 42, "type": "private"}
    user = {"id": 42, "is_bot": False, "first_name": "Ann"}
    update = {"update_id": 1, "message": {"message_id": 5, "date": 0, "chat": chat, "from": user,
                                          "text": "scented candle"}}
    body = json.dumps(update).encode()
    asyncio.run(hook(FakeRequest(body, {"content-type": "application/json"}, update)))
    assert agent.seen == [("scented candle", "telegram", "42")]
    sent = [p for m, p in telegram_api if m == "sendMessage"]
    assert len(sent) == 1
    token = tg_markup(sent[0])["inline_keyboard"][2][0]["callback_data"]
    assert ButtonTokens.is_token(token)

    # the shopper taps "More about #3": Telegram posts the short callback_data, Rasa gets the real payload
    agent.replies = [details]
    update = {"update_id": 2, "callback_query": {"id": "cb1", "from": user, "chat_instance": "ci", "data": token,
                                                 "message": {"message_id": 6, "date": 0, "chat": chat}}}
    asyncio.run(hook(FakeRequest(json.dumps(update).encode(), {}, update)))
    assert agent.seen[-1] == ('/ask_details{"product_id":"BB-10000219-ORGANIC-SANDALWOOD-AMBER"}', "telegram", "42")

    # a token this process never issued (e.g. from before a restart without Redis): a clear answer
    update["callback_query"]["data"] = ButtonTokens.token_of("/gone")
    asyncio.run(hook(FakeRequest(json.dumps(update).encode(), {}, update)))
    assert len(agent.seen) == 2
    assert [p["text"] for m, p in telegram_api if m == "sendMessage"][-1] == EXPIRED_TEXT
    leak_free(telegram_api)


def test_telegram_webhook_never_silent(telegram_api):
    class Silent:
        async def handle_message(self, message):
            return None  # e.g. the action server is down

    hook = route(GuardedTelegramInput(TG_TOKEN, "shopguide_bot", "https://x.example/w").blueprint(
        Silent().handle_message), "/webhook")
    update = {"update_id": 1, "message": {"message_id": 5, "date": 0, "chat": {"id": 7, "type": "private"},
                                          "text": "kettle"}}
    asyncio.run(hook(FakeRequest(b"", {}, update)))
    assert [p["text"] for m, p in telegram_api if m == "sendMessage"] == [NO_REPLY_TEXT]


def test_telegram_webhook_is_set_after_start_without_failing_it(telegram_api, caplog):
    inp = GuardedTelegramInput(TG_TOKEN, "shopguide_bot", "https://shop.example.com/webhooks/telegram/webhook")
    bp = inp.blueprint(FakeAgent([]).handle_message)
    (listener,) = [fl for fl in bp._future_listeners if fl.event == "after_server_start"]

    async def start():
        await listener.listener(None, asyncio.get_running_loop())
        return await inp._webhook_task

    assert asyncio.run(start()) is True
    assert telegram_api == [("setWebhook", {"url": "https://shop.example.com/webhooks/telegram/webhook"})]


def test_telegram_webhook_failure_is_logged_not_raised(monkeypatch, caplog):
    async def offline(self, method, data=None, files=None, **kw):
        raise OSError(f"Cannot connect to host api.telegram.org (bot{TG_TOKEN})")

    monkeypatch.setattr(BaseBot, "request", offline)
    inp = GuardedTelegramInput(TG_TOKEN, "shopguide_bot", "https://shop.example.com/webhooks/telegram/webhook")
    assert asyncio.run(inp.set_webhook()) is False
    assert "could not set the webhook" in caplog.text and TG_TOKEN not in caplog.text


def slack_signed(body: bytes, content_type: str) -> Dict[str, str]:
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SLACK_SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"content-type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


def test_slack_webhook_round_trip(recommend, details, slack_api):
    agent = FakeAgent([recommend])
    inp = GuardedSlackInput(SLACK_TOKEN, slack_signing_secret=SLACK_SECRET)
    hook = route(inp.blueprint(agent.handle_message), "/webhook")

    async def post(req):
        await hook(req)
        await asyncio.gather(*list(inp._background_tasks))  # Slack's handler answers first, replies after

    event = {"type": "event_callback", "authorizations": [{"user_id": "UBOT"}],
             "event": {"type": "message", "channel": "D123", "channel_type": "im", "user": "U42",
                       "text": "scented candle", "ts": "1700000000.000100"}}
    body = json.dumps(event).encode()
    asyncio.run(post(FakeRequest(body, slack_signed(body, "application/json"), event)))
    assert agent.seen == [("scented candle", "slack", "U42")]
    (method, sent), = slack_api
    assert sent["channel"] == "D123" and sent["blocks"][1]["type"] == "actions"
    value = sent["blocks"][1]["elements"][0]["value"]

    # a button click arrives form-encoded with the button's value
    agent.replies = [details]
    payload = {"type": "block_actions", "user": {"id": "U42"}, "channel": {"id": "D123"},
               "message": {"ts": "1700000000.000200"}, "actions": [{"type": "button", "value": value,
                                                                    "action_id": "button_0"}]}
    form = {"payload": [json.dumps(payload)]}
    body = urlencode({"payload": form["payload"][0]}).encode()
    asyncio.run(post(FakeRequest(body, slack_signed(body, "application/x-www-form-urlencoded"), form=form)))
    assert agent.seen[-1] == ('/ask_details{"product_id":"D01134"}', "slack", "U42")
    assert len(slack_api) == 2 and "in stock at Downtown" in slack_api[-1][1]["text"]
    leak_free(slack_api)


def test_slack_webhook_refuses_unsigned_requests(slack_api):
    agent = FakeAgent([{"text": "hi"}])
    hook = route(GuardedSlackInput(SLACK_TOKEN, slack_signing_secret=SLACK_SECRET).blueprint(agent.handle_message),
                 "/webhook")
    resp = asyncio.run(hook(FakeRequest(b"{}", {"content-type": "application/json", "X-Slack-Signature": "v0=bad",
                                                "X-Slack-Request-Timestamp": str(int(time.time()))}, {})))
    assert resp.status == 400 and agent.seen == [] and slack_api == []


def test_messenger_webhook_round_trip(recommend, graph_api):
    agent = FakeAgent([recommend])
    inp = GuardedFacebookInput("verify-me", FB_SECRET, FB_TOKEN)
    bp = inp.blueprint(agent.handle_message)
    verify = route(bp, "/webhook", "GET")
    ok = asyncio.run(verify(FakeRequest(b"", {}, method="GET", args={"hub.verify_token": "verify-me",
                                                                     "hub.challenge": "c123"})))
    assert ok.body == b"c123"

    hook = route(bp, "/webhook")
    update = {"object": "page", "entry": [{"id": "P1", "time": 0, "messaging": [
        {"sender": {"id": "1001"}, "recipient": {"id": "P1"}, "timestamp": 0,
         "message": {"mid": "m1", "text": "Cheaper", "quick_reply": {"payload": '/refine{"refinement":"cheaper"}'}}}]}]}
    body = json.dumps(update).encode()
    sig = "sha1=" + hmac.new(FB_SECRET.encode(), body, hashlib.sha1).hexdigest()
    asyncio.run(hook(FakeRequest(body, {"X-Hub-Signature": sig}, update)))
    assert agent.seen == [('/refine{"refinement":"cheaper"}', "facebook", "1001")]
    replies = [b for u, b in graph_api if "message" in b]
    (reply,) = replies
    assert reply["message"]["text"] == recommend["text"] and len(reply["message"]["quick_replies"]) == 7
    leak_free(graph_api)


def test_messenger_webhook_refuses_a_bad_signature(graph_api):
    agent = FakeAgent([{"text": "hi"}])
    hook = route(GuardedFacebookInput("v", FB_SECRET, FB_TOKEN).blueprint(agent.handle_message), "/webhook")
    resp = asyncio.run(hook(FakeRequest(b"{}", {"X-Hub-Signature": "sha1=bad"}, {})))
    assert resp.body == b"not validated" and agent.seen == [] and graph_api == []
