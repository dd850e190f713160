"""Keep the stack's processes up: a child that exits is started again, with backoff.

``Supervisor.tick()`` is called about twice a second by ``scripts/stack.py run``:

* a child that exited is restarted after 1 s, then 2, 4, 8, 15 and 30 s if it keeps
  crashing; a child that stayed up for ``stable_s`` counts as healthy again;
* every step is logged ("redis exited (code -9); restarting it in 1s", "... is back
  after 2.3s"), so an operator sees what happened;
* a child that keeps dying is restarted for as long as the stack runs (the others go
  on serving: Rasa answers with its fallback while the action server is down).

The callbacks keep this module free of the stack's details: ``restart(name, old)``
returns the new process, ``ready(name)`` says whether it answers yet.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional, Sequence

BACKOFF_S: Sequence[float] = (1, 2, 4, 8, 15, 30)
STABLE_S = 60.0


class Supervisor:
    def __init__(
        self,
        procs: Dict[str, Any],
        restart: Callable[[str, Any], Any],
        ready: Callable[[str], bool],
        log: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        backoff_s: Sequence[float] = BACKOFF_S,
        stable_s: float = STABLE_S,
    ) -> None:
        self.procs = procs
        self.restart_fn, self.ready_fn, self.log = restart, ready, log
        self.clock, self.backoff_s, self.stable_s = clock, backoff_s, stable_s
        now = clock()
        self.started: Dict[str, float] = {name: now for name in procs}
        self.crashes: Dict[str, int] = {}  # crashes in a row (reset once a child stays up stable_s)
        self.due: Dict[str, float] = {}  # name -> when to restart it
        self.coming_back: Dict[str, float] = {}  # restarted, not answering yet -> when it died
        self.died_at: Dict[str, float] = {}
        self.restarts = 0

    def delay(self, crashes: int) -> float:
        return float(self.backoff_s[min(crashes, len(self.backoff_s)) - 1])

    def tick(self) -> None:
        now = self.clock()
        for name, proc in list(self.procs.items()):
            if name in self.due:
                if now >= self.due[name]:
                    self._restart(name, proc, now)
                continue
            code = proc.poll()
            if code is None:
                self._check_back(name, now)
                continue
            up_for = now - self.started.get(name, now)
            crashes = 1 if up_for >= self.stable_s else self.crashes.get(name, 0) + 1
            self.crashes[name] = crashes
            wait = self.delay(crashes)
            self.due[name] = now + wait
            self.died_at.setdefault(name, now)
            self.coming_back.pop(name, None)
            self.log(f"{name} exited unexpectedly (code {code}); restarting it in {wait:.0f}s (crash {crashes} in a row)")

    def _restart(self, name: str, old: Any, now: float) -> None:
        del self.due[name]
        try:
            new = self.restart_fn(name, old)
        except Exception as e:  # noqa: BLE001 - try again later, with a longer wait
            crashes = self.crashes.get(name, 0) + 1
            self.crashes[name] = crashes
            self.due[name] = now + self.delay(crashes)
            self.log(f"restarting {name} failed ({type(e).__name__}: {e}); next try in {self.delay(crashes):.0f}s")
            return
        self.procs[name] = new
        self.started[name] = now
        self.coming_back[name] = self.died_at.get(name, now)
        self.restarts += 1
        self.log(f"restarted {name} (pid {getattr(new, 'pid', '?')})")

    def _check_back(self, name: str, now: float) -> Optional[float]:
        since = self.coming_back.get(name)
        if since is None or not self.ready_fn(name):
            return None
        del self.coming_back[name]
        self.died_at.pop(name, None)
        self.log(f"{name} is back, {now - since:.1f}s after it went down")
        return now - since
