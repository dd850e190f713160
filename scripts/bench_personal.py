"""Personalisation benchmark: simulated shoppers with hidden preferences, with and without personalisation.

    python scripts/bench_personal.py [--tune 40] [--test 80] [--weights 0,0.25,0.5,1,2] [--out bench/results/personal]

Runs the action layer with the real search engine (demo catalog: MiniLM + FAISS + BM25) and a real Redis.
Each simulated shopper has hidden preferences drawn from the catalog's own attributes for one kind of
product (a leaf category): a liked brand, a diet for food (gluten-free, dairy-free, organic, vegan), a
colour for things that come in colours, a price band, and sometimes a brand they avoid. They say some of
it ("I love Pantry Lane", "I eat gluten-free", "I never buy Snowcap Creamery"), look at the details of two
products they like and add one to the cart, then ask for that kind of product. Measured on the three
products shown next:

* preference-consistent nDCG@3: a product's gain is the share of the shopper's hidden preferences it
  meets (none for the two they already looked at); the ideal is the best three of that kind in the catalog;
* hard-preference violations: shown products that break a stated diet or avoided brand;
* off-kind: shown products that are not the kind asked for (a boost too strong would pull them in);
* memory recall: the share of stated preferences that "what do you remember about me?" lists.

The same shoppers run again with personalisation off (today's ranking). The shopper-vector weight is
chosen on the ``--tune`` shoppers (one seed) and reported on the ``--test`` shoppers (another seed).
Writes ``<out>.md``, ``<out>.json``, ``<out>.png``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

DIET_OF_ATTR = {"gluten-free": "gluten-free", "dairy-free": "dairy-free", "organic": "organic", "vegan": "vegan"}


def leaf(p: Any) -> str:
    return p.category[-1] if p.category else ""


class Shopper:
    def __init__(self, kind: str, brand: str, diet: Optional[str], colour: Optional[str], max_price: float,
                 avoid: Optional[str], liked: List[str]):
        self.kind, self.brand, self.diet, self.colour = kind, brand, diet, colour
        self.max_price, self.avoid, self.liked = max_price, avoid, liked
        self.liked_models: set = set()

    def gain(self, p: Any) -> float:
        """The share of hidden preferences ``p`` meets (an avoided brand or a broken diet: 0). A product the
        shopper already looked at gains nothing: the next recommendations should be new ones."""
        from retrieval.variants import model_key
        from shopper.preferences import Preference, violates

        if model_key(p) in self.liked_models:
            return 0.0
        if self.avoid and p.brand == self.avoid:
            return 0.0
        if self.diet and violates(p, [Preference("diet", self.diet)]) is not None:
            return 0.0
        checks = [p.brand == self.brand, p.price is not None and p.price <= self.max_price]
        if self.colour:
            checks.append((p.attributes.get("colour") or "").lower() == self.colour)
        return sum(checks) / len(checks)

    def statements(self) -> List[str]:
        said = [f"I love {self.brand}"]
        if self.diet:
            said.append(f"I eat {self.diet}")
        if self.avoid:
            said.append(f"I never buy {self.avoid}")
        return said

    def stated_words(self) -> List[str]:
        out = [f"you like {self.brand}"]
        if self.diet:
            out.append(f"you eat {self.diet}")
        if self.avoid:
            out.append(f"you'd rather not buy {self.avoid}")
        return out


def draw_shoppers(catalog: Any, n: int, seed: int) -> List[Shopper]:
    from retrieval.variants import model_key

    rng = random.Random(seed)
    by_leaf: Dict[str, Dict[str, Any]] = defaultdict(dict)
    for p in catalog.products:
        by_leaf[leaf(p)].setdefault(model_key(p), p)  # one product per model
    kinds = [k for k, models in by_leaf.items() if len(models) >= 12 and len({p.brand for p in models.values()}) >= 3]
    shoppers = []
    while len(shoppers) < n:
        kind = rng.choice(sorted(kinds))
        models = list(by_leaf[kind].values())
        brands = sorted({p.brand for p in models if sum(q.brand == p.brand for q in models) >= 2})
        if len(brands) < 2:
            continue
        brand = rng.choice(brands)
        diets = sorted({DIET_OF_ATTR[d.lower()] for p in models if (d := p.attributes.get("diet")) and d.lower() in DIET_OF_ATTR})
        diet = rng.choice(diets) if diets and rng.random() < 0.7 else None
        colours = sorted({(p.attributes.get("colour") or "").lower() for p in models} - {""})
        colour = rng.choice(colours) if colours else None
        prices = sorted(p.price for p in models if p.price is not None)
        max_price = prices[int(len(prices) * rng.uniform(0.4, 0.8))] if prices else math.inf
        others = [b for b in sorted({p.brand for p in models}) if b != brand]
        avoid = rng.choice(others) if others and rng.random() < 0.4 else None
        s = Shopper(kind, brand, diet, colour, max_price, avoid, [])
        liked = sorted((p for p in models if s.gain(p) >= 0.66), key=lambda p: (-s.gain(p), p.id))
        if len(liked) < 2:
            continue
        picked = rng.sample(liked, 2)
        s.liked = [p.id for p in picked]
        s.liked_models = {model_key(p) for p in picked}
        shoppers.append(s)
    return shoppers


class Driver:
    """Runs actions as Rasa would for one sender (templates, no NLU: intents and entities given)."""

    def __init__(self, services: Any, sender: str):
        self.services, self.sender = services, sender

    def run(self, action_cls: Any, text: str = "", intent: str = "", entities: Optional[List[Dict]] = None) -> List[Dict]:
        from rasa_sdk import Tracker
        from rasa_sdk.executor import CollectingDispatcher

        parse = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or [], "metadata": {}}
        events = [{"event": "user", "text": text, "parse_data": parse, "input_channel": "rest", "metadata": {}}]
        tracker = Tracker(self.sender, {}, parse, events, False, None, {}, "action_listen")
        d = CollectingDispatcher()
        asyncio.run(action_cls(self.services).run(d, tracker, {}))
        return d.messages


def converse(services: Any, shopper: Shopper, personalise: bool) -> Dict[str, Any]:
    from actions.cart import ActionChoose
    from actions.products import ActionShowDetails
    from actions.search import ActionAssessRequest, ActionRecommend
    from actions.service import ActionPrivacy

    drive = Driver(services, f"bp-{uuid.uuid4().hex}")
    if not personalise:
        services.profiles.set_personalised(drive.sender, False)
    drive.run(ActionAssessRequest, ". ".join(shopper.statements()), "inform")
    for pid in shopper.liked:
        drive.run(ActionShowDetails, "", "product_details", [{"entity": "product_id", "value": pid}])
    drive.run(ActionChoose, "", "add_to_cart", [{"entity": "product_id", "value": shopper.liked[0]}])
    ask = f"show me {shopper.kind.lower()}"
    drive.run(ActionAssessRequest, ask, "search_product")
    messages = drive.run(ActionRecommend, ask, "search_product")
    shown = []
    for m in messages:
        for c in ((m.get("custom") or {}).get("cards") or []):
            shown.append(services.retriever.get(c["id"]))
    memory = " ".join(m.get("text") or "" for m in drive.run(ActionPrivacy, "what do you remember about me?", "ask_privacy"))
    return {"shown": shown, "memory": memory}


def ndcg3(shopper: Shopper, shown: Sequence[Any], pool: Sequence[Any]) -> float:
    gains = [shopper.gain(p) for p in shown[:3]]
    ideal = sorted((shopper.gain(p) for p in pool), reverse=True)[:3]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def evaluate(services: Any, shoppers: Sequence[Shopper], pools: Dict[str, List[Any]], personalise: bool) -> Dict[str, Any]:
    from shopper.preferences import Preference, violates

    scores, violations, shown_n, listed, stated, off_kind = [], 0, 0, 0, 0, 0
    for s in shoppers:
        r = converse(services, s, personalise)
        scores.append(ndcg3(s, r["shown"], pools[s.kind]))
        hard = ([Preference("diet", s.diet)] if s.diet else []) + ([Preference("brand_avoid", s.avoid.lower())] if s.avoid else [])
        violations += sum(1 for p in r["shown"] if violates(p, hard) is not None)
        shown_n += len(r["shown"])
        off_kind += sum(1 for p in r["shown"] if leaf(p) != s.kind)
        if personalise:
            words = s.stated_words()
            stated += len(words)
            listed += sum(1 for w in words if w.lower() in r["memory"].lower())
    return {"ndcg3": sum(scores) / len(scores), "violations": violations, "shown": shown_n, "off_kind": off_kind,
            "memory_recall": (listed / stated) if stated else None, "shoppers": len(shoppers)}


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tune", type=int, default=40)
    ap.add_argument("--test", type=int, default=80)
    ap.add_argument("--weights", default="0,0.5,1,2", help="shopper-vector weights tried")
    ap.add_argument("--pref-weights", default="0.5,1,2", help="boosts per soft preference tried")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "personal")
    args = ap.parse_args(argv)

    from actions.services import Services
    from config import get_settings
    from retrieval.engine import build_retriever
    from retrieval.variants import model_key
    from shopper.profile import ProfileBook
    from shopper.store import RedisShopperStore
    from support.redis_process import RedisProcess, free_port

    settings = get_settings()
    t0 = time.perf_counter()
    retriever = build_retriever(settings)
    pools: Dict[str, Dict[str, Any]] = defaultdict(dict)
    for p in retriever.catalog.products:
        pools[leaf(p)].setdefault(model_key(p), p)
    pool_lists = {k: list(v.values()) for k, v in pools.items()}
    with tempfile.TemporaryDirectory() as tmp:
        redis = RedisProcess(free_port(), Path(tmp))
        redis.start()
        try:
            store = RedisShopperStore.from_url(redis.url, "bp", 3600, 3600)

            def services_with(weight: float, pref: float) -> Services:
                d = settings.dialogue.copy(update={"personal_weight": weight, "preference_weight": pref})
                s = settings.copy(update={"dialogue": d})
                return Services(retriever=retriever, store=store, phraser=None, settings=s,
                                profiles=ProfileBook(store.r, "bp", 3600))

            tune = draw_shoppers(retriever.catalog, args.tune, seed=1)
            test = draw_shoppers(retriever.catalog, args.test, seed=2)
            grid = [(float(w), float(b)) for b in args.pref_weights.split(",") for w in args.weights.split(",")]
            sweep = {}
            for w, b in grid:
                sweep[f"{w:g}/{b:g}"] = evaluate(services_with(w, b), tune, pool_lists, True)["ndcg3"]
                print(f">> tune: vector {w:g}, preference boost {b:g}: nDCG@3 {sweep[f'{w:g}/{b:g}']:.3f}", flush=True)
            best_w, best_b = max(grid, key=lambda g: (round(sweep[f"{g[0]:g}/{g[1]:g}"], 4), -g[0], -g[1]))
            on = evaluate(services_with(best_w, best_b), test, pool_lists, True)
            off = evaluate(services_with(best_w, best_b), test, pool_lists, False)
            prefs_only = evaluate(services_with(0.0, best_b), test, pool_lists, True)
        finally:
            redis.stop()
    result = {
        "catalog": settings.search.catalog, "weight_sweep_on_tune": sweep, "chosen_weight": best_w,
        "chosen_preference_boost": best_b,
        "test": {"personalised": on, "not_personalised": off, "preferences_without_shopper_vector": prefs_only},
        "ratio_ndcg3": round(on["ndcg3"] / off["ndcg3"], 3) if off["ndcg3"] else None,
        "seconds": round(time.perf_counter() - t0, 1),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps(result, indent=2))
    write_md(result, Path(f"{args.out}.md"))
    write_png(result, Path(f"{args.out}.png"))
    print(Path(f"{args.out}.md").read_text())
    return 0


def write_md(r: Dict[str, Any], path: Path) -> None:
    t = r["test"]
    on, off, pv = t["personalised"], t["not_personalised"], t["preferences_without_shopper_vector"]
    lines = [
        "# Personalisation: `make bench-personal`", "",
        f"Simulated shoppers on the {r['catalog']} catalog, action layer with the real search engine and Redis; "
        f"{r['machine']['cpus']} CPUs, {r['machine']['platform']}, measured {r['measured_at']} ({r['seconds']} s).", "",
        f"Shopper-vector weight / boost per soft preference chosen on {len(r['weight_sweep_on_tune'])} pairs over the "
        "tuning shoppers (seed 1): " + ", ".join(f"{k} -> {v:.3f}" for k, v in r["weight_sweep_on_tune"].items())
        + f"; chosen **{r['chosen_weight']:g} / {r['chosen_preference_boost']:g}**.", "",
        f"Held-out shoppers (seed 2, n = {on['shoppers']}):", "",
        "| | nDCG@3 (preference-consistent) | hard-preference violations (of shown) | not the kind asked for | memory recall |",
        "|---|---|---|---|---|",
        f"| personalised | **{on['ndcg3']:.3f}** | {on['violations']} ({on['shown']}) | {on['off_kind']} | {on['memory_recall']:.0%} |",
        f"| without the shopper vector (weight 0) | {pv['ndcg3']:.3f} | {pv['violations']} ({pv['shown']}) | {pv['off_kind']} | |",
        f"| not personalised (today's ranking) | {off['ndcg3']:.3f} | {off['violations']} ({off['shown']}) | {off['off_kind']} | |",
        "", f"Ratio personalised / not: **{r['ratio_ndcg3']:.2f}x** (target 1.3x).",
    ]
    path.write_text("\n".join(lines) + "\n")


def write_png(r: Dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = r["test"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    names = ["not personalised", "no shopper vector", "personalised"]
    vals = [t["not_personalised"]["ndcg3"], t["preferences_without_shopper_vector"]["ndcg3"], t["personalised"]["ndcg3"]]
    a.bar(names, vals, color=["grey", "tab:blue", "tab:green"])
    a.set_ylabel("preference-consistent nDCG@3 (held-out)")
    a.set_ylim(0, 1)
    for boost in sorted({k.split("/")[1] for k in r["weight_sweep_on_tune"]}, key=float):
        keys = [k for k in r["weight_sweep_on_tune"] if k.split("/")[1] == boost]
        b.plot([float(k.split("/")[0]) for k in keys], [r["weight_sweep_on_tune"][k] for k in keys], marker="o",
               label=f"boost {boost}")
    b.legend()
    b.set_xlabel("shopper-vector weight")
    b.set_ylabel("nDCG@3 (tuning shoppers)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
