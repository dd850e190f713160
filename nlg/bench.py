"""Benchmark the phraser against the templates: ``python -m nlg.bench``.

On the held-out act x slot combinations (``data/nlg/heldout.yaml``, never seen in
training), with seeded synthetic facts (awkward names included), it measures:

- ``ser_before_guard``: slot error rate of the model's best candidate, before the guard;
- ``guard_pass_rate``: share of replies answered by a model candidate that passed the guard;
- ``distinct2`` / ``template_distinct2``: distinct bigrams of the delivered replies / of the templates;
- ``bleu`` / ``template_bleu``: BLEU-4 against the held-out references;
- ``p50_ms`` / ``p95_ms``: wall time of ``phrase()`` per reply (fallbacks included);
- ``ungrounded``: delivered replies with a figure or name the facts do not hold (must be 0).

Writes ``bench/results/nlg.{md,png,json}`` and prints ONE JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from config import NLGSettings
from nlg import guard, templates
from nlg.corpus import build_examples, load_corpus
from nlg.metrics import corpus_bleu, distinct_n, percentile, slot_error_rate
from nlg.phraser import ModelPhraser, default_model_dir
from nlg.synth import facts_for_frame

RESULTS_DIR = Path(__file__).resolve().parent.parent / "bench" / "results"


def trained_frames_check(phraser: ModelPhraser, corpus: Any, rng: random.Random) -> Dict[str, Any]:
    """One reply per trained frame: how the phraser does on the combinations the
    dialogue is meant to use (context for the held-out figures, not a held-out result)."""
    from nlg.guard import ungrounded

    rows = []
    for act in corpus.acts:
        for fr in corpus.train_frames(act):
            facts = facts_for_frame(fr, rng)
            r = phraser.phrase(act, facts)
            rows.append((act, fr, r, ungrounded(r.text, phraser.values_for(act, facts))))
    pairs = [(r.top_candidate, sorted(fr)) for _, fr, r, _ in rows if r.top_candidate is not None]
    return {
        "frames": len(rows),
        "guard_pass_rate": round(sum(r.source == "model" for _, _, r, _ in rows) / len(rows), 4),
        "ser_before_guard": round(slot_error_rate(pairs), 4),
        "p95_ms": round(percentile([r.latency_ms for _, _, r, _ in rows], 95), 1),
        "ungrounded": sum(1 for *_, u in rows if u),
    }


def run(model_dir: Path, draws: int, seed: int, device: str, budget_ms: float) -> Dict[str, Any]:
    from tqdm.auto import tqdm

    from nlg.model import PhraserModel, resolve_device

    corpus = load_corpus()
    held = build_examples(corpus, "heldout")
    refs: Dict[tuple, List[str]] = {}
    for e in held:
        refs.setdefault((e.act, e.slots), []).append(e.text)
    cfg = NLGSettings.from_env(device=device, latency_budget_ms=budget_ms, pool_size=0)  # the model, not the pool
    t0 = time.perf_counter()
    pm = PhraserModel.load(model_dir, cfg.device)
    load_s = time.perf_counter() - t0
    phraser = ModelPhraser(pm, cfg, corpus)
    rng = random.Random(seed)
    cases = [(act, slots, facts_for_frame(slots, rng)) for (act, slots) in refs for _ in range(draws)]
    for act, _slots, facts in cases[:5]:  # warm-up, not measured
        phraser.phrase(act, facts)
    rows = []
    for act, slots, facts in tqdm(cases, desc="bench phraser", unit="reply", file=sys.stderr):
        values = phraser.values_for(act, facts)
        if tuple(values) != tuple(slots):
            raise AssertionError(f"synthetic facts for {act} give {list(values)}, not {list(slots)}")
        reply = phraser.phrase(act, facts)
        tdelex, _ = templates.render_delex(act, values, corpus)
        rows.append(
            {
                "act": act,
                "slots": list(slots),
                "source": reply.source,
                "reason": reply.reason,
                "latency_ms": reply.latency_ms,
                "delex": reply.delex,
                "text": reply.text,
                "top": reply.top_candidate,
                "template": tdelex,
                "candidates": reply.candidates,
                "rejected": [list(r) for r in reply.rejected],
                "ungrounded": guard.ungrounded(reply.text, values),
            }
        )
    trained = trained_frames_check(phraser, corpus, rng)
    phraser.close()
    lat = [r["latency_ms"] for r in rows]
    with_cand = [r for r in rows if r["top"] is not None]
    checked = sum(r["candidates"] for r in rows)
    passed = sum(1 for r in rows if r["source"] == "model")
    summary = {
        "ser_before_guard": round(slot_error_rate((r["top"], r["slots"]) for r in with_cand), 4),
        "guard_pass_rate": round(passed / len(rows), 4),
        "distinct2": round(distinct_n([r["delex"] for r in rows], 2), 4),
        "template_distinct2": round(distinct_n([r["template"] for r in rows], 2), 4),
        "bleu": round(corpus_bleu([r["delex"] for r in rows], [refs[(r["act"], tuple(r["slots"]))] for r in rows]), 2),
        "template_bleu": round(
            corpus_bleu([r["template"] for r in rows], [refs[(r["act"], tuple(r["slots"]))] for r in rows]), 2
        ),
        "p50_ms": round(percentile(lat, 50), 1),
        "p95_ms": round(percentile(lat, 95), 1),
        "n": len(rows),
        "ungrounded": sum(1 for r in rows if r["ungrounded"]),
        "candidate_pass_rate": round(passed / checked, 4) if checked else 0.0,
        "timeouts": sum(1 for r in rows if r["reason"] == "timeout"),
        "model_replies": passed,
        "frames": len(refs),
        "device": resolve_device(cfg.device),
        "model": pm.meta.get("base")
        or f"gpt2-scratch {pm.meta.get('args', {}).get('n_layer')}x{pm.meta.get('args', {}).get('n_embd')}",
        "model_hash": pm.meta.get("model_hash"),
        "n_params": pm.meta.get("n_params"),
        "load_s": round(load_s, 2),
        "candidates_per_reply": cfg.num_candidates,
        "latency_budget_ms": cfg.latency_budget_ms,
        "cpu": platform.processor() or platform.machine(),
        "trained_frames": trained,
    }
    return {"summary": summary, "rows": rows}


def write_reports(res: Dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s, rows = res["summary"], res["rows"]
    out.mkdir(parents=True, exist_ok=True)
    (out / "nlg.json").write_text(json.dumps(res, indent=1, ensure_ascii=False), encoding="utf-8")
    lines = [
        "# Phraser benchmark (held-out act x slot combinations)",
        "",
        f"Model: `{s['model']}` ({s['n_params']:,} parameters, hash `{s['model_hash']}`), device `{s['device']}`, "
        f"{s['candidates_per_reply']} candidates per reply, latency budget {s['latency_budget_ms']:.0f} ms. "
        f"{s['n']} replies over {s['frames']} held-out frames; facts are synthetic, with awkward names. "
        "Produced by `make bench-phraser`.",
        "",
        "| metric | phraser | templates |",
        "|---|---|---|",
        f"| slot error rate before the guard | {s['ser_before_guard']:.2%} | 0% (by construction) |",
        f"| replies from the model (guard pass rate) | {s['guard_pass_rate']:.1%} | - |",
        f"| candidates passing the guard | {s['candidate_pass_rate']:.1%} | - |",
        f"| distinct-2 (delivered replies) | {s['distinct2']:.3f} | {s['template_distinct2']:.3f} |",
        f"| BLEU-4 vs held-out references | {s['bleu']:.1f} | {s['template_bleu']:.1f} |",
        f"| latency p50 / p95 (ms) | {s['p50_ms']:.1f} / {s['p95_ms']:.1f} | < 1 |",
        f"| timeouts (template used) | {s['timeouts']} | - |",
        f"| delivered replies with an ungrounded figure or name | {s['ungrounded']} | 0 |",
        "",
        f"For context, on the {s['trained_frames']['frames']} *trained* frames (one reply each, the combinations "
        f"the dialogue is meant to use): replies from the model {s['trained_frames']['guard_pass_rate']:.1%}, "
        f"slot error rate before the guard {s['trained_frames']['ser_before_guard']:.2%}, "
        f"p95 {s['trained_frames']['p95_ms']:.0f} ms, ungrounded {s['trained_frames']['ungrounded']}.",
        "",
        "Per held-out frame (replies from the model / draws):",
        "",
        "| act | slots | model | template fallbacks (reason) |",
        "|---|---|---|---|",
    ]
    per: Dict[tuple, List[Dict[str, Any]]] = {}
    for r in rows:
        per.setdefault((r["act"], tuple(r["slots"])), []).append(r)
    for (act, slots), rs in per.items():
        ok = sum(1 for r in rs if r["source"] == "model")
        why: Dict[str, int] = {}
        for r in rs:
            if r["source"] != "model":
                why[r["reason"]] = why.get(r["reason"], 0) + 1
        lines.append(
            f"| {act} | {' '.join(slots)} | {ok}/{len(rs)} | "
            + (", ".join(f"{k} {v}" for k, v in why.items()) or "-")
            + " |"
        )
    lines += [
        "",
        "Examples (first draw of each frame):",
        "",
        "| act | phraser reply | template |",
        "|---|---|---|",
    ]
    seen = set()
    for r in rows:
        key = (r["act"], tuple(r["slots"]))
        if key in seen:
            continue
        seen.add(key)
        src = "" if r["source"] == "model" else f" *(template: {r['reason']})*"
        lines.append(f"| {r['act']} | {r['delex'].replace('|', '/')}{src} | {r['template'].replace('|', '/')} |")
    (out / "nlg.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    ax = axes[0]
    ax.bar(["phraser", "templates"], [s["distinct2"], s["template_distinct2"]], color=["#4c72b0", "#aaaaaa"])
    ax.set_title("distinct-2 (higher = more varied)")
    ax = axes[1]
    ax.bar(["phraser", "templates"], [s["bleu"], s["template_bleu"]], color=["#4c72b0", "#aaaaaa"])
    ax.set_title("BLEU-4 vs held-out references")
    ax = axes[2]
    ax.hist([r["latency_ms"] for r in rows], bins=30, color="#4c72b0")
    ax.axvline(s["p95_ms"], color="red", linestyle="--", label=f"p95 {s['p95_ms']:.0f} ms")
    ax.axvline(150, color="black", linestyle=":", label="150 ms target")
    ax.set_title(f"phrase() latency, {s['device']}")
    ax.set_xlabel("ms")
    ax.legend()
    fig.suptitle(
        f"GPT-2 phraser vs templates: SER before guard {s['ser_before_guard']:.1%}, "
        f"guard pass {s['guard_pass_rate']:.0%}, n={s['n']}"
    )
    fig.tight_layout()
    fig.savefig(out / "nlg.png", dpi=110)
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nlg.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", type=Path, help="a trained phraser (default: the default model for this corpus)")
    ap.add_argument(
        "--base",
        default=None,
        help="bench the model fine-tuned from this checkpoint (as in make train-phraser BASE=...)",
    )
    ap.add_argument("--draws", type=int, default=16, help="fact draws per held-out frame")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--budget-ms", type=float, default=None, help="latency budget (default: config, 300)")
    ap.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = ap.parse_args(argv)
    model_dir = args.model_dir or default_model_dir(NLGSettings.from_env(base=args.base))
    if not (model_dir / "phraser.json").is_file():
        print(f"error: no trained phraser at {model_dir}; run `make train-phraser` first", file=sys.stderr)
        return 2
    budget = args.budget_ms if args.budget_ms is not None else NLGSettings.from_env().latency_budget_ms
    res = run(model_dir, args.draws, args.seed, args.device, budget)
    write_reports(res, args.out)
    print(f"wrote {args.out}/nlg.md, nlg.png, nlg.json", file=sys.stderr)
    print(json.dumps(res["summary"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
