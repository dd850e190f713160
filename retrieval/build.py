"""Build (or refresh) the cached search index of a catalog, with a progress bar.

    python -m retrieval.build --catalog demo
    python -m retrieval.build --catalog bigbasket --factory HNSW32

Idempotent: a second run finds the manifest unchanged and only loads it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Optional, Sequence

os.environ.setdefault("USE_TF", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv: Optional[Sequence[str]] = None) -> int:
    from config import get_settings

    s = get_settings().search
    ap = argparse.ArgumentParser(prog="python -m retrieval.build", description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", default=s.catalog)
    ap.add_argument("--mapping", default=s.catalog_mapping)
    ap.add_argument("--factory", default=s.index_factory)
    ap.add_argument("--encoder", default=s.encoder)
    ap.add_argument("--strict", action="store_true", help="abort on the first bad catalog row")
    ap.add_argument("--force", action="store_true", help="rebuild even if the cache is current")
    args = ap.parse_args(argv)

    from retrieval.catalog import FULL_FIELDS, load_catalog
    from retrieval.encoder import get_encoder
    from retrieval.index_store import open_index

    t0 = time.perf_counter()
    try:
        catalog = load_catalog(args.catalog, mapping=args.mapping, strict=args.strict)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    models = f", {len(catalog.models)} models" if catalog.has_variants else ""
    print(f">> catalog {catalog.name!r}: {len(catalog)} products{models} ({catalog.currency})")
    if catalog.errors:
        print(f">> {len(catalog.errors)} bad rows skipped (not indexed):")
        for e in catalog.errors[:20]:
            print(f"   {e}")
        if len(catalog.errors) > 20:
            print(f"   ... and {len(catalog.errors) - 20} more")
    state = open_index(
        catalog,
        args.encoder,
        lambda: get_encoder(args.encoder),
        s.cache_dir,
        factory=args.factory,
        fields=FULL_FIELDS,
        batch_size=s.encode_batch_size,
        progress=True,
        force=args.force,
    )
    print(f">> ready in {time.perf_counter() - t0:.1f}s: {state.path}")
    print(
        json.dumps(
            {
                "catalog": catalog.name,
                "products": len(catalog),
                "models": len(catalog.models),
                "skipped_rows": len(catalog.errors),
                "index": str(state.path),
                "last_build": state.build_stats,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
