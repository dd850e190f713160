"""An installed wheel carries every package the servers import (config and channels included)."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("config", "channels", "retrieval", "actions", "shopper", "nlg")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out), str(REPO)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (path,) = out.glob("shopguide-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_holds_every_package(wheel):
    names = set(wheel.namelist())
    for pkg in PACKAGES:
        assert f"{pkg}/__init__.py" in names, pkg
    for module in ("config/settings.py", "channels/rasa_plugins.py", "channels/render.py", "actions/server.py",
                   "actions/replies/pipeline.py", "retrieval/memory.py", "retrieval/topicality.py", "shopper/store.py"):
        assert module in names, module


def test_nothing_from_tests_or_scripts_is_packaged(wheel):
    assert not [n for n in wheel.namelist() if n.startswith(("tests/", "scripts/", "support/"))]
