"""Soak: concurrent shoppers for a long stretch on the stack `make run` starts, with a Redis kill and an
action-server kill in the middle.

    python scripts/soak.py [--shoppers 20] [--minutes 10] [--warmup-s 60] [--out bench/results/soak]

Starts ``scripts/stack.py run`` (the supervisor, tokens and limits of `make run`) on free loopback ports
in a temporary run dir, drives ``--shoppers`` closed-loop shoppers (one message, the reply, a think pause
of ``--think-s``; a new conversation every 12 turns) for ``--minutes``, and at 1/3 and 2/3 of the run
sends ``kill -9`` to Redis, then to the action server. Reports turns, errors inside and outside the
restart windows (a window: from the kill until 10 s after the supervisor says the process is back), turns
lost (acknowledged, i.e. answered properly, but missing from the shopper's tracker afterwards), p50/p95
latency outside the windows, and the resident memory of each process every 10 s. The client-address
limit is raised (every shopper here shares one address); the per-sender limit stays as shipped.
Writes ``<out>.md``, ``<out>.json`` and ``<out>.png``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from bench_dialogue import pct  # noqa: E402  (scripts/ is on sys.path when run as a script)

CONVERSATION = [
    "hello",
    "I need an electric kettle under $50",
    "tell me more about the second one",
    "cheaper",
    "add the first one",
    "what's in my cart?",
    "show me toasters",
    "compare the first two",
    "is the first one in stock at the riverside store?",
    "what is your return policy?",
    "where is my order 40001?",
    "thanks, bye",
]
FALLBACK_MARKS = ("I can't reach my memory", "I couldn't look that up just now", "faster than I can read")
PROCESSES = ("redis", "actions", "rasa")


def rss_mb(pid: Optional[int]) -> Optional[float]:
    if not pid:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Soak:
    def __init__(self, stack: Any, shoppers: int, seconds: float, think_s: float, warmup_s: float):
        self.stack, self.shoppers, self.seconds, self.think_s, self.warmup_s = stack, shoppers, seconds, think_s, warmup_s
        self.turns: List[Dict[str, Any]] = []
        self.memory: List[Dict[str, Any]] = []
        self.kills: List[Dict[str, Any]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.t0 = 0.0

    def shopper(self, n: int) -> None:
        turn = 0
        sender = ""
        while not self.stop.is_set():
            if turn % len(CONVERSATION) == 0:
                sender = f"soak{n}-{uuid.uuid4().hex}"
            text = CONVERSATION[turn % len(CONVERSATION)]
            turn += 1
            start = time.time()
            rec: Dict[str, Any] = {"sender": sender, "text": text, "at": start - self.t0}
            try:
                replies = self.stack.send(sender, text, timeout=60)
                said = "\n".join(m.get("text") or "" for m in replies)
                rec["ok"] = bool(replies) and not any(mark in said for mark in FALLBACK_MARKS)
                rec["error"] = None if rec["ok"] else ("empty" if not replies else said[:80])
            except Exception as e:  # noqa: BLE001 - an error is a result here
                rec["ok"], rec["error"] = False, f"{type(e).__name__}: {e}"[:120]
            rec["ms"] = (time.time() - start) * 1000
            with self.lock:
                self.turns.append(rec)
            self.stop.wait(self.think_s)

    def sample_memory(self) -> None:
        while not self.stop.is_set():
            row: Dict[str, Any] = {"at": time.time() - self.t0, "redis_keys": self.redis_keys()}
            for name in PROCESSES:
                pid = self.stack.pid(name)
                row[name] = {"pid": pid, "rss_mb": rss_mb(pid)}
            self.memory.append(row)
            self.stop.wait(10)

    def redis_keys(self) -> Optional[int]:
        import redis

        try:
            return int(redis.Redis.from_url(self.stack.redis_url, socket_timeout=1).dbsize())
        except Exception:  # noqa: BLE001 - Redis is being restarted
            return None

    def run(self) -> None:
        self.t0 = time.time()
        threads = [threading.Thread(target=self.shopper, args=(i,), daemon=True) for i in range(self.shoppers)]
        threads.append(threading.Thread(target=self.sample_memory, daemon=True))
        for t in threads:
            t.start()
        total = self.warmup_s + self.seconds
        plan = [(self.warmup_s + self.seconds / 3, "redis"), (self.warmup_s + 2 * self.seconds / 3, "actions")]
        for at, name in plan:
            time.sleep(max(0.0, at - (time.time() - self.t0)))
            log_before = len(self.stack.launcher_log())
            pid = self.stack.kill9(name)
            kill = {"process": name, "pid": pid, "at": time.time() - self.t0}
            print(f">> t={kill['at']:.0f}s kill -9 {name} (pid {pid})", flush=True)
            self.kills.append(kill)
            while "is back" not in self.stack.launcher_log()[log_before:] and time.time() - self.t0 < total:
                time.sleep(0.5)
            back = re.search(rf"{name} is back, ([\d.]+)s", self.stack.launcher_log()[log_before:])
            kill["back_after_s"] = float(back.group(1)) if back else None
            kill["window_end"] = time.time() - self.t0 + 10
            print(f">> {name} back after {kill['back_after_s']}s", flush=True)
        time.sleep(max(0.0, total - (time.time() - self.t0)))
        self.stop.set()
        for t in threads:
            t.join(timeout=90)

    def in_window(self, turn: Dict[str, Any]) -> bool:
        """Whether the turn overlaps a restart window (one in flight when the process was killed counts)."""
        start, end = turn["at"], turn["at"] + turn["ms"] / 1000
        return any(start <= k.get("window_end", k["at"] + 60) and end >= k["at"] for k in self.kills)

    def lost_turns(self) -> List[Dict[str, Any]]:
        lost, by_sender = [], {}
        for t in self.turns:
            if t["ok"]:
                by_sender.setdefault(t["sender"], []).append(t)
        for sender, said in by_sender.items():
            events = self.stack.tracker(sender)["events"]
            texts = [e.get("text") for e in events if e.get("event") == "user"]
            if len(texts) < len(said) or any(t["text"] not in texts for t in said):
                lost.append({"sender": sender, "acknowledged": len(said), "in_tracker": len(texts)})
        return lost

    def memory_segments(self) -> Dict[str, List[Dict[str, Any]]]:
        """Per process and pid: RSS at the first sample after warm-up (or after its restart + 60 s) and at
        the last sample of that process's life."""
        out: Dict[str, List[Dict[str, Any]]] = {}
        for name in PROCESSES:
            by_pid: Dict[int, List[Tuple[float, float]]] = {}
            for row in self.memory:
                m = row[name]
                if m["pid"] and m["rss_mb"]:
                    by_pid.setdefault(m["pid"], []).append((row["at"], m["rss_mb"]))
            segs = []
            for pid, samples in by_pid.items():
                first_at = samples[0][0]
                settle = self.warmup_s if first_at < self.warmup_s else first_at + 60
                after = [s for s in samples if s[0] >= settle] or samples[-1:]
                start, end = after[0], samples[-1]
                segs.append({"pid": pid, "from_s": round(start[0]), "to_s": round(end[0]),
                             "start_mb": round(start[1], 1), "end_mb": round(end[1], 1),
                             "growth_pct": round(100 * (end[1] - start[1]) / start[1], 1)})
            out[name] = segs
        return out

    def summary(self) -> Dict[str, Any]:
        counted = [t for t in self.turns if t["at"] >= self.warmup_s]
        outside = [t for t in counted if not self.in_window(t)]
        inside = [t for t in counted if self.in_window(t)]
        ok_ms = [t["ms"] for t in outside if t["ok"]]
        errors_outside = [t for t in outside if not t["ok"]]
        return {
            "shoppers": self.shoppers, "minutes": round(self.seconds / 60, 1), "warmup_s": self.warmup_s,
            "think_s": self.think_s,
            "turns": len(counted), "turns_per_s": round(len(counted) / self.seconds, 2),
            "errors_outside_windows": len(errors_outside),
            "error_examples": sorted({t["error"] for t in errors_outside})[:5],
            "errors_inside_windows": sum(1 for t in inside if not t["ok"]), "turns_inside_windows": len(inside),
            "p50_ms": round(pct(ok_ms, 0.5)), "p95_ms": round(pct(ok_ms, 0.95)),
            "kills": self.kills,
            "lost_turns": self.lost_turns(),
            "memory": self.memory_segments(),
            "redis_keys": {"after_warmup": next((r["redis_keys"] for r in self.memory if r["at"] >= self.warmup_s), None),
                           "end": next((r["redis_keys"] for r in reversed(self.memory) if r["redis_keys"]), None)},
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }


