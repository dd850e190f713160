"""Real shoppers' messages against the dialogue stack: the share handled right per label class, now vs a baseline.

    python scripts/bench_understanding.py [--file ../shared/eval/shopper_messages.dev.jsonl]
                                          [--sample N | --limit N] [--seed 0] [--threads 4] [--timeout 60]
                                          [--baseline 0a236a5 | --no-baseline] [--nlg gpt2|templates]
                                          [--out bench/results/understanding.json]

Every message (JSONL ``{"id", "text", "expect", "source"}``, ``../shared/datasets/README.md``) is sent as
the first message of a NEW conversation (fresh sender id) to a stack of real processes (Redis, action
server, ``rasa run`` on free loopback ports, demo catalog), a few at a time. The reply is judged on what
the shopper sees (texts and product cards) plus the ``outcome`` label the bot puts in each message's
metadata (read back from the tracker), per label class; see :func:`judge` for the exact rules.

The baseline is an older revision of this repository, checked out into a temporary ``git worktree``
and run with its own code (its own stack helper, its own Rasa model, trained there if needed and cached
under ``.run/bench-understanding/``) in a child process; the worktree is removed at the end.

Writes ``bench/results/understanding.{json,md,png}``; the last stdout line is one JSON summary.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BASELINE = "0a236a5"  # main before the "real shoppers' words" work (issue 11)
BASELINE_STACK_HELPERS = ("tests/support/stack.py", "tests/integration/dialogue_stack.py")
MODEL_CACHE = REPO / ".run" / "bench-understanding" / "baseline-models"
EXAMPLES_PER_CLASS = 5

# ----------------------------------------------------------------------------- judging (pure)

NOT_CARRIED_RE = re.compile(
    r"\b(?:do not|don't|does not|doesn't)\s+(?:currently\s+)?(?:carry|sell|stock)\b"
    r"|\bwe\s+(?:do not|don't)\s+(?:currently\s+)?have\b"  # "we don't have any"; not "I don't have stock data"
    r"|\bnot something we (?:carry|sell|stock|have)\b",
    re.I,
)
PERSON_RE = re.compile(r"\b(?:person|people|human|humans|agent|agents|staff|colleague|colleagues|team)\b", re.I)
FALLBACK_RE = re.compile(r"\b(?:didn't|did not|don't|do not) (?:quite )?understand\b", re.I)


def _plain(text: str) -> str:
    return (text or "").replace("\u2019", "'").replace("\u2018", "'")


def _singular(word: str) -> str:
    w = word.lower()
    for plural, single in (("ies", "y"), ("shes", "sh"), ("ches", "ch"), ("xes", "x"), ("sses", "ss")):
        if w.endswith(plural) and len(w) > len(plural) + 1:
            return w[: -len(plural)] + single
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


def norm_type(text: str) -> Tuple[str, ...]:
    """Words of a product type, lower-case and singular: "Running Shoes" -> ("running", "shoe")."""
    return tuple(_singular(w) for w in re.findall(r"[a-z0-9]+", _plain(text).lower()))


def card_category_path(card: Dict[str, Any]) -> List[str]:
    cat = card.get("category")
    if isinstance(cat, (list, tuple)):
        return [str(c) for c in cat if c]
    return [c.strip() for c in str(cat or "").split(">") if c.strip()]


def card_is_type(card: Dict[str, Any], ptype: str) -> bool:
    """A card is of type ``ptype`` when a level of its category path is that type (case-insensitive,
    singular/plural tolerant: "Running Shoes" = "running shoe"); only a card without a category is
    judged by its name (the type's words appear together in it)."""
    want = norm_type(ptype)
    if not want:
        return False
    path = card_category_path(card)
    if path:
        return any(norm_type(level) == want for level in path)
    name = norm_type(str(card.get("name") or ""))
    n = len(want)
    return any(name[i : i + n] == want for i in range(len(name) - n + 1))


def reply_cards(replies: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out: List[Dict[str, Any]] = []
    for m in replies or []:
        out += list((m.get("custom") or {}).get("cards") or [])
    return out


def reply_text(replies: Sequence[Dict[str, Any]]) -> str:
    return "\n".join(_plain(m.get("text") or "") for m in replies or [] if m.get("text"))


def is_empty(replies: Sequence[Dict[str, Any]]) -> bool:
    return not reply_text(replies).strip() and not reply_cards(replies)


def label_class(expect: str) -> str:
    """The class a label is reported under: the label itself (``products:Running Shoes``, ``service:returns``...)."""
    return expect.strip()


def judge(expect: str, replies: Sequence[Dict[str, Any]], outcomes: Sequence[str] = ()) -> Dict[str, Any]:
    """Was this reply right for a message labelled ``expect``?

    ``replies``: the REST replies of the turn (dicts with text / buttons / custom.cards);
    ``outcomes``: the ``metadata["outcome"]`` of the turn's bot messages (empty when the bot emits none).
    Returns ``{"ok": bool, "error": bool, "why": str}``; ``error`` (empty reply or an ``error`` outcome)
    always means not ok.
    """
    outcomes = [o for o in outcomes if o]
    text, cards = reply_text(replies), reply_cards(replies)
    if is_empty(replies):
        return {"ok": False, "error": True, "why": "empty reply"}
    if "error" in outcomes:
        return {"ok": False, "error": True, "why": "error outcome"}

    def verdict(ok: bool, why: str) -> Dict[str, Any]:
        return {"ok": ok, "error": False, "why": "" if ok else why}

    if expect.startswith("products:"):
        ptype = expect.split(":", 1)[1]
        if not cards:
            return verdict(False, "no product cards")
        wrong = [c for c in cards if not card_is_type(c, ptype)]
        return verdict(not wrong, f"{len(wrong)} of {len(cards)} cards not {ptype}")
    if expect == "not_carried":
        if not NOT_CARRIED_RE.search(text):
            return verdict(False, "does not say the store doesn't carry it")
        if cards and "not_carried" not in outcomes:
            return verdict(False, "cards shown without the not_carried outcome")
        return verdict(True, "")
    if expect.startswith("service:"):
        if cards:
            return verdict(False, "product cards shown")
        return verdict(expect in outcomes, f"outcome is not {expect}")
    if expect == "handoff":
        if cards:
            return verdict(False, "product cards shown")
        return verdict("handoff" in outcomes or bool(PERSON_RE.search(text)), "not about reaching a person")
    if expect == "off_topic":
        return verdict(not cards, "product cards shown")
    if expect == "smalltalk":
        if cards:
            return verdict(False, "product cards shown")
        if "fallback" in outcomes or FALLBACK_RE.search(text):
            return verdict(False, "fallback reply")
        return verdict(True, "")
    return verdict(False, f"unknown label {expect!r}")


def turn_outcomes(tracker: Dict[str, Any]) -> List[str]:
    """``metadata["outcome"]`` of the bot messages after the tracker's last user message."""
    events = (tracker or {}).get("events") or []
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    out = []
    for e in events[last_user + 1 :]:
        if e.get("event") == "bot":
            outcome = (e.get("metadata") or {}).get("outcome")
            if outcome:
                out.append(str(outcome))
    return out


# ----------------------------------------------------------------------------- data


def load_messages(path: Path) -> List[Dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                rows.append({k: r.get(k) for k in ("id", "text", "expect", "source")})
    return rows


def stratified_sample(rows: Sequence[Dict[str, Any]], n: int, seed: int = 0) -> List[Dict[str, Any]]:
    """``n`` rows, each label class in proportion to its size (largest remainder, at least one per class
    while ``n`` allows), drawn with ``random.Random(seed)``; kept in file order."""
    if n >= len(rows):
        return list(rows)
    by: Dict[str, List[int]] = {}
    for i, r in enumerate(rows):
        by.setdefault(label_class(r["expect"]), []).append(i)
    classes = sorted(by)
    quota = {c: n * len(by[c]) / len(rows) for c in classes}
    take = {c: int(quota[c]) for c in classes}
    if n >= len(classes):
        for c in classes:
            take[c] = max(take[c], 1)
    left = n - sum(take.values())
    for c in sorted(classes, key=lambda c: (take[c] - quota[c], c)):
        if left <= 0:
            break
        if take[c] < len(by[c]):
            take[c] += 1
            left -= 1
    while sum(take.values()) > n:  # the "at least one" floor overshot: trim the largest
        c = max(classes, key=lambda c: (take[c], c))
        take[c] -= 1
    rng = random.Random(seed)
    chosen = sorted(i for c in classes for i in rng.sample(by[c], min(take[c], len(by[c]))))
    return [rows[i] for i in chosen]


# ----------------------------------------------------------------------------- replay


def replay(stack: Any, rows: Sequence[Dict[str, Any]], threads: int, timeout: float, desc: str) -> List[Dict[str, Any]]:
    """Send every row as the first message of a new conversation; returns one record per row (row order)."""
    from tqdm import tqdm

    phrased = "phrased" in inspect.signature(stack.send).parameters  # older helpers have no such switch
    run_id = uuid.uuid4().hex[:6]

    def one(i: int, row: Dict[str, Any]) -> Dict[str, Any]:
        sender = f"bu-{run_id}-{i}-{uuid.uuid4().hex[:6]}"
        rec: Dict[str, Any] = {**row, "replies": [], "outcomes": [], "ms": None, "exception": None}
        t0 = time.perf_counter()
        try:
            kw = {"phrased": True} if phrased else {}
            rec["replies"] = stack.send(sender, row["text"], timeout=timeout, **kw) or []
        except Exception as e:  # noqa: BLE001 - a timeout or a dead server is a failed turn, not a crash
            rec["exception"] = repr(e)[:300]
        rec["ms"] = round((time.perf_counter() - t0) * 1000, 1)
        if rec["exception"] is None:
            try:
                rec["outcomes"] = turn_outcomes(stack.tracker(sender))
            except Exception as e:  # noqa: BLE001
                rec["tracker_error"] = repr(e)[:300]
        return rec

    out: List[Optional[Dict[str, Any]]] = [None] * len(rows)
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool, tqdm(total=len(rows), desc=desc, unit="msg") as bar:
        futures = {pool.submit(one, i, r): i for i, r in enumerate(rows)}
        for f in as_completed(futures):
            out[futures[f]] = f.result()
            bar.update(1)
    return [r for r in out if r is not None]


def run_stack(
    helper: Any, rows: Sequence[Dict[str, Any]], args: argparse.Namespace, desc: str, model: Optional[Path] = None
) -> Dict[str, Any]:
    """Start a stack from ``helper`` (a module with DialogueStack + first_model_or_train), replay, stop it."""
    model = model or helper.first_model_or_train()
    with tempfile.TemporaryDirectory(prefix="bench-understanding-") as tmp:
        kw = {"nlg": args.nlg} if "nlg" in inspect.signature(helper.DialogueStack).parameters else {}
        stack = helper.DialogueStack(Path(tmp), model, prefix="benchu", **kw)
        print(
            f">> [{desc}] starting Redis, action server and Rasa on free loopback ports ({Path(model).name})",
            flush=True,
        )
        t0 = time.perf_counter()
        try:
            stack.start()
            print(f">> [{desc}] stack ready in {time.perf_counter() - t0:.0f}s", flush=True)
            records = replay(stack, rows, args.threads, args.timeout, desc)
        finally:
            stack.close()
    return {"model": Path(model).name, "records": records}


def load_module(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def child_replay(args: argparse.Namespace) -> int:
    """Child mode (cwd and PYTHONPATH = the baseline worktree): replay with that tree's own stack helper."""
    tree = Path.cwd()
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if p != here]  # this tree's scripts/ must not shadow the baseline's
    sys.path.insert(0, str(tree))
    rel = next((h for h in BASELINE_STACK_HELPERS if (tree / h).exists()), None)
    if rel is None:
        print(f"!! no stack helper in {tree} (looked for {', '.join(BASELINE_STACK_HELPERS)})", file=sys.stderr)
        return 2
    sys.path.insert(0, str((tree / rel).parent.parent))  # tests/ (for `support.*` imports)
    helper = load_module(tree / rel, "baseline_stack_helper")
    rows = json.loads(Path(args.child_rows).read_text())
    result = run_stack(helper, rows, args, "baseline")
    result["helper"] = rel
    Path(args.child_out).write_text(json.dumps(result))
    return 0


def git(*a: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(REPO), *a], check=check, capture_output=True, text=True)


def run_baseline(
    rev: str, rows: Sequence[Dict[str, Any]], args: argparse.Namespace, shared_dir: Path
) -> Dict[str, Any]:
    """Replay ``rows`` against revision ``rev`` (its own code, model and stack), in a temporary worktree."""
    sha = git("rev-parse", "--verify", f"{rev}^{{commit}}").stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="bench-understanding-baseline-"))
    tree = tmp / "tree"
    try:
        print(f">> baseline {rev} ({sha[:10]}): git worktree at {tree}", flush=True)
        git("worktree", "add", "--detach", str(tree), sha)
        models = tree / "models" / "rasa"
        models.mkdir(parents=True, exist_ok=True)
        cache = MODEL_CACHE / sha[:12]
        for m in cache.glob("*.tar.gz") if cache.is_dir() else []:
            shutil.copy2(m, models / m.name)
        (tmp / "rows.json").write_text(json.dumps(list(rows)))
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("SHOPGUIDE_MODEL_DIR", "SHOPGUIDE_RUN_DIR", "PYTHONPATH", "VIRTUAL_ENV_PROMPT")
        }
        env.update({"PYTHONPATH": str(tree), "SHOPGUIDE_SHARED_DIR": str(shared_dir), "SHOPGUIDE_CATALOG": "demo"})
        env.pop("SHOPGUIDE_CATALOG_MAPPING", None)
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child-rows",
            str(tmp / "rows.json"),
            "--child-out",
            str(tmp / "out.json"),
            "--threads",
            str(args.threads),
            "--timeout",
            str(args.timeout),
            "--nlg",
            args.nlg,
        ]
        t0 = time.perf_counter()
        rc = subprocess.call(cmd, cwd=tree, env=env)
        for m in models.glob("shopguide-*.tar.gz"):  # keep the trained model for the next run
            cache.mkdir(parents=True, exist_ok=True)
            if not (cache / m.name).exists():
                shutil.copy2(m, cache / m.name)
        if rc != 0 or not (tmp / "out.json").exists():
            logs = tree / ".run" / "logs"
            tails = (
                {p.name: p.read_text(errors="replace")[-1500:] for p in sorted(logs.glob("*.log"))}
                if logs.is_dir()
                else {}
            )
            raise RuntimeError(f"baseline replay exited {rc}; logs: " + json.dumps(tails)[:4000])
        out = json.loads((tmp / "out.json").read_text())
        out.update({"rev": rev, "commit": sha, "seconds": round(time.perf_counter() - t0, 1)})
        return out
    finally:
        if tree.exists():
            r = git("worktree", "remove", "--force", str(tree), check=False)
            if r.returncode != 0:
                print(f"!! git worktree remove failed: {r.stderr.strip()}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------------------- report


def pct(values: List[float], q: float) -> Optional[float]:
    s = sorted(values)
    if not s:
        return None
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return round(s[lo] + (s[hi] - s[lo]) * (k - lo), 1)


def shown(rec: Dict[str, Any]) -> Dict[str, Any]:
    replies = rec.get("replies") or []
    return {
        "outcomes": rec.get("outcomes") or [],
        "cards": [{"name": c.get("name"), "category": c.get("category")} for c in reply_cards(replies)],
        "text": reply_text(replies)[:160],
        **({"exception": rec["exception"]} if rec.get("exception") else {}),
    }


def score(records: Sequence[Dict[str, Any]], examples: int = EXAMPLES_PER_CLASS) -> Dict[str, Any]:
    """Per class: n, right, share, errors/empty, up to ``examples`` failures; macro over classes; turn latency."""
    classes: Dict[str, Dict[str, Any]] = {}
    for rec in records:
        v = judge(rec["expect"], rec.get("replies") or [], rec.get("outcomes") or [])
        if rec.get("exception"):
            v = {"ok": False, "error": True, "why": "request failed"}
        rec["verdict"] = v
        c = classes.setdefault(label_class(rec["expect"]), {"n": 0, "right": 0, "errors": 0, "failures": []})
        c["n"] += 1
        c["right"] += int(v["ok"])
        c["errors"] += int(v["error"])
        if not v["ok"] and len(c["failures"]) < examples:
            c["failures"].append(
                {"id": rec["id"], "text": rec["text"], "expected": rec["expect"], "why": v["why"], "shown": shown(rec)}
            )
    for c in classes.values():
        c["share"] = round(c["right"] / c["n"], 4) if c["n"] else None
    shares = [c["share"] for c in classes.values() if c["share"] is not None]
    ms = [r["ms"] for r in records if r.get("ms") is not None]
    return {
        "n": len(records),
        "right": sum(c["right"] for c in classes.values()),
        "macro": round(sum(shares) / len(shares), 4) if shares else None,
        "errors": sum(c["errors"] for c in classes.values()),
        "p50_ms": pct(ms, 0.5),
        "p95_ms": pct(ms, 0.95),
        "classes": dict(sorted(classes.items())),
    }


def hardware() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs" + (f", {model}" if model else "")


def fmt_share(run: Optional[Dict[str, Any]], cls: str) -> str:
    if not run:
        return "–"
    c = run["classes"].get(cls)
    return f"{c['share']:.2f}" if c and c["share"] is not None else "–"


def table(now: Dict[str, Any], base: Optional[Dict[str, Any]], base_label: str) -> List[str]:
    classes = sorted(set(now["classes"]) | set((base or {}).get("classes", {})))
    lines = [f"| class | n | baseline ({base_label}) | now |", "|---|---:|---:|---:|"]
    for cls in classes:
        n = (now["classes"].get(cls) or (base or {}).get("classes", {}).get(cls) or {}).get("n", 0)
        lines.append(f"| {cls} | {n} | {fmt_share(base, cls)} | {fmt_share(now, cls)} |")

    def val(run: Optional[Dict[str, Any]], key: str, f: str) -> str:
        return "–" if not run or run.get(key) is None else format(run[key], f)

    lines.append(f"| **macro average** | {now['n']} | {val(base, 'macro', '.2f')} | {val(now, 'macro', '.2f')} |")
    lines.append(f"| errors/empty replies (count) | | {val(base, 'errors', 'd')} | {val(now, 'errors', 'd')} |")
    lines.append(
        f"| turn latency p50 / p95 (ms) | | {val(base, 'p50_ms', '.0f')} / {val(base, 'p95_ms', '.0f')} "
        f"| {val(now, 'p50_ms', '.0f')} / {val(now, 'p95_ms', '.0f')} |"
    )
    return lines


def plot(now: Dict[str, Any], base: Optional[Dict[str, Any]], base_label: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    classes = sorted(now["classes"]) + ["macro"]

    def shares(run: Optional[Dict[str, Any]]) -> List[float]:
        if not run:
            return [0.0] * len(classes)
        return [
            float(run["macro"] or 0) if c == "macro" else float((run["classes"].get(c) or {}).get("share") or 0)
            for c in classes
        ]

    x = list(range(len(classes)))
    w = 0.38
    fig, ax = plt.subplots(figsize=(max(8, 0.8 * len(classes) + 2), 4.8))
    if base:
        ax.bar([i - w / 2 for i in x], shares(base), w, label=f"baseline ({base_label})", color="#9e9e9e")
    ax.bar([i + (w / 2 if base else 0) for i in x], shares(now), w, label="now", color="#1f77b4")
    ax.set_xticks(x)
    ax.set_xticklabels(
        [f"{c}\n(n={now['classes'][c]['n']})" if c in now["classes"] else c for c in classes],
        rotation=40,
        ha="right",
        fontsize=8,
    )
    ax.set_ylim(0, 1.18)
    ax.set_ylabel("share handled right")
    ax.set_title("Real shopper messages, one new conversation per message")
    ax.legend(loc="upper center", ncol=2, fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def summary_of(run: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if not run:
        return None
    return {
        "macro": run["macro"],
        "errors": run["errors"],
        "n": run["n"],
        "p50_ms": run["p50_ms"],
        "p95_ms": run["p95_ms"],
        "by_class": {k: v["share"] for k, v in run["classes"].items()},
    }


# ----------------------------------------------------------------------------- main


def parse_args(argv: Optional[Iterable[str]] = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument(
        "--file",
        type=Path,
        default=None,
        help="JSONL of messages (default: <search.eval_dir>/shopper_messages.dev.jsonl)",
    )
    ap.add_argument("--limit", type=int, default=None, help="only the first N messages (after --sample)")
    ap.add_argument("--sample", type=int, default=None, help="N messages stratified by label (seeded)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--failures", type=int, default=EXAMPLES_PER_CLASS, help="failed messages kept per class")
    ap.add_argument("--threads", type=int, default=4, help="messages in flight at once")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per message")
    ap.add_argument(
        "--nlg",
        default="gpt2",
        choices=["gpt2", "templates"],
        help="reply mode of both stacks (gpt2 = what `make run` serves)",
    )
    ap.add_argument(
        "--model",
        type=Path,
        default=None,
        help="Rasa model of the working tree (default: the one for bot/, trained if missing)",
    )
    ap.add_argument("--baseline", default=DEFAULT_BASELINE, help="git revision to compare with")
    ap.add_argument("--no-baseline", action="store_true", help="measure the working tree only")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "understanding.json")
    ap.add_argument("--child-rows", help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    return ap.parse_args(list(argv) if argv is not None else None)


def main(argv: Optional[Iterable[str]] = None) -> int:
    args = parse_args(argv)
    if args.child_rows:
        return child_replay(args)

    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "tests"))  # support.stack: the test suite's stack runner
    from config import get_settings

    search = get_settings().search
    path = args.file or (search.eval_dir / "shopper_messages.dev.jsonl")
    rows = load_messages(path)
    if args.sample:
        rows = stratified_sample(rows, args.sample, args.seed)
    if args.limit:
        rows = rows[: args.limit]
    print(
        f">> {len(rows)} messages from {path} (one new conversation per message, {args.threads} at a time)", flush=True
    )

    base_run: Optional[Dict[str, Any]] = None
    base_meta: Dict[str, Any] = {}
    base_label = "none"
    if not args.no_baseline:
        base_label = args.baseline
        try:
            raw = run_baseline(args.baseline, rows, args, search.shared_dir)
            base_run = score(raw["records"], args.failures)
            base_meta = {k: raw.get(k) for k in ("rev", "commit", "model", "helper", "seconds")}
        except Exception as e:  # noqa: BLE001 - report "now" even when the old tree cannot run
            base_meta = {"rev": args.baseline, "failed": repr(e)[:4000]}
            print(f"!! baseline {args.baseline} failed: {e!r}"[:2000], file=sys.stderr, flush=True)

    from support import stack as helper

    t0 = time.perf_counter()
    raw_now = run_stack(helper, rows, args, "now", args.model)
    now = score(raw_now["records"], args.failures)
    now_meta = {"model": raw_now["model"], "seconds": round(time.perf_counter() - t0, 1)}

    measured_at = time.strftime("%Y-%m-%d %H:%M:%S")
    lines = table(now, base_run, base_label)
    md = [
        "# Understanding real shopper messages",
        "",
        f"Dataset: `{path.name}` ({now['n']} messages{', stratified sample' if args.sample else ''}"
        f"{f', seed {args.seed}' if args.sample else ''}); one new conversation per message; replies: {args.nlg}; "
        "share of messages handled right, judged on what the shopper sees (`scripts/bench_understanding.py`).",
        "",
        *lines,
        "",
        f"Baseline: {base_meta.get('rev', 'none')}"
        + (f" ({str(base_meta.get('commit', ''))[:10]})" if base_meta.get("commit") else "")
        + (f" — FAILED: {base_meta['failed'][:300]}" if base_meta.get("failed") else ""),
        f"Hardware: {hardware()}. Measured {measured_at}.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    md_path, png_path = args.out.with_suffix(".md"), args.out.with_suffix(".png")
    md_path.write_text("\n".join(md))
    plot(now, base_run, base_label, png_path)
    result = {
        "dataset": str(path),
        "messages": len(rows),
        "sample": args.sample,
        "limit": args.limit,
        "seed": args.seed,
        "threads": args.threads,
        "timeout_s": args.timeout,
        "nlg": args.nlg,
        "note": "one new conversation per message",
        "machine": hardware(),
        "measured_at": measured_at,
        "now": {**now_meta, **now},
        "baseline": {**base_meta, **(base_run or {})} if not args.no_baseline else None,
    }
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print("\n".join(lines))
    print(f">> wrote {args.out}, {md_path}, {png_path}")
    print(
        json.dumps(
            {
                "messages": len(rows),
                "dataset": path.name,
                "now": summary_of(now),
                "baseline": summary_of(base_run),
                "baseline_rev": base_meta.get("rev"),
                **({"baseline_failed": True} if base_meta.get("failed") else {}),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
