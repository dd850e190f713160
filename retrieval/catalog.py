"""A loaded catalog: products by id, its content hash, searchable text, vocabularies."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from retrieval.api import UnknownProductError
from retrieval.ingest import CatalogLoad, IngestError, load_mapping, read_catalog
from retrieval.schema import Product
from retrieval.variants import model_key

# Which product fields make up the searchable text (BM25 and the encoder).
FULL_FIELDS: Tuple[str, ...] = ("name", "brand", "category", "attributes")
SHIPPED = ("demo", "bigbasket", "instacart", "myntra_fashion")


def doc_text(p: Product, fields: Sequence[str] = FULL_FIELDS) -> str:
    """Searchable text for one product, e.g. ``"Cow Ghee | Amul | Foodgrains > Edible Oils > Ghee"``."""
    parts: List[str] = []
    for f in fields:
        if f == "name":
            parts.append(p.name)
        elif f == "brand" and p.brand:
            parts.append(p.brand)
        elif f == "category" and p.category:
            parts.append(" > ".join(p.category))
        elif f == "description" and p.description:
            parts.append(p.description)
        elif f == "attributes" and p.attributes:
            parts.append(", ".join(v for k, v in sorted(p.attributes.items())))
    return " | ".join(parts)


@dataclass
class Catalog:
    """Products in a fixed order (row i = vector id i), plus lookups and a content hash."""

    name: str
    products: List[Product]
    currency: str = "USD"
    errors: List[IngestError] = field(default_factory=list)
    variant_axes: Tuple[str, ...] = ()  # attributes a model is sold in several of, as the mapping declares

    def __post_init__(self) -> None:
        self._by_id: Dict[str, int] = {p.id: i for i, p in enumerate(self.products)}
        for cached in ("content_hash", "models"):  # called again after ``products`` is replaced
            self.__dict__.pop(cached, None)

    def __len__(self) -> int:
        return len(self.products)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._by_id

    def get(self, product_id: str) -> Product:
        try:
            return self.products[self._by_id[str(product_id)]]
        except KeyError:
            raise UnknownProductError(str(product_id)) from None

    def index_of(self, product_id: str) -> int:
        try:
            return self._by_id[str(product_id)]
        except KeyError:
            raise UnknownProductError(str(product_id)) from None

    def add(self, product: Product) -> int:
        """Append or replace a product; returns its row."""
        if product.id in self._by_id:
            row = self._by_id[product.id]
            self.products[row] = product
        else:
            row = len(self.products)
            self.products.append(product)
            self._by_id[product.id] = row
        for cached in ("content_hash", "models"):
            self.__dict__.pop(cached, None)
        return row

    @cached_property
    def models(self) -> Dict[str, List[int]]:
        """Model key (``retrieval.variants.model_key``) -> rows of its variants, in catalog order."""
        out: Dict[str, List[int]] = {}
        for row, p in enumerate(self.products):
            out.setdefault(model_key(p), []).append(row)
        return out

    @property
    def has_variants(self) -> bool:
        """Whether some model has more than one product."""
        return len(self.models) < len(self.products)

    def variants(self, product_id: str) -> List[Product]:
        """All products of ``product_id``'s model, itself included, in catalog order."""
        p = self.get(product_id)
        return [self.products[r] for r in self.models[model_key(p)]]

    @cached_property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        for p in self.products:
            h.update(json.dumps(p.dict(), sort_keys=True, default=str).encode())
            h.update(b"\n")
        return h.hexdigest()[:16]

    @cached_property
    def brands(self) -> Dict[str, str]:
        """lower-case brand -> display brand."""
        return {p.brand.lower(): p.brand for p in self.products if p.brand}

    @cached_property
    def colours(self) -> List[str]:
        return sorted({p.attributes["colour"].lower() for p in self.products if p.attributes.get("colour")})

    @cached_property
    def categories(self) -> List[str]:
        return sorted({c.lower() for p in self.products for c in p.category})

    @cached_property
    def stores(self) -> List[str]:
        return sorted({s for p in self.products for s in p.stock})


def load_catalog(
    name: str,
    datasets_dir: Optional[Path] = None,
    mapping: Optional[str] = None,
    limit: Optional[int] = None,
    strict: bool = False,
) -> Catalog:
    """Load a shipped catalog by name, or a file ``name`` with ``mapping``.

    ``demo`` generates the demo catalog first if it is missing.
    """
    from config import get_settings

    datasets_dir = datasets_dir or get_settings().search.datasets_dir
    if name in SHIPPED and mapping is None:
        m = load_mapping(name)
        path = m.resolve_path(datasets_dir)
        if name == "demo":
            from retrieval.demo_catalog import ensure_demo_catalog

            path = ensure_demo_catalog(path)
    else:
        path = Path(name)
        if mapping is None:
            mapping = "demo" if path.suffix == ".jsonl" else None
        if mapping is None:
            raise ValueError(
                f"catalog file {path} needs a mapping (--mapping bigbasket|instacart|myntra_fashion|FILE.yml)"
            )
        m = load_mapping(mapping)
    if not path.exists():
        raise FileNotFoundError(
            f"catalog {name!r} not found at {path}"
            + (" (the real catalogs live in ../shared/datasets; set SHOPGUIDE_SHARED_DIR)" if name in SHIPPED else "")
        )
    load: CatalogLoad = read_catalog(path, m, strict=strict, limit=limit)
    return Catalog(
        name=m.name if name in SHIPPED else path.stem,
        products=load.products,
        currency=m.currency,
        errors=load.errors,
        variant_axes=tuple(m.variant_axes),
    )
