"""Constants and checks the browser tests share (kept out of conftest.py so tests can import them)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SHOPGUIDE_CHROMIUM", "/usr/bin/chromium")
NODE_MODULES = REPO / "web" / "node_modules"
VENDOR = REPO / "web" / "static" / "vendor"
from support.stack import KIOSK_IDLE_TIMEOUT_S as IDLE_TIMEOUT_S  # noqa: E402,F401 - what the run's stack serves
from support.stack import KIOSK_STORE  # noqa: E402,F401


def browser_missing() -> str:
    """Why the browser can't be driven here ('' when it can)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (`make web-install` installs Debian's chromium)"
    if not shutil.which("node"):
        return "node is not installed (Node.js >= 18 runs the playwright-core scripts)"
    for pkg in ("playwright-core", "jsqr", "axe-core"):
        if not (NODE_MODULES / pkg / "package.json").exists():
            return f"web/node_modules/{pkg} is missing (`make web-install` runs npm ci in web/)"
    return ""
