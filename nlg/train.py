"""Train the phraser: ``python -m nlg.train [--base gpt2] [--device auto] ...``

In the style of transformers' ``run_clm.py``: dataclass arguments, a seed, the
model saved with its tokenizer, and ``metrics.json`` (held-out perplexity, slot
error rate, BLEU).

- Without ``--base`` (the offline default) a small ``GPT2LMHeadModel`` is trained
  from scratch with a byte-level BPE tokenizer trained on the corpus.
- With ``--base`` (a hub id such as ``gpt2`` or a local folder) that checkpoint
  is fine-tuned; its tokenizer gets the act and placeholder tokens added.

The result goes to ``<cache>/nlg/<hash>/``; the hash covers the corpus files and
every argument that changes the model, so a second run with nothing changed
returns at once ("cached").
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from config import NLGSettings
from nlg import tokens
from nlg.corpus import Example, build_examples, corpus_hash, load_corpus
from nlg.grammar import PLACEHOLDER_RE
from nlg.guard import words
from nlg.model import FORMAT_VERSION, META_FILE, PhraserModel, resolve_device
from nlg.tokens import hf

TRAIN_CODE_VERSION = 8  # bump when a change here changes the trained model


@dataclass
class TrainArgs:
    """Arguments of ``python -m nlg.train`` (see ``--help``)."""

    base: Optional[str] = field(
        default=None,
        metadata={"help": "HF causal-LM checkpoint (hub id or folder) to fine-tune; unset = small GPT-2 from scratch"},
    )
    output_dir: Optional[str] = field(default=None, metadata={"help": "where to save; unset = <cache>/nlg/<hash>"})
    cache_dir: Optional[str] = field(default=None, metadata={"help": "cache root; unset = <Settings.cache_dir>/nlg"})
    data_dir: Optional[str] = field(default=None, metadata={"help": "corpus folder; unset = data/nlg"})
    n_layer: int = field(default=3, metadata={"help": "layers (scratch model)"})
    n_embd: int = field(default=192, metadata={"help": "hidden size (scratch model)"})
    n_head: int = field(default=4, metadata={"help": "attention heads (scratch model)"})
    n_positions: int = field(default=128, metadata={"help": "context length (scratch model)"})
    vocab_size: int = field(default=1200, metadata={"help": "BPE vocabulary (scratch tokenizer)"})
    dropout: float = field(default=0.1, metadata={"help": "dropout (scratch model)"})
    epochs: float = field(default=12.0, metadata={"help": "passes over the training pairs"})
    batch_size: int = field(default=32, metadata={"help": "pairs per step"})
    learning_rate: Optional[float] = field(
        default=None, metadata={"help": "unset = 3e-3 from scratch, 1e-4 for --base"}
    )
    weight_decay: float = 0.01
    warmup_ratio: float = 0.05
    per_act: int = field(default=420, metadata={"help": "training replies per act (spread over its frames)"})
    seed: int = 13
    device: str = field(default="auto", metadata={"help": "auto (GPU when present) | cpu | cuda"})
    threads: int = field(
        default=1, metadata={"help": "torch CPU threads (1 is fastest on a busy 2-core machine; try 2 on an idle one)"}
    )
    shuffle_slots: bool = field(
        default=True, metadata={"help": "shuffle the prompt's slot order in training (the prompt is a set)"}
    )
    eval_draws: int = field(default=4, metadata={"help": "generations per held-out frame for SER/BLEU"})
    force: bool = field(default=False, metadata={"help": "retrain even if cached"})
    quiet: bool = field(default=False, metadata={"help": "no progress bar"})

    # fields that do not change the trained model
    _RUNTIME = ("output_dir", "cache_dir", "device", "threads", "force", "quiet", "eval_draws")

    def lr(self) -> float:
        return self.learning_rate if self.learning_rate is not None else (1e-4 if self.base else 3e-3)

    def model_hash(self) -> str:
        cfg = {k: v for k, v in dataclasses.asdict(self).items() if k not in self._RUNTIME}
        cfg["data_dir"] = None  # the corpus enters through its content hash
        data_dir = Path(self.data_dir) if self.data_dir else None
        blob = json.dumps(
            {"args": cfg, "corpus": corpus_hash(data_dir), "format": FORMAT_VERSION, "code": TRAIN_CODE_VERSION},
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def model_dir_for(args: TrainArgs, cache_dir: Optional[Path] = None) -> Path:
    if args.output_dir:
        return Path(args.output_dir)
    root = (
        Path(cache_dir)
        if cache_dir
        else (Path(args.cache_dir) if args.cache_dir else NLGSettings().resolved_cache_dir())
    )
    return root / args.model_hash()


def set_seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def shuffled_prompt(x: List[int], y: List[int], rng: random.Random) -> List[int]:
    """The same pair with the prompt's slot tokens (after bos and act) in random order."""
    k = sum(1 for v in y if v == -100)  # bos, act, slots..., sep
    slots = x[2 : k - 1]
    rng.shuffle(slots)
    return x[:2] + slots + x[k - 1 :]


