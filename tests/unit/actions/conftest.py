"""Fixtures for action tests: the in-memory retriever, a real-Redis store, ``Services`` over them, a chat driver."""
from __future__ import annotations

import pytest
from action_helpers import Chat, products, services_for

from retrieval.memory import InMemoryRetriever
from shopper.memory import MemoryShopperStore
from shopper.store import RedisShopperStore
from support.redis_process import free_port_fixture, redis_client, redis_server  # noqa: F401


@pytest.fixture
def retriever():
    return InMemoryRetriever(products(), name="test")


@pytest.fixture
def store(redis_server, redis_client):
    """The real Redis-backed store (actions talk to Redis only through it)."""
    return RedisShopperStore.from_url(redis_server.url, prefix="test", session_ttl_s=600, profile_ttl_s=600)


@pytest.fixture
def memory_store():
    return MemoryShopperStore()


@pytest.fixture
def services(retriever, store):
    """Templates only (deterministic wording); test_phrasing.py gives its own services a phraser."""
    return services_for(retriever, store)


@pytest.fixture
def chat(services):
    return Chat(services)
