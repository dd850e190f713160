"""The demo catalog: thousands of plausible products, generated deterministically.

The catalog ``make run`` uses on a fresh clone. Everything comes from two
project-written files:

* ``data/demo/vocabulary.yml``: categories -> sub-categories -> product types,
  with the brands that make each, a name pattern, attribute options, a price
  range and description phrases.
* ``data/demo/stores.yml``: the stores and their aisle layout.

The same seed, vocabulary and generator give the same products, ids and file,
byte for byte. ``ensure_demo_catalog()`` writes the JSONL file only when it is
missing or stale (a ``*.sha256`` sidecar records what it was built from).

    python -m retrieval.demo_catalog [--out PATH] [--seed N] [--if-stale]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import json
import os
import random
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from retrieval.schema import Product, StoreStock

# Bump when a change to this module changes its output for the same inputs.
GENERATOR_VERSION = "2"
DEFAULT_SEED = 7

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO_ROOT / "data" / "demo"
VOCABULARY_PATH = DEMO_DIR / "vocabulary.yml"
STORES_PATH = DEMO_DIR / "stores.yml"
DEFAULT_OUT = REPO_ROOT / "data" / "generated" / "demo_catalog.jsonl"

ID_PREFIX = "D"
ID_WIDTH = 5

_TIER_SHIFT = {"value": -0.18, "mid": 0.0, "premium": 0.22}
_TIER_RATING = {"value": -0.15, "mid": 0.0, "premium": 0.15}
# Placeholders every template may use besides the type's own attributes.
_BASE_FIELDS = ("brand", "type", "type_lc", "subcategory", "category")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")


class VocabularyError(ValueError):
    """The vocabulary or store file is malformed; the message says where."""


# --------------------------------------------------------------------------- loading


def _read_yaml(path: Path) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=loader)
    except FileNotFoundError:
        raise VocabularyError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise VocabularyError(f"{path}: not valid YAML: {exc}") from None


def load_vocabulary(path: Optional[Path] = None) -> Dict[str, Any]:
    """Read and check ``vocabulary.yml``.

    Args:
        path: the vocabulary file; defaults to ``data/demo/vocabulary.yml``.

    Returns:
        The parsed vocabulary (plain dicts and lists).

    Raises:
        VocabularyError: a missing field, a brand in two top categories, a
            duplicate sub-category, a bad price range or an unknown placeholder.
    """
    path = Path(path or VOCABULARY_PATH)
    vocab = _read_yaml(path)
    if not isinstance(vocab, dict) or not vocab.get("categories"):
        raise VocabularyError(f"{path}: expected a mapping with 'categories'")
    brand_home: Dict[str, str] = {}
    subs_seen: Dict[str, str] = {}
    option_sets = vocab.get("option_sets") or {}
    axes = vocab.get("variant_axes") or []
    if not isinstance(axes, list):
        raise VocabularyError(f"{path}: variant_axes must be a list of attribute names")
    for cat in vocab["categories"]:
        top = cat.get("name")
        if not top or not cat.get("subcategories"):
            raise VocabularyError(f"{path}: category {top!r} needs a name and subcategories")
        for sub in cat["subcategories"]:
            sname = sub.get("name")
            where = f"{path}: {top} > {sname}"
            if not sname or not sub.get("types"):
                raise VocabularyError(f"{where}: a sub-category needs a name and types")
            if sname in subs_seen:
                raise VocabularyError(f"{where}: sub-category name also used under {subs_seen[sname]}")
            subs_seen[sname] = top
            for brand in sub.get("brands") or []:
                _claim_brand(brand_home, brand, top, where)
            for typ in sub["types"]:
                _check_type(typ, sub, option_sets, f"{where} > {typ.get('type')}")
                _check_variants(typ, axes, f"{where} > {typ.get('type')}")
                for brand in typ.get("brands") or []:
                    _claim_brand(brand_home, brand, top, where)
    return vocab


def _claim_brand(brand_home: Dict[str, str], brand: str, top: str, where: str) -> None:
    owner = brand_home.setdefault(brand, top)
    if owner != top:
        raise VocabularyError(f"{where}: brand {brand!r} already belongs to {owner!r}")


def _check_type(typ: Dict[str, Any], sub: Dict[str, Any], option_sets: Dict[str, Any], where: str) -> None:
    for key in ("type", "title", "price", "attributes", "description"):
        if not typ.get(key):
            raise VocabularyError(f"{where}: missing {key!r}")
    lo, hi = (typ["price"] + [None, None])[:2]
    if not (isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and 0 <= lo < hi):
        raise VocabularyError(f"{where}: price must be [low, high] with 0 <= low < high")
    for key, ranges in (typ.get("price_by") or {}).items():
        for value, rng in (ranges or {}).items():
            if not (isinstance(rng, list) and len(rng) == 2 and lo <= rng[0] < rng[1] <= hi):
                raise VocabularyError(f"{where}: price_by {key}={value!r} must be [low, high] inside {typ['price']}")
    if not (typ.get("brands") or sub.get("brands")):
        raise VocabularyError(f"{where}: no brands (set them on the type or the sub-category)")
    known = set(_BASE_FIELDS)
    for key, spec in typ["attributes"].items():
        if key != key.lower():
            raise VocabularyError(f"{where}: attribute key {key!r} must be lower-case")
        if isinstance(spec, dict) and "by" in spec and spec["by"] not in known:
            raise VocabularyError(f"{where}: {key!r} depends on {spec['by']!r}, which must come first")
        if isinstance(spec, str) and spec.startswith("@") and spec[1:] not in option_sets:
            raise VocabularyError(f"{where}: unknown option set {spec!r}")
        known.update({key, f"{key}_lc"})
    templates = [typ["title"], *typ["description"], *(typ.get("closers") or [])]
    for template in templates:
        for name in _PLACEHOLDER.findall(template):
            if name not in known:
                raise VocabularyError(f"{where}: unknown placeholder {{{name}}} in {template!r}")


def _check_variants(typ: Dict[str, Any], default: List[str], where: str) -> None:
    """A type's ``variants`` is a list of its attributes, and no axis is chosen by another one."""
    own = typ.get("variants")
    if own is not None and (not isinstance(own, list) or set(own) - set(typ["attributes"])):
        raise VocabularyError(f"{where}: variants must list some of the type's attributes, got {own!r}")
    keys = _variant_keys(typ, _variant_axes(typ, default))
    for axis in _variant_axes(typ, default):
        spec = typ["attributes"][axis]
        if isinstance(spec, dict) and spec.get("by") in keys:
            raise VocabularyError(f"{where}: variant axis {axis!r} depends on {spec['by']!r}, which varies too")


