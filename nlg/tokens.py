"""Tokenizer and the SC-GPT style input format.

One training sequence::

    <bos> <act:recommend> [p1_name] [p1_price] <sep> How about [p1_name] at [p1_price]? <eos>

The act and every placeholder are single tokens, so the model copies slots from
the prompt into the reply. Each placeholder has two tokens, ``[p1_name]`` and
`` [p1_name]`` (with the space before it, the common case), which saves a step
per slot; the prompt uses the spaced one. The offline default trains a byte-level BPE on the
corpus; a pretrained checkpoint keeps its own tokenizer and gets these tokens added.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from nlg.grammar import PLACEHOLDER_RE
from nlg.slots import SLOT_ORDER

BOS, EOS, PAD, SEP = "<bos>", "<eos>", "<pad>", "<sep>"


def hf():
    """Import transformers without its TensorFlow side (rasa installs TF; we never use it)."""
    os.environ.setdefault("USE_TF", "0")
    os.environ.setdefault("USE_FLAX", "0")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import transformers

    transformers.utils.logging.set_verbosity_error()
    return transformers


def act_token(act: str) -> str:
    return f"<act:{act}>"


def placeholder_tokens() -> List[str]:
    """Both forms of every placeholder token: ``[slot]`` and `` [slot]``."""
    return [f"[{s}]" for s in SLOT_ORDER] + [f" [{s}]" for s in SLOT_ORDER]


def _added_placeholders() -> List[Any]:
    from tokenizers import AddedToken

    return [AddedToken(t, normalized=False, lstrip=False, rstrip=False) for t in placeholder_tokens()]


def train_tokenizer(texts: Iterable[str], acts: Sequence[str], vocab_size: int = 1200) -> Any:
    """A byte-level BPE trained on the corpus replies, with act and slot tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    specials = [PAD, BOS, EOS, SEP] + [act_token(a) for a in acts]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator((PLACEHOLDER_RE.sub(" ", t) for t in texts), trainer=trainer)
    fast = hf().PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=[SEP] + [act_token(a) for a in acts],
    )
    fast.add_tokens(_added_placeholders())
    return fast


def prepare_pretrained_tokenizer(tok: Any, acts: Sequence[str]) -> Any:
    """Add the act, separator and placeholder tokens to a checkpoint's tokenizer."""
    specials: Dict[str, Any] = {"additional_special_tokens": [SEP] + [act_token(a) for a in acts]}
    if tok.eos_token is None:
        specials["eos_token"] = EOS
    if tok.bos_token is None:
        specials["bos_token"] = tok.eos_token or BOS
    if tok.pad_token is None:
        specials["pad_token"] = PAD
    tok.add_special_tokens(specials)
    tok.add_tokens(_added_placeholders())
    return tok


def prompt_ids(tok: Any, act: str, slots: Sequence[str]) -> List[int]:
    ids = [tok.bos_token_id, tok.convert_tokens_to_ids(act_token(act))]
    ids += tok.convert_tokens_to_ids([f" [{s}]" for s in slots])
    ids.append(tok.convert_tokens_to_ids(SEP))
    return ids


def reply_ids(tok: Any, text: str) -> List[int]:
    return tok.encode(text, add_special_tokens=False)


def example_ids(tok: Any, act: str, slots: Sequence[str], text: str) -> Tuple[List[int], List[int]]:
    """(input ids, labels): the loss covers the reply and its end token only."""
    p = prompt_ids(tok, act, slots)
    r = reply_ids(tok, text) + [tok.eos_token_id]
    return p + r, [-100] * len(p) + r


def decode(tok: Any, ids: Sequence[int]) -> str:
    return tok.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False).strip()
