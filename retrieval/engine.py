"""The search engine: query understanding -> FAISS + BM25 candidates -> filters -> fusion.

engine = build_retriever()                 # once per process (actions.services.Services)
engine.search("amul ghee under 500")       # -> [Hit(product, score, why)]
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from retrieval.answers import Evidence
from retrieval.answers import answer as answer_from_catalog
from retrieval.api import Hit, SearchResult
from retrieval.catalog import FULL_FIELDS, Catalog, doc_text, load_catalog
from retrieval.facets import store_names
from retrieval.filters import RELAX_ORDER, Filters, colour_text
from retrieval.fusion import FusionConfig, config_for, fuse
from retrieval.index_store import IndexState, open_index
from retrieval.kinds import KindIndex
from retrieval.lexical import BM25Index, tokenize
from retrieval.query import ParsedQuery, Vocabulary, parse_query
from retrieval.schema import Product
from retrieval.topicality import Topicality
from retrieval.variants import collapse, model_key

log = logging.getLogger(__name__)
MAX_QUERY_CHARS = 512  # longer messages are cut: nothing useful for search lies past this
# A candidate with no query term in its text and a dense similarity under this is not a match.
MIN_DENSE_MATCH = 0.2


class FilterArrays:
    """Catalog columns as arrays, so filters become vectorised masks."""

    def __init__(self, catalog: Catalog):
        ps = catalog.products
        self.price = np.array([p.price if p.price is not None else np.nan for p in ps], dtype=np.float64)
        self.brand = np.array([(p.brand or "").lower() for p in ps], dtype=object)
        self._brand_ids = {b: i for i, b in enumerate(dict.fromkeys(self.brand.tolist()))}
        self.brand_code = np.array([self._brand_ids[b] for b in self.brand.tolist()], dtype=np.int32)
        self.colour_text = np.array([colour_text(p) for p in ps], dtype=object)
        self.category = [[c.lower() for c in p.category] for p in ps]
        self.stock = {s: np.array([p.in_stock_at(s) for p in ps]) for s in catalog.stores}
        self.n = len(ps)
        self._masks: Dict[tuple, np.ndarray] = {}

    def _cached(self, key: tuple, make) -> np.ndarray:
        if key not in self._masks:
            if len(self._masks) > 256:
                self._masks.clear()
            self._masks[key] = make()
        return self._masks[key]

    def brand_mask(self, brands) -> np.ndarray:
        codes = [self._brand_ids[b] for b in brands if b in self._brand_ids]
        return np.isin(self.brand_code, codes)

    def _colour_mask(self, colour: str) -> np.ndarray:
        pat = re.compile(rf"\b{re.escape(colour)}\b")
        return self._cached(
            ("colour", colour),
            lambda: np.fromiter((bool(pat.search(t)) for t in self.colour_text), dtype=bool, count=self.n),
        )

    def _category_mask(self, category: str) -> np.ndarray:
        return self._cached(
            ("category", category),
            lambda: np.fromiter((any(category in c for c in cats) for cats in self.category), dtype=bool, count=self.n),
        )

    def mask(self, f: Filters) -> np.ndarray:
        m = np.ones(self.n, dtype=bool)
        with np.errstate(invalid="ignore"):
            if f.max_price is not None:
                m &= self.price <= f.max_price
            if f.min_price is not None:
                m &= self.price >= f.min_price
        if f.brands:
            m &= self.brand_mask(f.brands)
        if f.exclude_brands:
            m &= ~self.brand_mask(f.exclude_brands)
        if f.colour:
            m &= self._colour_mask(f.colour)
        if f.category:
            m &= self._category_mask(f.category)
        if f.in_stock_at:
            m &= self.stock.get(f.in_stock_at, np.zeros(self.n, dtype=bool))
        return m


class SearchEngine:
    """Implements ``retrieval.api.Retriever`` over one catalog."""

    def __init__(
        self,
        catalog: Catalog,
        index: IndexState,
        encoder,
        fields: Sequence[str] = FULL_FIELDS,
        fusion: Optional[FusionConfig] = None,
        vocab: Optional[Vocabulary] = None,
    ):
        self.catalog = catalog
        self.index = index
        self.encoder = encoder
        self.fields = tuple(fields)
        self.fusion = fusion or config_for(catalog.name)
        self.store_names = store_names(catalog)
        self.vocab = vocab or Vocabulary.from_catalog(catalog, self.store_names)
        self.topicality = Topicality(catalog)
        self.kinds = KindIndex.from_catalog(catalog)
        self.bm25 = BM25Index([doc_text(p, self.fields) for p in catalog.products])
        self.arrays = FilterArrays(catalog)
        self._lock = threading.Lock()  # adds/removes vs searches
        self._qcache: Dict[str, np.ndarray] = {}
        _single_threaded_search()

    # -- Retriever API ---------------------------------------------------------------
    @property
    def currency(self) -> str:
        return self.catalog.currency or "USD"

    def search(
        self,
        text: str,
        filters: Optional[Filters] = None,
        exclude_ids: Sequence[str] = (),
        k: int = 10,
        profile: Optional[dict] = None,
    ) -> List[Hit]:
        return self.search_detailed(text, filters, exclude_ids, k, profile).hits

    def search_detailed(
        self,
        text: str,
        filters: Optional[Filters] = None,
        exclude_ids: Sequence[str] = (),
        k: int = 10,
        profile: Optional[dict] = None,
        parse: bool = True,
    ) -> SearchResult:
        text = (text or "")[:MAX_QUERY_CHARS]
        parsed = parse_query(text, self.vocab) if parse else ParsedQuery(text=text, filters=Filters())
        f = (filters or Filters()).merge(parsed.filters)
        qvec = self._query_vector(parsed.text or text)
        with self._lock:
            lexical = self.bm25.scores(parsed.text or text)
            base = np.ones(len(self.catalog), dtype=bool)
            for pid in exclude_ids:
                if pid in self.catalog:
                    base[self._model_rows(pid)] = False
            relaxed: List[str] = []
            want = self._candidate_count(k, self.fusion.candidates)
            while True:
                mask = base & self.arrays.mask(f)
                rows, dense, lex = self._candidates(qvec, lexical, mask, want)
                good = (lex > 0) | (dense >= MIN_DENSE_MATCH)
                if good.any() or f.is_empty():
                    break
                name = next(n for n in RELAX_ORDER if n in f.active())
                relaxed.append(name)
                f = f.without(name)
            while True:  # one hit per model: widen the candidates while variants crowd out the k models
                order = self._ranked(rows[good], dense[good], lex[good], parsed, profile)
                if len(order) >= k or len(order) == int(good.sum()) or want >= int(mask.sum()):
                    break
                want *= 4
                rows, dense, lex = self._candidates(qvec, lexical, mask, want)
                good = (lex > 0) | (dense >= MIN_DENSE_MATCH)
            terms = set(tokenize([parsed.text])[0]) if parsed.text else set()
            hits = [
                Hit(self.catalog.products[r], score, self._why(self.catalog.products[r], f, terms, is_lexical))
                for r, score, is_lexical in order[:k]
            ]
        return SearchResult(hits=hits, filters=f, relaxed=relaxed, query_text=parsed.text)

    def get(self, product_id: str) -> Product:
        return self.catalog.get(product_id)

    def variants(self, product_id: str) -> List[Product]:
        return self.catalog.variants(product_id)

    def similar(self, product_id: str, k: int = 5) -> List[Hit]:
        row = self.catalog.index_of(product_id)
        base = self.catalog.products[row]
        own = model_key(base)
        with self._lock:
            slot = int(self.index.slot_of_row[row])
            want = self._candidate_count(k, k + 10)
            while True:
                scores, slots = self.index.dense.search(self.index.vectors[slot], want)
                hits = []
                for s, sl in zip(scores, slots, strict=False):
                    r = int(self.index.row_of_slot[sl])
                    if r < 0 or model_key(self.catalog.products[r]) == own:
                        continue
                    p = self.catalog.products[r]
                    why = []
                    if p.category and p.category[-1:] == base.category[-1:]:
                        why.append(f"also {p.category[-1]}")
                    if p.brand and p.brand == base.brand:
                        why.append(f"same brand {p.brand}")
                    hits.append(Hit(p, float(s), why or [f"similar to {base.name}"]))
                hits = collapse(hits)
                if len(hits) >= k or want >= len(self.catalog):
                    return hits[:k]
                want *= 4

    def answer(self, product_id: str, question: str) -> Optional[Evidence]:
        """Catalog text of ``product_id`` that answers ``question`` (``retrieval.answers``)."""
        return answer_from_catalog(question, self.get(product_id), self.encoder)

    # -- incremental updates -------------------------------------------------------
    def upsert(self, products: Sequence[Product]) -> None:
        """Add or replace products without rebuilding the dense index."""
        from retrieval.index_store import text_hash

        with self._lock:
            for p in products:
                if p.id in self.catalog:
                    old = int(self.index.slot_of_row[self.catalog.index_of(p.id)])
                    if old >= 0:
                        self.index.dense.remove([old])
                        self.index.slots[old] = None
                self.catalog.add(p)
            texts = [doc_text(p, self.fields) for p in products]
            vecs = self.encoder.encode(texts, batch_size=64)
            first = len(self.index.slots)
            self.index.dense.add(vecs, range(first, first + len(products)))
            self.index.vectors = np.vstack([self.index.vectors, vecs])
            self.index.slots.extend((p.id, text_hash(t)) for p, t in zip(products, texts, strict=True))
            self._refresh()

    def remove(self, product_ids: Sequence[str]) -> None:
        """Remove products (unknown ids raise ``UnknownProductError``)."""
        with self._lock:
            rows = [self.catalog.index_of(pid) for pid in product_ids]
            slots = [int(self.index.slot_of_row[r]) for r in rows]
            self.index.dense.remove([s for s in slots if s >= 0])
            for s in slots:
                if s >= 0:
                    self.index.slots[s] = None
            keep = [p for i, p in enumerate(self.catalog.products) if i not in set(rows)]
            self.catalog = Catalog(
                self.catalog.name, keep, self.catalog.currency, self.catalog.errors, self.catalog.variant_axes
            )
            self._refresh()

    def _refresh(self) -> None:
        from retrieval.index_store import align_rows

        align_rows(self.index, self.catalog)
        self.bm25 = BM25Index([doc_text(p, self.fields) for p in self.catalog.products])
        self.arrays = FilterArrays(self.catalog)
        self.topicality = Topicality(self.catalog)
        self.kinds = KindIndex.from_catalog(self.catalog)

    # -- internals -----------------------------------------------------------------
    def _query_vector(self, text: str) -> np.ndarray:
        """Encode a query, remembering the last few hundred: refinements re-search the same text."""
        vec = self._qcache.get(text)
        if vec is None:
            vec = self.encoder.encode([text], batch_size=1)[0]
            if len(self._qcache) >= 512:
                self._qcache.pop(next(iter(self._qcache)))
            self._qcache[text] = vec
        return vec

    def _model_rows(self, product_id: str) -> List[int]:
        """Rows of every variant of ``product_id``'s model."""
        return self.catalog.models[model_key(self.catalog.get(product_id))]

    def _candidate_count(self, k: int, floor: int) -> int:
        """How many candidates to fetch (at least ``floor``) so that ``k`` models likely remain once
        variants are collapsed: about four products per model asked for, of an average model's size."""
        if not self.catalog.has_variants:
            return floor
        per_model = len(self.catalog) / max(1, len(self.catalog.models))
        return max(floor, int(4 * k * per_model))

    def _ranked(
        self, rows: np.ndarray, dense: np.ndarray, lex: np.ndarray, parsed: ParsedQuery, profile: Optional[dict]
    ) -> List[tuple]:
        """Fused and adjusted candidates, best first, one per model: (row, score, lexical match)."""
        score = fuse(dense, lex, self.fusion)
        score = self._adjust(score, rows, parsed, profile)
        order = np.argsort(-score, kind="stable")
        ranked = [(int(rows[i]), float(score[i]), bool(lex[i] > 0)) for i in order]
        if not self.catalog.has_variants:
            return ranked
        return collapse(ranked, lambda item: self.catalog.products[item[0]])

    def _candidates(self, qvec: np.ndarray, lexical: np.ndarray, mask: np.ndarray, n: int):
        """Union of the dense top-``n`` (FAISS, filtered) and BM25 top-``n``, with both scores."""
        allowed_rows = None if mask.all() else np.flatnonzero(mask)
        if allowed_rows is not None and len(allowed_rows) == 0:
            e = np.zeros(0)
            return np.zeros(0, dtype=np.int64), e, e
        allowed_slots = None if allowed_rows is None else self.index.slot_of_row[allowed_rows]
        if allowed_slots is not None:
            allowed_slots = allowed_slots[allowed_slots >= 0]
        _, slots = self.index.dense.search(qvec, n, allowed=allowed_slots)
        dense_rows = self.index.row_of_slot[slots]
        dense_rows = dense_rows[dense_rows >= 0]
        lex = np.where(mask, lexical, 0.0)
        if n < len(lex):
            top = np.argpartition(-lex, n)[:n]
        else:
            top = np.arange(len(lex))
        top = top[lex[top] > 0]
        rows = np.union1d(dense_rows, top)
        rows = rows[mask[rows]]
        slots_of = self.index.slot_of_row[rows]
        dense = self.index.vectors[slots_of] @ qvec
        return rows, dense.astype(np.float64), lexical[rows].astype(np.float64)

    def _adjust(self, score: np.ndarray, rows: np.ndarray, parsed: ParsedQuery, profile: Optional[dict]) -> np.ndarray:
        """Small, explainable nudges: price preference, ambiguous brand mentions, profile."""
        if len(score) == 0:
            return score
        spread = float(score.std()) or 1.0
        if parsed.price_preference:
            price = self.arrays.price[rows]
            if np.isfinite(price).any():
                ranks = np.argsort(np.argsort(np.nan_to_num(price, nan=np.nanmax(price))))
                cheapness = 1 - ranks / max(1, len(rows) - 1)
                sign = 1 if parsed.price_preference == "low" else -1
                score = score + sign * 0.5 * spread * (cheapness - 0.5)
        brands = set(parsed.soft_brands)
        if brands:  # brands named in passing
            score = score + 0.5 * spread * self.arrays.brand_mask(brands)[rows]
        boost = float((profile or {}).get("preference_weight", 0.5))  # each soft preference met, in spreads
        loved = {b.lower() for b in (profile or {}).get("brands", [])} - brands
        if loved:  # brands the shopper said they like
            score = score + boost * spread * self.arrays.brand_mask(loved)[rows]
        colours = [c.lower() for c in (profile or {}).get("colours", []) if c]
        if colours:  # colours of what the shopper engaged with
            liked = np.zeros(len(rows), dtype=bool)
            for c in colours:
                liked |= self.arrays._colour_mask(c)[rows]
            score = score + boost * spread * liked
        cap = (profile or {}).get("price_cap")
        if cap:  # within the shopper's usual spend (stated, or the most they engaged with)
            with np.errstate(invalid="ignore"):
                score = score + boost * spread * (self.arrays.price[rows] <= float(cap))
        known = set((profile or {}).get("known") or ())
        if known:  # models the shopper already looked at or has: new ones first, whatever they match
            seen = np.fromiter(
                (model_key(self.catalog.products[r]) in known for r in rows), dtype=bool, count=len(rows)
            )
            score = score - boost * spread * (1 + bool(loved) + bool(colours) + bool(cap)) * seen
        avoid = {b.lower() for b in (profile or {}).get("avoid_brands", [])}
        if avoid:  # the shopper's avoided brands sink (the dialogue also filters them out)
            score = score - 10.0 * spread * self.arrays.brand_mask(avoid)[rows]
        weight = float((profile or {}).get("personal_weight") or 0.0)
        shopper = self._shopper_vector((profile or {}).get("engaged") or []) if weight > 0 else None
        if shopper is not None:  # closeness to what the shopper engaged with
            slots = self.index.slot_of_row[rows]
            sims = np.where(slots >= 0, self.index.vectors[np.maximum(slots, 0)] @ shopper, 0.0)
            score = score + weight * spread * sims
        return score

    def _shopper_vector(self, engaged: Sequence) -> Optional[np.ndarray]:
        """The weighted mean of the embeddings of the products a shopper engaged with, unit length
        (``engaged``: (product id, weight) pairs, e.g. ``shopper.profile.engagement``)."""
        vecs, weights = [], []
        for pid, w in engaged:
            if pid not in self.catalog or w <= 0:
                continue
            slot = int(self.index.slot_of_row[self.catalog.index_of(pid)])
            if slot >= 0:
                vecs.append(self.index.vectors[slot])
                weights.append(float(w))
        if not vecs:
            return None
        v = np.average(np.stack(vecs), axis=0, weights=weights)
        norm = float(np.linalg.norm(v))
        return (v / norm).astype(self.index.vectors.dtype) if norm > 0 else None

    def _why(self, p: Product, f: Filters, terms: set, lexical_match: bool) -> List[str]:
        why = []
        if f.max_price is not None or f.min_price is not None:
            why.append(f"{p.price:g} {p.currency} is " + f.describe(p.currency)[0])
        if f.brands:
            why.append(f"brand {p.brand}")
        if f.exclude_brands:
            why.append("not " + " or ".join(sorted(f.exclude_brands)))
        if f.colour:
            why.append(f.describe_one("colour"))
        if f.category:
            why.append(f.describe_one("category"))
        if f.in_stock_at:
            st = p.stock.get(f.in_stock_at)
            why.append(f"in stock at {f.in_stock_at}" + (f" ({st.aisle})" if st and st.aisle else ""))
        if lexical_match and terms:
            words = set(tokenize([doc_text(p, self.fields)])[0])
            matched = sorted(terms & words)
            if matched:
                why.append("matches " + ", ".join(matched))
        if not why:
            why.append("close in meaning to your request")
        return why