def _batches(
    data: List[Tuple[List[int], List[int]]], bs: int, pad: int, rng: random.Random, shuffle_slots: bool = False
):
    """Shuffled batches of similar lengths (less padding), padded to the longest in each."""
    import torch

    order = list(range(len(data)))
    rng.shuffle(order)
    pool = bs * 16
    batches: List[List[int]] = []
    for i in range(0, len(order), pool):
        part = sorted(order[i : i + pool], key=lambda j: len(data[j][0]))
        batches.extend(part[k : k + bs] for k in range(0, len(part), bs))
    rng.shuffle(batches)
    for b in batches:
        chunk = [data[j] for j in b]
        n = max(len(x) for x, _ in chunk)
        ids = torch.full((len(chunk), n), pad, dtype=torch.long)
        lab = torch.full((len(chunk), n), -100, dtype=torch.long)
        att = torch.zeros((len(chunk), n), dtype=torch.long)
        for k, (x, y) in enumerate(chunk):
            if shuffle_slots:
                x = shuffled_prompt(x, y, rng)
            ids[k, : len(x)] = torch.tensor(x)
            lab[k, : len(y)] = torch.tensor(y)
            att[k, : len(x)] = 1
        yield ids, lab, att


def eval_loss(model: Any, data: List[Tuple[List[int], List[int]]], pad: int, device: str, bs: int = 64) -> float:
    """Mean per-token loss on reply tokens (teacher forcing)."""
    import torch

    tot = n = 0.0
    model.eval()
    with torch.inference_mode():
        for ids, lab, att in _batches(data, bs, pad, random.Random(0)):
            ids, lab, att = ids.to(device), lab.to(device), att.to(device)
            logits = model(input_ids=ids, attention_mask=att).logits[:, :-1].float()
            tgt = lab[:, 1:]
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100, reduction="sum"
            )
            tot += float(loss)
            n += float((tgt != -100).sum())
    model.train()
    return tot / max(1.0, n)


def heldout_generation_metrics(
    pm: PhraserModel, held: Sequence[Example], draws: int, cfg: NLGSettings, seed: int
) -> Dict[str, float]:
    """Slot error rate (top candidate, before the guard) and BLEU on held-out frames."""
    from nlg.metrics import corpus_bleu, slot_error_rate

    refs: Dict[Tuple[str, Tuple[str, ...]], List[str]] = {}
    for e in held:
        refs.setdefault((e.act, e.slots), []).append(e.text)
    hyps, rlist, pairs = [], [], []
    k = 0
    for (act, slots), rs in refs.items():
        for _ in range(draws):
            cands = pm.sample(
                act,
                slots,
                n=cfg.num_candidates,
                max_new_tokens=cfg.max_new_tokens,
                temperature=cfg.temperature,
                top_k=cfg.top_k,
                top_p=cfg.top_p,
                seed=seed + k,
                threads=cfg.threads,
                constrain_slots=cfg.constrain_slots,
                coverage_penalty=cfg.coverage_penalty,
            )
            k += 1
            top = cands[0].text if cands else ""
            hyps.append(top)
            rlist.append(rs)
            pairs.append((top, slots))
    return {"ser": slot_error_rate(pairs), "bleu": corpus_bleu(hyps, rlist), "n_generated": len(hyps)}


def corpus_replies(examples: Sequence[Example]) -> List[str]:
    return sorted({e.text for e in examples})


def corpus_vocab(examples: Sequence[Example]) -> List[str]:
    vocab = set()
    for e in examples:
        vocab.update(words(PLACEHOLDER_RE.sub(" ", e.text)))
    return sorted(vocab)


