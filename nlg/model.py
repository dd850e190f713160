"""Load a trained phraser and sample candidate replies from it.

A phraser folder holds a Hugging Face causal LM with its tokenizer
(``save_pretrained``) and ``phraser.json``: the acts, the corpus vocabulary and
training replies for the guard, and how it was trained. Any causal LM works; the offline default is a
small ``GPT2LMHeadModel``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterator, List, Optional, Sequence

from nlg import tokens
from nlg.tokens import hf

META_FILE = "phraser.json"
FORMAT_VERSION = 1


class PhraseTimeout(TimeoutError):
    """Generation ran past its latency budget."""


@dataclass(frozen=True)
class Candidate:
    text: str  # delexicalised
    score: float  # mean log-probability per token
    n_tokens: int
    slot_errors: int = 0  # missing + invented + repeated placeholders


def rank(cands: Sequence[Candidate], slots: Sequence[str]) -> List[Candidate]:
    """Fewest slot errors first, then the most likely (the SC-LSTM reranker)."""
    from nlg.guard import slot_errors

    scored = []
    for c in cands:
        m, u, r, _ = slot_errors(c.text, slots)
        scored.append(Candidate(c.text, c.score, c.n_tokens, m + u + r))
    return sorted(scored, key=lambda c: (c.slot_errors, -c.score))


def resolve_device(device: str = "auto") -> str:
    import torch

    if device in ("auto", "", None):
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


@contextlib.contextmanager
def torch_threads(n: Optional[int]) -> Iterator[None]:
    """Run with ``n`` intra-op threads, then restore (1 is fastest for a tiny model)."""
    import torch

    if not n:
        yield
        return
    old = torch.get_num_threads()
    if old != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if old != n:
            torch.set_num_threads(old)


class FastGPT2:
    """Incremental decoding for a ``GPT2LMHeadModel`` with a preallocated KV cache.

    Same weights and the same maths as the Hugging Face forward (a test checks the
    logits agree), without its per-step framework overhead, which dominates for a
    model this small: about twice as fast per token on a CPU.
    """

    def __init__(self, model: Any):
        cfg = model.config
        self.tr = model.transformer
        self.lm_head = model.lm_head
        self.n_head = cfg.n_head
        self.d = cfg.n_embd
        self.eps = cfg.layer_norm_epsilon
        self.max_pos = cfg.n_positions
        self.tanh_gelu = cfg.activation_function in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast")

    @staticmethod
    def supports(model: Any) -> bool:
        cfg: Any = getattr(model, "config", None)
        return (
            type(model).__name__ == "GPT2LMHeadModel"
            and cfg.activation_function in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu")
            and getattr(cfg, "scale_attn_weights", True)
            and not getattr(cfg, "scale_attn_by_inverse_layer_idx", False)
            and not getattr(cfg, "add_cross_attention", False)
        )

    def start(self, batch: int, length: int, device: str) -> None:
        import torch

        hd = self.d // self.n_head
        shape = (batch, self.n_head, length, hd)
        dtype = self.tr.wte.weight.dtype
        self.k = [torch.zeros(shape, dtype=dtype, device=device) for _ in self.tr.h]
        self.v = [torch.zeros(shape, dtype=dtype, device=device) for _ in self.tr.h]
        self.pos = 0

    def step(self, ids: Any) -> Any:
        """Logits for the last position after feeding ``ids`` (batch, t)."""
        import torch
        import torch.nn.functional as F

        b, t = ids.shape
        p0, p1 = self.pos, self.pos + t
        if p1 > self.max_pos or p1 > self.k[0].shape[2]:
            raise ValueError("reply longer than the model's context")
        d, h = self.d, self.n_head
        x = self.tr.wte(ids) + self.tr.wpe.weight[p0:p1]
        for i, blk in enumerate(self.tr.h):
            a = F.layer_norm(x, (d,), blk.ln_1.weight, blk.ln_1.bias, self.eps)
            qkv = torch.addmm(blk.attn.c_attn.bias, a.reshape(-1, d), blk.attn.c_attn.weight).view(b, t, 3, h, d // h)
            q, k, v = qkv.unbind(2)
            self.k[i][:, :, p0:p1] = k.transpose(1, 2)
            self.v[i][:, :, p0:p1] = v.transpose(1, 2)
            att = F.scaled_dot_product_attention(
                q.transpose(1, 2), self.k[i][:, :, :p1], self.v[i][:, :, :p1], is_causal=(t > 1 and p0 == 0)
            )
            x = x + torch.addmm(blk.attn.c_proj.bias, att.transpose(1, 2).reshape(-1, d), blk.attn.c_proj.weight).view(
                b, t, d
            )
            m = F.layer_norm(x, (d,), blk.ln_2.weight, blk.ln_2.bias, self.eps)
            m = torch.addmm(blk.mlp.c_fc.bias, m.reshape(-1, d), blk.mlp.c_fc.weight)
            m = F.gelu(m, approximate="tanh" if self.tanh_gelu else "none")
            x = x + torch.addmm(blk.mlp.c_proj.bias, m, blk.mlp.c_proj.weight).view(b, t, d)
        self.pos = p1
        last = F.layer_norm(x[:, -1], (d,), self.tr.ln_f.weight, self.tr.ln_f.bias, self.eps)
        return self.lm_head(last)


def is_phraser_dir(path: Path) -> bool:
    return (Path(path) / META_FILE).is_file()


class PhraserModel:
    """A causal LM that writes delexicalised replies for (act, slots)."""

    def __init__(self, model: Any, tokenizer: Any, meta: Dict[str, Any], device: str = "cpu"):
        self.model = model
        self.tok = tokenizer
        self.meta = meta
        self.device = device
        self.vocab: FrozenSet[str] = frozenset(meta.get("vocab", []))
        # the guard's closed-corpus check compares with the training replies (kept in phraser.json)
        from nlg.guard import ngrams

        replies = meta.get("replies") or []
        self.ngrams: Optional[FrozenSet[str]] = frozenset(g for t in replies for g in ngrams(t)) if replies else None
        self.acts: FrozenSet[str] = frozenset(meta.get("acts", []))
        import torch

        # tokens a reply may never contain: everything special except the end token
        banned = set(tokenizer.all_special_ids) - {tokenizer.eos_token_id}
        mask = torch.zeros(len(tokenizer), dtype=torch.bool)
        mask[sorted(i for i in banned if i is not None and i < len(tokenizer))] = True
        n_logits = model.get_output_embeddings().weight.shape[0]
        if n_logits > len(tokenizer):  # padded embedding rows are never valid
            mask = torch.cat([mask, torch.ones(n_logits - len(tokenizer), dtype=torch.bool)])
        self._banned = mask.to(device)
        self.fast = FastGPT2(model) if FastGPT2.supports(model) else None
        ph = tokenizer.convert_tokens_to_ids(tokens.placeholder_tokens())
        self._slot_ids: Dict[str, List[int]] = {}
        unk = tokenizer.unk_token_id
        for t, i in zip(tokens.placeholder_tokens(), ph, strict=False):
            if i is not None and i != unk:
                self._slot_ids.setdefault(t.strip()[1:-1], []).append(i)

    @classmethod
    def load(cls, path: Path | str, device: str = "auto") -> PhraserModel:
        path = Path(path)
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        t = hf()
        tok = t.AutoTokenizer.from_pretrained(str(path))
        model = t.AutoModelForCausalLM.from_pretrained(str(path))
        dev = resolve_device(device)
        model.to(dev).eval()
        return cls(model, tok, meta, dev)

    def sample(
        self,
        act: str,
        slots: Sequence[str],
        n: int = 4,
        max_new_tokens: int = 64,
        temperature: float = 0.8,
        top_k: int = 30,
        top_p: float = 0.95,
        seed: Optional[int] = None,
        deadline: Optional[float] = None,
        cancel: Optional[threading.Event] = None,
        threads: Optional[int] = 1,
        constrain_slots: bool = True,
        coverage_penalty: float = 0.0,
        use_fast: bool = True,
    ) -> List[Candidate]:
        """``n`` sampled replies in one batch with a KV cache, ranked by :func:`rank`.

        With ``constrain_slots`` a placeholder that is not among ``slots``, or was
        already written, cannot be sampled (it would fail the guard anyway); a slot
        left out is still possible and counts in the slot error rate.
        ``coverage_penalty`` (with ``constrain_slots``) lowers the end token's logit
        while some slot is still unsaid, so the model tends to go on and say it.

        Raises PhraseTimeout when ``time.perf_counter()`` passes ``deadline`` (checked
        every step) or ``cancel`` is set.
        """
        import torch

        tok = self.tok
        eos = tok.eos_token_id
        prompt = tokens.prompt_ids(tok, act, slots)
        x = torch.tensor([prompt] * n, dtype=torch.long, device=self.device)
        gen = torch.Generator(device=self.device)
        gen.manual_seed(seed if seed is not None else int.from_bytes(__import__("os").urandom(4), "little"))
        out = torch.full((n, max_new_tokens), eos, dtype=torch.long, device=self.device)
        logp = torch.zeros(n, device=self.device)
        length = torch.zeros(n, device=self.device)
        done = torch.zeros(n, dtype=torch.bool, device=self.device)
        past = None
        steps = 0
        fast = self.fast if use_fast else None
        if fast is not None:
            fast.start(n, min(fast.max_pos, len(prompt) + max_new_tokens), self.device)
        block = self._banned[None, :].repeat(n, 1)
        if constrain_slots:
            wanted = set(slots)
            for s, ids in self._slot_ids.items():
                if s not in wanted:
                    block[:, ids] = True
            # token id -> slot number, for the slots of this reply (both token forms)
            own = [(i, k) for k, s in enumerate(w for w in slots if w in self._slot_ids) for i in self._slot_ids[s]]
            slot_id_t = torch.tensor([i for i, _ in own], dtype=torch.long, device=self.device)
            slot_of = torch.tensor([k for _, k in own], dtype=torch.long, device=self.device)
            n_slots = len({k for _, k in own})
            unsaid = torch.full((n,), n_slots, dtype=torch.long, device=self.device)
        with torch.inference_mode(), torch_threads(threads if self.device == "cpu" else None):
            for step in range(max_new_tokens):
                if (deadline is not None and time.perf_counter() > deadline) or (
                    cancel is not None and cancel.is_set()
                ):
                    raise PhraseTimeout(f"generation stopped after {step} steps")
                if fast is not None:
                    if fast.pos + x.shape[1] > fast.k[0].shape[2]:
                        break  # out of context: unfinished rows are dropped below
                    logits = fast.step(x).float()
                else:
                    res = self.model(input_ids=x, past_key_values=past, use_cache=True)
                    past = res.past_key_values
                    logits = res.logits[:, -1, :].float()
                logits = logits.masked_fill(block[:, : logits.shape[-1]], float("-inf"))
                if constrain_slots and coverage_penalty:
                    logits[:, eos] -= coverage_penalty * (unsaid > 0).float()
                lp = torch.log_softmax(logits, dim=-1)
                scaled = logits / max(temperature, 1e-4)
                if top_k and top_k < scaled.shape[-1]:
                    kth = torch.topk(scaled, top_k, dim=-1).values[:, -1:]
                    scaled = scaled.masked_fill(scaled < kth, float("-inf"))
                probs = torch.softmax(scaled, dim=-1)
                if top_p < 1.0:
                    sp, si = torch.sort(probs, descending=True, dim=-1)
                    drop = (sp.cumsum(-1) - sp) > top_p
                    sp = sp.masked_fill(drop, 0.0)
                    probs = torch.zeros_like(probs).scatter(-1, si, sp)
                nxt = torch.multinomial(probs, 1, generator=gen).squeeze(1)
                nxt = torch.where(done, torch.full_like(nxt, eos), nxt)
                logp += torch.where(done, torch.zeros_like(logp), lp.gather(1, nxt[:, None]).squeeze(1))
                length += (~done).float()
                out[:, step] = nxt
                if constrain_slots and slot_id_t.numel():
                    match = nxt[:, None] == slot_id_t[None, :]  # (n, ids)
                    hit = match.any(1)
                    if bool(hit.any()):
                        # block every token form of the slot just written
                        said = slot_of[None, :] == (match.long() * (slot_of[None, :] + 1)).max(1).values[:, None] - 1
                        block[:, slot_id_t] |= said & hit[:, None]
                        unsaid -= hit.long()
                done |= nxt == eos
                steps = step + 1
                if bool(done.all()):
                    break
                x = nxt[:, None]
        cands: List[Candidate] = []
        rows = out[:, :steps].tolist()
        for i, row in enumerate(rows):
            if eos in row:
                row = row[: row.index(eos)]
            else:
                continue  # ran out of tokens: an unfinished reply is never used
            cands.append(Candidate(tokens.decode(tok, row), float(logp[i] / max(1.0, float(length[i]))), len(row)))
        return rank(cands, slots)
