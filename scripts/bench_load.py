"""Bounded load on loopback: turns/s at saturation, latency at 1, 20 and 50 closed-loop shoppers, CPU per turn
by process, for a baseline commit and the working tree in the same run, with 1 and 2 replicas.

    python scripts/bench_load.py [--baseline REV] [--levels 1,20,50] [--seconds 40] [--replicas 1,2]
                                 [--ordering 50x5] [--uncached 2] [--fixed] [--out bench/results/load]

Each stack is the one `make run [REPLICAS=N]` starts (``scripts/stack.py run --no-setup``: the GPT-2
phraser on, tokens, the supervisor; nginx in front with N > 1) on free loopback ports with its own run
dir and Redis, rate limits lifted (the load comes from one address). The baseline is checked out in a
git worktree and run on the same venv, model and caches. A closed-loop shopper sends a turn as soon as
the previous one is answered, through 6-turn conversations drawn by ``scripts/shoppers.py`` (the same
draws for every stack; ``--fixed``: bench_dialogue's one script), with a new sender id for each
conversation, until the window ends (each level is bounded in time and count).
CPU per turn is read from ``/proc`` for every process of the stack (client excluded). With 2 replicas
the ordering check (``scripts/ordering_check.py``) runs after the load. The load client shares the two
cores with the stack, as a real deployment's front end would not: compare within one run only.

Writes ``<out>.md``, ``<out>.json``, ``<out>.png``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests"))  # support: the test suite's port and rate-limit helpers

from bench_dialogue import SCRIPT, pct  # noqa: E402
from shoppers import Item, conversation, load_catalog  # noqa: E402

from support.replicas import free_block  # noqa: E402
from support.stack import NO_RATE_LIMITS  # noqa: E402

BASELINE = "786f14d"  # main before this work: one Rasa, one action server, torch query encoding, no phrase pool
TICK = os.sysconf("SC_CLK_TCK")
CATALOG = load_catalog(REPO / "data" / "generated" / "demo_catalog.jsonl")  # what the stacks serve
UNCACHED = {"SHOPGUIDE_NLU_CACHE_SIZE": "0", "SHOPGUIDE_TED_CACHE_SIZE": "0"}  # channels/nlu_cache.py, policy_cache.py


class Stack:
    """``scripts/stack.py run --no-setup`` from ``tree`` with ``replicas`` replicas."""

    def __init__(self, tree: Path, replicas: int, workdir: Path, extra_env: Optional[Dict[str, str]] = None):
        self.tree, self.replicas, self.workdir = tree, replicas, workdir
        self.port = free_block(replicas + 1)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPGUIDE_") and k != "REDIS_URL"}
        self.env.update(
            {
                "SHOPGUIDE_RUN_DIR": str(workdir),
                "SHOPGUIDE_RASA_PORT": str(self.port),
                "SHOPGUIDE_ACTION_PORT": str(free_block(replicas)),
                "SHOPGUIDE_REDIS_PORT": str(free_block(1)),
                "SHOPGUIDE_REDIS_PREFIX": "load",
                "SHOPGUIDE_KIOSK_STAFF_PIN": "480213",
                "SHOPGUIDE_CATALOG": "demo",
                "RASA_TELEMETRY_ENABLED": "false",
                **NO_RATE_LIMITS,
            }
        )
        if replicas > 1:
            self.env["SHOPGUIDE_REPLICAS"] = str(replicas)
        self.env.update(extra_env or {})
        self.log = workdir / "launcher.log"
        self.proc: Optional[subprocess.Popen] = None

    def start(self, timeout: float = 900) -> float:
        self.workdir.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(self.tree / "scripts" / "stack.py"), "run", "--no-setup"],
                cwd=self.tree,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.time() + timeout
        while "Stop:" not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the stack did not start; its log:\n{self.log.read_text()[-3000:]}")
            time.sleep(1)
        return time.perf_counter() - t0

    def pids(self) -> Dict[str, int]:
        out = {}
        for f in self.workdir.glob("*.pid"):
            try:
                out[f.stem] = int(f.read_text().strip())
            except ValueError:
                continue
        return out

    def cpu_seconds(self) -> Dict[str, float]:
        """User + system CPU of each server process and of its children that no pid file names (nginx's
        workers); the launcher (``stack``) is the parent of all the others, so each process is counted once."""
        out = {}
        named = self.pids()
        for name, pid in named.items():
            total = 0.0
            for p in [pid] + children(pid, stop=set(named.values())):
                try:
                    fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
                    total += (int(fields[11]) + int(fields[12])) / TICK
                except (OSError, IndexError, ValueError):
                    continue
            out[name] = total
        return out

    def close(self) -> None:
        pids = self.pids()
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        for pid in pids.values():
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass

    @property
    def api_token(self) -> str:
        return (self.workdir / "api-token").read_text().strip()


def children(pid: int, stop: Optional[set] = None) -> List[int]:
    """Descendants of ``pid``, leaving out those in ``stop`` and theirs."""
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    out = [int(k) for k in kids if int(k) not in (stop or ())]
    for k in list(out):
        out += children(k, stop)
    return out


def shopper(port: int, deadline: float, out: List[Dict[str, Any]], lock: threading.Lock,
            rng: Optional[random.Random], catalog: List[Item]) -> None:
    """Closed loop: conversations back to back until ``deadline`` (a turn in flight finishes); each a
    new varied one drawn from ``rng`` (scripts/shoppers.py), or the fixed script when ``rng`` is None."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while time.time() < deadline:
        sender = f"load-{uuid.uuid4().hex[:12]}"
        for kind, text in (conversation(rng, catalog) if rng else SCRIPT):
            if time.time() >= deadline:
                break
            body = json.dumps({"sender": sender, "message": text})
            t0 = time.perf_counter()
            err, empty = None, False
            try:
                conn.request("POST", "/webhooks/rest/webhook", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
                if r.status != 200:
                    err = f"HTTP {r.status}"
                else:
                    replies = json.loads(data)
                    empty = not any((m.get("text") or "").strip() or m.get("custom") for m in replies)
            except Exception as e:  # noqa: BLE001 - counted, the loop goes on
                err = f"{type(e).__name__}: {e}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            with lock:
                out.append({"kind": kind, "text": text, "ms": (time.perf_counter() - t0) * 1000, "error": err,
                            "empty": empty})
    conn.close()


def load(stack: Stack, shoppers: int, seconds: float, seed: Optional[int]) -> Dict[str, Any]:
    samples: List[Dict[str, Any]] = []
    lock = threading.Lock()
    cpu0, t0 = stack.cpu_seconds(), time.perf_counter()
    deadline = time.time() + seconds
    threads = [
        threading.Thread(
            target=shopper,
            args=(stack.port, deadline, samples, lock, None if seed is None else random.Random(seed * 1000 + i),
                  CATALOG),
            daemon=True,
        )
        for i in range(shoppers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 180)
    wall = time.perf_counter() - t0
    cpu1 = stack.cpu_seconds()
    ok = [s["ms"] for s in samples if not s["error"]]
    turns = len(samples)
    cpu = {k: round((cpu1.get(k, 0) - cpu0.get(k, 0)) * 1000 / max(1, turns), 1) for k in cpu1}
    return {
        "shoppers": shoppers,
        "turns": turns,
        "seconds": round(wall, 1),
        "turns_per_s": round(turns / wall, 2),
        "p50_ms": round(pct(ok, 0.5), 1),
        "p95_ms": round(pct(ok, 0.95), 1),
        "p99_ms": round(pct(ok, 0.99), 1),
        "errors": sum(1 for s in samples if s["error"]),
        # turns whose exact text an earlier turn of this level sent: what a per-text cache could answer
        "repeated_text_share": round(1 - len({s["text"] for s in samples}) / max(1, turns), 3),
        "error_kinds": sorted({s["error"] for s in samples if s["error"]})[:5],
        "empty": sum(1 for s in samples if s["empty"]),
        "cpu_ms_per_turn": cpu,
        "cpu_ms_per_turn_total": round(sum(cpu.values()), 1),
    }


def worktree(rev: str, root: Path) -> Path:
    """``rev`` checked out under ``root``, sharing this checkout's venv, models and web vendor files."""
    tree = root / f"baseline-{rev}"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), rev], check=True,
                   stdout=subprocess.DEVNULL)
    for shared in (".venv", "models", "web/node_modules", "web/static/vendor"):
        src = REPO / shared
        if src.exists() and not (tree / shared).exists():
            (tree / shared).parent.mkdir(parents=True, exist_ok=True)
            (tree / shared).symlink_to(src)
    return tree


