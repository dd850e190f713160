"""Fixtures for action tests: the tiny retriever injected, a real-Redis store, a chat driver."""
from __future__ import annotations

import pytest

from action_helpers import Chat, TinyRetriever, products
from actions import services
from shopper import store as store_mod
from shopper.store import MemoryShopperStore, RedisShopperStore
from shopper.testing import free_port_fixture, redis_client, redis_server  # noqa: F401


@pytest.fixture(autouse=True)
def template_replies(monkeypatch):
    """The dialogue's own template texts (deterministic); test_phrasing.py turns the phraser on."""
    monkeypatch.setenv("SHOPGUIDE_NLG", "templates")


@pytest.fixture
def retriever():
    r = TinyRetriever(products())
    services.set_retriever(r)
    yield r
    services.set_retriever(None)


@pytest.fixture
def store(redis_server, redis_client):
    """The real Redis-backed store (actions talk to Redis only through it)."""
    s = RedisShopperStore.from_url(redis_server.url, prefix="test", session_ttl_s=600, profile_ttl_s=600)
    store_mod.set_store(s)
    yield s
    store_mod.set_store(None)


@pytest.fixture
def memory_store():
    s = MemoryShopperStore()
    store_mod.set_store(s)
    yield s
    store_mod.set_store(None)


@pytest.fixture
def chat(retriever, store):
    return Chat()
