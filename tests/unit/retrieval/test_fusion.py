import numpy as np
import pytest

from retrieval.fusion import FusionConfig, config_for, fuse


def test_z_fusion_interpolates_between_methods():
    dense = np.array([0.9, 0.1, 0.8])
    lex = np.array([0.0, 10.0, 9.0])
    assert np.argmax(fuse(dense, lex, FusionConfig(dense_weight=1.0))) == 0
    assert np.argmax(fuse(dense, lex, FusionConfig(dense_weight=0.0))) == 1
    assert np.argmax(fuse(dense, lex, FusionConfig(dense_weight=0.5))) == 2  # good on both


def test_constant_scores_do_not_divide_by_zero():
    out = fuse(np.ones(4), np.zeros(4), FusionConfig(method="minmax"))
    assert np.isfinite(out).all()


def test_rrf_uses_ranks_only():
    a = fuse(np.array([3.0, 2.0, 1.0]), np.array([1.0, 2.0, 3.0]), FusionConfig(method="rrf"))
    b = fuse(np.array([300.0, 2.0, 1.0]), np.array([1.0, 2.0, 3000.0]), FusionConfig(method="rrf"))
    assert np.allclose(a, b)


def test_empty_pool():
    assert len(fuse(np.zeros(0), np.zeros(0), FusionConfig())) == 0


def test_unknown_catalog_gets_default():
    assert config_for("no-such-catalog") == config_for("default")
    with pytest.raises(TypeError):
        FusionConfig(bogus=1)
