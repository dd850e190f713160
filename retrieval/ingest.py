"""CSV / JSONL importers driven by a declarative column mapping.

Bad-row policy: a row that fails validation is **skipped and reported** — each
error names the file, row (line number in the file) and field — and the load
result carries every error, so nothing is dropped silently. ``strict=True``
aborts on the first bad row instead (``CatalogError``).

Mapping files live in ``retrieval/mappings/*.yml``. A field spec is one of:
``"column"`` | ``{column: c, regex: r}`` (first group) | ``{template: "{a} {b}"}`` | ``{const: v}``.

Variants: ``fields: {group: <spec>}`` names the model a row is a variant of (rows with the
same group are one model sold in several sizes or colours; an empty group means the row is
its own model), and ``variant_axes: [size, colour]`` says which attributes tell them apart.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import yaml
from pydantic import BaseModel, ValidationError, root_validator

from retrieval.schema import Product

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
REPO_ROOT = Path(__file__).resolve().parent.parent

FieldSpec = Union[str, Dict[str, str], List[Any], None]


class CatalogError(ValueError):
    """A catalog that cannot be read (strict mode: the first bad row)."""


@dataclass(frozen=True)
class IngestError:
    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: field {self.field!r}: {self.message}"


class CatalogMapping(BaseModel):
    """How one source file's columns become ``Product`` fields."""

    name: str
    format: str = "csv"  # csv | jsonl
    path: str
    currency: str = "USD"
    native: bool = False  # rows already have the Product shape
    fields: Dict[str, Any] = {}
    description: Optional[Any] = None
    attributes: Dict[str, Any] = {}
    variant_axes: List[str] = []  # attributes the variants of one model differ in (size, colour)

    @root_validator(skip_on_failure=True)
    def _axes_are_attributes(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        unknown = [a for a in values["variant_axes"] if not values["native"] and a not in values["attributes"]]
        if unknown:
            raise ValueError(f"variant_axes {unknown} are not among the mapped attributes")
        return values

    def resolve_path(self, datasets_dir: Path) -> Path:
        p = Path(self.path)
        if p.is_absolute():
            return p
        if self.native:
            return REPO_ROOT / p
        return datasets_dir / p


@dataclass
class CatalogLoad:
    products: List[Product]
    errors: List[IngestError] = field(default_factory=list)
    rows_read: int = 0
    source: str = ""

    def summary(self) -> str:
        return (
            f"{self.source}: {self.rows_read} rows read, {len(self.products)} products loaded, "
            f"{len(self.errors)} rows skipped"
        )


def load_mapping(name_or_path: str) -> CatalogMapping:
    """A shipped mapping by name (``bigbasket``) or a YAML file path."""
    p = Path(name_or_path)
    if not p.suffix:
        p = MAPPINGS_DIR / f"{name_or_path}.yml"
    if not p.exists():
        shipped = sorted(x.stem for x in MAPPINGS_DIR.glob("*.yml"))
        raise CatalogError(f"no catalog mapping {name_or_path!r}; shipped mappings: {', '.join(shipped)}")
    return CatalogMapping.parse_obj(yaml.safe_load(p.read_text(encoding="utf-8")))


def _value(spec: FieldSpec, row: Dict[str, Any]) -> Any:
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec not in row:
            raise KeyError(f"column {spec!r} missing (columns: {', '.join(row)})")
        v = row[spec]
        return v.strip() if isinstance(v, str) else v
    if isinstance(spec, list):
        return [x for x in (_value(s, row) for s in spec) if x not in (None, "")]
    if "const" in spec:
        return spec["const"]
    if "template" in spec:
        return " ".join(spec["template"].format_map(_Blank(row)).split())
    raw = _value(spec["column"], row)
    if "regex" in spec and isinstance(raw, str):
        m = re.search(spec["regex"], raw)
        return m.group(1) if m else None
    return raw


class _Blank(dict):
    """format_map helper: missing or empty columns render as ''."""

    def __missing__(self, key: str) -> str:
        return ""


_NUMBER_JUNK = re.compile(r"[,\s₹$€£]|INR|USD|Rs\.?", re.IGNORECASE)


def _number(v: Any) -> Optional[float]:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    cleaned = _NUMBER_JUNK.sub("", str(v))
    try:
        return float(cleaned)
    except ValueError:
        raise ValueError(f"not a number: {v!r}") from None


def row_to_product(row: Dict[str, Any], mapping: CatalogMapping) -> Product:
    """Map one source row to a ``Product``; raises ``_FieldError``/``ValidationError``."""
    if mapping.native:
        data: Dict[str, Any] = dict(row)
        data.setdefault("currency", mapping.currency)
        return Product.parse_obj(data)
    data = {"currency": mapping.currency}
    for name, spec in mapping.fields.items():
        try:
            v = _value(spec, row)
            if name in ("price", "list_price", "rating"):
                v = _number(v)
            elif name in ("id", "group") and v is not None:
                v = str(v)
        except (KeyError, ValueError) as exc:
            raise _FieldError(name, str(exc)) from None
        data[name] = v
    if mapping.description is not None:
        data["description"] = _value(mapping.description, row) or ""
    attrs = {}
    for key, spec in mapping.attributes.items():
        v = _value(spec, row)
        if v not in (None, ""):
            attrs[key] = str(v)
    data["attributes"] = attrs
    return Product.parse_obj(data)


class _FieldError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _rows(path: Path, fmt: str) -> Iterator[Tuple[int, Optional[Dict[str, Any]], Optional[str]]]:
    """Yield (line number, row or None, parse error or None)."""
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            for row in reader:
                if None in row:  # more cells than header columns
                    yield reader.line_num, None, f"{len(row) - 1 + len(row[None])} cells, header has {len(row) - 1}"
                else:
                    yield reader.line_num, row, None
    elif fmt == "jsonl":
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield n, None, f"invalid JSON: {exc.msg}"
                    continue
                if not isinstance(obj, dict):
                    yield n, None, "expected a JSON object"
                    continue
                yield n, obj, None
    else:
        raise CatalogError(f"unknown catalog format {fmt!r} (csv or jsonl)")


def read_catalog(
    path: Union[str, Path],
    mapping: CatalogMapping,
    strict: bool = False,
    limit: Optional[int] = None,
) -> CatalogLoad:
    """Read ``path`` with ``mapping``. Bad rows are skipped and reported (or abort if ``strict``)."""
    path = Path(path)
    if not path.exists():
        raise CatalogError(f"catalog file not found: {path}")
    load = CatalogLoad(products=[], source=str(path))
    seen: Dict[str, int] = {}
    for line, row, problem in _rows(path, mapping.format):
        if limit is not None and load.rows_read >= limit:
            break
        load.rows_read += 1
        err: Optional[IngestError] = None
        if problem:
            err = IngestError(str(path), line, "<row>", problem)
        else:
            assert row is not None  # _rows yields a row whenever there is no problem
            try:
                product = row_to_product(row, mapping)
            except _FieldError as exc:
                err = IngestError(str(path), line, exc.field, str(exc))
            except ValidationError as exc:
                first = exc.errors()[0]
                err = IngestError(str(path), line, ".".join(map(str, first["loc"])), first["msg"])
            else:
                if product.id in seen:
                    err = IngestError(
                        str(path), line, "id", f"duplicate id {product.id!r} (first at row {seen[product.id]})"
                    )
                else:
                    seen[product.id] = line
                    load.products.append(product)
        if err is not None:
            if strict:
                raise CatalogError(str(err))
            load.errors.append(err)
    return load
