"""The encoder's query path on ONNX Runtime: the same BERT and mean pooling, about 3x less CPU per query.

A chat turn encodes one or two short texts (the message for the NLU, the search query). transformers +
torch spend most of that time in Python and operator dispatch; ONNX Runtime runs the same graph in one
call (measured on the 2-core dev box: 15 ms -> 5 ms CPU per query, cosine to torch >= 0.99999). The
graph is exported once from the loaded torch model into the cache folder (``<cache>/onnx/``), keyed by
the model's weights, and reused by every process; bulk encoding (index builds) stays on torch.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

log = logging.getLogger(__name__)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def graph_path(cache_dir: Path, model: Any) -> Path:
    """Where the exported graph of ``model`` lives: named by a digest of its config and weights."""
    h = hashlib.sha256(model.config.to_json_string().encode())
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().flatten()[:1024].cpu().numpy().tobytes())  # enough to tell checkpoints apart
    return Path(cache_dir) / "onnx" / f"encoder-{h.hexdigest()[:16]}.onnx"


def export(model: Any, tokenizer: Any, path: Path) -> Path:
    """Export ``model`` + mean pooling + L2 normalisation to ONNX at ``path`` (atomically: processes that
    start together each write their own temporary file and the last rename wins, with identical bytes)."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, bert: Any):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    path.parent.mkdir(parents=True, exist_ok=True)
    sample = tokenizer(["a short text", "a somewhat longer text to encode"], padding=True, return_tensors="pt")
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=path.parent)
    os.close(fd)
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Pooled(model).eval(),
                tuple(sample[k] for k in INPUTS),
                tmp,
                input_names=list(INPUTS),
                output_names=["embedding"],
                dynamic_axes={**{k: {0: "batch", 1: "tokens"} for k in INPUTS}, "embedding": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


class OnnxQueryEncoder:
    """Encodes a few texts at a time with ONNX Runtime on the CPU, one thread by default."""

    def __init__(self, path: Path, tokenizer: Any, max_length: int, threads: int = 1):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer
        self.max_length = max_length

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        batch = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_length, return_tensors="np"
        )
        feed = {k: batch[k].astype(np.int64) for k in INPUTS if k in batch}
        if "token_type_ids" not in feed:
            feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
        return self.session.run(None, feed)[0].astype(np.float32)


def load(model: Any, tokenizer: Any, cache_dir: Path, max_length: int, threads: int = 1) -> OnnxQueryEncoder:
    """The ONNX query encoder for ``model``, exporting its graph on first use."""
    path = graph_path(cache_dir, model)
    if not path.exists():
        log.info("exporting the query encoder to ONNX: %s", path)
        export(model, tokenizer, path)
    return OnnxQueryEncoder(path, tokenizer, max_length, threads)
