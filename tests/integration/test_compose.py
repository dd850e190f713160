"""docker-compose.yml: valid per `docker compose config` (no engine needed) and shaped as promised."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def compose_cli():
    """`docker compose` (v2 plugin) or `docker-compose` (v1), whichever works here."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


SECRETS = ("REDIS_PASSWORD", "SHOPGUIDE_API_TOKEN", "SHOPGUIDE_ACTION_TOKEN")
TOKENS = {"SHOPGUIDE_API_TOKEN": "api-t0ken", "SHOPGUIDE_ACTION_TOKEN": "act-t0ken"}


def config(env_extra=None):
    cli = compose_cli()
    if cli is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    env.update(env_extra or {})
    return subprocess.run(cli + ["-f", str(REPO / "docker-compose.yml"), "config"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)


def test_compose_config_resolves_with_secrets_from_env():
    r = config({"REDIS_PASSWORD": "s3cret", "SHOPGUIDE_CATALOG": "bigbasket", **TOKENS})
    assert r.returncode == 0, r.stderr
    cfg = yaml.safe_load(r.stdout)
    services = cfg["services"]
    assert set(services) >= {"redis", "rasa", "actions"}
    for name, svc in services.items():
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert services["actions"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["rasa"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["rasa"]["depends_on"]["actions"]["condition"] == "service_healthy"
    assert services["rasa"]["environment"]["REDIS_URL"] == "redis://:s3cret@redis:6379/0"
    assert services["actions"]["environment"]["SHOPGUIDE_CATALOG"] == "bigbasket"
    assert services["rasa"]["environment"]["SHOPGUIDE_ACTION_URL"] == "http://actions:5055/webhook"
    assert services["actions"]["environment"]["SHOPGUIDE_ACTION_TOKEN"] == "act-t0ken"
    assert services["rasa"]["environment"]["SHOPGUIDE_API_TOKEN"] == "api-t0ken"
    assert services["rasa"]["environment"]["SHOPGUIDE_CORS_ORIGINS"] == "http://localhost:5005"


def test_compose_refuses_to_run_without_the_redis_secret():
    r = config(TOKENS)
    assert r.returncode != 0 and "REDIS_PASSWORD" in (r.stderr + r.stdout)


@pytest.mark.parametrize("token", sorted(TOKENS))
def test_compose_refuses_to_run_without_each_token(token):
    r = config({"REDIS_PASSWORD": "s3cret", **{k: v for k, v in TOKENS.items() if k != token}})
    assert r.returncode != 0 and token in (r.stderr + r.stdout)


def test_compose_file_names_no_secret_literally():
    text = (REPO / "docker-compose.yml").read_text()
    assert "requirepass" in text and "${REDIS_PASSWORD:?" in text
    assert "s3cret" not in text


def test_image_copies_every_python_package_and_vendors_the_web_libraries():
    """No engine here to build it, so the Dockerfile is read: a package left out of the image
    (as nlg once was) only shows up when a container starts."""
    import re

    docker = (REPO / "docker" / "dialogue.Dockerfile").read_text()
    include = re.search(r'include = \[(.*?)\]', (REPO / "pyproject.toml").read_text()).group(1)
    packages = [p.strip(' "*') for p in include.split(",")]
    assert packages and all(re.search(rf"^COPY {p} \./{p}$", docker, re.M) for p in packages), packages
    web_files = re.findall(r"WEB_VENDOR\)/([\w.]+)", (REPO / "mk" / "web.mk").read_text())
    assert set(web_files) == {"socket.io.min.js", "socket.io.min.js.map", "qrcode.js"}
    assert all(f in docker for f in web_files) and "COPY --from=web /web/vendor ./web/static/vendor" in docker
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".venv", "web/node_modules"} <= set(ignored)


def test_compose_publishes_only_rasa_and_locks_its_api():
    """Read as YAML (no engine here): only Rasa's port is published; Redis and the action server sit on an
    internal network; Rasa's HTTP API needs the token and CORS is not '*'; every token must be set."""
    cfg = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = cfg["services"]
    assert [name for name, svc in services.items() if svc.get("ports")] == ["rasa"]
    assert cfg["networks"]["back"]["internal"] is True
    assert services["redis"]["networks"] == ["back"] and services["actions"]["networks"] == ["back"]
    assert set(services["rasa"]["networks"]) == {"front", "back"}
    command = " ".join(services["rasa"]["command"])
    assert "--auth-token" in command and "--cors '*'" not in command and '--cors "*"' not in command
    text = (REPO / "docker-compose.yml").read_text()
    for secret in ("REDIS_PASSWORD", "SHOPGUIDE_API_TOKEN", "SHOPGUIDE_ACTION_TOKEN"):
        assert "${" + secret + ":?" in text, secret
    assert "token=" in " ".join(services["rasa"]["healthcheck"]["test"])  # /status needs the token too
