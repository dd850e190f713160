"""nginx in front of the replicas: the config rendered from deploy/nginx/shopguide.conf.template (and
checked by the real `nginx -t` when Debian's nginx is installed), and how the launcher names, numbers
and configures the replicas (scripts/stack.py)."""
from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

from support.stack import REPO, load_stack_module

SERVERS = ["127.0.0.1:5006", "127.0.0.1:5007"]


def load_nginx():
    spec = importlib.util.spec_from_file_location("shopguide_nginx", REPO / "scripts" / "nginx.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


nginx = load_nginx()


def upstream(conf: str, name: str) -> str:
    return re.search(r"upstream " + name + r" \{(.*?)\}", conf, re.S).group(1)


def test_both_upstreams_list_every_replica_with_passive_health_checks(tmp_path):
    conf = nginx.render(SERVERS, "127.0.0.1:5005", tmp_path)
    for name in ("shopguide_rasa", "shopguide_socketio"):
        block = upstream(conf, name)
        assert [f"server {s} max_fails=1 fail_timeout=10s;" for s in SERVERS] == re.findall(r"server \S+ [^;]*;", block)
    assert "least_conn;" in upstream(conf, "shopguide_rasa")
    assert "hash $shopguide_sticky consistent;" in upstream(conf, "shopguide_socketio")
    assert "listen 127.0.0.1:5005;" in conf
    assert "{{" not in conf and "}}" not in conf
    for path in ("nginx.pid", "error.log", "access.log", "temp/proxy"):
        assert str(tmp_path / path) in conf


def test_a_turn_is_never_sent_to_a_second_replica_once_sent_to_one(tmp_path):
    conf = nginx.render(SERVERS, "127.0.0.1:5005", tmp_path)
    assert re.findall(r"proxy_next_upstream [^;]*;", conf) == ["proxy_next_upstream error timeout;"]
    assert "non_idempotent" not in conf.replace("(no `non_idempotent` here)", "")


def test_socketio_upgrades_to_websocket_and_sticks_by_cookie(tmp_path):
    conf = nginx.render(SERVERS, "127.0.0.1:5005", tmp_path)
    sio = re.search(r"location /socket.io/ \{(.*?)\}", conf, re.S).group(1)
    assert "proxy_pass http://shopguide_socketio;" in sio
    assert "proxy_set_header Upgrade $http_upgrade;" in sio and "Connection $connection_upgrade" in sio
    assert "Set-Cookie" not in sio  # set by the pages: a session's first request hashes like the rest
    pages = re.search(r"location / \{(.*?)\}", conf, re.S).group(1)
    assert "add_header Set-Cookie $shopguide_set_cookie always;" in pages
    assert '""      $remote_addr;' in conf and "default $cookie_shopguide_replica;" in conf
    assert '""      "shopguide_replica=$request_id; Path=/; HttpOnly; SameSite=Lax";' in conf
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in conf  # replicas run with SANIC_PROXIES_COUNT=1


def test_render_refuses_no_servers_and_unknown_placeholders(tmp_path):
    with pytest.raises(nginx.NginxError, match="at least one"):
        nginx.render([], "127.0.0.1:5005", tmp_path)
    with pytest.raises(nginx.NginxError, match="unknown placeholder"):
        nginx.render(SERVERS, "127.0.0.1:5005", tmp_path, template="listen {{ nowhere }};")


def test_the_compose_config_is_the_rendering_of_the_template():
    assert (REPO / "deploy" / "nginx" / "compose.conf").read_text() == nginx.compose_config(), \
        "run `python scripts/nginx.py --compose`"
    assert "server rasa:5005 " in nginx.compose_config() and 'access_log "/dev/stdout"' in nginx.compose_config()


@pytest.mark.skipif(not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()), reason="no nginx (make nginx)")
def test_real_nginx_accepts_the_written_config(tmp_path):
    conf = nginx.write_config(tmp_path, SERVERS, "127.0.0.1:5005")
    nginx.check(conf)  # nginx -t
    cmd = nginx.nginx_command(conf)
    assert cmd[-2:] == ["-g", "daemon off;"] and cmd[cmd.index("-c") + 1] == str(conf)


