"""Redis unreachable at start: a clear error naming REDIS_URL (launcher and Rasa itself)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.redis_process import free_port

REPO = Path(__file__).resolve().parents[2]


def test_launcher_refuses_an_unreachable_redis_url(tmp_path):
    port = free_port()
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{port}/0", SHOPGUIDE_RUN_DIR=str(tmp_path))
    r = subprocess.run([sys.executable, "scripts/stack.py", "run", "--no-setup"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert f"REDIS_URL=redis://127.0.0.1:{port}/0 is unreachable" in r.stderr


@pytest.mark.slow
def test_rasa_itself_refuses_to_start_without_redis(tmp_path):
    """No silent fall back to an in-memory tracker store: `rasa run` exits naming REDIS_URL."""
    from support.stack import first_model_or_train

    model = first_model_or_train()
    port = free_port()
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{port}/0", SHOPGUIDE_REDIS_PREFIX="x",
               SHOPGUIDE_ACTION_URL=f"http://127.0.0.1:{free_port()}/webhook", SHOPGUIDE_ACTION_TOKEN="t",
               RASA_TELEMETRY_ENABLED="false")
    from support.stack import load_stack_module

    stack = load_stack_module()  # the credentials `make run` uses: channels with unset ${VARS} left out
    creds = stack.effective_credentials(stack.DialogueSettings(run_dir=tmp_path), env)
    r = subprocess.run([str(Path(sys.executable).parent / "rasa"), "run", "--model", str(model),
                        "--endpoints", "bot/endpoints.yml", "--credentials", str(creds),
                        "--port", str(free_port()), "--interface", "127.0.0.1"],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert "Redis is unreachable" in out and "REDIS_URL" in out
