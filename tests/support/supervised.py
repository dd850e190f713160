"""The stack exactly as `make run` starts it (``scripts/stack.py run``: tokens, CORS, rate limits, the
supervisor), on free loopback ports with its own run dir, for the security and fault tests.

``kill9(name)`` kills one of its processes the hard way (pid from ``<run_dir>/<name>.pid``); the
launcher's supervisor brings it back. Nothing here restarts anything itself.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from support.redis_process import free_port
from support.stack import REPO, TEMPLATES


class SupervisedStack:
    def __init__(self, workdir: Path, staff_pin: str, extra_env: Optional[Dict[str, str]] = None):
        self.workdir = Path(workdir)
        self.rasa_port, self.action_port, self.redis_port = free_port(), free_port(), free_port()
        self.staff_pin = staff_pin
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("SHOPGUIDE_") and k not in ("REDIS_URL", "TICKET_LOCK_LIFETIME")}
        self.env.update({
            "SHOPGUIDE_RUN_DIR": str(self.workdir), "SHOPGUIDE_RASA_PORT": str(self.rasa_port),
            "SHOPGUIDE_ACTION_PORT": str(self.action_port), "SHOPGUIDE_REDIS_PORT": str(self.redis_port),
            "SHOPGUIDE_REDIS_PREFIX": "guarded", "SHOPGUIDE_KIOSK_STAFF_PIN": staff_pin,
            "SHOPGUIDE_CATALOG": "demo", "RASA_TELEMETRY_ENABLED": "false",
        })
        self.env.update(extra_env or {})
        self.proc: Optional[subprocess.Popen] = None
        self.log = self.workdir / "launcher.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def api_token(self) -> str:
        return (self.workdir / "api-token").read_text().strip()

    def start(self, timeout: float = 600) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "stack.py"), "run", "--no-setup"],
                                         cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.time() + timeout
        while "stack ready" not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the launcher did not start the stack; its log:\n{self.log.read_text()[-3000:]}")
            time.sleep(1)
        while "Stop:" not in self.log.read_text(errors="replace"):  # demo orders seeded, URLs printed
            time.sleep(0.5)

    def close(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        for name in ("rasa", "actions", "redis"):  # children live in their own sessions
            pid = self.pid(name)
            if pid:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass

    def pid(self, name: str) -> Optional[int]:
        try:
            return int((self.workdir / f"{name}.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def kill9(self, name: str) -> int:
        pid = self.pid(name)
        assert pid, f"no pid file for {name}"
        os.kill(pid, signal.SIGKILL)
        return pid

    def launcher_log(self) -> str:
        return self.log.read_text(errors="replace")

    # -- HTTP --------------------------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
                raw: Optional[bytes] = None, timeout: float = 60) -> Tuple[int, Dict[str, str], bytes]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - loopback
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def send(self, sender: str, message: str, timeout: float = 60) -> List[Dict[str, Any]]:
        status, _, body = self.request("POST", "/webhooks/rest/webhook",
                                       {"sender": sender, "message": message, "metadata": TEMPLATES}, timeout=timeout)
        if status != 200:
            raise urllib.error.HTTPError(self.url, status, body.decode(errors="replace"), None, None)  # type: ignore[arg-type]
        return json.loads(body)

    def tracker(self, sender: str) -> Dict[str, Any]:
        status, _, body = self.request("GET", f"/conversations/{sender}/tracker?token={self.api_token}")
        assert status == 200, body[:300]
        return json.loads(body)
