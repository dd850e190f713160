"""Fixtures for the phraser tests: the corpus, a tiny trained model, the default model."""
from __future__ import annotations

from pathlib import Path

import pytest

from nlg.corpus import load_corpus


@pytest.fixture(scope="session")
def corpus():
    return load_corpus()


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    """A tiny randomly initialised GPT-2 and a tokenizer, saved with save_pretrained:
    it stands in for a pretrained checkpoint such as ``gpt2``."""
    from nlg import tokens
    from nlg.corpus import build_examples

    t = tokens.hf()
    path = tmp_path_factory.mktemp("tiny_base")
    texts = [e.text for e in build_examples(load_corpus(), "train", per_act=20)]
    tok = tokens.train_tokenizer(texts, [], vocab_size=400)  # a "pretrained" tokenizer knows no acts
    conf = t.GPT2Config(vocab_size=len(tok), n_positions=192, n_embd=32, n_layer=1, n_head=2,
                        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    t.GPT2LMHeadModel(conf).save_pretrained(str(path))
    tok.save_pretrained(str(path))
    return path


@pytest.fixture(scope="session")
def tiny_phraser_dir(tiny_base, tmp_path_factory) -> Path:
    """The tiny checkpoint fine-tuned on a slice of the corpus (seconds)."""
    from nlg.train import TrainArgs, train

    out = tmp_path_factory.mktemp("tiny_phraser")
    args = TrainArgs(base=str(tiny_base), output_dir=str(out / "m"), epochs=1, per_act=16, batch_size=32,
                     learning_rate=3e-3, eval_draws=1, quiet=True)
    return train(args)


@pytest.fixture(scope="session")
def default_model():
    """The trained offline default phraser (``make train-phraser``; `make test` builds it first)."""
    from nlg.model import PhraserModel, is_phraser_dir
    from nlg.phraser import default_model_dir

    path = default_model_dir()
    if not is_phraser_dir(path):
        pytest.skip(f"no trained default phraser at {path}: run `make train-phraser` (make test does)")
    return PhraserModel.load(path, "cpu")
