"""REST turn latency of the dialogue stack: p50/p95 for 1 shopper and for 20 concurrent shoppers.

    python scripts/bench_dialogue.py [--rounds 5] [--concurrency 20] [--replies templates,gpt2]
                                     [--out bench/results/dialogue.json]

For each reply mode (``SHOPGUIDE_NLG``: the template baseline, then the GPT-2
phraser that `make run` serves) it starts its own stack (embedded Redis, action
server, `rasa run`) on free loopback ports, drives a fixed 6-turn shopping
conversation, and stops everything at the end; the phraser/template ratios are
computed from the same run. Every request loop is bounded in count and time.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # support.stack: the test suite's stack runner

SCRIPT = [
    ("greet", "hello"),
    ("search", "I'm looking for running shoes under $120"),
    ("refine", "show me other brands"),
    ("details", "tell me more about the second one"),
    ("compare", "compare them"),
    ("availability", "is the first one in stock?"),
]


def pct(values: List[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summarize(samples: List[Dict]) -> Dict:
    ms = [x["ms"] for x in samples]
    by_kind: Dict[str, List[float]] = {}
    for x in samples:
        by_kind.setdefault(x["kind"], []).append(x["ms"])
    return {
        "turns": len(ms),
        "p50_ms": round(pct(ms, 0.5), 1),
        "p95_ms": round(pct(ms, 0.95), 1),
        "mean_ms": round(statistics.mean(ms), 1) if ms else None,
        "errors": sum(1 for x in samples if x.get("error")),
        "by_turn": {k: {"p50_ms": round(pct(v, 0.5), 1), "p95_ms": round(pct(v, 0.95), 1)} for k, v in by_kind.items()},
    }


def converse(stack, sender: str, out: List[Dict], lock: threading.Lock, deadline: float) -> None:
    for kind, text in SCRIPT:
        if time.time() > deadline:
            return
        t0 = time.perf_counter()
        err = None
        try:
            replies = stack.send(sender, text, timeout=60, phrased=True)  # the stack's own reply mode
            if not replies:
                err = "empty reply"
        except Exception as e:  # noqa: BLE001
            err = repr(e)
        ms = (time.perf_counter() - t0) * 1000
        with lock:
            out.append({"kind": kind, "ms": ms, "error": err})


def run_load(stack, concurrency: int, rounds: int, budget_s: float) -> List[Dict]:
    from tqdm import tqdm

    samples: List[Dict] = []
    lock = threading.Lock()
    deadline = time.time() + budget_s
    with tqdm(total=rounds, desc=f"{concurrency} shopper(s)", unit="round") as bar:
        for _ in range(rounds):
            threads = [threading.Thread(target=converse, args=(stack, f"bench-{uuid.uuid4().hex[:10]}", samples, lock, deadline))
                       for _ in range(concurrency)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=600)
            bar.update(1)
            if time.time() > deadline:
                break
    return samples


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="conversations per shopper")
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2, help="untimed single-shopper conversations first")
    ap.add_argument("--budget-s", type=float, default=900, help="stop each load after this long")
    ap.add_argument("--replies", default="templates,gpt2",
                    help="comma-separated SHOPGUIDE_NLG modes to measure, baseline first")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "dialogue.json")
    args = ap.parse_args(argv)

    from support.stack import DialogueStack, first_model_or_train

    model = first_model_or_train()
    runs: Dict[str, Dict] = {}
    for mode in [m.strip() for m in args.replies.split(",") if m.strip()]:
        with tempfile.TemporaryDirectory(prefix="bench-dialogue-") as tmp:
            stack = DialogueStack(Path(tmp), model, prefix="bench", nlg=mode)
            print(f">> [{mode}] starting Redis, action server and Rasa on free loopback ports", flush=True)
            t0 = time.perf_counter()
            stack.start()
            print(f">> stack ready in {time.perf_counter() - t0:.0f}s", flush=True)
            try:
                run_load(stack, 1, args.warmup, args.budget_s)
                single = run_load(stack, 1, args.rounds * 4, args.budget_s)
                many = run_load(stack, args.concurrency, args.rounds, args.budget_s)
            finally:
                stack.close()
        runs[mode] = {"single_shopper": summarize(single), f"concurrent_{args.concurrency}": summarize(many)}
    import os
    import platform

    result: Dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "script": [t for _, t in SCRIPT],
        "runs": runs,
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    modes = list(runs)
    if len(modes) > 1:
        base, other = runs[modes[0]], runs[modes[-1]]
        result[f"ratio_{modes[-1]}_vs_{modes[0]}"] = {
            load: {q: round(other[load][q] / base[load][q], 2) for q in ("p50_ms", "p95_ms") if base[load][q]}
            for load in base}
    try:
        result["load_average_at_end"] = os.getloadavg()
    except OSError:
        pass
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f">> wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
