"""nginx in front of the Rasa replicas: the config rendered from ``deploy/nginx/shopguide.conf.template``.

    python scripts/nginx.py --compose      # rewrite deploy/nginx/compose.conf (docker-compose's nginx)
    python scripts/nginx.py --check FILE   # nginx -t on a rendered config

``scripts/stack.py run --replicas N`` calls :func:`write_config` (config, pid, logs and temp files
under ``<run_dir>/nginx/``) and runs :func:`nginx_command` under its supervisor. See docs/replicas.md.
"""
from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "deploy" / "nginx" / "shopguide.conf.template"
COMPOSE_CONF = REPO / "deploy" / "nginx" / "compose.conf"
PLACEHOLDER = re.compile(r"\{\{ *([a-z_]+) *\}\}")
MAX_FAILS = 1
FAIL_TIMEOUT = "10s"
# Debian's package; `make nginx` installs it
INSTALL_HINT = "install Debian's nginx with `make nginx` (apt-get install nginx)"


class NginxError(RuntimeError):
    """nginx is missing or its config does not render."""


def render(servers: Sequence[str], listen: str, run_dir: Optional[Path] = None, max_body_bytes: int = 64 * 1024,
           template: Optional[str] = None, user: Optional[str] = None) -> str:
    """The nginx config for ``servers`` (``host:port`` of each Rasa replica) listening on ``listen``.

    ``run_dir``: pid, logs and temp files there (``make run``); None: logs to stdout/stderr, the rest
    under /tmp (a container). ``user``: the ``user`` directive (only when nginx starts as root).
    """
    if not servers:
        raise NginxError("nginx needs at least one Rasa server")
    text = TEMPLATE.read_text() if template is None else template
    if run_dir is None:
        files = {"pid_file": "/tmp/nginx.pid", "error_log": "stderr", "access_log": "/dev/stdout", "temp_dir": "/tmp"}
    else:
        d = Path(run_dir)
        if any(c in str(d) for c in '"\\\n$'):
            raise NginxError(f"nginx can't use a run directory whose path holds a quote, backslash, $ or newline: {d}")
        files = {"pid_file": str(d / "nginx.pid"), "error_log": str(d / "error.log"),
                 "access_log": str(d / "access.log"), "temp_dir": str(d / "temp")}
    values: Dict[str, str] = {
        **files,
        "user": f"user {user};" if user else "",
        "listen": listen,
        "servers": "\n".join(
            f"        server {s} max_fails={MAX_FAILS} fail_timeout={FAIL_TIMEOUT};" for s in servers
        ),
        "max_fails": str(MAX_FAILS),
        "fail_timeout": FAIL_TIMEOUT,
        "client_max_body": f"{max(1, -(-4 * max_body_bytes // 1024))}k",
        "connect_timeout": "2s",
        "read_timeout": "120s",
    }

    def fill(m: re.Match) -> str:
        if m.group(1) not in values:
            raise NginxError(f"{TEMPLATE.name}: unknown placeholder {m.group(0)}")
        return values[m.group(1)]

    return PLACEHOLDER.sub(fill, text)


def write_config(run_dir: Path, servers: Sequence[str], listen: str, max_body_bytes: int = 64 * 1024) -> Path:
    """Render into ``<run_dir>/nginx/nginx.conf`` (with its temp dir); returns the file."""
    d = Path(run_dir) / "nginx"
    (d / "temp").mkdir(parents=True, exist_ok=True)
    user = pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None  # workers stay this user
    conf = d / "nginx.conf"
    conf.write_text(render(servers, listen, d, max_body_bytes, user=user))
    return conf


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if not found:
        raise NginxError(f"no nginx found: {INSTALL_HINT}")
    return found


def nginx_command(conf: Path, binary: Optional[str] = None) -> List[str]:
    """nginx in the foreground (so the supervisor sees it exit) with ``conf``, its files beside it."""
    d = Path(conf).parent
    return [binary or nginx_binary(), "-p", str(d), "-c", str(conf), "-e", str(d / "error.log"), "-g", "daemon off;"]


def check(conf: Path) -> None:
    """``nginx -t``: raises with nginx's message when the config is wrong."""
    cmd = nginx_command(conf)[:-2] + ["-t", "-q"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise NginxError(f"nginx -t {conf}: {out.stderr.strip()}")


def compose_config() -> str:
    """docker-compose's nginx: every container of the ``rasa`` service (Docker's DNS gives nginx all of
    them when it starts; restart nginx after scaling), logs to the container's output."""
    return render(["rasa:5005"], "8080")


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/nginx.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--compose", action="store_true", help=f"rewrite {COMPOSE_CONF.relative_to(REPO)}")
    ap.add_argument("--check", type=Path, help="nginx -t on this rendered config")
    args = ap.parse_args(argv)
    try:
        if args.compose:
            COMPOSE_CONF.write_text(compose_config())
            print(COMPOSE_CONF)
        if args.check:
            check(args.check)
            print(f"{args.check}: ok")
    except NginxError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
