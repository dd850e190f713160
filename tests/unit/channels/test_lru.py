"""The Rasa-side LRU (channels/lru.py) behind TED's state cache and the NLU parse cache;
tests/integration/test_policy_cache.py checks both caches against the trained model."""
from channels.lru import LRU


def test_the_cache_keeps_the_most_recent_entries_and_counts():
    cache = LRU(2)
    cache.put("a", ((0.1,), None))
    cache.put("b", ((0.2,), None))
    assert cache.get("a") == ((0.1,), None)  # "a" is now the most recent
    cache.put("c", ((0.3,), None))
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert (cache.hits, cache.misses) == (3, 1)


def test_a_copying_cache_never_hands_out_what_it_holds():
    cache = LRU(4, copies=True)
    parse = {"intent": {"name": "greet"}, "entities": []}
    cache.put("hi", parse)
    parse["entities"].append({"entity": "brand"})  # the caller changes its own dict afterwards
    first = cache.get("hi")
    first["intent"]["name"] = "changed"
    assert cache.get("hi") == {"intent": {"name": "greet"}, "entities": []}