def load_stores(path: Optional[Path] = None) -> List[Dict[str, Any]]:
    """The stores and their aisle layout, for "which aisle is it in?".

    Args:
        path: the stores file; defaults to ``data/demo/stores.yml``.

    Returns:
        One dict per store, in file order: ``id``, ``name``, ``address``,
        ``hours``, ``stock_factor``, ``aisle_numbers`` (sub-category -> aisle
        number) and ``aisles`` (sub-category -> label such as
        ``"Aisle 12 - Dairy & Eggs"``, the same text products carry).
    """
    path = Path(path or STORES_PATH)
    data = _read_yaml(path)
    raw = data.get("stores") if isinstance(data, dict) else None
    if not raw:
        raise VocabularyError(f"{path}: expected a mapping with 'stores'")
    stores, ids = [], set()
    for i, s in enumerate(raw, 1):
        sid = str(s.get("id") or "").strip()
        if not sid or sid in ids:
            raise VocabularyError(f"{path}: store #{i} needs a unique 'id'")
        ids.add(sid)
        numbers = {str(k): int(v) for k, v in (s.get("aisles") or {}).items()}
        if not numbers:
            raise VocabularyError(f"{path}: store {sid!r} has no aisles")
        stores.append(
            {
                "id": sid,
                "name": str(s.get("name") or sid),
                "address": str(s.get("address") or ""),
                "hours": str(s.get("hours") or ""),
                "stock_factor": float(s.get("stock_factor", 1.0)),
                "aisle_numbers": numbers,
                "aisles": {sub: aisle_label(n, sub) for sub, n in numbers.items()},
            }
        )
    return stores


def aisle_label(number: int, subcategory: str) -> str:
    """The aisle text shown to shoppers, e.g. ``"Aisle 12 - Dairy & Eggs"``."""
    return f"Aisle {number} - {subcategory}"


# --------------------------------------------------------------------------- rendering