def write_md(result: Dict[str, Any], path: Path) -> None:
    r = result
    lines = [
        "# Soak: `make soak`", "",
        f"{r['shoppers']} closed-loop shoppers ({r['think_s']} s think time) for {r['minutes']} min after "
        f"{r['warmup_s']:.0f} s of warm-up, on the stack `make run` starts (supervisor on), "
        f"{r['machine']['cpus']} CPUs, {r['machine']['platform']}, measured {r['measured_at']}.", "",
        "| turns | turns/s | errors outside restart windows | errors inside (of turns) | lost acknowledged turns | p50 | p95 |",
        "|---|---|---|---|---|---|---|",
        f"| {r['turns']} | {r['turns_per_s']} | {r['errors_outside_windows']} | {r['errors_inside_windows']} "
        f"({r['turns_inside_windows']}) | {len(r['lost_turns'])} | {r['p50_ms']} ms | {r['p95_ms']} ms |", "",
        "| kill -9 | at | back after (supervisor) |", "|---|---|---|",
    ]
    lines += [f"| {k['process']} | {k['at']:.0f} s | {k.get('back_after_s')} s |" for k in r["kills"]]
    lines += ["", "Resident memory per process (each pid: after warm-up or 60 s after its restart, and at its end):", "",
              "| process | pid | from | to | start MB | end MB | growth |", "|---|---|---|---|---|---|---|"]
    for name, segs in r["memory"].items():
        lines += [f"| {name} | {s['pid']} | {s['from_s']} s | {s['to_s']} s | {s['start_mb']} | {s['end_mb']} | "
                  f"{s['growth_pct']:+.1f}% |" for s in segs]
    keys = r.get("redis_keys") or {}
    lines += ["", f"Redis holds data, not a leak: its keys went from {keys.get('after_warmup')} after warm-up to "
              f"{keys.get('end')} at the end (each new conversation keeps its tracker, context and cart for days)."]
    if r["error_examples"]:
        lines += ["", "Errors outside the windows: " + "; ".join(r["error_examples"])]
    path.write_text("\n".join(lines) + "\n")


