"""channels.credentials: the credentials file Rasa gets (channels whose ${VARS} are unset left out),
and a `rasa run`-style startup on it (channels built and registered, no network)."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from channels import credentials as C

REPO = Path(__file__).resolve().parents[3]
TELEGRAM = "channels.messaging.GuardedTelegramInput"
SLACK = "channels.messaging.GuardedSlackInput"
FACEBOOK = "channels.messaging.GuardedFacebookInput"
MESSAGING_VARS = ("TELEGRAM_ACCESS_TOKEN", "TELEGRAM_VERIFY", "TELEGRAM_WEBHOOK_URL", "SLACK_TOKEN",
                  "SLACK_SIGNING_SECRET", "SLACK_CHANNEL", "FACEBOOK_VERIFY", "FACEBOOK_SECRET",
                  "FACEBOOK_PAGE_ACCESS_TOKEN")

# fake but well-formed values
FULL = {
    "TELEGRAM_ACCESS_TOKEN": "123456789:AAFakeTokenForUnitTests_abcdefghijklmno",
    "TELEGRAM_VERIFY": "shopguide_bot",
    "TELEGRAM_WEBHOOK_URL": "https://shop.example.com/webhooks/telegram/webhook",
    "SLACK_TOKEN": "xoxb-000000000000-000000000000-FakeTokenForTests",
    "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
    "FACEBOOK_VERIFY": "verify-me-please",
    "FACEBOOK_SECRET": "fake-app-secret-123",
    "FACEBOOK_PAGE_ACCESS_TOKEN": "EAAFakePageAccessToken",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for v in MESSAGING_VARS:
        monkeypatch.delenv(v, raising=False)


def written(tmp_path, env):
    path, states = C.write_effective(tmp_path / "credentials.yml", REPO / "bot" / "credentials.yml", env=env,
                                     log=lambda line: None)
    return C.load(path), {s.name: s for s in states}, path


def test_unset_variables_leave_the_messaging_channels_out(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="channels.credentials")
    data, states, path = written(tmp_path, {})
    assert TELEGRAM not in data and SLACK not in data and FACEBOOK not in data
    # everything without variables stays, as it is in bot/credentials.yml
    source = C.load(REPO / "bot" / "credentials.yml")
    assert data == {k: v for k, v in source.items() if k not in (TELEGRAM, SLACK, FACEBOOK)}
    assert "channels.rasa_plugins.GuardedRestInput" in data and "channels.rasa_plugins.GuardedSocketIOInput" in data
    assert not states["telegram"].on and not states["telegram"].partial
    assert states["telegram"].describe() == (
        "channel telegram: off (set TELEGRAM_ACCESS_TOKEN, TELEGRAM_VERIFY and TELEGRAM_WEBHOOK_URL to turn it on)")
    assert states["slack"].describe() == "channel slack: off (set SLACK_TOKEN and SLACK_SIGNING_SECRET to turn it on)"
    assert states["rest"].describe() == "channel rest: on"
    assert "Off (variables unset or invalid): telegram, slack, facebook." in path.read_text()


def test_set_variables_turn_them_on_and_rasa_reads_the_values(tmp_path, monkeypatch):
    data, states, path = written(tmp_path, FULL)
    assert all(states[n].on for n in ("telegram", "slack", "facebook"))
    # the file keeps ${VAR} references: no secret on disk
    text = path.read_text()
    for value in FULL.values():
        assert value not in text
    assert data[TELEGRAM] == {"access_token": "${TELEGRAM_ACCESS_TOKEN}", "verify": "${TELEGRAM_VERIFY}",
                              "webhook_url": "${TELEGRAM_WEBHOOK_URL}"}
    assert data[SLACK] == {"slack_token": "${SLACK_TOKEN}", "slack_signing_secret": "${SLACK_SIGNING_SECRET}"}
    assert states["slack"].describe() == ("channel slack: ON (SLACK_TOKEN, SLACK_SIGNING_SECRET set); "
                                          "optional SLACK_CHANNEL unset")
    # ... which Rasa's own reader expands from the environment
    import rasa.shared.utils.io

    for k, v in FULL.items():
        monkeypatch.setenv(k, v)
    creds = rasa.shared.utils.io.read_config_file(str(path))
    assert creds[TELEGRAM] == {"access_token": FULL["TELEGRAM_ACCESS_TOKEN"], "verify": "shopguide_bot",
                               "webhook_url": FULL["TELEGRAM_WEBHOOK_URL"]}
    assert creds[FACEBOOK] == {"verify": FULL["FACEBOOK_VERIFY"], "secret": FULL["FACEBOOK_SECRET"],
                               "page-access-token": FULL["FACEBOOK_PAGE_ACCESS_TOKEN"]}
    assert creds[SLACK] == {"slack_token": FULL["SLACK_TOKEN"], "slack_signing_secret": FULL["SLACK_SIGNING_SECRET"]}


def test_rasa_itself_refuses_the_raw_file_with_unset_variables():
    """Why the launcher filters: Rasa 3.6 errors on an unset ${VAR} in credentials."""
    import rasa.shared.utils.io
    from rasa.shared.exceptions import RasaException

    with pytest.raises(RasaException, match="TELEGRAM_ACCESS_TOKEN"):
        rasa.shared.utils.io.read_config_file(str(REPO / "bot" / "credentials.yml"))


def test_optional_variable_when_set(tmp_path):
    data, states, _ = written(tmp_path, dict(FULL, SLACK_CHANNEL="C0123456"))
    assert data[SLACK]["slack_channel"] == "${SLACK_CHANNEL}"
    assert states["slack"].describe() == "channel slack: ON (SLACK_TOKEN, SLACK_SIGNING_SECRET set)"


def test_half_configured_channel_is_off_with_a_clear_warning(tmp_path, caplog):
    env = {"SLACK_TOKEN": FULL["SLACK_TOKEN"], "TELEGRAM_ACCESS_TOKEN": FULL["TELEGRAM_ACCESS_TOKEN"],
           "TELEGRAM_VERIFY": "   "}  # blank counts as unset
    caplog.set_level(logging.INFO, logger="channels.credentials")
    path, states = C.write_effective(tmp_path, REPO / "bot" / "credentials.yml", env=env)
    data = C.load(path)
    assert SLACK not in data and TELEGRAM not in data
    by = {s.name: s for s in states}
    assert by["slack"].partial and by["telegram"].partial and not by["facebook"].partial
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "channel telegram: OFF, half configured: TELEGRAM_VERIFY, TELEGRAM_WEBHOOK_URL are unset "
        "(TELEGRAM_ACCESS_TOKEN is set)",
        "channel slack: OFF, half configured: SLACK_SIGNING_SECRET is unset (SLACK_TOKEN is set)",
    ]
    assert FULL["SLACK_TOKEN"] not in caplog.text and FULL["TELEGRAM_ACCESS_TOKEN"] not in caplog.text


def test_malformed_values_keep_a_channel_off_without_showing_them(tmp_path):
    env = dict(FULL, TELEGRAM_ACCESS_TOKEN="not a token", TELEGRAM_WEBHOOK_URL="http://shop.example.com/w")
    data, states, path = written(tmp_path, env)
    assert TELEGRAM not in data and SLACK in data
    line = states["telegram"].describe()
    assert line == ("channel telegram: OFF, misconfigured: TELEGRAM_ACCESS_TOKEN is not a bot token from @BotFather "
                    "(<digits>:<secret>); TELEGRAM_WEBHOOK_URL must be a public https:// URL (Telegram refuses http)")
    assert "not a token" not in line and "http://shop" not in line


def test_filter_on_a_custom_file(tmp_path):
    src = tmp_path / "src.yml"
    src.write_text("a.B:\n  x: ${NEED}\n  y: pre-${OPT:-dflt}-post\n  z: ${OPT:-}\n  n: 3\nrest:\n")
    data, states = C.filter_credentials(C.load(src), {"NEED": "1"})
    assert data == {"a.B": {"x": "${NEED}", "y": "pre-dflt-post", "n": 3}, "rest": None}
    data, _ = C.filter_credentials(C.load(src), {"NEED": "1", "OPT": "o"})
    assert data["a.B"] == {"x": "${NEED}", "y": "pre-${OPT}-post", "z": "${OPT}", "n": 3}
    assert C.dump({"rest": None, "k": {"v": "${X}"}}) == "rest:\nk:\n  v: ${X}\n"


def test_channel_names():
    assert C.channel_name("channels.messaging.GuardedTelegramInput") == "telegram"
    assert C.channel_name("channels.rasa_plugins.GuardedSocketIOInput") == "socketio"
    assert C.channel_name("channels.rasa_plugins.GuardedRestInput") == "rest"
    assert C.channel_name("rest") == "rest" and C.channel_name("rasa") == "rasa"


def test_cli_prints_the_path(tmp_path, capsys):
    assert C.main(["--out", str(tmp_path / "c.yml")]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(tmp_path / "c.yml") and "channel telegram: off" in err


def test_launcher_uses_the_filtered_file(tmp_path, capsys):
    """scripts/stack.py writes the file to its run dir and prints each channel's state."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("stack_for_test", REPO / "scripts" / "stack.py")
    stack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stack)
    s = stack.DialogueSettings(run_dir=tmp_path)
    path = stack.effective_credentials(s, {"FACEBOOK_VERIFY": "x"})
    assert path == tmp_path / "credentials.yml" and FACEBOOK not in C.load(path)
    out = capsys.readouterr().out
    assert ">> channel facebook: OFF, half configured: FACEBOOK_SECRET, FACEBOOK_PAGE_ACCESS_TOKEN are unset" in out