def _single_threaded_search() -> None:
    """One OpenMP thread per FAISS query: a chat turn searches one vector, and on a
    small busy machine extra threads only spin against each other."""
    import faiss

    from config import get_settings

    faiss.omp_set_num_threads(get_settings().search.query_threads)


def build_engine(
    catalog: Catalog,
    encoder_name: str = "all-MiniLM-L6-v2",
    cache_dir=None,
    factory: str = "Flat",
    fields: Sequence[str] = FULL_FIELDS,
    fusion: Optional[FusionConfig] = None,
    progress: bool = True,
    batch_size: int = 128,
    use_gpu: Optional[bool] = None,
) -> SearchEngine:
    """Open (or build) the index for ``catalog`` and wrap it in a ``SearchEngine``."""
    from config import get_settings
    from retrieval.encoder import get_encoder

    cache_dir = cache_dir or get_settings().search.cache_dir
    index = open_index(
        catalog,
        encoder_name,
        lambda: get_encoder(encoder_name),
        cache_dir,
        factory=factory,
        fields=fields,
        batch_size=batch_size,
        progress=progress,
        use_gpu=use_gpu,
    )
    return SearchEngine(catalog, index, get_encoder(encoder_name), fields=fields, fusion=fusion)


def build_retriever(settings: Any = None) -> SearchEngine:
    """The search engine for ``settings.search`` (catalog, encoder, FAISS factory, GPU use): the index
    is loaded from the cache, or built. Call once per process (the action server's ``Services`` does)."""
    from config import get_settings

    s = (settings or get_settings()).search
    cat = load_catalog(s.catalog, mapping=s.catalog_mapping)
    if cat.errors:
        log.warning("%d catalog rows skipped; first: %s", len(cat.errors), cat.errors[0])
    return build_engine(
        cat,
        encoder_name=s.encoder,
        cache_dir=s.cache_dir,
        factory=s.index_factory,
        batch_size=s.encode_batch_size,
        use_gpu=s.use_gpu,
    )
