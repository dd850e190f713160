"""NLU intent F1 by k-fold cross-validation (`rasa test nlu --cross-validation`).

    python scripts/nlu_cv.py [--folds 5] [--intents-only] [--seeds 0 1 2] [--bot DIR] [--out FILE]

Prints and writes the macro and weighted intent F1 averaged over the folds, plus
per-intent F1. Rasa shuffles the folds with numpy's global generator; each run here seeds it
(``--seeds``: one cross-validation per seed, reported with their mean), so a figure can be
repeated and two versions of the training data compared on the same splits procedure
(``--bot``: another checkout's ``bot/`` folder, e.g. the previous commit's in a git worktree).
Slow: it trains one NLU model per fold (nice'd).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict

REPO = Path(__file__).resolve().parent.parent
# rasa's StratifiedKFold(shuffle=True) draws from numpy's global generator: seed it, then run rasa's CLI
SEEDED_RASA = "import sys, numpy; numpy.random.seed(int(sys.argv[1])); from rasa.__main__ import main; " \
              "sys.argv = ['rasa'] + sys.argv[2:]; main()"


def one_run(args: argparse.Namespace, seed: int) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="nlu-cv-") as tmp:
        config = args.bot / "config.yml"
        dropped = {"FallbackClassifier"} if args.no_fallback else set()
        dropped |= {"DIETClassifier"} if args.intents_only else set()
        if dropped:
            import yaml

            cfg = yaml.safe_load(config.read_text())
            cfg["pipeline"] = [c for c in cfg["pipeline"] if c.get("name") not in dropped]
            config = Path(tmp) / "config.yml"
            config.write_text(yaml.safe_dump(cfg, sort_keys=False))
        out_dir = Path(tmp) / "out"
        cmd = ["nice", "-n", "5", sys.executable, "-c", SEEDED_RASA, str(seed), "test", "nlu", "--cross-validation",
               "--folds", str(args.folds), "--nlu", str(args.bot / "data" / "nlu"),
               "--config", str(config), "--domain", str(args.bot / "domain"), "--out", str(out_dir)]
        env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3")
        print(f">> seed {seed}: rasa test nlu --cross-validation --folds {args.folds} ({args.bot})", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd, cwd=REPO, env=env)
        if rc != 0:
            raise SystemExit(f"error: rasa test nlu failed (exit {rc})")
        report = json.loads((out_dir / "intent_report.json").read_text())
        skip = ("macro avg", "weighted avg", "micro avg")
        per_intent = {k: round(v["f1-score"], 3) for k, v in report.items()
                      if isinstance(v, dict) and "f1-score" in v and k not in skip}
        errors_file = out_dir / "intent_errors.json"
        errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
        result: Dict[str, Any] = {
            "seed": seed,
            "examples": sum(v["support"] for k, v in report.items() if isinstance(v, dict) and "support" in v
                            and k not in skip),
            "errors": len(errors),
            "errors_as_nlu_fallback": sum(1 for e in errors
                                          if (e.get("intent_prediction") or {}).get("name") == "nlu_fallback"),
            "intent_macro_f1": round(report["macro avg"]["f1-score"], 3),
            "intent_weighted_f1": round(report["weighted avg"]["f1-score"], 3),
            "intent_accuracy": round(report.get("accuracy", float("nan")), 3),
            "per_intent_f1": per_intent,
            "seconds": round(time.perf_counter() - t0),
        }
        ents = out_dir / "DIETClassifier_report.json"
        if ents.exists():
            er = json.loads(ents.read_text())
            result["entity_macro_f1"] = round(er["macro avg"]["f1-score"], 3)
            result["per_entity_f1"] = {k: round(v["f1-score"], 3) for k, v in er.items()
                                       if isinstance(v, dict) and "f1-score" in v and "avg" not in k}
        return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], help="one cross-validation per seed (default 0)")
    ap.add_argument("--bot", type=Path, default=REPO / "bot", help="the Rasa project folder (default bot/)")
    ap.add_argument("--out", type=Path, default=None, help="default bench/results/nlu_cv[_no_fallback].json")
    ap.add_argument("--no-fallback", action="store_true",
                    help="drop the FallbackClassifier: classification alone (nothing below the threshold becomes nlu_fallback)")
    ap.add_argument("--intents-only", action="store_true",
                    help="drop DIET (the classifier after it sets the intents, so they are the same; no entity figures): minutes, not half an hour")
    args = ap.parse_args(argv)
    args.bot = args.bot.resolve()
    suffix = ("_no_fallback" if args.no_fallback else "") + ("_intents" if args.intents_only else "")
    args.out = args.out or REPO / "bench" / "results" / f"nlu_cv{suffix}.json"
    runs = [one_run(args, seed) for seed in args.seeds]
    mean = lambda key: round(statistics.mean(r[key] for r in runs), 3)  # noqa: E731
    result: Dict[str, Any] = {
        "folds": args.folds,
        "pipeline": "without DIET (intents only)" if args.intents_only else "bot/config.yml",
        "fallback_classifier": not args.no_fallback,
        "bot": str(args.bot.relative_to(REPO)) if args.bot.is_relative_to(REPO) else str(args.bot),
        "seeds": args.seeds,
        "examples": runs[0]["examples"],
        "intent_macro_f1": mean("intent_macro_f1"),
        "intent_macro_f1_by_seed": [r["intent_macro_f1"] for r in runs],
        "intent_weighted_f1": mean("intent_weighted_f1"),
        "intent_accuracy": mean("intent_accuracy"),
        "per_intent_f1": {k: round(statistics.mean(r["per_intent_f1"].get(k, 0.0) for r in runs), 3)
                          for k in runs[0]["per_intent_f1"]},
        "seconds": sum(r["seconds"] for r in runs),
    }
    if "entity_macro_f1" in runs[0]:
        result["entity_macro_f1"] = mean("entity_macro_f1")
        result["per_entity_f1"] = runs[0]["per_entity_f1"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
