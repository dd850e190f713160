"""Rasa's NLU result remembered by message text.

Every NLU component of ``bot/config.yml`` reads only the message text (tokens, regex and lexical features,
the count vectors, the MiniLM sentence vector, DIET, the intent classifier, synonyms, the fallback
threshold), so the parse of a text is the same whenever it is sent. Shoppers send the same short
messages all the time ("hi", "yes", "compare them", "the second one", and every button press is a fixed
payload), and NLU is about 30 ms of a turn's CPU (`make profile-turn`). A text seen before gets a copy
of its earlier parse; the parse of a new text is computed as always.

Only texts up to ``SHOPGUIDE_NLU_CACHE_MAX_CHARS`` characters are kept (the repeats are short; a long
message is nearly always new, and is more likely to say something personal). The cache lives in the Rasa
process's memory only, holds no sender id, is bounded (``SHOPGUIDE_NLU_CACHE_SIZE`` texts, least recently
used first out; 0 turns it off) and starts empty with each loaded model (a new processor).

Imported by ``channels.rasa_plugins``, which every Rasa server of the stack loads.
"""

from __future__ import annotations

from typing import Any, Dict

from rasa.core.processor import MessageProcessor

from channels.lru import LRU
from config import get_settings

MAX_ENTRIES = get_settings().dialogue.nlu_cache_size
MAX_CHARS = get_settings().dialogue.nlu_cache_max_chars
_parse = MessageProcessor._parse_message_with_graph


def cache_of(processor: MessageProcessor) -> LRU:
    cache = processor.__dict__.get("_shopguide_parse_cache")
    if cache is None:
        cache = processor.__dict__["_shopguide_parse_cache"] = LRU(
            MAX_ENTRIES, copies=True
        )  # Rasa keeps the parse in the tracker
    return cache


def parse_message_with_graph(
    self: MessageProcessor, message: Any, tracker: Any, only_output_properties: bool = True
) -> Dict[str, Any]:
    """``MessageProcessor._parse_message_with_graph``, answered from the cache for a text seen before."""
    text = message.text
    # the full parse (only_output_properties=False) carries the message's id and metadata: never shared
    if MAX_ENTRIES <= 0 or not only_output_properties or not isinstance(text, str) or len(text) > MAX_CHARS:
        return _parse(self, message, tracker, only_output_properties)
    key = (text,)
    cache = cache_of(self)
    found = cache.get(key)
    if found is not None:
        return found
    parse = _parse(self, message, tracker, only_output_properties)
    cache.put(key, parse)
    return parse


MessageProcessor._parse_message_with_graph = parse_message_with_graph