def train(args: TrainArgs) -> Path:
    """Train (or find cached) and return the phraser folder."""
    out_dir = model_dir_for(args)
    if not args.force and (out_dir / META_FILE).is_file():
        print(f"phraser cached at {out_dir}", flush=True)
        return out_dir
    import torch
    from tqdm.auto import tqdm

    t_start = time.perf_counter()
    set_seed(args.seed)
    torch.set_num_threads(max(1, args.threads))
    device = resolve_device(args.device)
    corpus = load_corpus(Path(args.data_dir) if args.data_dir else None)
    acts = list(corpus.acts)
    train_ex = build_examples(corpus, "train", seed=args.seed, per_act=args.per_act)
    held_ex = build_examples(corpus, "heldout", seed=args.seed)
    t = hf()
    if args.base:
        print(f"fine-tuning {args.base} on {len(train_ex)} pairs ({len(acts)} acts), device={device}", flush=True)
        tok = tokens.prepare_pretrained_tokenizer(t.AutoTokenizer.from_pretrained(args.base), acts)
        model = t.AutoModelForCausalLM.from_pretrained(args.base)
        model.resize_token_embeddings(len(tok))
        if getattr(model.config, "pad_token_id", None) is None:
            model.config.pad_token_id = tok.pad_token_id
    else:
        print(
            f"training a {args.n_layer}-layer {args.n_embd}-d GPT-2 from scratch on {len(train_ex)} pairs "
            f"({len(acts)} acts), device={device}",
            flush=True,
        )
        tok = tokens.train_tokenizer([e.text for e in train_ex], acts, args.vocab_size)
        conf = t.GPT2Config(
            vocab_size=len(tok),
            n_positions=args.n_positions,
            n_embd=args.n_embd,
            n_layer=args.n_layer,
            n_head=args.n_head,
            resid_pdrop=args.dropout,
            embd_pdrop=args.dropout,
            attn_pdrop=args.dropout,
            bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
            pad_token_id=tok.pad_token_id,
        )
        model = t.GPT2LMHeadModel(conf)
    model.to(device)
    max_len: int = getattr(model.config, "n_positions", 0) or getattr(model.config, "max_position_embeddings", 1024)
    train_data = [tokens.example_ids(tok, e.act, e.slots, e.text) for e in train_ex]
    held_data = [tokens.example_ids(tok, e.act, e.slots, e.text) for e in held_ex]
    too_long = [x for x, _ in train_data if len(x) > max_len]
    if too_long:
        raise ValueError(f"{len(too_long)} training pairs exceed the model's {max_len} positions")
    steps_per_epoch = math.ceil(len(train_data) / args.batch_size)
    total = max(1, int(round(steps_per_epoch * args.epochs)))
    warm = max(1, int(total * args.warmup_ratio))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr(), weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, total - warm)))
    )
    rng = random.Random(args.seed)
    model.train()
    step = 0
    ema = None
    bar = tqdm(total=total, desc="train phraser", unit="step", disable=args.quiet, file=sys.stderr)
    history: List[Dict[str, float]] = []
    while step < total:
        for ids, lab, att in _batches(train_data, args.batch_size, tok.pad_token_id, rng, args.shuffle_slots):
            if step >= total:
                break
            ids, lab, att = ids.to(device), lab.to(device), att.to(device)
            loss = model(input_ids=ids, attention_mask=att, labels=lab).loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            lv = loss.item()
            ema = lv if ema is None else 0.95 * ema + 0.05 * lv
            bar.update(1)
            bar.set_postfix(loss=f"{ema:.3f}")
            if step % steps_per_epoch == 0 or step == total:
                history.append(
                    {
                        "step": step,
                        "train_loss": ema,
                        "eval_loss": eval_loss(model, held_data, tok.pad_token_id, device),
                    }
                )
                bar.set_postfix(loss=f"{ema:.3f}", eval=f"{history[-1]['eval_loss']:.3f}")
    bar.close()
    train_seconds = time.perf_counter() - t_start
    model.eval()
    ev = eval_loss(model, held_data, tok.pad_token_id, device)
    meta = {
        "format_version": FORMAT_VERSION,
        "base": args.base,
        "acts": acts,
        "vocab": corpus_vocab(train_ex),
        "replies": corpus_replies(train_ex),
        "corpus_hash": corpus_hash(Path(args.data_dir) if args.data_dir else None),
        "model_hash": args.model_hash(),
        "args": {k: v for k, v in dataclasses.asdict(args).items()},
        "n_params": sum(p.numel() for p in model.parameters()),
        "train_pairs": len(train_ex),
    }
    tmp = out_dir.with_name(out_dir.name + f".tmp{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    model.save_pretrained(str(tmp))
    tok.save_pretrained(str(tmp))
    (tmp / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    pm = PhraserModel(model, tok, meta, device)
    cfg = NLGSettings()
    gen = heldout_generation_metrics(pm, held_ex, args.eval_draws, cfg, args.seed)
    metrics = {
        "eval_loss": ev,
        "eval_perplexity": math.exp(ev),
        "heldout_ser_before_guard": gen["ser"],
        "heldout_bleu": gen["bleu"],
        "heldout_generated": gen["n_generated"],
        "heldout_frames": len({(e.act, e.slots) for e in held_ex}),
        "train_pairs": len(train_ex),
        "train_steps": total,
        "train_seconds": round(train_seconds, 1),
        "n_params": meta["n_params"],
        "device": device,
        "history": history,
    }
    (tmp / "metrics.json").write_text(json.dumps(metrics, indent=1), encoding="utf-8")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    print(
        json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items() if k != "history"}),
        flush=True,
    )
    print(f"phraser saved to {out_dir} ({train_seconds:.0f}s training)", flush=True)
    return out_dir


def parse_args(argv: Optional[Sequence[str]] = None) -> TrainArgs:
    parser = hf().HfArgumentParser(TrainArgs)
    (args,) = parser.parse_args_into_dataclasses(args=list(argv) if argv is not None else None)
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
