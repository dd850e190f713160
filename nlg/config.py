"""Phraser settings: one dataclass, defaults that work offline, env overrides.

Every field can be set from the environment as ``SHOPGUIDE_NLG_<FIELD>`` (upper
case), e.g. ``SHOPGUIDE_NLG_LATENCY_BUDGET_MS=200``. The cache folder follows
the project's ``Settings.cache_dir`` (``SHOPGUIDE_CACHE_DIR``).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Dict, Optional

ENV_PREFIX = "SHOPGUIDE_NLG_"


def _default_cache_dir() -> Path:
    try:
        from config.settings import get_settings

        return Path(get_settings().cache_dir) / "nlg"
    except Exception:  # settings unavailable (e.g. nlg used on its own)
        return Path(os.environ.get("SHOPGUIDE_CACHE_DIR", Path.home() / ".cache" / "shopguide")) / "nlg"


@dataclass
class NLGConfig:
    """How the phraser generates. See docs/nlg.md."""

    model_dir: Optional[str] = None  # a trained phraser; None = the default model's cache folder
    base: Optional[str] = None  # with model_dir unset: use the model fine-tuned from this checkpoint (e.g. gpt2)
    cache_dir: Optional[str] = None  # where trained models live; None = <Settings.cache_dir>/nlg
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

    @classmethod
    def from_env(cls, environ: Optional[Dict[str, str]] = None, **overrides: Any) -> "NLGConfig":
        env = os.environ if environ is None else environ
        kwargs: Dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            kwargs[f.name] = _coerce(f, raw)
        kwargs.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**kwargs)

    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else _default_cache_dir()


def _coerce(f: dataclasses.Field, raw: str) -> Any:
    t = str(f.type)
    if "bool" in t:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if "int" in t and "Optional" in t:
        return int(raw) if raw.strip() else None
    if "int" in t:
        return int(raw)
    if "float" in t:
        return float(raw)
    return raw or None if "Optional" in t else raw