@functools.lru_cache(maxsize=4096)
def _soft_lower(text: str, proper: frozenset) -> str:
    """Lower-case ordinary capitalised words; keep names, acronyms and units.

    "Reduced Fat 2%" -> "reduced fat 2%", "Non-Stick" -> "non-stick",
    "V-Neck" -> "V-neck"; "USB-C", "Greek", "A19", "5.5 L", "mAh" stay.
    """
    return " ".join(re.sub(r"[^-/]+", lambda m: _lower_part(m.group(0), proper), word) for word in text.split(" "))


def _lower_part(part: str, proper: frozenset) -> str:
    letters = [c for c in part if c.isalpha()]
    keep = (
        len(letters) <= 1  # units and sizes: "5.5 L", "300 W", "M", the "C" of "USB-C"
        or sum(c.isupper() for c in letters) != 1
        or not letters[0].isupper()  # "mAh", "iPhone"
        or re.match(r"^[A-Z]\d", part) is not None  # "A19", "W32"
        or part.strip(",.'’") in proper
    )
    return part if keep else part.lower()


def _title_colour(colour: str) -> str:
    return re.sub(r"(^|[ -])(\w)", lambda m: m.group(1) + m.group(2).upper(), colour)


_ARTICLE = re.compile(r"\b(an?|An?) (?=(\S+))")
_LETTER_NAMES_WITH_VOWEL_SOUND = set("AEFHILMNORSX")


def _wants_an(word: str) -> bool:
    """Whether a word is read with a leading vowel sound ("an LED", "an 8 kg", "a USB")."""
    if re.match(r"^(8\d*|11|18)(\D|$)", word):
        return True
    if word[:1].isdigit():
        return False
    if re.match(r"^[A-Z]{2,}|^[A-Z]\d|^[A-Z](-|$)", word):  # acronyms and codes: read letter by letter
        return word[0] in _LETTER_NAMES_WITH_VOWEL_SOUND
    low = word.lower()
    if low.startswith(("hour", "honest", "heir")):
        return True
    if low.startswith(("eu", "one", "once", "uni", "use", "usu", "ut", "ure", "uk")):
        return False
    return low[:1] in "aeiou"