def write_png(soak: Soak, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    ok = [t for t in soak.turns if t["ok"]]
    bad = [t for t in soak.turns if not t["ok"]]
    a.scatter([t["at"] for t in ok], [t["ms"] for t in ok], s=3, label="answered")
    a.scatter([t["at"] for t in bad], [max(t["ms"], 1) for t in bad], s=8, c="red", label="error / fallback")
    a.set_yscale("log")
    a.set_ylabel("turn latency (ms)")
    for name in PROCESSES:
        xs = [row["at"] for row in soak.memory if row[name]["rss_mb"]]
        ys = [row[name]["rss_mb"] for row in soak.memory if row[name]["rss_mb"]]
        b.plot(xs, ys, label=name)
    b.set_ylabel("RSS (MB)")
    b.set_xlabel("seconds since start")
    for ax in (a, b):
        ax.axvline(soak.warmup_s, color="grey", ls=":")
        for k in soak.kills:
            ax.axvspan(k["at"], k.get("window_end", k["at"]), color="orange", alpha=0.2)
        ax.legend(loc="upper left")
    a.set_title("Soak: latency, errors and memory; orange = kill -9 until 10 s after the process is back")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shoppers", type=int, default=20)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--warmup-s", type=float, default=60.0)
    ap.add_argument("--think-s", type=float, default=1.5)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "soak")
    ap.add_argument("--keep-logs", type=Path, default=None, help="copy the run's logs (launcher, rasa, actions) here")
    args = ap.parse_args(argv)
    from support.stack import first_model_or_train
    from support.supervised import SupervisedStack

    first_model_or_train()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        stack = SupervisedStack(Path(tmp), staff_pin="246810",
                                extra_env={"SHOPGUIDE_CLIENT_REQUESTS_PER_10S": "1000000"})
        print(">> starting the stack (scripts/stack.py run)", flush=True)
        stack.start()
        try:
            soak = Soak(stack, args.shoppers, args.minutes * 60, args.think_s, args.warmup_s)
            print(f">> {args.shoppers} shoppers for {args.minutes} min after {args.warmup_s:.0f} s warm-up", flush=True)
            soak.run()
            result = soak.summary()
        finally:
            stack.close()
            if args.keep_logs:
                import shutil

                args.keep_logs.mkdir(parents=True, exist_ok=True)
                shutil.copy(stack.log, args.keep_logs / "launcher.log")
                for log in (Path(tmp) / "logs").glob("*.log"):
                    shutil.copy(log, args.keep_logs / log.name)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps(result, indent=2))
    Path(f"{args.out}-turns.json").write_text(json.dumps({"turns": soak.turns, "memory": soak.memory}))
    write_md(result, Path(f"{args.out}.md"))
    write_png(soak, Path(f"{args.out}.png"))
    print(Path(f"{args.out}.md").read_text())
    print(f">> wrote {args.out}.md / .json / .png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
