"""Settings of the dialogue stack (ports, Redis namespace, TTLs), read from env.

Kept apart from ``config.settings`` until they are merged there; every default
works offline on a fresh clone. Env names: ``SHOPGUIDE_<FIELD>`` (e.g.
``SHOPGUIDE_RASA_PORT=5006``); ``REDIS_URL`` comes from ``config.settings``.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

from pydantic import BaseSettings, Field

REPO_ROOT = Path(__file__).resolve().parent.parent


class DialogueSettings(BaseSettings):
    """Ports, Redis namespace and lifetimes used by the launcher, Rasa and actions."""

    host: str = Field("127.0.0.1", description="interface the servers bind to")
    rasa_port: int = 5005
    action_port: int = 5055
    redis_port: int = Field(6379, description="port of the embedded Redis (when REDIS_URL is unset)")
    redis_prefix: str = Field("shopguide", description="alphanumeric namespace of every Redis key")
    session_ttl_s: int = Field(7 * 24 * 3600, description="search context / shown lists lifetime")
    profile_ttl_s: int = Field(90 * 24 * 3600, description="cart and profile lifetime")
    run_dir: Path = Field(REPO_ROOT / ".run", description="pids, logs, embedded Redis data")
    model_dir: Path = Field(REPO_ROOT / "models" / "rasa", description="trained Rasa models")
    recommend_k: int = Field(3, description="products shown per turn")
    # web chat + in-store kiosk pages (docs/web.md)
    kiosk_store: str = Field("downtown", description="store id of the kiosk (data/demo/stores.yml)")
    kiosk_staff_pin: Optional[str] = Field(None, description="unlocks the kiosk's staff mode; unset = staff mode off")
    kiosk_idle_timeout_s: int = Field(90, ge=1, description="kiosk idle seconds before the screen and session are wiped")
    public_base_url: Optional[str] = Field(None, description="base URL phones reach for the kiosk's QR; unset = the page's own")

    class Config:
        env_prefix = "SHOPGUIDE_"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}/webhook"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def embedded_redis_url(self) -> str:
        return f"redis://{self.host}:{self.redis_port}/0"


@lru_cache(maxsize=1)
def get_dialogue_settings() -> DialogueSettings:
    return DialogueSettings()


def redis_url() -> str:
    """The Redis this process must use: ``REDIS_URL`` if set, else the embedded one."""
    from config import get_settings

    return get_settings().redis_url or get_dialogue_settings().embedded_redis_url
