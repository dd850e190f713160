"""The one typed settings object, in sections.

    from config import get_settings
    s = get_settings()
    s.search.catalog, s.dialogue.rasa_port, s.web.kiosk_store, s.nlg.latency_budget_ms

Every value comes from the environment or a ``.env`` file in the working directory, with
defaults that work offline on a fresh clone. Names: ``SHOPGUIDE_<FIELD>`` for the search,
dialogue and web sections (``SHOPGUIDE_CATALOG``, ``SHOPGUIDE_RASA_PORT``,
``SHOPGUIDE_KIOSK_STORE``), ``SHOPGUIDE_NLG_<FIELD>`` for the phraser
(``SHOPGUIDE_NLG_LATENCY_BUDGET_MS``), plus ``REDIS_URL`` and ``SHOPGUIDE_NLG`` (gpt2 | templates).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from pydantic import BaseModel, BaseSettings, Field

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "shopguide"
NLG_OFF = ("", "templates", "template", "off", "0", "false", "no")


class _Section(BaseSettings):
    class Config:
        env_prefix = "SHOPGUIDE_"
        env_file = ".env"


class SearchSettings(_Section):
    """Catalog, encoder, index and the threads search may use."""

    catalog: str = Field(default="demo", description="demo | bigbasket | instacart | myntra_fashion | PATH")
    catalog_mapping: Optional[str] = Field(default=None, description="mapping name or YAML path for a PATH catalog")
    shared_dir: Path = Field(default=REPO_ROOT.parent / "shared", description="where ../shared lives")
    cache_dir: Path = Field(default=DEFAULT_CACHE_DIR, description="indexes, models")
    encoder: str = Field(default="all-MiniLM-L6-v2", description="HF BERT path or the packaged MiniLM")
    index_factory: str = Field(default="Flat", description="FAISS index factory string")
    encode_batch_size: int = 128
    use_gpu: Optional[bool] = Field(default=None, description="None = auto (GPU when present)")
    query_threads: int = Field(default=1, ge=1, description="torch and FAISS threads for one query")
    torch_threads: int = Field(default=0, ge=0, description="torch threads for batch encoding; 0 = every core")
    encoder_bf16: str = Field(default="auto", description="bf16 batch encoding: auto | 0")
    query_runtime: str = Field(
        default="onnx", description="how a turn's few texts are encoded: onnx (ONNX Runtime, CPU) | torch"
    )

    @property
    def datasets_dir(self) -> Path:
        return self.shared_dir / "datasets"

    @property
    def eval_dir(self) -> Path:
        return self.shared_dir / "eval"


class DialogueSettings(_Section):
    """Servers, Redis and lifetimes used by the launcher, Rasa and the action server."""

    host: str = Field(default="127.0.0.1", description="interface the servers bind to")
    rasa_port: int = 5005
    action_port: int = 5055
    redis_url: Optional[str] = Field(
        default=None, env=["REDIS_URL", "SHOPGUIDE_REDIS_URL"], description="existing Redis; unset = embedded server"
    )
    redis_port: int = Field(default=6379, description="port of the embedded Redis (when REDIS_URL is unset)")
    redis_prefix: str = Field(default="shopguide", description="alphanumeric namespace of every Redis key")
    session_ttl_s: int = Field(default=7 * 24 * 3600, description="search context / shown lists lifetime")
    profile_ttl_s: int = Field(default=90 * 24 * 3600, description="cart and profile lifetime")
    run_dir: Path = Field(default=REPO_ROOT / ".run", description="pids, logs, embedded Redis data")
    model_dir: Path = Field(default=REPO_ROOT / "models" / "rasa", description="trained Rasa models")
    recommend_k: int = Field(default=3, description="products shown per turn")
    replies: str = Field(default="gpt2", env="SHOPGUIDE_NLG", description="gpt2 (the phraser) | templates")
    checkout_secret: Optional[str] = Field(
        default=None, description="signs checkout links; unset = a random one kept in Redis, shared by replicas"
    )
    checkout_link_ttl_s: int = Field(default=24 * 3600, ge=60, description="how long a checkout link works")
    reservation_hold_s: int = Field(default=24 * 3600, ge=60, description="how long a pickup reservation holds")
    order_ttl_s: int = Field(default=400 * 24 * 3600, description="how long orders and reservations are kept")
    # -- exposure and abuse limits (docs/security.md)
    api_token: Optional[str] = Field(
        default=None, description="token of Rasa's HTTP API (?token=); unset = make run makes one in .run/api-token"
    )
    action_token: Optional[str] = Field(
        default=None, description="token Rasa sends the action server; unset = make run makes one per install"
    )
    cors_origins: str = Field(
        default="", description="comma-separated origins allowed to call the servers; empty = the stack's own"
    )
    sender_messages_per_10s: int = Field(default=8, ge=1, description="messages one sender may send per 10 s")
    client_requests_per_10s: int = Field(
        default=60, ge=1, description="messages one client address may send per 10 s (every sender behind it)"
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="largest request body the servers read")
    personal_weight: float = Field(
        default=2.0,
        ge=0.0,
        description="weight of the shopper vector in the ranking, in score spreads (make bench-personal chose 2)",
    )
    preference_weight: float = Field(
        default=2.0,
        ge=0.0,
        description="boost per soft preference met (liked brand, colour, spend), in score spreads (bench-personal chose 2)",
    )
    max_tracker_events: int = Field(
        default=1200, ge=100, description="events kept in a conversation's tracker; older turns are dropped"
    )
    nlu_cache_size: int = Field(
        default=4096,
        ge=0,
        description="message texts whose NLU parse Rasa keeps in memory (channels/nlu_cache.py; 0 = off)",
    )
    nlu_cache_max_chars: int = Field(
        default=120, ge=0, description="longest message text whose parse is kept (longer ones are nearly always new)"
    )
    ted_cache_size: int = Field(
        default=4096,
        ge=0,
        description="dialogue-state sequences whose TED prediction Rasa keeps (channels/policy_cache.py; 0 = off)",
    )
    socketio_redis: bool = Field(
        default=False,
        description="share Socket.IO rooms between Rasa replicas through Redis (set by make run REPLICAS=N)",
    )

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}/webhook"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def embedded_redis_url(self) -> str:
        return f"redis://{self.host}:{self.redis_port}/0"

    @property
    def redis(self) -> str:
        """The Redis this process must use: ``REDIS_URL`` if set, else the embedded one."""
        return self.redis_url or self.embedded_redis_url

    @property
    def phraser_on(self) -> bool:
        """``SHOPGUIDE_NLG`` (default ``gpt2``): anything in :data:`NLG_OFF` keeps the templates only."""
        return self.replies.strip().lower() not in NLG_OFF


class WebSettings(_Section):
    """The web chat and in-store kiosk pages."""

    kiosk_store: str = Field(default="downtown", description="store id of the kiosk (data/demo/stores.yml)")
    kiosk_staff_pin: Optional[str] = Field(
        default=None, description="unlocks the kiosk's staff mode; unset = staff mode off"
    )
    kiosk_idle_timeout_s: int = Field(
        default=90, ge=1, description="kiosk idle seconds before the screen and session are wiped"
    )
    public_base_url: Optional[str] = Field(
        default=None, description="base URL phones reach for the kiosk's QR; unset = the page's own"
    )
    staff_session_ttl_s: int = Field(
        default=8 * 3600, ge=60, description="how long a staff sign-in (the token the PIN buys) lasts"
    )
    staff_max_failures: int = Field(default=5, ge=1, description="wrong PINs in a row before a client is locked out")
    staff_lockout_s: float = Field(default=60.0, ge=1, description="how long a client is locked out")


class NLGSettings(BaseSettings):
    """How the GPT-2 phraser generates (docs/nlg.md). Env: ``SHOPGUIDE_NLG_<FIELD>``."""

    model_dir: Optional[str] = None  # a trained phraser; None = the default model's cache folder
    base: Optional[str] = None  # with model_dir unset: the model fine-tuned from this checkpoint (e.g. gpt2)
    cache_dir: Optional[str] = None  # where trained models live; None = <search.cache_dir>/nlg
    latency_budget_ms: float = 300.0  # past this the template is used
    device: str = "auto"  # auto | cpu | cuda
    num_candidates: int = 8  # sampled in one batch; the first that passes the guard wins
    retries: int = 2  # further batches when none passed and the budget leaves time for one
    max_new_tokens: int = 64
    temperature: float = 0.8
    retry_temperature: float = 1.3  # a retry samples more widely
    top_k: int = 30
    top_p: float = 0.95
    threads: int = 1  # torch threads while generating (1 is fastest for a small model)
    seed: Optional[int] = None  # fixed seed for reproducible sampling
    constrain_slots: bool = True  # never sample a placeholder the facts lack, or one already used
    coverage_penalty: float = 6.0  # lower the end token's logit while a slot is unsaid (0 = off)
    vocab_check: bool = True  # closed-vocabulary guard (words the corpus never used are rejected)
    ngram_check: bool = True  # every trigram of a sentence must occur in the corpus (roles, spliced claims)
    # phrasings kept per act and slot set once they passed the guard, then reused (0 = always sample)
    pool_size: int = 8

    class Config:
        env_prefix = "SHOPGUIDE_NLG_"
        env_file = ".env"

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None, **overrides: Any) -> NLGSettings:
        """Settings read from ``environ`` (default: the process environment), then ``overrides``."""
        if environ is None:
            return cls(**{k: v for k, v in overrides.items() if v is not None})
        prefix = cls.__config__.env_prefix
        raw: Dict[str, Any] = {
            name: environ[prefix + name.upper()] for name in cls.__fields__ if prefix + name.upper() in environ
        }
        raw = {
            k: (None if v == "" and not cls.__fields__[k].required and cls.__fields__[k].allow_none else v)
            for k, v in raw.items()
        }
        raw.update({k: v for k, v in overrides.items() if v is not None})
        return cls.parse_obj({**{name: cls.__fields__[name].get_default() for name in cls.__fields__}, **raw})

    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else SearchSettings().cache_dir / "nlg"


class Settings(BaseModel):
    """Everything a process of the shopping guide can be told, by section."""

    search: SearchSettings = Field(default_factory=SearchSettings)
    dialogue: DialogueSettings = Field(default_factory=DialogueSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    nlg: NLGSettings = Field(default_factory=NLGSettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once on first use."""
    return Settings()


def cors_origin_list(d: DialogueSettings, public_base_url: Optional[str] = None) -> List[str]:
    """Origins a browser may call the servers from: ``SHOPGUIDE_CORS_ORIGINS`` (comma-separated), else the
    stack's own (``http://<host>:<rasa_port>``, ``localhost`` for a loopback host) and the public base URL's."""
    from urllib.parse import urlsplit

    listed = [o.strip().rstrip("/") for o in d.cors_origins.split(",") if o.strip()]
    if listed:
        return listed
    own = [f"http://{d.host}:{d.rasa_port}"]
    if d.host in ("127.0.0.1", "localhost", "::1"):
        own += [f"http://localhost:{d.rasa_port}", f"http://127.0.0.1:{d.rasa_port}"]
    if public_base_url:
        parts = urlsplit(public_base_url)
        if parts.scheme and parts.netloc:
            own.append(f"{parts.scheme}://{parts.netloc}")
    return list(dict.fromkeys(own))
