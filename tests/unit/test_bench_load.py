"""The pure parts of `make bench-load`: the varied conversations (scripts/shoppers.py), CPU counted once per
process, and the report."""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def load(name: str):
    sys.path.insert(0, str(REPO / "scripts"))
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def shoppers():
    return load("shoppers")


@pytest.fixture(scope="module")
def bench():
    return load("bench_load")


def test_a_conversation_has_the_scripts_shape_and_the_same_seed_draws_the_same(shoppers, bench):
    a = [shoppers.conversation(random.Random(7)) for _ in range(3)]
    assert a == [shoppers.conversation(random.Random(7)) for _ in range(3)]
    assert [kind for kind, _ in a[0]] == [kind for kind, _ in bench.SCRIPT]


def test_search_texts_are_nearly_all_new_and_follow_ups_repeat(shoppers):
    rng = random.Random(3)
    talks = [shoppers.conversation(rng) for _ in range(300)]
    searches = [t[1][1] for t in talks]
    compares = [t[4][1] for t in talks]
    assert len(set(searches)) > 0.8 * len(searches)
    assert len(set(compares)) <= len(shoppers.COMPARES)
    assert all(text.strip() and "{" not in text for t in talks for _, text in t)


def test_children_leave_out_the_named_processes_and_theirs(bench):
    # a shell (named) whose child sleeps: counted under the shell, not under this process
    shell = subprocess.Popen(["sh", "-c", "sleep 30 & wait"])
    try:
        for _ in range(50):
            if bench.children(shell.pid):
                break
            subprocess.run(["sleep", "0.05"])
        me = os.getpid()
        assert shell.pid in bench.children(me)
        assert bench.children(shell.pid)
        assert not set(bench.children(me, stop={shell.pid})) & ({shell.pid} | set(bench.children(shell.pid)))
    finally:
        shell.kill()
        shell.wait()


def test_the_report_shows_each_run_and_the_ratios(bench, tmp_path):
    def level(n, tps, cpu):
        return {"shoppers": n, "turns": 100, "turns_per_s": tps, "p50_ms": 100, "p95_ms": 200, "p99_ms": 300,
                "errors": 0, "empty": 0, "cpu_ms_per_turn": {"rasa": cpu}, "cpu_ms_per_turn_total": cpu,
                "repeated_text_share": 0.25}

    runs = [{"name": "baseline x", "replicas": 1, "levels": [level(20, 6.0, 250)], "saturation_turns_per_s": 6.0},
            {"name": "this tree", "replicas": 2, "levels": [level(20, 18.0, 80)], "saturation_turns_per_s": 18.0,
             "ordering": {"ok": True, "summary": "50 senders x 5 messages: 0 problem(s)", "problems": []}}]
    result = {"runs": runs, "head": "abc", "levels": [20], "seconds_per_level": 40, "conversations": "varied",
              "machine": {"cpus": 2, "platform": "Linux"}, "measured_at": "now", "bench_seconds": 1,
              "ratios": {"this tree x2": {"saturation": 3.0, "cpu_per_turn_at_20": 0.32}}}
    bench.write_md(result, tmp_path / "load.md")
    text = (tmp_path / "load.md").read_text()
    assert "| this tree | 2 | 20 | 18.0 | 100 | 200 | 300 | 0 | 0 | 80 | 25% |" in text
    assert "saturation **3.0x**" in text and "Ordering check (2 replicas): passed" in text
    assert "varied: scripts/shoppers.py" in text
