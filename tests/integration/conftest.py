"""The real stack (Redis + action server + `rasa run`) on free loopback ports, once per session."""
from __future__ import annotations

import pytest

from support.stack import DialogueStack, first_model_or_train
from retrieval.catalog import load_catalog


@pytest.fixture(scope="session")
def catalog():
    return load_catalog("demo")


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    s = DialogueStack(tmp_path_factory.mktemp("stack"), first_model_or_train())
    try:
        s.start()
        yield s
    finally:
        s.close()
