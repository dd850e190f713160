"""Where a turn's time goes: wall and CPU time per stage of the dialogue stack, by process.

    python scripts/profile_turn.py [--conversations 30] [--warmup 3] [--nlg gpt2|templates|templates,gpt2]
                                   [--out bench/results/profile]

It starts its own stack as scripts/bench_dialogue.py does (embedded Redis, action server, `rasa run`
on free loopback ports), except that Rasa and the action server run through this script
(``profile_turn.py serve rasa|actions ...``), which wraps the stage functions with timers before the
server starts: the profiling lives here, monkeypatched, and the servers carry none of it. It then
sends bench_dialogue's 6-turn conversation, one turn at a time, and reads each server's figures
from a ``/_profile`` route it added to that server's app.

Wall time is inclusive (a stage's nested stages are part of it). CPU time is the stage's own (its
nested stages subtracted), taken with ``time.process_time``: all threads of the process (torch's,
the phraser's worker), which is fair because only one turn is ever in flight. So a process's CPU
column adds up to its whole CPU time over the run, and what no stage covers (event loop, HTTP
parsing, garbage collection, idle threads) is shown as "unattributed". Redis is timed per command
on the client side, and its server's CPU is read from the OS. Writes ``<out>.md``, ``.json``, ``.png``.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

REPO = Path(__file__).resolve().parent.parent
THIS = Path(__file__).resolve()
FOLD_BELOW_MS = 0.3  # stages cheaper than this (CPU ms per turn) are folded into one row in the tables
RASA, ACTIONS, REDIS = "Rasa", "action server", "Redis server"


# -- the timer and the tables (pure) ------------------------------------------------------------
class Frame:
    __slots__ = ("name", "wall0", "cpu0", "child_cpu")

    def __init__(self, name: str, wall0: float, cpu0: float):
        self.name, self.wall0, self.cpu0, self.child_cpu = name, wall0, cpu0, 0.0


class StageTimer:
    """Calls, inclusive wall, inclusive and own CPU per stage name; stages nest (a stack of open frames)."""

    def __init__(self, wall: Callable[[], float] = time.perf_counter, cpu: Callable[[], float] = time.process_time):
        self.wall, self.cpu = wall, cpu
        self.reset()

    def reset(self) -> None:
        self.stages: Dict[str, List[float]] = {}  # name -> [calls, wall_s, cpu_s, self_cpu_s]
        self.tallies: Dict[str, Dict[str, float]] = {}
        self.open: List[Frame] = []
        self.wall0, self.cpu0 = self.wall(), self.cpu()
        self.threads0 = thread_cpu()

    def start(self, name: str) -> Frame:
        frame = Frame(name, self.wall(), self.cpu())
        self.open.append(frame)
        return frame

    def stop(self, frame: Frame) -> None:
        wall, cpu = self.wall() - frame.wall0, self.cpu() - frame.cpu0
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i] is frame:
                del self.open[i]
                break
        else:
            return  # opened before a reset
        s = self.stages.setdefault(frame.name, [0, 0.0, 0.0, 0.0])
        s[0] += 1
        s[1] += wall
        s[2] += cpu
        s[3] += cpu - frame.child_cpu
        if self.open:
            self.open[-1].child_cpu += cpu

    def current(self) -> str:
        return self.open[-1].name if self.open else ""

    def tally(self, name: str, **amounts: float) -> None:
        t = self.tallies.setdefault(name, {})
        for k, v in amounts.items():
            t[k] = t.get(k, 0.0) + v

    def snapshot(self) -> Dict[str, Any]:
        return {
            "wall_s": self.wall() - self.wall0,
            "cpu_s": self.cpu() - self.cpu0,
            "stages": {n: dict(zip(("calls", "wall_s", "cpu_s", "self_cpu_s"), v, strict=True))
                       for n, v in self.stages.items()},
            "tallies": self.tallies,
            "threads_cpu_s": {t: c - self.threads0.get(t, 0.0) for t, c in thread_cpu().items()},
        }


def thread_cpu() -> Dict[str, float]:
    """CPU seconds of each of this process's threads so far ("main" and thread ids; Linux /proc, else {})."""
    out: Dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for task in Path("/proc/self/task").glob("*"):
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out["main" if task.name == str(os.getpid()) else task.name] = (int(fields[11]) + int(fields[12])) / tick
    return out


