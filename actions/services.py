"""The action server's long-lived parts, built once, lazily, and injectable.

    retriever = get_retriever()   # retrieval.engine.build_retriever(), on first use
    store = get_store()           # shopper.store.get_store(): Redis
    vocab = get_vocab()           # names parse_query may recognise (from the catalog)
    phraser = get_phraser()       # nlg.build_phraser(): the trained GPT-2 phraser, on first use

Tests call ``set_retriever(...)`` / ``set_phraser(...)`` / ``shopper.store.set_store(...)`` instead of
monkeypatching.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Dict, List, Optional

from retrieval.api import Retriever
from retrieval.query import Vocabulary
from shopper.store import ShopperStore, get_store  # noqa: F401  (re-exported)

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_retriever: Optional[Retriever] = None
_vocab: Optional[Vocabulary] = None
_stores: Optional[Dict[str, str]] = None
_phraser: Optional[Any] = None


def get_retriever() -> Retriever:
    """The process's retriever: the engine for ``settings.catalog``, built on first use."""
    global _retriever
    if _retriever is None:
        with _lock:
            if _retriever is None:
                from retrieval.engine import build_retriever

                logger.info("loading the retrieval engine")
                _retriever = build_retriever()
    return _retriever


def set_retriever(retriever: Optional[Retriever]) -> None:
    """Inject a retriever (tests, tools); ``None`` resets to lazy creation."""
    global _retriever, _vocab
    _retriever = retriever
    _vocab = None


def catalog_of(retriever: Any) -> Any:
    """The ``Catalog`` behind a retriever, when it exposes one."""
    return getattr(retriever, "catalog", None)


def currency() -> str:
    cat = catalog_of(get_retriever())
    return getattr(cat, "currency", None) or "USD"


def store_names() -> Dict[str, str]:
    """store id -> display name (the demo's stores; ids stand in for names elsewhere)."""
    global _stores
    if _stores is None:
        names: Dict[str, str] = {}
        try:
            from retrieval.demo_catalog import load_stores

            for s in load_stores() or []:
                sid = getattr(s, "id", None) or (s.get("id") if isinstance(s, dict) else None)
                name = getattr(s, "name", None) or (s.get("name") if isinstance(s, dict) else None)
                if sid:
                    names[str(sid)] = str(name or sid)
        except Exception as e:  # noqa: BLE001 - names are a nicety; ids still work
            logger.debug("no store names: %s", e)
        _stores = names
    return _stores


def get_vocab() -> Vocabulary:
    """Brands, colours, categories and stores of the catalog, for ``parse_query``."""
    global _vocab
    if _vocab is None:
        cat = catalog_of(get_retriever())
        _vocab = Vocabulary.from_catalog(cat, store_names()) if cat is not None else Vocabulary()
    return _vocab


def top_categories(hint: str = "", limit: int = 4) -> List[str]:
    """Leaf categories to offer as quick replies, those matching ``hint`` first."""
    cat = catalog_of(get_retriever())
    if cat is None:
        return []
    from collections import Counter

    counts: Counter = Counter(p.leaf_category for p in cat.products if p.leaf_category)
    hint_words = {w for w in hint.lower().split() if len(w) > 2}

    def related(p: Any) -> bool:
        path = " ".join(p.category).lower()
        return any(w in path for w in hint_words)

    if hint_words:
        rel: Counter = Counter(p.leaf_category for p in cat.products if p.leaf_category and related(p))
        if rel:
            return [c for c, _ in rel.most_common(limit)]
    return [c for c, _ in counts.most_common(limit)]


def top_brands(category_text: str = "", limit: int = 3) -> List[str]:
    """Brands to offer as quick replies (most products first) within a category text."""
    cat = catalog_of(get_retriever())
    if cat is None:
        return []
    from collections import Counter

    words = {w for w in category_text.lower().split() if len(w) > 2}
    counts: Counter = Counter()
    for p in cat.products:
        if not p.brand:
            continue
        text = (" ".join(p.category) + " " + p.name).lower()
        if not words or any(w.rstrip("s") in text for w in words):
            counts[p.brand] += 1
    return [b for b, _ in counts.most_common(limit)]


def price_tiers() -> List[float]:
    """Three round budget suggestions from the catalog's price quartiles."""
    cat = catalog_of(get_retriever())
    prices = sorted(p.price for p in getattr(cat, "products", []) if p.price)
    if not prices:
        return [25.0, 50.0, 100.0]

    def nice(x: float) -> float:
        for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
            if x <= step * 10:
                return float(max(step, round(x / step) * step))
        return float(round(x, -3))

    q = [prices[int(len(prices) * f)] for f in (0.25, 0.5, 0.75)]
    return sorted({nice(v) for v in q})


def get_phraser() -> Any:
    """The process's GPT-2 phraser (``nlg.build_phraser()``), built on first use.

    The model loads on the first reply or ``.warmup()``. Without a trained model it
    is ``nlg.TemplatePhraser`` and every reply comes from the dialogue's templates.
    No brand lexicon is passed to its guard: the guard's closed-vocabulary check
    already rejects any word the phraser's corpus never used, so a candidate can
    only name a product or brand through a placeholder filled from the facts; a
    lexicon of every catalog brand would add only false alarms ("Fresh", "Home")
    and one regex per brand per candidate.
    """
    global _phraser
    if _phraser is None:
        with _lock:
            if _phraser is None:
                import nlg

                _phraser = nlg.build_phraser()
    return _phraser


def set_phraser(phraser: Optional[Any]) -> None:
    """Inject a phraser (``nlg.ModelPhraser`` / ``nlg.TemplatePhraser``); ``None`` resets to lazy creation."""
    global _phraser
    _phraser = phraser
