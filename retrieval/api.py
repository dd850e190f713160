"""The search API the dialogue layer calls, and its swappable interface.

    retriever = build_retriever(settings)             # once per process, lazily
    hits = retriever.search("red tshirt under 500")   # -> [Hit(product, score, why)]
    retriever.get("123"); retriever.similar("123")
    retriever.variants("123")                         # every size/colour of its model, itself included
    retriever.answer("123", "is it unscented?")     # -> Evidence(text, score, source) or None
    retriever.catalog, retriever.currency, retriever.vocab, retriever.store_names, retriever.topicality,
    retriever.kinds

``retrieval.engine.SearchEngine`` is the real one (MiniLM + FAISS + BM25);
``retrieval.memory.InMemoryRetriever`` keeps the same contract with word overlap, for tests and tools.

Search returns one hit per model (``retrieval.variants``): the best-ranked variant that passes
the filters stands for its model, and ``exclude_ids`` leaves out the whole model of each id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Protocol, Sequence

from retrieval.answers import Evidence
from retrieval.filters import Filters
from retrieval.schema import Product

if TYPE_CHECKING:  # retrieval.catalog imports this module
    from retrieval.catalog import Catalog
    from retrieval.kinds import KindIndex
    from retrieval.query import Vocabulary
    from retrieval.topicality import Topicality


class UnknownProductError(KeyError):
    """Raised by ``get``/``similar``/``variants`` for an id that is not in the catalog."""

    def __init__(self, product_id: str):
        super().__init__(product_id)
        self.product_id = product_id

    def __str__(self) -> str:
        return f"unknown product id {self.product_id!r}"


@dataclass(frozen=True)
class Hit:
    """One search result. ``why`` names the matched constraints, for explanations."""

    product: Product
    score: float
    why: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class SearchResult:
    """Hits plus what the engine did to get them (for "I relaxed X" replies)."""

    hits: List[Hit]
    filters: Filters  # the filters finally applied
    relaxed: List[str]  # constraint names dropped because nothing matched
    query_text: str  # the text left after filters were parsed out


class Retriever(Protocol):
    """Everything the dialogue asks of search. ``retrieval.engine.SearchEngine`` implements it;
    ``retrieval.memory.InMemoryRetriever`` is a small dependency-free one for tests."""

    catalog: Catalog
    vocab: Vocabulary  # brands, colours, categories and stores that ``parse_query`` recognises
    topicality: Topicality  # "is this product the kind of thing asked for?"
    kinds: KindIndex  # which kind of product a request names, carried or not
    store_names: Dict[str, str]  # store id -> display name

    @property
    def currency(self) -> str:
        """The catalog's currency code ("USD", "INR")."""
        ...

    def search(
        self,
        text: str,
        filters: Optional[Filters] = None,
        exclude_ids: Sequence[str] = (),
        k: int = 10,
        profile: Optional[dict] = None,
    ) -> List[Hit]: ...

    def search_detailed(
        self,
        text: str,
        filters: Optional[Filters] = None,
        exclude_ids: Sequence[str] = (),
        k: int = 10,
        profile: Optional[dict] = None,
    ) -> SearchResult: ...

    def get(self, product_id: str) -> Product: ...

    def similar(self, product_id: str, k: int = 5) -> List[Hit]:
        """Up to ``k`` other models like ``product_id``'s (never one of its own variants)."""
        ...

    def variants(self, product_id: str) -> List[Product]:
        """Every product of ``product_id``'s model (its sizes and colours), itself included, in catalog order."""
        ...

    def answer(self, product_id: str, question: str) -> Optional[Evidence]:
        """The product's own catalog sentence or attribute that answers ``question``, or None."""
        ...
