"""Typed product record: what every catalog is loaded into."""

from __future__ import annotations

from typing import Dict, List, Optional

from pydantic import BaseModel, Field, validator


class StoreStock(BaseModel):
    """Stock of one product in one physical store."""

    store_id: str
    quantity: int = Field(ge=0)
    aisle: Optional[str] = None  # e.g. "Aisle 7, Bay 3"

    class Config:
        frozen = True


class Product(BaseModel):
    """One sellable item. Every fact the assistant states comes from here."""

    id: str
    group: Optional[str] = None  # the model this is a variant of (a size, a colour); None: its own model
    name: str
    brand: Optional[str] = None
    category: List[str] = Field(default_factory=list, description="path, root first")
    description: str = ""
    price: Optional[float] = Field(None, ge=0)
    currency: str = "USD"
    list_price: Optional[float] = Field(None, ge=0)
    rating: Optional[float] = Field(None, ge=0, le=5)
    attributes: Dict[str, str] = Field(default_factory=dict)  # colour, size, flavour, diet...
    stock: Dict[str, StoreStock] = Field(default_factory=dict)  # store_id -> stock

    @validator("id", "name")
    def _not_blank(cls, v: str) -> str:
        v = (v or "").strip()
        if not v:
            raise ValueError("must not be empty")
        return v

    @validator("group", "brand")
    def _blank_is_none(cls, v: Optional[str]) -> Optional[str]:
        v = (v or "").strip()
        return v or None

    @property
    def category_path(self) -> str:
        return " > ".join(self.category)

    @property
    def leaf_category(self) -> str:
        return self.category[-1] if self.category else ""

    @property
    def in_stock_anywhere(self) -> bool:
        return any(s.quantity > 0 for s in self.stock.values())

    def in_stock_at(self, store_id: str) -> bool:
        s = self.stock.get(store_id)
        return bool(s and s.quantity > 0)