@pytest.mark.skipif(not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()), reason="no nginx (make nginx)")
def test_a_run_dir_with_a_space_in_its_path_still_gives_a_valid_config(tmp_path):
    conf = nginx.write_config(tmp_path / "load run-2", SERVERS, "127.0.0.1:5005")
    nginx.check(conf)
    assert f'pid "{tmp_path}/load run-2/nginx/nginx.pid";' in conf.read_text()


def test_a_run_dir_nginx_cannot_quote_is_refused(tmp_path):
    with pytest.raises(nginx.NginxError, match="quote"):
        nginx.render(SERVERS, "127.0.0.1:5005", tmp_path / 'a"b')


# -- the launcher's replicas (scripts/stack.py) ---------------------------------------------------

@pytest.fixture(scope="module")
def launcher():
    return load_stack_module()


def test_one_replica_is_the_plain_stack_and_two_add_nginx(launcher):
    assert launcher.server_names(1) == ["actions", "rasa"]
    assert launcher.server_names(2) == ["actions-1", "rasa-1", "actions-2", "rasa-2", "nginx"]


def test_replica_ports_follow_the_configured_ones(launcher):
    s = launcher.DialogueSettings(rasa_port=7000, action_port=7100)
    ports = {n: launcher.server_port(s, n) for n in launcher.server_names(1) + launcher.server_names(3)}
    assert ports == {"actions": 7100, "rasa": 7000, "nginx": 7000, "actions-1": 7100, "rasa-1": 7001,
                     "actions-2": 7101, "rasa-2": 7002, "actions-3": 7102, "rasa-3": 7003}
    assert launcher.health_url(s, "nginx") == "http://127.0.0.1:7000/lb/health"
    assert launcher.health_url(s, "actions-2") == "http://127.0.0.1:7101/health"
    assert launcher.health_url(s, "rasa-2").startswith("http://127.0.0.1:7002/status?token=")


def test_each_rasa_replica_calls_its_own_action_server_and_trusts_nginx(launcher):
    s = launcher.DialogueSettings(rasa_port=7000, action_port=7100)
    env = {"SHOPGUIDE_ACTION_URL": "http://127.0.0.1:7100/webhook"}
    assert launcher.server_env(s, "rasa", env) == env  # one replica: as before
    two = launcher.server_env(s, "rasa-2", env)
    assert two["SHOPGUIDE_ACTION_URL"] == "http://127.0.0.1:7101/webhook"
    assert two["SANIC_PROXIES_COUNT"] == "1" and two["SHOPGUIDE_SOCKETIO_REDIS"] == "1"
    assert "SANIC_PROXIES_COUNT" not in launcher.server_env(s, "actions-2", env)


def test_replica_count_from_the_option_or_the_environment(launcher, monkeypatch):
    monkeypatch.delenv("SHOPGUIDE_REPLICAS", raising=False)
    assert launcher.replica_count() == 1
    monkeypatch.setenv("SHOPGUIDE_REPLICAS", "3")
    assert launcher.replica_count() == 3 and launcher.replica_count(2) == 2
    for bad in ("0", "x", "99"):
        with pytest.raises(launcher.StackError, match="replicas"):
            launcher.replica_count(bad)


def test_stop_goes_nginx_first_redis_last(launcher, tmp_path):
    names = ["redis", "actions-1", "rasa-2", "nginx", "rasa-1", "actions-2"]
    assert launcher.stop_order(names) == ["nginx", "rasa-1", "rasa-2", "actions-1", "actions-2", "redis"]
    s = launcher.DialogueSettings(run_dir=tmp_path)
    for n in names + ["stack", "other"]:
        (tmp_path / f"{n}.pid").write_text("1")
    assert launcher.running_names(s) == launcher.stop_order(names)