def run_variant(name: str, tree: Path, replicas: int, levels: List[int], seconds: float, workroot: Path,
                ordering: Optional[Tuple[int, int]], varied: bool, extra_env: Optional[Dict[str, str]] = None
                ) -> Dict[str, Any]:
    """One stack through the levels; with ``varied`` every variant gets the same drawn conversations."""
    slug = "".join(c if c.isalnum() else "-" for c in name)
    stack = Stack(tree, replicas, workroot / f"{slug}-{replicas}", extra_env)
    print(f">> [{name}, {replicas} replica(s)] starting the stack", flush=True)
    result: Dict[str, Any] = {"name": name, "replicas": replicas, "levels": []}
    try:
        result["start_s"] = round(stack.start(), 1)
        print(f">> ready in {result['start_s']}s; warming up", flush=True)
        load(stack, max(2, replicas * 2), 15, 0 if varied else None)  # every process past its first turns
        for n in levels:
            r = load(stack, n, seconds, n if varied else None)
            print(
                f">> {n:>3} shopper(s): {r['turns_per_s']:.1f} turns/s, p50 {r['p50_ms']:.0f} ms, p95 "
                f"{r['p95_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, {r['errors']} errors, {r['empty']} empty, "
                f"{r['repeated_text_share']:.0%} repeated texts, CPU {r['cpu_ms_per_turn_total']:.0f} ms/turn "
                f"{r['cpu_ms_per_turn']}",
                flush=True,
            )
            result["levels"].append(r)
        if ordering and replicas > 1:
            import ordering_check

            rep = ordering_check.run_check(f"http://127.0.0.1:{stack.port}", stack.api_token, *ordering)
            print(f">> ordering: {rep.summary()}", flush=True)
            result["ordering"] = {"ok": rep.ok, "summary": rep.summary(), "problems": rep.errors[:10]}
    finally:
        stack.close()
    result["saturation_turns_per_s"] = max((r["turns_per_s"] for r in result["levels"]), default=0.0)
    return result


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", default=BASELINE, help="the commit to compare with ('' to skip)")
    ap.add_argument("--levels", default="1,20,50")
    ap.add_argument("--seconds", type=float, default=40.0, help="each level's window")
    ap.add_argument("--replicas", default="1,2", help="replica counts for the working tree")
    ap.add_argument("--ordering", default="50x5", help="senders x messages for the ordering check ('' to skip)")
    ap.add_argument("--uncached", default="2", help="replica counts for the working tree with the Rasa-side NLU "
                    "and TED caches off ('' to skip)")
    ap.add_argument("--fixed", action="store_true", help="every shopper sends bench_dialogue's fixed script "
                    "(default: varied conversations from scripts/shoppers.py)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "load")
    args = ap.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",") if x]
    ordering = tuple(int(x) for x in args.ordering.split("x")) if args.ordering else None
    t0 = time.perf_counter()
    runs = []
    workroot = Path(tempfile.mkdtemp(prefix="bench-load-"))
    tree = None
    try:
        if args.baseline:
            tree = worktree(args.baseline, workroot)
            runs.append(run_variant(f"baseline {args.baseline}", tree, 1, levels, args.seconds, workroot, None,
                                    not args.fixed))
        for n in [int(x) for x in args.replicas.split(",") if x]:
            runs.append(run_variant("this tree", REPO, n, levels, args.seconds, workroot, ordering, not args.fixed))
        for n in [int(x) for x in args.uncached.split(",") if x]:
            runs.append(run_variant("this tree, caches off", REPO, n, levels, args.seconds, workroot, None,
                                    not args.fixed, UNCACHED))
    finally:
        if tree is not None:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)
        shutil.rmtree(workroot, ignore_errors=True)
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    result = {
        "runs": runs,
        "head": head.stdout.strip(),
        "levels": levels,
        "seconds_per_level": args.seconds,
        "conversations": "fixed" if args.fixed else "varied",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "bench_seconds": round(time.perf_counter() - t0),
    }
    if args.baseline and len(runs) > 1:
        base = runs[0]
        result["ratios"] = {
            f"{r['name']} x{r['replicas']}": {
                "saturation": round(r["saturation_turns_per_s"] / base["saturation_turns_per_s"], 2)
                if base["saturation_turns_per_s"]
                else None,
                "cpu_per_turn_at_20": ratio_at(r, base, 20),
            }
            for r in runs[1:]
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps(result, indent=2))
    write_md(result, Path(f"{args.out}.md"))
    write_png(result, Path(f"{args.out}.png"))
    print(Path(f"{args.out}.md").read_text())
    return 0


