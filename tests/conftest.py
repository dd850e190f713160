"""Shared pytest fixtures: paths to ../shared and skip markers."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("USE_TF", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SHOPGUIDE_SHARED_DIR", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "datasets").is_dir():
        pytest.skip(f"../shared datasets not found at {SHARED} (a fresh clone has none)")
    return SHARED


# Property tests draw the same examples on every run (and in CI), so a red build is
# reproducible; set HYPOTHESIS_PROFILE=explore locally to search with fresh seeds.
from hypothesis import settings as _hyp_settings  # noqa: E402

_hyp_settings.register_profile("repeatable", derandomize=True)
_hyp_settings.register_profile("explore", derandomize=False)
_hyp_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The one real stack of this test run (Redis + action server with the phraser + `rasa run` with the
    pages), started on first use by an integration or browser test and stopped at the end."""
    import secrets

    from support.stack import DialogueStack, first_model_or_train

    s = DialogueStack(tmp_path_factory.mktemp("stack"), first_model_or_train(),
                      staff_pin=f"{secrets.randbelow(10**6):06d}")
    try:
        s.start()
        yield s
    finally:
        s.close()


@pytest.fixture(scope="session")
def catalog():
    from retrieval.catalog import load_catalog

    return load_catalog("demo")


@pytest.fixture(scope="session")
def guarded(tmp_path_factory):
    """The stack as `make run` starts it (scripts/stack.py run: tokens, CORS, rate limits, supervisor), on
    its own ports, for the security and fault tests."""
    import secrets

    from support.stack import first_model_or_train
    from support.supervised import SupervisedStack

    first_model_or_train()
    s = SupervisedStack(tmp_path_factory.mktemp("guarded"), staff_pin=f"{secrets.randbelow(10**6):06d}")
    try:
        s.start()
        yield s
    finally:
        s.close()