def stage_rows(processes: Dict[str, Dict[str, Any]], turns: int, fold_below_ms: float = FOLD_BELOW_MS) -> List[Dict]:
    """Per turn rows, by process (largest own CPU first), each process closed by its unattributed rest
    and its total; a last row for the whole stack. ``processes``: name -> snapshot (``cpu_s`` and
    ``stages``; a process with no stages, e.g. Redis, is just its total). Shares are of the stack's CPU."""
    total_cpu = sum(p["cpu_s"] for p in processes.values()) or 1e-12

    def row(proc: str, stage: str, kind: str, calls: float, wall_s: Optional[float], cpu_s: float) -> Dict:
        return {"process": proc, "stage": stage, "kind": kind, "calls": calls / turns,
                "wall_ms": None if wall_s is None else wall_s * 1000 / turns,
                "cpu_ms": cpu_s * 1000 / turns, "share": cpu_s / total_cpu}

    rows: List[Dict] = []
    for proc, snap in processes.items():
        stages = sorted(snap.get("stages", {}).items(), key=lambda kv: -kv[1]["self_cpu_s"])
        small = [(n, s) for n, s in stages if s["self_cpu_s"] * 1000 / turns < fold_below_ms]
        for name, s in stages[: len(stages) - len(small)]:
            rows.append(row(proc, name, "stage", s["calls"], s["wall_s"], s["self_cpu_s"]))
        if small:
            rows.append(row(proc, f"{len(small)} smaller stages (< {fold_below_ms:g} ms each)", "folded",
                            sum(s["calls"] for _, s in small), None, sum(s["self_cpu_s"] for _, s in small)))
        if stages:
            rest = snap["cpu_s"] - sum(s["self_cpu_s"] for _, s in stages)
            rows.append(row(proc, "unattributed (event loop, HTTP parsing, GC, idle threads)", "rest", 0, None, rest))
        rows.append(row(proc, f"{proc} total", "total", 0, snap.get("wall_s"), snap["cpu_s"]))
    rows.append(row("stack", "stack total (CPU per turn)", "grand", 0, None, total_cpu))
    return rows


def action_rows(rasa: Dict[str, Dict[str, float]], actions: Dict[str, Dict[str, float]], turns: int) -> List[Dict]:
    """Per action: calls per turn, Rasa's wall per call, the action server's CPU per call, payload sizes."""
    out = []
    for name, a in sorted(actions.items(), key=lambda kv: -kv[1].get("cpu_s", 0.0)):
        n = a.get("calls") or 1
        r = rasa.get(name, {})
        out.append({"action": name, "calls": a.get("calls", 0) / turns,
                    "rasa_wall_ms": r.get("wall_s", 0.0) * 1000 / (r.get("calls") or 1),
                    "server_cpu_ms": a.get("cpu_s", 0.0) * 1000 / n,
                    "request_kb": a.get("bytes_in", 0.0) / n / 1024, "response_kb": a.get("bytes_out", 0.0) / n / 1024})
    return out


