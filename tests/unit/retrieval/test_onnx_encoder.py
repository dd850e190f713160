"""The ONNX Runtime query path gives the torch encoder's vectors, and torch takes over when it cannot run."""
import numpy as np
import pytest

from retrieval import onnx_encoder
from retrieval.encoder import Encoder

TEXTS = ["show me running shoes under 100", "I need a gift for my dad who likes cooking", "vegan snacks 🌱", ""]


@pytest.fixture(scope="module")
def encoder():
    return Encoder()


def test_the_exported_graph_encodes_like_torch(encoder, tmp_path):
    fast = onnx_encoder.load(encoder.model, encoder.tokenizer, tmp_path, encoder.max_length)
    path = onnx_encoder.graph_path(tmp_path, encoder.model)
    assert path.exists() and list(path.parent.glob("*.onnx")) == [path]  # no temporary file left
    ref = encoder.encode(TEXTS * 5)[: len(TEXTS)]  # more than 16 texts: the torch path
    got = fast.encode(TEXTS)
    assert got.shape == ref.shape and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (got * ref).sum(1).min() > 0.9999


def test_queries_use_onnx_and_a_failed_export_falls_back_to_torch(encoder, monkeypatch):
    assert encoder.runtime == "onnx" and encoder._query_path() is not None
    monkeypatch.setattr(encoder, "_onnx", None)

    def broken(*a, **kw):
        raise RuntimeError("no onnx here")

    monkeypatch.setattr(onnx_encoder, "load", broken)
    v = encoder.encode_one("vegan snacks")
    assert encoder._onnx is False and v.shape == (encoder.dim,) and abs(float(np.linalg.norm(v)) - 1) < 1e-5
