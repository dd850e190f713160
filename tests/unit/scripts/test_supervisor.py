"""The launcher's supervisor: a crashed child comes back, with growing waits while it keeps crashing."""
from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("shopguide_supervisor", REPO / "scripts" / "supervisor.py")
sup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sup)


class Proc:
    pid_seq = 100

    def __init__(self):
        Proc.pid_seq += 1
        self.pid = Proc.pid_seq
        self.code = None

    def poll(self):
        return self.code


class Clock:
    t = 0.0

    def __call__(self):
        return self.t


def make(ready=lambda name: True):
    clock, logs, started = Clock(), [], []

    def restart(name, old):
        started.append(name)
        return Proc()

    procs = {"redis": Proc(), "actions": Proc()}
    s = sup.Supervisor(procs, restart=restart, ready=ready, log=logs.append, clock=clock)
    return s, procs, clock, logs, started


def test_a_crashed_child_is_restarted_after_a_second_and_reported_back():
    s, procs, clock, logs, started = make()
    procs["redis"].code = -9
    s.tick()
    assert started == [] and "redis exited unexpectedly (code -9); restarting it in 1s" in logs[-1]
    clock.t = 0.5
    s.tick()
    assert started == []
    clock.t = 1.0
    s.tick()
    assert started == ["redis"] and procs["redis"].code is None and logs[-1].startswith("restarted redis")
    clock.t = 1.5
    s.tick()
    assert logs[-1] == "redis is back, 1.5s after it went down"
    assert procs["actions"].code is None and s.restarts == 1


def test_waits_grow_while_it_keeps_crashing_and_reset_once_it_stays_up():
    s, procs, clock, logs, started = make()
    waits = []
    for _ in range(8):
        procs["actions"].code = 1
        s.tick()
        waits.append(s.due["actions"] - clock.t)
        clock.t = s.due["actions"]
        s.tick()
    assert waits == [1, 2, 4, 8, 15, 30, 30, 30]
    assert started == ["actions"] * 8
    clock.t += sup.STABLE_S  # up for a minute: the next crash is a first one again
    s.tick()
    procs["actions"].code = 1
    s.tick()
    assert s.due["actions"] - clock.t == 1


def test_not_back_until_it_answers():
    answering = {"ok": False}
    s, procs, clock, logs, started = make(ready=lambda name: answering["ok"])
    procs["actions"].code = -9
    s.tick()
    clock.t = 1
    s.tick()
    clock.t = 20
    s.tick()
    assert not any("is back" in line for line in logs)
    answering["ok"] = True
    clock.t = 21
    s.tick()
    assert logs[-1] == "actions is back, 21.0s after it went down"


def test_a_failed_restart_is_tried_again_later():
    s, procs, clock, logs, started = make()
    calls = []

    def broken(name, old):
        calls.append(name)
        raise OSError("port in use")

    s.restart_fn = broken
    procs["redis"].code = -9
    s.tick()
    clock.t = 1
    s.tick()
    assert calls == ["redis"] and "restarting redis failed (OSError: port in use); next try in 2s" == logs[-1]
    clock.t = 3
    s.tick()
    assert calls == ["redis", "redis"]