def markdown_table(rows: List[Dict]) -> str:
    lines = ["| process | stage | calls / turn | wall ms / turn | CPU ms / turn (own) | share of CPU |",
             "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        calls = f"{r['calls']:.2f}" if r["kind"] in ("stage", "folded") else ""
        wall = "" if r["wall_ms"] is None else f"{r['wall_ms']:.1f}"
        bold = "**" if r["kind"] in ("total", "grand") else ""
        lines.append(f"| {r['process'] if r['kind'] != 'grand' else ''} | {bold}{r['stage']}{bold} | {calls} | {wall} "
                     f"| {bold}{r['cpu_ms']:.1f}{bold} | {bold}{r['share']:.1%}{bold} |")
    return "\n".join(lines)


def action_table(rows: List[Dict]) -> str:
    lines = ["| action | calls / turn | Rasa wall ms / call | action server CPU ms / call | request KB | response KB |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['action']} | {r['calls']:.2f} | {r['rasa_wall_ms']:.1f} | {r['server_cpu_ms']:.1f} "
              f"| {r['request_kb']:.1f} | {r['response_kb']:.1f} |" for r in rows]
    return "\n".join(lines)


def top_stages(rows: List[Dict], n: int = 5) -> List[Dict]:
    """The ``n`` stages with the most own CPU across the stack (the unattributed rests excluded)."""
    return sorted((r for r in rows if r["kind"] == "stage"), key=lambda r: -r["cpu_ms"])[:n]


def pct(values: List[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else float("nan")


# -- in the servers: timers around the stage functions -----------------------------------------
T = StageTimer()


def timed(owner: Any, attr: str, name: Any, after: Optional[Callable[..., None]] = None) -> None:
    """Replace ``owner.attr`` by a wrapper timing each call as stage ``name`` (a string, or a function
    of the call's arguments); ``after(wall_s, cpu_s, *args, **kwargs)`` runs after each call."""
    fn = getattr(owner, attr)

    def label(args: Any, kwargs: Any) -> str:
        return name if isinstance(name, str) else name(*args, **kwargs)

    def done(frame: Frame, args: Any, kwargs: Any) -> None:
        wall, cpu = T.wall() - frame.wall0, T.cpu() - frame.cpu0
        T.stop(frame)
        if after is not None:
            after(wall, cpu, *args, **kwargs)

    if inspect.iscoroutinefunction(fn):
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            frame = T.start(label(args, kwargs))
            try:
                return await fn(*args, **kwargs)
            finally:
                done(frame, args, kwargs)
    else:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            frame = T.start(label(args, kwargs))
            try:
                return fn(*args, **kwargs)
            finally:
                done(frame, args, kwargs)
    setattr(owner, attr, functools.wraps(fn)(wrapper))


def hook_common(http_stage: str) -> None:
    """Redis commands (each a round trip), the HTTP request as a whole, the MiniLM encoder."""
    import redis.client
    from sanic.app import Sanic
    from sanic.touchup import TouchUp

    from retrieval.encoder import Encoder

    def command(_wall: float, _cpu: float, client: Any, *args: Any, **kwargs: Any) -> None:
        T.tally(f"redis {str(args[0]).split()[0].upper() if args else '?'}", calls=1)

    timed(redis.client.Redis, "execute_command", "Redis round trips (client side)", command)
    timed(redis.client.Pipeline, "immediate_execute_command", "Redis round trips (client side)", command)
    timed(redis.client.Pipeline, "execute", "Redis round trips (client side)",
          lambda *_a, **_k: T.tally("redis PIPELINE", calls=1))
    timed(Encoder, "encode", "MiniLM encoder")

    def wrap_handler() -> None:  # after Sanic's start-up "touch-up", which recompiles handle_request from source
        handle = Sanic.handle_request

        async def handle_request(app: Any, request: Any) -> Any:
            if request.path.startswith("/_profile"):
                return await handle(app, request)
            frame = T.start(http_stage)
            try:
                return await handle(app, request)
            finally:
                T.stop(frame)
                if request.path == "/webhook" and T.tallies.get(LAST_ACTION[0]) is not None:
                    T.tally(LAST_ACTION[0], bytes_in=len(request.body or b""), bytes_out=LAST_RESPONSE_BYTES[0])

        Sanic.handle_request = handle_request

    touch_up = TouchUp.run.__func__
    TouchUp.run = classmethod(lambda cls, app: (touch_up(cls, app), wrap_handler()))


LAST_ACTION = [""]
LAST_RESPONSE_BYTES = [0]


def add_profile_routes(app: Any) -> Any:
    from sanic import response

    async def read(_: Any) -> Any:
        return response.json(T.snapshot())

    async def reset(_: Any) -> Any:
        T.reset()
        return response.json({"reset": True})

    app.add_route(read, "/_profile", methods=["GET"], name="profile_read")
    app.add_route(reset, "/_profile/reset", methods=["POST"], name="profile_reset")
    return app


def hook_rasa() -> None:
    import rasa.core.run
    from rasa.core.actions.action import RemoteAction
    from rasa.core.lock_store import LockStore
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import RedisTrackerStore
    from rasa.engine.graph import GraphNode
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.utils.endpoints import EndpointConfig

    from channels.rasa_plugins import StrictRedisTrackerStore

    hook_common("channel: HTTP, REST input, guard (rate limit, hand-off, PII)")

    def graph(_runner: Any, inputs: Any = None, targets: Any = None) -> str:
        return "NLU graph (dask)" if any("message" in k for k in (inputs or {})) else "policy graph (dask)"

    def node(n: Any, *_a: Any) -> str:
        group = "NLU" if T.current().startswith("NLU") else "policies"
        base = n._node_name.removeprefix("run_").rsplit(".", 1)[-1].rstrip("0123456789")
        return f"{group}: {base}"

    timed(DaskGraphRunner, "run", graph)
    timed(GraphNode, "__call__", node)
    for attr in ("issue_ticket", "_acquire_lock", "cleanup"):
        timed(LockStore, attr, "lock store (ticket, acquire, release)")
    timed(RedisTrackerStore, "retrieve", "tracker load (GET + deserialise)")
    timed(RedisTrackerStore, "retrieve_full_tracker", "tracker load (GET + deserialise)")
    timed(StrictRedisTrackerStore, "save", "tracker save (merge, serialise, SET)")
    timed(MessageProcessor, "handle_message", "processor: other (events, local actions, slots)")
    timed(MessageProcessor, "run_action_extract_slots", "processor: action_extract_slots")
    timed(RemoteAction, "_action_call_format", "action call: payload (tracker state + domain)")
    timed(RemoteAction, "_validate_action_result", "action call: validate response (jsonschema)")
    timed(EndpointConfig, "request", "action call: HTTP client (aiohttp, JSON)")
    timed(RemoteAction, "run", "action call: other (events, responses)",
          lambda wall, cpu, action, *_a, **_k: T.tally(action.name(), calls=1, wall_s=wall))

    configure = rasa.core.run.configure_app
    rasa.core.run.configure_app = functools.wraps(configure)(lambda *a, **k: add_profile_routes(configure(*a, **k)))


def hook_actions() -> None:
    import sanic.response
    from rasa_sdk.executor import ActionExecutor

    import actions.replies.pipeline
    import actions.server
    import nlg.guard
    import retrieval.engine
    from nlg.model import PhraserModel
    from nlg.phraser import ModelPhraser, TemplatePhraser
    from retrieval.dense import DenseIndex
    from retrieval.engine import SearchEngine
    from retrieval.lexical import BM25Index

    hook_common("HTTP + rasa-sdk (Sanic, JSON)")

    def executed(wall: float, cpu: float, _executor: Any, call: Any, *_a: Any) -> None:
        LAST_ACTION[0] = str((call or {}).get("next_action"))
        T.tally(LAST_ACTION[0], calls=1, wall_s=wall, cpu_s=cpu)

    timed(ActionExecutor, "run", "rasa-sdk executor (Tracker.from_dict, events)", executed)
    register = ActionExecutor.register_function

    def register_function(executor: Any, name: str, f: Callable) -> None:
        holder = type("Holder", (), {"run": staticmethod(f)})
        timed(holder, "run", "action code (actions/)")
        register(executor, name, holder.run)

    ActionExecutor.register_function = register_function
    json_response = sanic.response.json

    def sized_json(*args: Any, **kwargs: Any) -> Any:
        out = json_response(*args, **kwargs)
        LAST_RESPONSE_BYTES[0] = len(out.body or b"")
        return out

    sanic.response.json = sized_json
    timed(retrieval.engine, "parse_query", "search: query parsing")
    timed(SearchEngine, "search_detailed", "search: other (filters, candidates, why)")
    timed(SearchEngine, "_ranked", "search: fusion + ranking")
    timed(DenseIndex, "search", "search: FAISS")
    timed(BM25Index, "scores", "search: BM25")
    timed(ModelPhraser, "phrase", "phraser: other (plan, values, lexicalise)")
    timed(PhraserModel, "sample", "phraser: GPT-2 sampling")
    timed(nlg.guard, "check", "phraser: grounding guard")
    timed(nlg.guard, "ungrounded", "phraser: grounding guard")
    timed(TemplatePhraser, "template_reply", "templates")
    timed(actions.replies.pipeline, "template_text", "templates")
    create = actions.server.create_app
    actions.server.create_app = functools.wraps(create)(lambda *a, **k: add_profile_routes(create(*a, **k)))


def serve(kind: str, argv: List[str]) -> None:
    """Run ``rasa <argv>`` or ``python -m actions.server <argv>`` with the stage timers in place."""
    sys.path.insert(0, str(REPO))
    if kind == "rasa":
        hook_rasa()
        from rasa.__main__ import main as rasa_main

        sys.argv = ["rasa", *argv]
        rasa_main()
    else:
        hook_actions()
        import actions.server

        actions.server.main(argv)


# -- the driver ------------------------------------------------------------------------------
def profiled_stack(workdir: Path, model: Path, nlg: str) -> Any:
    from support.stack import DialogueStack

    class ProfiledStack(DialogueStack):
        """The test suite's stack, with Rasa and the action server started through ``serve``."""

        def _popen(self, name: str, cmd: List[str], url: str, what: str, timeout: float) -> None:
            import subprocess

            log = self.workdir / "logs" / f"{name}.log"
            self.procs[name] = subprocess.Popen([sys.executable, str(THIS), "serve", name, *cmd], cwd=REPO,
                                                env=self.env, stdout=open(log, "a"), stderr=subprocess.STDOUT,
                                                start_new_session=True)
            self.stack.wait_http(url, self.procs[name], what, log, timeout)

        def start_actions(self) -> None:
            port = self.settings.action_port
            self._popen("actions", ["--host", "127.0.0.1", "--port", str(port)],
                        f"http://127.0.0.1:{port}/health", "action server", 600)

        def start_rasa(self) -> None:
            s = self.settings
            cmd = self.stack.rasa_command(s, self.model, self.stack.effective_credentials(s, self.env))
            self._popen("rasa", cmd[1:], self.stack.status_url(s), "Rasa server", 400)

        def profile_url(self, name: str) -> str:
            return f"{self.rasa_url}/_profile" if name == "rasa" else f"http://127.0.0.1:{self.settings.action_port}/_profile"

    return ProfiledStack(workdir, model, prefix="profile", nlg=nlg)


def converse(stack: Any, script: List, walls: List[float]) -> None:
    sender = f"profile-{uuid.uuid4().hex[:10]}"
    for _, text in script:
        t0 = time.perf_counter()
        replies = stack.send(sender, text, timeout=60, phrased=True)  # the stack's own reply mode
        walls.append((time.perf_counter() - t0) * 1000)
        if not replies:
            raise RuntimeError(f"no reply to {text!r}")


def talks(n: int, varied: bool, seed: int) -> List[List]:
    """``n`` conversations: drawn by scripts/shoppers.py from the demo catalog, or bench_dialogue's fixed one."""
    import random

    from bench_dialogue import SCRIPT
    from shoppers import conversation, load_catalog

    if not varied:
        return [SCRIPT] * n
    catalog, rng = load_catalog(REPO / "data" / "generated" / "demo_catalog.jsonl"), random.Random(seed)
    return [conversation(rng, catalog) for _ in range(n)]


def profile_mode(model: Path, mode: str, conversations: int, warmup: int, varied: bool) -> Dict[str, Any]:
    import psutil
    from tqdm import tqdm

    from support.stack import load_stack_module

    http_json = load_stack_module().http_json
    with tempfile.TemporaryDirectory(prefix="profile-turn-") as tmp:
        stack = profiled_stack(Path(tmp), model, mode)
        print(f">> [{mode}] starting Redis, action server and Rasa (profiled) on free loopback ports", flush=True)
        stack.start()
        try:
            for talk in tqdm(talks(warmup, varied, 1), desc=f"[{mode}] warm-up", unit="conversation"):
                converse(stack, talk, [])
            redis_proc = psutil.Process(stack.redis.proc.pid)
            for name in ("rasa", "actions"):
                http_json(stack.profile_url(name) + "/reset", {})
            redis_cpu0, load0 = sum(redis_proc.cpu_times()[:2]), os.getloadavg()
            walls: List[float] = []
            for talk in tqdm(talks(conversations, varied, 2), desc=f"[{mode}] profiled", unit="conversation"):
                converse(stack, talk, walls)
            redis_cpu = sum(redis_proc.cpu_times()[:2]) - redis_cpu0
            snaps = {name: http_json(stack.profile_url(name), timeout=30) for name in ("rasa", "actions")}
            load1 = os.getloadavg()
        finally:
            stack.close()
    turns = len(walls)
    processes = {RASA: snaps["rasa"], ACTIONS: snaps["actions"], REDIS: {"cpu_s": redis_cpu}}
    redis_cmds = {k.removeprefix("redis "): round(v["calls"] / turns, 2) for snap in snaps.values()
                  for k, v in sorted(snap["tallies"].items()) if k.startswith("redis ")}
    return {
        "turns": turns,
        "conversations": conversations,
        "turn_wall_ms": {"mean": statistics.mean(walls), "p50": pct(walls, 0.5), "p95": pct(walls, 0.95)},
        "load_average": {"start": load0, "end": load1},
        "rows": stage_rows(processes, turns),
        "actions": action_rows(snaps["rasa"]["tallies"], {k: v for k, v in snaps["actions"]["tallies"].items()
                                                          if not k.startswith("redis ")}, turns),
        "redis_commands_per_turn": redis_cmds,
        "processes": processes,
        "threads_ms_per_turn": {proc: thread_split(snaps[name]["threads_cpu_s"], turns)
                                for proc, name in ((RASA, "rasa"), (ACTIONS, "actions"))},
    }


def thread_split(threads: Dict[str, float], turns: int) -> Dict[str, Any]:
    """The main thread's CPU ms per turn and the other threads' (that used any CPU), summed."""
    others = [v for k, v in threads.items() if k != "main" and v > 0]
    return {"main": threads.get("main", 0.0) * 1000 / turns, "other": sum(others) * 1000 / turns, "others": len(others)}


def machine() -> Dict[str, Any]:
    import platform

    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu": cpu, "platform": platform.platform(), "python": platform.python_version()}


def rasa_caches() -> Dict[str, int]:
    """The NLU and TED cache sizes the profiled Rasa ran with (``SHOPGUIDE_NLU_CACHE_SIZE`` / ``_TED_``)."""
    from config.settings import get_settings

    d = get_settings().dialogue
    return {"SHOPGUIDE_NLU_CACHE_SIZE": d.nlu_cache_size, "SHOPGUIDE_TED_CACHE_SIZE": d.ted_cache_size}


def write_md(result: Dict[str, Any], path: Path) -> None:
    m = result["machine"]
    lines = ["# Where a turn's time goes: `make profile-turn`", "",
             f"{m['cpus']} CPUs ({m['cpu']}), {m['platform']}, measured {result['measured_at']}. "
             + (f"Conversation (scripts/bench_dialogue.py): {' / '.join(repr(t) for t in result['script'])}, repeated. "
                if result.get("conversations") == "fixed" else
                "Conversations drawn by scripts/shoppers.py (greet, a search built from a random demo-catalog "
                "product, refine, details, compare, stock; new draws after the warm-up, as `make bench-load`). ")
             + "One turn at a time over REST; Rasa, the action server and Redis are real processes.", "",
             "Wall is inclusive (nested stages are part of it); CPU is the stage's own (nested stages "
             "subtracted, all threads of the process), so each process's CPU adds up to its total; shares "
             "are of the whole stack's CPU per turn. The machine is shared: absolute figures are noisy, "
             "shares less so.", "",
             "Caches work as under steady traffic, and the 'calls / turn' column shows how often each stage "
             "still ran: Rasa's NLU parse by text and TED's prediction by dialogue state (channels/nlu_cache.py, "
             "policy_cache.py), the engine's query vectors, and the phraser's pool of guard-passed phrasings "
             "(`SHOPGUIDE_NLG_POOL_SIZE`), so GPT-2 samples only on some turns."
             + ("" if all(result.get("rasa_caches", {}).values()) else
                f" This run had Rasa's caches sized {result.get('rasa_caches')} (0 is off).")]
    for mode, run in result["runs"].items():
        w, la = run["turn_wall_ms"], run["load_average"]
        lines += ["", f"## Replies: {mode}", "",
                  f"{run['turns']} turns ({run['conversations']} conversations after the warm-up); turn wall at the "
                  f"client mean / p50 / p95 {w['mean']:.0f} / {w['p50']:.0f} / {w['p95']:.0f} ms; load average "
                  f"{la['start'][0]:.1f} at the start, {la['end'][0]:.1f} at the end.", "",
                  "Largest own CPU: " + "; ".join(f"{r['stage']} ({r['process']}) {r['cpu_ms']:.1f} ms, {r['share']:.0%}"
                                                  for r in top_stages(run["rows"])) + ".", "",
                  markdown_table(run["rows"]), "", "Action calls (payload sizes as on the wire, uncompressed JSON):", "",
                  action_table(run["actions"]), "",
                  "Redis commands per turn: " + ", ".join(f"{k} {v:g}" for k, v in run["redis_commands_per_turn"].items())
                  + ".", "", "CPU by thread, ms per turn: " + "; ".join(
                      f"{proc}: main {t['main']:.1f}, {t['others']} other threads {t['other']:.1f}"
                      for proc, t in run["threads_ms_per_turn"].items()) + "."]
    path.write_text("\n".join(lines) + "\n")


def write_png(result: Dict[str, Any], path: Path, top: int = 16) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = result["runs"]
    fig, axes = plt.subplots(1, len(runs), figsize=(8 * len(runs), 6), squeeze=False)
    colours = {RASA: "tab:blue", ACTIONS: "tab:orange", REDIS: "tab:green"}
    for ax, (mode, run) in zip(axes[0], runs.items(), strict=True):
        rows = sorted((r for r in run["rows"] if r["kind"] in ("stage", "rest") or r["process"] == REDIS
                       and r["kind"] == "total"), key=lambda r: r["cpu_ms"])[-top:]
        ax.barh([f"{r['stage'][:48]}" for r in rows], [r["cpu_ms"] for r in rows],
                color=[colours.get(r["process"], "grey") for r in rows])
        ax.set_xlabel("CPU ms per turn (own)")
        total = next(r["cpu_ms"] for r in run["rows"] if r["kind"] == "grand")
        ax.set_title(f"replies: {mode} (stack {total:.0f} CPU ms/turn)")
        ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()], labels=list(colours),
                  loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        serve(argv[1], argv[2:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conversations", type=int, default=30, help="profiled conversations (6 turns each)")
    ap.add_argument("--warmup", type=int, default=10, help="conversations first, not counted")
    ap.add_argument("--nlg", default="gpt2", help="SHOPGUIDE_NLG reply mode(s), comma-separated: gpt2, templates")
    ap.add_argument("--fixed", action="store_true", help="bench_dialogue's one script, repeated (default: varied "
                    "conversations from scripts/shoppers.py)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "profile"), help="writes OUT.md/.json/.png")
    args = ap.parse_args(argv)
    sys.path[:0] = [str(REPO), str(REPO / "tests"), str(THIS.parent)]  # support.stack; bench_dialogue's SCRIPT
    from bench_dialogue import SCRIPT

    from support.stack import first_model_or_train

    model = first_model_or_train()
    t0 = time.time()
    runs = {mode.strip(): profile_mode(model, mode.strip(), args.conversations, args.warmup, not args.fixed)
            for mode in args.nlg.split(",") if mode.strip()}
    result = {"machine": machine(), "measured_at": time.strftime("%Y-%m-%d %H:%M"), "seconds": round(time.time() - t0),
              "script": [t for _, t in SCRIPT], "conversations": "fixed" if args.fixed else "varied", "runs": runs,
              "rasa_caches": rasa_caches()}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{out}.json").write_text(json.dumps(result, indent=2))
    write_md(result, Path(f"{out}.md"))
    write_png(result, Path(f"{out}.png"))
    print(Path(f"{out}.md").read_text())
    print(f">> wrote {out}.md, {out}.json, {out}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
