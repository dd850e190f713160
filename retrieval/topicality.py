"""Whether a product is the kind of thing asked for, by the words of its own name and category.

    topic = Topicality(catalog)
    terms = stems("running shoes")            # {"run", "shoe"}
    topic.is_topical(product, terms)          # its name (minus brand) or category holds one of them
    topic.has_kind(terms)                     # the catalog has such products at all
    topic.names_a_product(terms)              # one product holds every term (name, category, description)

Snowball stems make "phones" meet "phone" and "shoes" meet "shoe". A brand alone never
makes a product topical ("Hillside Kettle" chips are not kettles).
"""

from __future__ import annotations

import re
import threading
from typing import Any, Dict, FrozenSet, List, Tuple

from retrieval.schema import Product

_STEMMER: Any = None
_STEMMER_LOCK = threading.Lock()


def stems(text: str) -> FrozenSet[str]:
    """Snowball stems of the words of 3+ letters ("phones", "phone" -> "phone"; "shoes" -> "shoe")."""
    global _STEMMER
    if _STEMMER is None:
        with _STEMMER_LOCK:
            if _STEMMER is None:
                import Stemmer

                _STEMMER = Stemmer.Stemmer("english")
    words = [w for w in re.findall(r"[a-z0-9]+", (text or "").lower()) if len(w) >= 3]
    with _STEMMER_LOCK:  # a PyStemmer object is not thread-safe
        return frozenset(_STEMMER.stemWords(words))


def own_words(p: Product) -> FrozenSet[str]:
    """Stems of what a product is: its name without its brand, and its category path."""
    return (stems(p.name) - stems(p.brand or "")) | stems(" ".join(p.category))


def is_topical(p: Product, terms: FrozenSet[str]) -> bool:
    """The product's own name or category says what was asked for (no terms: everything is)."""
    return not terms or bool(terms & own_words(p))


class Topicality:
    """Topic checks over one catalog; the word index is built on first use (about 1 s for 50k products)."""

    MAX_CACHED = 4096

    def __init__(self, catalog: Any):
        self.catalog = catalog
        self._words: List[Tuple[FrozenSet[str], FrozenSet[str]]] = []
        self._kinds: Dict[FrozenSet[str], bool] = {}
        self._lock = threading.Lock()

    def _index(self) -> List[Tuple[FrozenSet[str], FrozenSet[str]]]:
        with self._lock:
            if not self._words and self.catalog.products:
                self._words = [(own_words(p), stems(p.description or "")) for p in self.catalog.products]
            return self._words

    is_topical = staticmethod(is_topical)

    def has_kind(self, terms: FrozenSet[str]) -> bool:
        """Whether the catalog has products named for ``terms`` at all (then only those are shown)."""
        if not terms:
            return False
        terms = frozenset(terms)
        if terms not in self._kinds:
            if len(self._kinds) > self.MAX_CACHED:
                self._kinds.clear()
            self._kinds[terms] = any(terms & own for own, _ in self._index())
        return self._kinds[terms]

    def names_a_product(self, terms: FrozenSet[str]) -> bool:
        """Whether one product holds every term in its name, category or description, and at least
        one in its own name or category ("phone charger": a wall charger "for phones")."""
        if not terms:
            return False
        return any(terms & own and terms <= own | desc for own, desc in self._index())

    def coverage(self, terms: FrozenSet[str]) -> float:
        """The largest share of ``terms`` one product holds in its name, category or description,
        counting only products that hold at least one in their own name or category (0.0: none)."""
        if not terms:
            return 0.0
        best = 0
        for own, desc in self._index():
            if terms & own:
                best = max(best, len(terms & (own | desc)))
                if best == len(terms):
                    break
        return best / len(terms)