def _fix_articles(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        art = m.group(1)
        want = "an" if _wants_an(m.group(2)) else "a"
        return (want.capitalize() if art[0] == "A" else want) + " "

    return _ARTICLE.sub(fix, text)


def render(template: str, fields: Mapping[str, str]) -> str:
    """Fill ``{placeholders}``; drop ``[optional segments]`` whose placeholders are empty.

    Whitespace is collapsed, stray spaces before punctuation removed, and
    "a"/"an" fixed before the filled-in words.
    """

    def optional(m: re.Match[str]) -> str:
        seg = m.group(1)
        return seg if all(fields.get(k) for k in _PLACEHOLDER.findall(seg)) else ""

    text = _OPTIONAL.sub(optional, template)
    text = _PLACEHOLDER.sub(lambda m: fields[m.group(1)], text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r",\s*,", ",", text).replace(" - ,", ",").strip(" ,-")
    return _fix_articles(text)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


# --------------------------------------------------------------------------- generation


def _options(
    spec: Any, chosen: Dict[str, str], option_sets: Dict[str, Any], where: str
) -> List[Tuple[str, Optional[float]]]:
    """An attribute's options as (value, price weight or None)."""
    if isinstance(spec, dict) and "by" in spec:
        key = chosen.get(spec["by"], "")
        if key in spec:
            branch = spec[key]
        elif "default" in spec:
            branch = spec["default"]
        else:
            raise VocabularyError(f"{where}: no options for {spec['by']}={key!r} (add it or a 'default')")
        return _options(branch, chosen, option_sets, where)
    if isinstance(spec, str) and spec.startswith("@"):
        return _options(option_sets[spec[1:]], chosen, option_sets, where)
    if isinstance(spec, dict):
        return [("" if k is None else str(k), None if w is None else float(w)) for k, w in spec.items()]
    if isinstance(spec, list):
        return [("" if v is None else str(v), None) for v in spec]
    return [(str(spec), None)]


def _charm_price(rng: random.Random, lo: float, hi: float, position: float) -> float:
    """A shelf price inside [lo, hi] near ``position`` (0..1), ending like .99/.49."""
    raw = lo + (hi - lo) * position
    endings = (0.99, 0.49, 0.79, 0.29) if hi < 15 else (0.99, 0.49) if hi < 120 else (0.99,)
    base = int(raw)
    cands = sorted(
        {round(d + e, 2) for d in (base - 1, base, base + 1) for e in endings if lo <= d + e <= hi},
        key=lambda c: abs(c - raw),
    )
    if not cands:
        return round(min(max(raw, lo), hi), 2)
    return rng.choice(cands[:2])


def _price_range(typ: Dict[str, Any], values: Mapping[str, str]) -> Tuple[float, float]:
    """The type's price range, or the narrower one ``price_by`` gives for a chosen value."""
    for key, ranges in (typ.get("price_by") or {}).items():
        rng = (ranges or {}).get(values.get(key))
        if rng:
            return float(rng[0]), float(rng[1])
    return float(typ["price"][0]), float(typ["price"][1])


def _list_price(rng: random.Random, price: float) -> float:
    """Mostly the shelf price; about one product in five is on offer."""
    if rng.random() >= 0.2:
        return price
    pct = rng.choice((10, 15, 20, 25, 30))
    was = price / (1 - pct / 100)
    return round(int(was) + 0.99, 2) if was >= 1 else round(was, 2)


def _tiers(vocab: Dict[str, Any]) -> Dict[str, str]:
    tiers = {}
    for tier, brands in (vocab.get("brand_tiers") or {}).items():
        for b in brands or []:
            tiers[b] = tier
    return tiers


def _describe(
    rng: random.Random,
    typ: Dict[str, Any],
    sub: Dict[str, Any],
    fields: Dict[str, str],
    values: Dict[str, str],
    value_notes: Dict[str, Dict[str, str]],
) -> str:
    first = _sentence(render(rng.choice(typ["description"]), fields))
    notes = []
    for key, value in values.items():
        own = (typ.get("notes") or {}).get(key) or {}
        note = own.get(value) or (value_notes.get(key) or {}).get(value)
        if note:
            notes.append(note)
    closers = typ.get("closers") or sub.get("closers") or []
    second = ""
    if notes and rng.random() < 0.75:
        second = rng.choice(notes)
    elif closers and rng.random() < 0.8:
        second = render(rng.choice(closers), fields)
    return f"{first} {_sentence(second)}" if second else first


def _stock(
    seed: int, pid: str, stores: Sequence[Dict[str, Any]], sub: str, levels: Sequence[int]
) -> Dict[str, StoreStock]:
    rng = random.Random(f"{seed}|stock|{pid}")
    lo, hi = int(levels[0]), int(levels[1])
    stock = {}
    for store in stores:
        roll = rng.random()
        if roll < 0.07:
            qty = 0
        elif roll < 0.17:
            qty = rng.randint(1, 3)
        else:
            qty = max(1, round(rng.randint(lo, hi) * store["stock_factor"]))
        stock[store["id"]] = StoreStock(store_id=store["id"], quantity=qty, aisle=store["aisles"][sub])
    return stock


def _check_layouts(vocab: Dict[str, Any], stores: Sequence[Dict[str, Any]]) -> None:
    """Every store has an aisle for every sub-category, and no aisle for an unknown one."""
    subs = {sub["name"] for cat in vocab["categories"] for sub in cat["subcategories"]}
    for store in stores:
        missing = sorted(subs - set(store["aisles"]))
        unknown = sorted(set(store["aisles"]) - subs)
        if missing:
            raise VocabularyError(f"stores.yml: store {store['id']!r} has no aisle for {', '.join(missing)}")
        if unknown:
            raise VocabularyError(
                f"stores.yml: store {store['id']!r} lists unknown sub-categories {', '.join(unknown)}"
            )


def generate(
    seed: int = DEFAULT_SEED,
    vocabulary_path: Optional[Path] = None,
    stores_path: Optional[Path] = None,
) -> List[Product]:
    """Build the demo catalog in memory.

    Args:
        seed: the random seed; the same seed and files give the same products.
        vocabulary_path: defaults to ``data/demo/vocabulary.yml``.
        stores_path: defaults to ``data/demo/stores.yml``.

    Returns:
        Products in vocabulary order, with ids ``D00001``, ``D00002``, ...

    Raises:
        VocabularyError: the vocabulary or stores file is malformed, or a store
            has no aisle for some sub-category.
    """
    vocab = load_vocabulary(vocabulary_path)
    stores = load_stores(stores_path)
    option_sets = vocab.get("option_sets") or {}
    value_notes = vocab.get("value_notes") or {}
    proper = frozenset(vocab.get("proper_words") or ())
    keep_case = frozenset(vocab.get("keep_case") or ())
    tiers = _tiers(vocab)
    default_count = int(vocab.get("default_count", 10))
    axes = list(vocab.get("variant_axes") or ())

    _check_layouts(vocab, stores)

    products: List[Product] = []
    names: set = set()
    for cat in vocab["categories"]:
        top = cat["name"]
        levels = cat.get("stock") or [5, 40]
        for sub in cat["subcategories"]:
            for typ in sub["types"]:
                where = f"{top} > {sub['name']} > {typ['type']}"
                for draft in _drafts(
                    seed,
                    cat,
                    sub,
                    typ,
                    names,
                    option_sets,
                    proper,
                    keep_case,
                    tiers,
                    value_notes,
                    default_count,
                    where,
                    axes,
                ):
                    pid = f"{ID_PREFIX}{len(products) + 1:0{ID_WIDTH}d}"
                    draft["stock"] = _stock(seed, pid, stores, sub["name"], levels)
                    products.append(Product(id=pid, **draft))
    return products


def _variant_axes(typ: Dict[str, Any], default: Sequence[str]) -> List[str]:
    """The type's variant axes, in attribute order: its ``variants`` (else the vocabulary's
    ``variant_axes``) that it has as attributes, never its first attribute (that one takes turns)."""
    wanted = typ.get("variants", default) or []
    first = next(iter(typ["attributes"]))
    return [k for k in typ["attributes"] if k in wanted and k != first]


def _variant_keys(typ: Dict[str, Any], axes: Sequence[str]) -> List[str]:
    """The axes plus the attributes chosen by one of them (a candle's burn time goes with its size)."""
    keys = list(axes)
    for key, spec in typ["attributes"].items():
        if key not in keys and isinstance(spec, dict) and spec.get("by") in keys:
            keys.append(key)
    return keys


def _pick_options(
    rng: random.Random, key: str, opts: List[Tuple[str, Optional[float]]]
) -> List[Tuple[str, Optional[float]]]:
    """The options of one axis a model is sold in: a run of neighbouring sizes, or a few colours."""
    opts = list({value: (value, weight) for value, weight in opts}.values())
    if "size" in key:
        n = min(len(opts), rng.randint(3, 5))
        start = rng.randint(0, len(opts) - n)
        return opts[start : start + n]
    chosen = rng.sample(range(len(opts)), min(len(opts), rng.choice((1, 2, 2, 3))))
    return [opts[i] for i in sorted(chosen)]


def _variants(
    rng: random.Random,
    typ: Dict[str, Any],
    model: Dict[str, Tuple[str, Optional[float]]],
    axes: Sequence[str],
    variant_keys: Sequence[str],
    option_sets: Dict[str, Any],
    where: str,
) -> List[Dict[str, Tuple[str, Optional[float]]]]:
    """Every (value, weight) of every variant of a model, in attribute order: the model's own
    values with each combination of the axis options it is sold in."""
    choices = [
        _pick_options(rng, axis, _options(typ["attributes"][axis], _plain(model), option_sets, where)) for axis in axes
    ]
    out = []
    for combo in itertools.product(*choices):
        picked = dict(zip(axes, combo, strict=True))
        values: Dict[str, Tuple[str, Optional[float]]] = {}
        for key, spec in typ["attributes"].items():
            if key in picked:
                values[key] = picked[key]
            elif key in variant_keys:  # follows an axis: the first option for the values so far
                values[key] = _options(spec, _plain(values), option_sets, where)[0]
            else:
                values[key] = model[key]
        out.append(values)
    return out


def _group_id(where: str, brand: str, model: Mapping[str, Tuple[str, Optional[float]]]) -> str:
    """A model's id: a short hash of its type, brand and the values its variants share."""
    text = json.dumps([where, brand, sorted((k, v) for k, (v, _) in model.items())], ensure_ascii=False)
    return "M" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:9]


