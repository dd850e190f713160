"""The same conversation over Socket.IO: text, quick replies and product cards arrive as bot_uttered."""
from __future__ import annotations

import asyncio
import uuid

import pytest

pytestmark = pytest.mark.slow


async def _converse(url: str, messages, per_message_s: float = 60.0):
    import socketio

    sio = socketio.AsyncClient(reconnection=False)
    received: list = []
    session = asyncio.get_running_loop().create_future()

    @sio.on("session_confirm")
    async def _confirm(sid):  # noqa: ANN001
        if not session.done():
            session.set_result(sid)

    @sio.on("bot_uttered")
    async def _bot(data):  # noqa: ANN001
        received.append(data)

    await sio.connect(url, socketio_path="/socket.io", transports=["polling"], wait_timeout=30)
    session_id = uuid.uuid4().hex
    await sio.emit("session_request", {"session_id": session_id})
    await asyncio.wait_for(session, 30)
    turns = []
    for text in messages:
        before = len(received)
        await sio.emit("user_uttered", {"message": text, "session_id": session_id, "metadata": {"replies": "templates"}})
        deadline = asyncio.get_running_loop().time() + per_message_s
        # a reply is complete once its messages stop arriving for a moment
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.3)
            if len(received) > before:
                n = len(received)
                await asyncio.sleep(1.0)
                if len(received) == n:
                    break
        turns.append(received[before:])
    await sio.disconnect()
    return session_id, turns


def test_socketio_conversation_with_cards(stack, catalog):
    session_id, turns = asyncio.run(_converse(stack.rasa_url, ["hello", "show me backpacks", "tell me about the first one"]))
    assert any("shopping guide" in (m.get("text") or "") for m in turns[0])
    cards = [c for m in turns[1] for c in (m.get("custom") or {}).get("cards", [])]
    assert len(cards) == 3
    for c in cards:
        assert catalog.get(c["id"]).price == c["price"]
    assert any(m.get("quick_replies") or m.get("buttons") for m in turns[1])
    first = catalog.get(cards[0]["id"])
    assert any((m.get("text") or "").startswith(first.name) for m in turns[2])
    # the conversation is in Redis under the Socket.IO session id
    import redis

    assert redis.Redis.from_url(stack.redis.url).exists(f"itest:tracker:{session_id}")
