"""`make profile-turn`'s pure parts (scripts/profile_turn.py): the stage timer and the tables, no servers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("profile_turn", REPO / "scripts" / "profile_turn.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["profile_turn"] = mod
    spec.loader.exec_module(mod)
    return mod


pt = _load()


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def timer():
    wall, cpu = Clock(), Clock()
    return pt.StageTimer(wall=wall, cpu=cpu), wall, cpu


def test_nested_stages_own_cpu_excludes_children_and_wall_is_inclusive():
    t, wall, cpu = timer()
    outer = t.start("action")
    wall.t, cpu.t = 1.0, 0.5
    inner = t.start("encode")
    wall.t, cpu.t = 3.0, 2.5
    t.stop(inner)
    wall.t, cpu.t = 4.0, 3.0
    t.stop(outer)
    s = t.snapshot()
    assert s["stages"]["encode"] == {"calls": 1, "wall_s": 2.0, "cpu_s": 2.0, "self_cpu_s": 2.0}
    assert s["stages"]["action"] == {"calls": 1, "wall_s": 4.0, "cpu_s": 3.0, "self_cpu_s": 1.0}
    assert s["cpu_s"] == 3.0 and s["wall_s"] == 4.0


def test_stops_out_of_order_and_after_reset_do_not_corrupt():
    t, wall, cpu = timer()
    a = t.start("a")
    b = t.start("b")
    cpu.t = 1.0
    t.stop(a)  # another thread's frame ends first
    t.stop(b)
    assert t.open == [] and t.stages["a"][0] == 1 and t.stages["b"][0] == 1
    c = t.start("c")
    t.reset()
    t.stop(c)  # opened before the reset: not counted
    assert t.stages == {}


def test_tally_adds_up():
    t, _, _ = timer()
    t.tally("search", calls=1, bytes_in=100)
    t.tally("search", calls=1, bytes_in=50)
    assert t.tallies == {"search": {"calls": 2, "bytes_in": 150}}


def test_rows_add_up_to_the_process_and_stack_totals():
    rasa = {"cpu_s": 2.0, "wall_s": 5.0, "stages": {
        "NLU: DIETClassifier": {"calls": 10, "wall_s": 1.0, "cpu_s": 0.9, "self_cpu_s": 0.9},
        "tracker save": {"calls": 10, "wall_s": 0.5, "cpu_s": 0.5, "self_cpu_s": 0.5},
        "tiny": {"calls": 20, "wall_s": 0.001, "cpu_s": 0.001, "self_cpu_s": 0.001},
    }}
    redis = {"cpu_s": 0.5}
    rows = pt.stage_rows({"Rasa": rasa, "Redis server": redis}, turns=10)
    by = {r["stage"]: r for r in rows}
    assert [r["stage"] for r in rows if r["kind"] == "stage"] == ["NLU: DIETClassifier", "tracker save"]
    assert by["NLU: DIETClassifier"]["cpu_ms"] == pytest.approx(90.0)
    assert by["NLU: DIETClassifier"]["calls"] == pytest.approx(1.0)
    assert by["NLU: DIETClassifier"]["share"] == pytest.approx(0.9 / 2.5)
    folded = next(r for r in rows if r["kind"] == "folded")
    assert folded["cpu_ms"] == pytest.approx(0.1) and folded["stage"].startswith("1 smaller")
    rest = next(r for r in rows if r["kind"] == "rest" and r["process"] == "Rasa")
    assert rest["cpu_ms"] == pytest.approx((2.0 - 1.401) * 100)
    proc = [r for r in rows if r["process"] == "Rasa" and r["kind"] != "total"]
    assert sum(r["cpu_ms"] for r in proc) == pytest.approx(200.0)
    assert by["stack total (CPU per turn)"]["cpu_ms"] == pytest.approx(250.0)
    assert by["Redis server total"]["share"] == pytest.approx(0.2)
    assert not any(r["kind"] == "rest" and r["process"] == "Redis server" for r in rows)


def test_tables_render():
    rows = pt.stage_rows({"Rasa": {"cpu_s": 1.0, "wall_s": 2.0, "stages": {
        "policies: TEDPolicy": {"calls": 4, "wall_s": 0.4, "cpu_s": 0.3, "self_cpu_s": 0.3}}}}, turns=2)
    md = pt.markdown_table(rows)
    assert md.splitlines()[0].startswith("| process | stage |")
    assert "| Rasa | policies: TEDPolicy | 2.00 | 200.0 | 150.0 | 30.0% |" in md
    assert "|  | **stack total (CPU per turn)** |  |  | **500.0** | **100.0%** |" in md
    acts = pt.action_rows({"action_search": {"calls": 2, "wall_s": 0.2}},
                          {"action_search": {"calls": 2, "cpu_s": 0.1, "bytes_in": 20480, "bytes_out": 2048}}, turns=4)
    assert acts == [{"action": "action_search", "calls": 0.5, "rasa_wall_ms": pytest.approx(100.0),
                     "server_cpu_ms": pytest.approx(50.0), "request_kb": 10.0, "response_kb": 1.0}]
    assert "| action_search | 0.50 | 100.0 | 50.0 | 10.0 | 1.0 |" in pt.action_table(acts)


def test_top_stages_across_processes():
    rows = pt.stage_rows({"Rasa": {"cpu_s": 1.0, "stages": {"a": {"calls": 1, "wall_s": 0.1, "cpu_s": 0.1, "self_cpu_s": 0.1}}},
                          "action server": {"cpu_s": 1.0, "stages": {
                              "b": {"calls": 1, "wall_s": 0.3, "cpu_s": 0.3, "self_cpu_s": 0.3},
                              "c": {"calls": 1, "wall_s": 0.2, "cpu_s": 0.2, "self_cpu_s": 0.2}}}}, turns=1)
    assert [r["stage"] for r in pt.top_stages(rows, 2)] == ["b", "c"]