# ----------------------------------------------------------------------------- rasa run, as far as it goes offline

def startup(path, monkeypatch, env):
    """What `rasa run --credentials <path>` does before loading the model: read the file, build every
    input channel, register their blueprints on the Sanic app."""
    from rasa.core import run
    from rasa.core.channels.channel import register
    from sanic import Sanic

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    channels = run.create_http_input_channels(None, str(path))
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps in one process
    app = Sanic(f"creds_test_{len(env)}_{id(path)}")
    register(channels, app, route="/webhooks/")
    app.router.finalize()
    return channels, app


def uris(app):
    return {"/" + r.path.lstrip("/") for r in app.router.routes}


def test_rasa_startup_with_every_channel_on(tmp_path, monkeypatch):
    import aiogram.bot.base
    from slack_sdk.web.async_client import AsyncWebClient

    from channels.messaging import GuardedFacebookInput, GuardedSlackInput, GuardedTelegramInput
    from channels.rasa_plugins import GuardedRestInput, GuardedSocketIOInput

    async def no_network(*a, **k):
        raise AssertionError("no API call at startup")

    monkeypatch.setattr(aiogram.bot.base.BaseBot, "request", no_network)
    monkeypatch.setattr(AsyncWebClient, "api_call", no_network)
    _, _, path = written(tmp_path, FULL)
    channels, app = startup(path, monkeypatch, FULL)
    kinds = {type(c) for c in channels}
    assert {GuardedRestInput, GuardedSocketIOInput, GuardedTelegramInput, GuardedSlackInput,
            GuardedFacebookInput} <= kinds
    tg = next(c for c in channels if isinstance(c, GuardedTelegramInput))
    assert (tg.access_token, tg.verify, tg.webhook_url) == (FULL["TELEGRAM_ACCESS_TOKEN"], "shopguide_bot",
                                                           FULL["TELEGRAM_WEBHOOK_URL"])
    sl = next(c for c in channels if isinstance(c, GuardedSlackInput))
    assert sl.slack_signing_secret == FULL["SLACK_SIGNING_SECRET"] and sl.slack_channel is None
    fb = next(c for c in channels if isinstance(c, GuardedFacebookInput))
    assert (fb.fb_verify, fb.fb_secret, fb.fb_access_token) == (FULL["FACEBOOK_VERIFY"], FULL["FACEBOOK_SECRET"],
                                                                FULL["FACEBOOK_PAGE_ACCESS_TOKEN"])
    paths = uris(app)
    for p in ("/webhooks/rest/webhook", "/webhooks/telegram/webhook", "/webhooks/telegram/set_webhook",
              "/webhooks/slack/webhook", "/webhooks/facebook/webhook"):
        assert p in paths, (p, sorted(paths))


def test_rasa_startup_with_no_messaging_variables(tmp_path, monkeypatch):
    _, _, path = written(tmp_path, {})
    channels, app = startup(path, monkeypatch, {})
    assert not any(c.name() in ("telegram", "slack", "facebook") for c in channels)
    paths = uris(app)
    assert "/webhooks/rest/webhook" in paths and not any("telegram" in p or "slack" in p for p in paths)
