"""The real dialogue stack on loopback for the tests: Redis + action server + `rasa run`, once per run.

Every process is real (no fakes); ports are free ones, so a developer's `make run`
on the default ports is not disturbed. Rasa and the action server can be
stopped and started again on the same ports (restart test), and so can Redis,
whose append-only file keeps the data (outage test).

The stack serves as `make run` does: the trained GPT-2 phraser writes replies. A test
that checks exact wording asks for the templates in its messages' metadata
(``{"replies": "templates"}``, what :meth:`DialogueStack.send` sends unless told
``phrased=True``), so one stack serves both kinds of test.
"""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

from support.redis_process import RedisProcess, free_port

TEMPLATES = {"replies": "templates"}  # message metadata: this turn's replies from the templates
KIOSK_STORE = "downtown"
KIOSK_IDLE_TIMEOUT_S = int(os.environ.get("SHOPGUIDE_TEST_KIOSK_IDLE_S", "8"))

REPO = Path(__file__).resolve().parents[2]
# The suite and the benchmarks send many quick turns from one address: rate limits out of their way
# (the security tests run the launcher's stack with the defaults; tests/support/supervised.py).
NO_RATE_LIMITS = {"SHOPGUIDE_SENDER_MESSAGES_PER_10S": "100000", "SHOPGUIDE_CLIENT_REQUESTS_PER_10S": "1000000"}


def load_stack_module() -> Any:
    spec = importlib.util.spec_from_file_location("shopguide_stack", REPO / "scripts" / "stack.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


class DialogueStack:
    def __init__(self, workdir: Path, model: Path, prefix: str = "itest", nlg: str = "gpt2",
                 staff_pin: Optional[str] = None, catalog: str = "demo", extra_env: Optional[Dict[str, str]] = None):
        self.stack = load_stack_module()
        self.workdir = Path(workdir)
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        self.model = model
        self.redis = RedisProcess(free_port(), self.workdir / "redis", persistent=True)
        (self.workdir / "redis").mkdir(exist_ok=True)
        self.settings = self.stack.DialogueSettings(
            rasa_port=free_port(), action_port=free_port(), redis_prefix=prefix, run_dir=self.workdir)
        self.procs: Dict[str, subprocess.Popen] = {}
        # "gpt2": the trained phraser, as `make run` serves; templates per message (``send``)
        self.nlg = nlg
        self.staff_pin = staff_pin
        self.catalog = catalog  # "demo" or a .jsonl file in the demo catalog's format
        self.extra_env = dict(extra_env or {})
        self.api_token = self.stack.api_token(self.settings)  # Rasa's HTTP API token (in workdir/api-token)

    # -- lifecycle -------------------------------------------------------------------
    @property
    def env(self) -> Dict[str, str]:
        env = self.stack.stack_env(self.settings, self.redis.url)
        env["SHOPGUIDE_CATALOG"] = self.catalog
        env["SHOPGUIDE_ACTION_PORT"] = str(self.settings.action_port)
        env["SHOPGUIDE_NLG"] = self.nlg
        env.update({"SHOPGUIDE_KIOSK_STORE": KIOSK_STORE, "SHOPGUIDE_KIOSK_IDLE_TIMEOUT_S": str(KIOSK_IDLE_TIMEOUT_S)})
        if self.staff_pin:
            env["SHOPGUIDE_KIOSK_STAFF_PIN"] = self.staff_pin
        env.pop("SHOPGUIDE_PUBLIC_BASE_URL", None)
        env.update(NO_RATE_LIMITS)
        env.update(self.extra_env)
        return env

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.rasa_port}"

    def start(self) -> None:
        if self.redis.proc is None:
            self.redis.start()
        self.start_actions()
        self.start_rasa()

    def start_actions(self) -> None:
        s, env = self.settings, self.env
        log = self.workdir / "logs" / "actions.log"
        self.procs["actions"] = subprocess.Popen(
            [sys.executable, "-m", "actions.server", "--host", "127.0.0.1", "--port", str(s.action_port)],
            cwd=REPO, env=env, stdout=open(log, "a"), stderr=subprocess.STDOUT, start_new_session=True)
        self.stack.wait_http(f"http://127.0.0.1:{s.action_port}/health", self.procs["actions"], "action server",
                             log, 600)

    def start_rasa(self) -> None:
        s, env = self.settings, self.env
        log = self.workdir / "logs" / "rasa.log"
        creds = self.stack.effective_credentials(s, env)  # bot/credentials.yml minus channels with unset ${VARS}
        cmd = self.stack.rasa_command(s, self.model, creds)  # as `make run`: API token, CORS to its own origin
        self.procs["rasa"] = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=open(log, "a"),
                                              stderr=subprocess.STDOUT, start_new_session=True)
        self.stack.wait_http(self.stack.status_url(s), self.procs["rasa"], "Rasa server", log, 400)

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def close(self) -> None:
        for name in ("rasa", "actions"):
            self.stop(name)
        self.redis.stop()

    # -- talking -----------------------------------------------------------------------
    def send(self, sender: str, message: str, timeout: float = 60, phrased: bool = False) -> List[Dict[str, Any]]:
        """One REST turn; replies from the templates unless ``phrased`` (then as `make run` answers)."""
        body: Dict[str, Any] = {"sender": sender, "message": message}
        if not phrased:
            body["metadata"] = TEMPLATES
        data = json.dumps(body).encode()
        req = urllib.request.Request(f"{self.rasa_url}/webhooks/rest/webhook", data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - loopback
            return json.loads(r.read().decode())

    def tracker(self, sender: str) -> Dict[str, Any]:
        url = f"{self.rasa_url}/conversations/{sender}/tracker?token={self.api_token}"
        with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310
            return json.loads(r.read().decode())


def texts(replies: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in replies)


def cards(replies: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out: List[Dict[str, Any]] = []
    for m in replies:
        out += (m.get("custom") or {}).get("cards", [])
    return out


def wait_until(pred, timeout: float = 30.0, every: float = 0.5) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(every)
    return False


def first_model_or_train() -> Path:
    """The trained model for the current bot/ (trained now, nice'd, if missing)."""
    return load_stack_module().ensure_model()


def no_error(fn) -> Optional[Exception]:  # noqa: ANN001
    try:
        fn()
        return None
    except (urllib.error.URLError, OSError) as e:
        return e
