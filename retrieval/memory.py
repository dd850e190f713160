"""A dependency-free ``Retriever`` over an in-memory catalog: word overlap, the engine's contract.

    r = InMemoryRetriever(products)          # list of retrieval.schema.Product
    r.search("red kettle under 50")          # hard filters, relax-when-empty, exclusions, like the engine

For tests and tools that need the dialogue's behaviour without loading MiniLM or FAISS.
``answer`` is the exception: it needs an encoder, passed in or loaded on first use.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from retrieval.answers import Evidence
from retrieval.api import Hit, SearchResult
from retrieval.catalog import Catalog
from retrieval.filters import RELAX_ORDER, Filters
from retrieval.kinds import KindIndex
from retrieval.query import Vocabulary, parse_query
from retrieval.schema import Product
from retrieval.topicality import Topicality
from retrieval.variants import collapse, model_key


class InMemoryRetriever:
    """Ranks by the words a query shares with a product's name, category and brand (plus rating/10)."""

    def __init__(
        self,
        products: Sequence[Product],
        name: str = "memory",
        currency: str = "USD",
        store_names: Optional[Dict[str, str]] = None,
        encoder: Any = None,
    ):
        self.catalog = Catalog(name=name, products=list(products), currency=currency)
        self.store_names = dict(store_names or {s: s for s in self.catalog.stores})
        self.vocab = Vocabulary.from_catalog(self.catalog, self.store_names)
        self.topicality = Topicality(self.catalog)
        self.kinds = KindIndex.from_catalog(self.catalog)
        self.encoder = encoder
        self.calls: List[Dict[str, Any]] = []  # what was asked, for tests

    @property
    def currency(self) -> str:
        return self.catalog.currency

    @staticmethod
    def _score(text: str, p: Product) -> float:
        q = {w.rstrip("s") for w in text.lower().split() if len(w) > 2}
        doc = {w.rstrip("s") for w in (p.name + " " + " ".join(p.category) + " " + (p.brand or "")).lower().split()}
        return len(q & doc) + (p.rating or 0) / 10

    def search_detailed(
        self,
        text: str,
        filters: Optional[Filters] = None,
        exclude_ids: Sequence[str] = (),
        k: int = 10,
        profile: Optional[dict] = None,
    ) -> SearchResult:
        self.calls.append({"text": text, "filters": filters, "exclude": set(exclude_ids), "k": k})
        parsed = parse_query(text or "")  # prices and words only: brands etc. come in ``filters``
        f = (filters or Filters()).merge(parsed.filters)
        excluded = {model_key(self.catalog.get(pid)) for pid in exclude_ids if pid in self.catalog}  # whole models
        relaxed: List[str] = []
        while True:
            pool = [
                p
                for p in self.catalog.products
                if model_key(p) not in excluded and f.matches(p) and self._score(parsed.text, p) >= 1
            ]
            if pool or f.is_empty():
                break
            name = next(n for n in RELAX_ORDER if n in f.active())
            relaxed.append(name)
            f = f.without(name)
        pool = collapse(sorted(pool, key=lambda p: -self._score(parsed.text, p)))  # one per model
        return SearchResult([Hit(p, self._score(parsed.text, p), []) for p in pool[:k]], f, relaxed, parsed.text)

    def search(
        self,
        text: str,
        filters: Optional[Filters] = None,
        exclude_ids: Sequence[str] = (),
        k: int = 10,
        profile: Optional[dict] = None,
    ) -> List[Hit]:
        return self.search_detailed(text, filters, exclude_ids, k, profile).hits

    def get(self, product_id: str) -> Product:
        return self.catalog.get(product_id)

    def variants(self, product_id: str) -> List[Product]:
        return self.catalog.variants(product_id)

    def similar(self, product_id: str, k: int = 5) -> List[Hit]:
        base = self.get(product_id)
        own = model_key(base)
        others = [p for p in self.catalog.products if model_key(p) != own and p.category == base.category]
        return [Hit(p, 1.0, [f"also {p.leaf_category}"]) for p in collapse(others)[:k]]

    def answer(self, product_id: str, question: str) -> Optional[Evidence]:
        from retrieval.answers import answer

        if self.encoder is None:
            from retrieval.encoder import get_encoder

            self.encoder = get_encoder()
        return answer(question, self.get(product_id), self.encoder)
