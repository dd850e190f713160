"""A bounded least-recently-used map that counts its hits and misses (the Rasa-side caches of
``channels.policy_cache`` and ``channels.nlu_cache``)."""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any, Hashable, Optional


class LRU:
    """At most ``size`` entries, the least recently used out first. ``copies``: values go in and come
    out as deep copies (for values the caller may change)."""

    def __init__(self, size: int, copies: bool = False):
        self.size, self.copies = size, copies
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Optional[Any]:
        found = self.entries.get(key)
        if found is None:
            self.misses += 1
            return None
        self.entries.move_to_end(key)
        self.hits += 1
        return copy.deepcopy(found) if self.copies else found

    def put(self, key: Hashable, value: Any) -> None:
        self.entries[key] = copy.deepcopy(value) if self.copies else value
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