def ratio_at(run: Dict[str, Any], base: Dict[str, Any], shoppers: int) -> Optional[float]:
    a = next((lv for lv in run["levels"] if lv["shoppers"] == shoppers), None)
    b = next((lv for lv in base["levels"] if lv["shoppers"] == shoppers), None)
    if not a or not b or not b["cpu_ms_per_turn_total"]:
        return None
    return round(a["cpu_ms_per_turn_total"] / b["cpu_ms_per_turn_total"], 2)


def write_md(r: Dict[str, Any], path: Path) -> None:
    lines = [
        "# Load: `make bench-load`",
        "",
        "Closed-loop REST shoppers on loopback, 6-turn conversations ("
        + ("bench_dialogue's fixed script" if r.get("conversations") == "fixed" else
           "varied: scripts/shoppers.py, the same draws for every stack")
        + "), GPT-2 phraser on, demo catalog; "
        f"{r['machine']['cpus']} CPUs ({r['machine']['platform']}), the load client on the same cores; "
        f"{r['seconds_per_level']:g} s per level; measured {r['measured_at']} at {r['head']} "
        f"({r['bench_seconds']} s in all).",
        "",
        "| stack | replicas | shoppers | turns/s | p50 ms | p95 ms | p99 ms | errors | empty | CPU ms/turn (all processes) "
        "| repeated texts |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in r["runs"]:
        for lv in run["levels"]:
            lines.append(
                f"| {run['name']} | {run['replicas']} | {lv['shoppers']} | {lv['turns_per_s']:.1f} | {lv['p50_ms']:.0f} | "
                f"{lv['p95_ms']:.0f} | {lv['p99_ms']:.0f} | {lv['errors']} | {lv['empty']} | {lv['cpu_ms_per_turn_total']:.0f} | "
                f"{lv.get('repeated_text_share', 0):.0%} |"
            )
    lines += ["", "Saturation (best turns/s of the levels):", ""]
    for run in r["runs"]:
        lines.append(f"- {run['name']}, {run['replicas']} replica(s): **{run['saturation_turns_per_s']:.1f} turns/s**")
    for name, ratio in (r.get("ratios") or {}).items():
        lines.append(
            f"- {name} vs the baseline: saturation **{ratio['saturation']}x**, CPU per turn at 20 shoppers "
            f"**{ratio['cpu_per_turn_at_20']}x**"
        )
    lines += ["", "CPU ms per turn by process at 20 shoppers:", ""]
    for run in r["runs"]:
        lv = next((x for x in run["levels"] if x["shoppers"] == 20), None)
        if lv:
            parts = ", ".join(f"{k} {v:.0f}" for k, v in sorted(lv["cpu_ms_per_turn"].items()) if v >= 0.5)
            lines.append(f"- {run['name']} x{run['replicas']}: {parts}")
    for run in r["runs"]:
        if "ordering" in run:
            o = run["ordering"]
            lines += ["", f"Ordering check ({run['replicas']} replicas): {'passed' if o['ok'] else 'FAILED'}: {o['summary']}"]
    path.write_text("\n".join(lines) + "\n")


def write_png(r: Dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for run in r["runs"]:
        label = f"{run['name']} x{run['replicas']}"
        xs = [lv["shoppers"] for lv in run["levels"]]
        a.plot(xs, [lv["turns_per_s"] for lv in run["levels"]], marker="o", label=label)
        b.plot(xs, [lv["p95_ms"] for lv in run["levels"]], marker="o", label=label)
    a.set_xlabel("closed-loop shoppers")
    a.set_ylabel("turns/s")
    b.set_xlabel("closed-loop shoppers")
    b.set_ylabel("p95 ms")
    b.axhline(1000, color="grey", linestyle=":")
    a.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
