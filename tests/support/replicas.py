"""The stack as `make run REPLICAS=2` starts it (``scripts/stack.py run`` with ``SHOPGUIDE_REPLICAS``):
real nginx on the Rasa port in front of ``rasa-1``/``rasa-2`` on the next two ports, each with its own
action server (``actions-1``/``actions-2``), one real Redis, all under the launcher's supervisor.

Ports come as one free block (nginx + N Rasa, N action servers are consecutive). The launcher's
pid files say which process is which, so a test can ``kill9("rasa-1")``; nginx's access log
(``served_by``) says which replica answered each request.
"""
from __future__ import annotations

import importlib.util
import os
import random
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from support.stack import NO_RATE_LIMITS, REPO
from support.supervised import SupervisedStack


def free_block(n: int, tries: int = 200) -> int:
    """The first of ``n`` consecutive ports free on 127.0.0.1 right now."""
    for _ in range(tries):
        base = random.randint(20000, 60000 - n)
        socks: List[socket.socket] = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {n} consecutive free ports")


def load_ordering_check() -> Any:
    """``scripts/ordering_check.py`` (the check the load benchmark runs too) as a module."""
    spec = importlib.util.spec_from_file_location("shopguide_ordering_check", REPO / "scripts" / "ordering_check.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = mod  # its dataclass looks its module up
    spec.loader.exec_module(mod)
    return mod


class ReplicaStack(SupervisedStack):
    def __init__(self, workdir: Path, staff_pin: str, replicas: int = 2, extra_env: Optional[Dict[str, str]] = None):
        env = {"SHOPGUIDE_REPLICAS": str(replicas), "SHOPGUIDE_NLG": "templates", **NO_RATE_LIMITS, **(extra_env or {})}
        super().__init__(workdir, staff_pin, env)
        self.replicas = replicas
        self.rasa_port = free_block(replicas + 1)  # nginx, then the Rasa replicas
        self.action_port = free_block(replicas)
        self.env.update({"SHOPGUIDE_RASA_PORT": str(self.rasa_port), "SHOPGUIDE_ACTION_PORT": str(self.action_port)})

    def replica_url(self, i: int) -> str:
        """Replica ``i``'s own Rasa server (1-based), bypassing nginx."""
        return f"http://127.0.0.1:{self.rasa_port + i}"

    def replica_addr(self, i: int) -> str:
        return f"127.0.0.1:{self.rasa_port + i}"

    def close(self) -> None:
        super().close()
        names = ["nginx"] + [f"{k}-{i}" for i in range(1, self.replicas + 1) for k in ("rasa", "actions")]
        for name in names:  # started by the launcher in their own sessions
            pid = self.pid(name)
            if pid:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass

    def access_log(self) -> List[str]:
        path = self.workdir / "nginx" / "access.log"
        return path.read_text(errors="replace").splitlines() if path.exists() else []

    def served_by(self, since: int = 0, uri: str = "/webhooks/rest/webhook", at_least: int = 1) -> List[str]:
        """The upstream field (``127.0.0.1:port``, or several after a retry) of each request to ``uri``
        logged after line ``since`` of the access log. nginx writes a request's line after it has sent the
        response, so a client can read the log first: wait up to 5 s for ``at_least`` lines."""
        deadline = time.monotonic() + 5
        while True:
            out = []
            for line in self.access_log()[since:]:
                parts = line.split()
                if len(parts) > 3 and parts[2] == uri:
                    out.append(line.split("upstream=", 1)[1].split(" upstream_status=", 1)[0])
            if len(out) >= at_least or time.monotonic() > deadline:
                return out
            time.sleep(0.05)
