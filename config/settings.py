"""One typed settings object per process.

Values come from the environment (prefix ``SHOPGUIDE_``) or a ``.env`` file in
the working directory. Every default works offline on a fresh clone.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

from pydantic import BaseSettings, Field

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Settings shared by retrieval, actions, nlg and the launch scripts."""

    # --- catalog and retrieval -------------------------------------------------
    catalog: str = Field("demo", description="demo | bigbasket | instacart | myntra_fashion | PATH")
    catalog_mapping: Optional[str] = Field(None, description="mapping name or YAML path for a PATH catalog")
    shared_dir: Path = Field(REPO_ROOT.parent / "shared", description="where ../shared lives")
    cache_dir: Path = Field(Path.home() / ".cache" / "shopguide", description="indexes, models")
    encoder: str = Field("all-MiniLM-L6-v2", description="HF BERT path or the packaged MiniLM")
    index_factory: str = Field("Flat", description="FAISS index factory string")
    encode_batch_size: int = 128
    use_gpu: Optional[bool] = Field(None, description="None = auto (GPU when present)")

    # --- session state -----------------------------------------------------------
    redis_url: Optional[str] = Field(None, description="existing Redis; unset = embedded server")

    class Config:
        env_prefix = "SHOPGUIDE_"
        env_file = ".env"
        fields = {"redis_url": {"env": ["REDIS_URL", "SHOPGUIDE_REDIS_URL"]}}

    @property
    def datasets_dir(self) -> Path:
        return self.shared_dir / "datasets"

    @property
    def eval_dir(self) -> Path:
        return self.shared_dir / "eval"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, built once on first use."""
    return Settings()
