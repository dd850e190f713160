"""The one Settings object: sections, env names, .env, and the example file."""
from __future__ import annotations

import re

import pytest

from config import DialogueSettings, NLGSettings, Settings, WebSettings
from config.settings import REPO_ROOT

SECTIONS = ("search", "dialogue", "web", "nlg")


def _env_names() -> set:
    names = set()
    for section in SECTIONS:
        cls = Settings.__fields__[section].type_
        for f in cls.__fields__.values():
            names |= {n.upper() for n in f.field_info.extra.get("env_names", set())}
    return names


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    import os

    for k in list(os.environ):
        if k.startswith("SHOPGUIDE_") or k == "REDIS_URL":
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    return tmp_path


def test_defaults_work_offline(clean_env):
    s = Settings()
    assert s.search.catalog == "demo" and s.dialogue.rasa_port == 5005 and s.web.kiosk_store == "downtown"
    assert s.dialogue.redis == "redis://127.0.0.1:6379/0" and s.dialogue.phraser_on
    assert s.nlg.latency_budget_ms == 300.0 and s.nlg.resolved_cache_dir().name == "nlg"


def test_every_section_reads_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("SHOPGUIDE_CATALOG", "bigbasket")
    monkeypatch.setenv("SHOPGUIDE_RASA_PORT", "5999")
    monkeypatch.setenv("REDIS_URL", "redis://:pw@10.0.0.5:6380/1")
    monkeypatch.setenv("SHOPGUIDE_NLG", "templates")
    monkeypatch.setenv("SHOPGUIDE_KIOSK_STORE", "riverside")
    monkeypatch.setenv("SHOPGUIDE_NLG_LATENCY_BUDGET_MS", "120")
    monkeypatch.setenv("SHOPGUIDE_QUERY_THREADS", "2")
    s = Settings()
    assert s.search.catalog == "bigbasket" and s.search.query_threads == 2
    assert s.dialogue.rasa_port == 5999 and s.dialogue.redis == "redis://:pw@10.0.0.5:6380/1"
    assert not s.dialogue.phraser_on
    assert s.web.kiosk_store == "riverside" and s.nlg.latency_budget_ms == 120.0


def test_a_dotenv_file_sets_ports_too(clean_env):
    (clean_env / ".env").write_text("SHOPGUIDE_ACTION_PORT=6055\nSHOPGUIDE_CATALOG=instacart\nSHOPGUIDE_NLG_SEED=3\n")
    s = Settings()
    assert s.dialogue.action_port == 6055 and s.search.catalog == "instacart" and s.nlg.seed == 3


def test_bad_values_are_refused_with_the_field_named(clean_env, monkeypatch):
    monkeypatch.setenv("SHOPGUIDE_RASA_PORT", "not-a-port")
    with pytest.raises(ValueError, match="rasa_port"):
        DialogueSettings()
    with pytest.raises(ValueError, match="kiosk_idle_timeout_s"):
        WebSettings(kiosk_idle_timeout_s=0)


def test_nlg_from_env_reads_only_the_mapping_given(clean_env):
    cfg = NLGSettings.from_env({"SHOPGUIDE_NLG_NUM_CANDIDATES": "6", "SHOPGUIDE_NLG_SEED": ""}, device="cpu")
    assert cfg.num_candidates == 6 and cfg.seed is None and cfg.device == "cpu"


def test_the_example_env_file_names_only_real_settings():
    text = (REPO_ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.M))
    assert named, "no variables in .env.example"
    unknown = named - _env_names()
    assert not unknown, unknown


def test_no_module_reads_shopguide_variables_behind_the_settings_back():
    offenders = []
    for pkg in ("actions", "channels", "config", "nlg", "retrieval", "shopper"):
        for path in (REPO_ROOT / pkg).rglob("*.py"):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"environ(\.get)?\W+[\"']SHOPGUIDE_", line):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{n}")
    assert not offenders, offenders
