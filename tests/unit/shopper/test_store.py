"""The shopper store against a real Redis (and the in-memory twin on the same contract)."""
from __future__ import annotations

import json

import pytest

from retrieval.filters import Filters
from shopper.memory import MemoryShopperStore
from shopper.store import RedisShopperStore, SearchContext, StoreUnavailable, redact


@pytest.fixture(params=["redis", "memory"])
def store(request, redis_server, redis_client):
    if request.param == "redis":
        return RedisShopperStore.from_url(redis_server.url, prefix="t", session_ttl_s=60, profile_ttl_s=120)
    return MemoryShopperStore()


def test_context_round_trip_keeps_filters(store):
    ctx = SearchContext(query="kettle", hint="kitchen", price_preference="low")
    ctx.set_filters(Filters(max_price=40, brands=frozenset({"copperline"}), colour="red"))
    store.save_context("s1", ctx)
    back = store.get_context("s1")
    assert back.query == "kettle" and back.hint == "kitchen"
    assert back.get_filters() == Filters(max_price=40, brands=frozenset({"copperline"}), colour="red")
    assert store.get_context("other").query == ""


def test_shown_list_is_ordered_and_seen_accumulates(store):
    store.set_shown("s1", ["p3", "p1", "p2"])
    store.set_shown("s1", ["p4", "p5"])
    assert store.get_shown("s1") == ["p4", "p5"]
    assert store.get_shown_before("s1") == ["p3", "p1", "p2"]
    assert store.get_seen("s1") == {"p1", "p2", "p3", "p4", "p5"}
    store.clear_search("s1")
    assert store.get_shown("s1") == [] and store.get_seen("s1") == set()
    assert store.get_shown_before("s1") == []


def test_cart_adds_quantities(store):
    store.add_to_cart("s1", "p1", 2)
    cart = store.add_to_cart("s1", "p1", 1)
    store.add_to_cart("s1", "p2")
    assert cart == {"p1": 3}
    assert store.get_cart("s1") == {"p1": 3, "p2": 1}


def test_profile_fields(store):
    store.update_profile("s1", store="riverside")
    store.update_profile("s1", brands=json.dumps(["copperline"]))
    assert store.get_profile("s1") == {"store": "riverside", "brands": '["copperline"]'}


def test_redis_key_schema_and_ttls(redis_server, redis_client):
    store = RedisShopperStore.from_url(redis_server.url, prefix="shopguide", session_ttl_s=60, profile_ttl_s=120)
    store.save_context("alice", SearchContext(query="tea"))
    store.set_shown("alice", ["a", "b"])
    store.add_to_cart("alice", "a", 1)
    keys = set(redis_client.keys("shopguide:*"))
    assert keys == {"shopguide:shopper:alice:ctx", "shopguide:shopper:alice:shown",
                    "shopguide:shopper:alice:seen", "shopguide:shopper:alice:cart"}
    assert redis_client.type("shopguide:shopper:alice:seen") == "set"
    assert redis_client.type("shopguide:shopper:alice:cart") == "hash"
    assert 0 < redis_client.ttl("shopguide:shopper:alice:ctx") <= 60
    assert 60 < redis_client.ttl("shopguide:shopper:alice:cart") <= 120
    assert json.loads(redis_client.get("shopguide:shopper:alice:shown")) == ["a", "b"]


def test_corrupt_values_read_as_empty(redis_server, redis_client):
    store = RedisShopperStore.from_url(redis_server.url, prefix="t")
    redis_client.set("t:shopper:s:ctx", "{not json")
    redis_client.set("t:shopper:s:shown", "nope")
    assert store.get_context("s") == SearchContext()
    assert store.get_shown("s") == []


def test_unreachable_redis_names_redis_url(free_port):
    store = RedisShopperStore.from_url(f"redis://:hunter2@127.0.0.1:{free_port()}/0", socket_timeout=0.5)
    with pytest.raises(StoreUnavailable) as e:
        store.get_context("s")
    msg = str(e.value)
    assert "REDIS_URL" in msg and "hunter2" not in msg and "***@127.0.0.1" in msg


def test_redact():
    assert redact("redis://:pw@h:1/0") == "redis://***@h:1/0"
    assert redact("redis://h:1/0") == "redis://h:1/0"
