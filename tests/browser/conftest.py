"""Browser tests: the real stack (Redis + action server + `rasa run` with the web pages) on
free loopback ports, driven by Debian's Chromium through playwright-core (web/node_modules).

Each scenario is a node script here (``*_scenario.cjs``) that prints ``RESULT {json}``;
the tests assert on that JSON against the catalog. Screenshots go to a temp folder, or
to ``$SHOPGUIDE_SCREENSHOTS_DIR`` (``make screenshots`` sets it to docs/img).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))


from browser_env import VENDOR, browser_missing  # noqa: E402


@pytest.fixture(scope="session")
def web_stack(stack):
    """The run's one stack (tests/conftest.py), which serves the pages too."""
    if not (VENDOR / "socket.io.min.js").exists() or not (VENDOR / "qrcode.js").exists():
        pytest.fail("web/static/vendor is missing: run `make web-assets` (npm ci in web/ + copy of the browser libraries)")
    return stack


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory) -> Path:
    d = os.environ.get("SHOPGUIDE_SCREENSHOTS_DIR")
    return Path(d).resolve() if d else tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="session")
def browser_ready() -> None:
    why = browser_missing()
    if why:
        pytest.skip(why)


@pytest.fixture(scope="session")
def run_scenario(browser_ready, web_stack, shots_dir):
    """``run_scenario("chat_scenario.cjs", {...}) -> dict`` (fails with the script's output on error)."""

    def run(script: str, args: Dict[str, Any], timeout_s: int = 240) -> Dict[str, Any]:
        payload = dict(args, base=web_stack.rasa_url, shots=str(shots_dir), timeout_s=timeout_s - 10)
        t0 = time.perf_counter()
        proc = subprocess.run(["node", str(HERE / script), json.dumps(payload)], cwd=REPO, capture_output=True,
                              text=True, timeout=timeout_s)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        result = json.loads(lines[-1][len("RESULT "):]) if lines else {}
        if proc.returncode != 0 or not lines or "error" in result:
            raise AssertionError(
                f"{script} failed (exit {proc.returncode}) after {time.perf_counter() - t0:.1f}s:\n"
                f"{json.dumps(result, indent=1)[:6000]}\nstderr:\n{proc.stderr[-3000:]}\n"
                f"Rasa log: {web_stack.workdir / 'logs' / 'rasa.log'}")
        result["wall_s"] = round(time.perf_counter() - t0, 1)
        page_errors = [e for e in result.get("errors", []) if e.startswith("pageerror")]
        assert not page_errors, page_errors
        return result

    return run