def _fields(
    brand: str, typ: Dict[str, Any], sub: Dict[str, Any], cat: Dict[str, Any], values: Dict[str, str], proper: frozenset
) -> Dict[str, str]:
    fields = {
        "brand": brand,
        "type": typ["type"],
        "type_lc": _soft_lower(typ["type"], proper),
        "subcategory": sub["name"],
        "category": cat["name"],
    }
    for key, value in values.items():
        fields[key] = _title_colour(value) if key == "colour" else value
        fields[f"{key}_lc"] = value if key == "colour" else _soft_lower(value, proper)
    return fields


def _drafts(
    seed: int,
    cat: Dict[str, Any],
    sub: Dict[str, Any],
    typ: Dict[str, Any],
    names: set,
    option_sets: Dict[str, Any],
    proper: frozenset,
    keep_case: frozenset,
    tiers: Dict[str, str],
    value_notes: Dict[str, Dict[str, str]],
    default_count: int,
    where: str,
    default_axes: Sequence[str] = (),
) -> Iterable[Dict[str, Any]]:
    """Product fields (all but id and stock) for one product type.

    A type with variant axes makes ``count`` models, each sold in a few of its colours and a
    run of its sizes: one product per variant, all with the model's ``group``.
    """
    rng = random.Random(f"{seed}|{where}")
    brands = list(typ.get("brands") or sub["brands"])
    rng.shuffle(brands)
    count = int(typ.get("count", default_count))
    axes = _variant_axes(typ, default_axes)
    variant_keys = _variant_keys(typ, axes)
    # Brands take turns, and so do the options of the first attribute (gender,
    # style...), so every type shows an even spread; the rest are drawn at random.
    first_key = next(iter(typ["attributes"]))
    first_opts = _options(typ["attributes"][first_key], {}, option_sets, where)
    rng.shuffle(first_opts)
    made, attempt = 0, 0
    models: set = set()
    while made < count and attempt < count * 80:
        brand = brands[attempt % len(brands)]
        lead = first_opts[(attempt // len(brands)) % len(first_opts)]
        attempt += 1
        model: Dict[str, Tuple[str, Optional[float]]] = {}
        for key, spec in typ["attributes"].items():
            if key in variant_keys:
                continue
            value, weight = lead if key == first_key else rng.choice(_options(spec, _plain(model), option_sets, where))
            model[key] = (value.lower() if key == "colour" else value, weight)
        group = _group_id(where, brand, model) if axes else None
        if group and group in models:  # this model again, in other colours or sizes
            continue
        variants = _variants(rng, typ, model, axes, variant_keys, option_sets, where) if axes else [model]
        drafts = []
        for chosen in variants:
            values = _plain(chosen)
            fields = _fields(brand, typ, sub, cat, values, proper)
            drafts.append(
                (values, [w for _, w in chosen.values() if w is not None], fields, render(typ["title"], fields))
            )
        shown = [name for *_, name in drafts]
        if len(set(shown)) < len(shown) or names.intersection(shown):
            continue
        names.update(shown)
        models.add(group)
        made += 1
        model_seed = rng.random() if axes else None
        tier = tiers.get(brand, "mid")
        for values, weights, fields, name in drafts:
            prose = dict(fields)  # in sentences, "{fat}" reads "reduced fat 2%", not "Reduced Fat 2%"
            prose.update({k: fields[f"{k}_lc"] for k in values if k not in keep_case})
            lo, hi = _price_range(typ, values)
            price_rng = _stream(rng, model_seed, "price")
            base = sum(weights) / len(weights) if weights else price_rng.uniform(0.2, 0.8)
            position = min(1.0, max(0.0, base + _TIER_SHIFT[tier] + price_rng.uniform(-0.08, 0.08)))
            price = _charm_price(price_rng, lo, hi, position)
            rating = min(5.0, max(2.8, _stream(rng, model_seed, "rating").gauss(4.25 + _TIER_RATING[tier], 0.3)))
            description = _describe(_stream(rng, model_seed, "text"), typ, sub, prose, values, value_notes)
            draft = {
                "name": name,
                "brand": brand,
                "category": [cat["name"], sub["name"], typ["type"]],
                "description": description,
                "price": price,
                "currency": "USD",
                "list_price": _list_price(_stream(rng, model_seed, "offer"), price),
                "rating": round(rating, 1),
                "attributes": {k: v for k, v in values.items() if v and not k.startswith("_")},
            }
            if group:
                draft["group"] = group
            yield draft


def _stream(rng: random.Random, model_seed: Optional[float], purpose: str) -> random.Random:
    """The type's stream for a product of its own; for a variant, its model's stream for ``purpose``,
    replayed for every variant so they share one rating, offer and wording."""
    return rng if model_seed is None else random.Random(f"{model_seed}|{purpose}")


def _plain(chosen: Mapping[str, Tuple[str, Optional[float]]]) -> Dict[str, str]:
    return {k: v for k, (v, _) in chosen.items()}


# --------------------------------------------------------------------------- files


def fingerprint(
    seed: int = DEFAULT_SEED,
    vocabulary_path: Optional[Path] = None,
    stores_path: Optional[Path] = None,
) -> str:
    """SHA-256 of what the catalog is built from: this module's source, its version,
    the seed and both data files. Any change to one of them makes the file stale."""
    h = hashlib.sha256()
    h.update(f"demo_catalog v{GENERATOR_VERSION} seed={seed}\n".encode())
    for p in (Path(__file__), Path(vocabulary_path or VOCABULARY_PATH), Path(stores_path or STORES_PATH)):
        try:
            h.update(p.read_bytes())
        except FileNotFoundError:
            raise VocabularyError(f"{p}: file not found") from None
    return h.hexdigest()


def sidecar_path(path: Path) -> Path:
    """Where the fingerprint of ``path`` is kept: ``<path>.sha256``."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_catalog(
    path: Optional[Path] = None,
    seed: int = DEFAULT_SEED,
    vocabulary_path: Optional[Path] = None,
    stores_path: Optional[Path] = None,
) -> Path:
    """Generate the catalog and write it as JSONL (one ``Product.dict()`` a line).

    The file is replaced atomically, then its ``.sha256`` sidecar is written.

    Returns:
        The path written.
    """
    path = Path(path or DEFAULT_OUT)
    digest = fingerprint(seed, vocabulary_path, stores_path)
    _write_products(path, generate(seed, vocabulary_path, stores_path), digest)
    return path


def _write_products(path: Path, products: Sequence[Product], digest: str) -> None:
    text = "".join(json.dumps(p.dict(), ensure_ascii=False) + "\n" for p in products)
    _atomic_write(path, text)
    _atomic_write(sidecar_path(path), digest + "\n")


def is_fresh(
    path: Optional[Path] = None,
    seed: int = DEFAULT_SEED,
    vocabulary_path: Optional[Path] = None,
    stores_path: Optional[Path] = None,
) -> bool:
    """Whether ``path`` exists and was built from the current inputs."""
    path = Path(path or DEFAULT_OUT)
    side = sidecar_path(path)
    if not (path.is_file() and side.is_file()):
        return False
    return side.read_text(encoding="utf-8").strip() == fingerprint(seed, vocabulary_path, stores_path)


def ensure_demo_catalog(
    path: Optional[Path] = None,
    seed: int = DEFAULT_SEED,
    vocabulary_path: Optional[Path] = None,
    stores_path: Optional[Path] = None,
) -> Path:
    """The demo catalog file, (re)written only when missing or stale.

    Args:
        path: where the JSONL lives; defaults to ``data/generated/demo_catalog.jsonl``.
        seed: generation seed (part of the fingerprint).

    Returns:
        The path of an up-to-date catalog file.
    """
    path = Path(path or DEFAULT_OUT)
    if is_fresh(path, seed, vocabulary_path, stores_path):
        return path
    return write_catalog(path, seed, vocabulary_path, stores_path)


def summary(products: Sequence[Product], stores: Sequence[Dict[str, Any]]) -> str:
    """One line: how many products, categories and stores."""
    tops = {p.category[0] for p in products}
    subs = {tuple(p.category[:2]) for p in products}
    return f"{len(products)} products, {len(tops)} categories ({len(subs)} sub-categories), {len(stores)} stores"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """CLI: write the catalog (with --if-stale, only when stale) and print a one-line
    summary. Returns 2, with the reason on stderr, for a bad vocabulary or stores file."""
    parser = argparse.ArgumentParser(prog="python -m retrieval.demo_catalog", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSONL to write (default {DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--if-stale", action="store_true", help="do nothing when the file is up to date")
    args = parser.parse_args(argv)
    try:
        if args.if_stale and is_fresh(args.out, args.seed):
            print(f"demo catalog: up to date -> {args.out}")
            return 0
        digest = fingerprint(args.seed)
        products = generate(args.seed)
        _write_products(args.out, products, digest)
        stores = load_stores()
    except VocabularyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"demo catalog: {summary(products, stores)} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
