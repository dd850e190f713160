"""NLU intent F1 by k-fold cross-validation (`rasa test nlu --cross-validation`).

    python scripts/nlu_cv.py [--folds 5] [--intents-only] [--out bench/results/nlu_cv.json]

Prints and writes the macro and weighted intent F1 averaged over the folds, plus
per-intent F1. Slow: it trains one NLU model per fold (nice'd).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None, help="default bench/results/nlu_cv[_no_fallback].json")
    ap.add_argument("--no-fallback", action="store_true",
                    help="drop the FallbackClassifier: classification alone (nothing below the threshold becomes nlu_fallback)")
    ap.add_argument("--intents-only", action="store_true",
                    help="drop DIET (the classifier after it sets the intents, so they are the same; no entity figures): minutes, not half an hour")
    args = ap.parse_args(argv)
    suffix = ("_no_fallback" if args.no_fallback else "") + ("_intents" if args.intents_only else "")
    args.out = args.out or REPO / "bench" / "results" / f"nlu_cv{suffix}.json"
    with tempfile.TemporaryDirectory(prefix="nlu-cv-") as tmp:
        config = REPO / "bot" / "config.yml"
        dropped = {"FallbackClassifier"} if args.no_fallback else set()
        dropped |= {"DIETClassifier"} if args.intents_only else set()
        if dropped:
            import yaml

            cfg = yaml.safe_load(config.read_text())
            cfg["pipeline"] = [c for c in cfg["pipeline"] if c.get("name") not in dropped]
            config = Path(tmp) / "config.yml"
            config.write_text(yaml.safe_dump(cfg, sort_keys=False))
        out_dir = Path(tmp) / "out"
        cmd = ["nice", "-n", "5", str(Path(sys.executable).parent / "rasa"), "test", "nlu", "--cross-validation",
               "--folds", str(args.folds), "--nlu", str(REPO / "bot" / "data" / "nlu"),
               "--config", str(config), "--domain", str(REPO / "bot" / "domain"),
               "--out", str(out_dir)]
        tmp = str(out_dir)
        env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3")
        print(">> " + " ".join(cmd[3:]), flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd, cwd=REPO, env=env)
        if rc != 0:
            print(f"error: rasa test nlu failed (exit {rc})", file=sys.stderr)
            return rc
        report = json.loads((Path(tmp) / "intent_report.json").read_text())
        per_intent = {k: round(v["f1-score"], 3) for k, v in report.items() if isinstance(v, dict) and "f1-score" in v
                      and k not in ("macro avg", "weighted avg", "micro avg")}
        errors = json.loads((Path(tmp) / "intent_errors.json").read_text()) if (Path(tmp) / "intent_errors.json").exists() else []
        result = {
            "folds": args.folds,
            "pipeline": "without DIET (intents only)" if args.intents_only else "bot/config.yml",
            "fallback_classifier": not args.no_fallback,
            "examples": sum(v["support"] for k, v in report.items() if isinstance(v, dict) and "support" in v
                            and k not in ("macro avg", "weighted avg", "micro avg")),
            "errors": len(errors),
            "errors_as_nlu_fallback": sum(1 for e in errors if (e.get("intent_prediction") or {}).get("name") == "nlu_fallback"),
            "intent_macro_f1": round(report["macro avg"]["f1-score"], 3),
            "intent_weighted_f1": round(report["weighted avg"]["f1-score"], 3),
            "intent_accuracy": round(report.get("accuracy", float("nan")), 3),
            "per_intent_f1": per_intent,
            "seconds": round(time.perf_counter() - t0),
        }
        ents = Path(tmp) / "DIETClassifier_report.json"
        if ents.exists():
            er = json.loads(ents.read_text())
            result["entity_macro_f1"] = round(er["macro avg"]["f1-score"], 3)
            result["per_entity_f1"] = {k: round(v["f1-score"], 3) for k, v in er.items()
                                       if isinstance(v, dict) and "f1-score" in v and "avg" not in k}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
