"""The NLG corpus: dialogue acts, their frames, reply lines, the held-out split.

Sources (all written by this project) live in ``data/nlg/``:

- ``acts.yaml``: every act, its frames (slot combinations) and its template;
- ``macros.yaml``: reusable phrases;
- ``replies/*.yaml``: reply lines per act, in the grammar of :mod:`nlg.grammar`;
- ``heldout.yaml``: act x slot combinations kept out of training.

:func:`build_examples` expands the lines into delexicalised ``(act, slots, text)``
pairs, deterministically for a seed. ``python -m nlg.corpus`` prints the counts
and can dump the expansion as JSONL.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import random
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

import yaml

from nlg import grammar
from nlg.slots import slot_sort_key

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "nlg"

Frame = FrozenSet[str]


@dataclass(frozen=True)
class ActSpec:
    """One dialogue act: what it may say and its safe template."""

    name: str
    description: str
    frames: Tuple[Frame, ...]
    template_src: str
    template: grammar.Seq = field(repr=False, compare=False)
    uniform_products: bool = True  # with several products, keep only the fields all of them have

    @property
    def slots(self) -> FrozenSet[str]:
        out: FrozenSet[str] = frozenset()
        for f in self.frames:
            out |= f
        return out


@dataclass(frozen=True)
class Example:
    """A delexicalised training / evaluation pair."""

    act: str
    slots: Tuple[str, ...]  # canonical order
    text: str

    def to_json(self) -> str:
        return json.dumps({"act": self.act, "slots": list(self.slots), "text": self.text}, ensure_ascii=False)


@dataclass
class Corpus:
    acts: Dict[str, ActSpec]
    lines: Dict[str, List[grammar.Seq]]
    line_src: Dict[str, List[str]]
    heldout: Dict[str, Set[Frame]]
    data_dir: Path

    def train_frames(self, act: str) -> List[Frame]:
        return [f for f in self.acts[act].frames if f not in self.heldout.get(act, set())]

    def heldout_frames(self, act: str) -> List[Frame]:
        return sorted(self.heldout.get(act, set()), key=frame_key)


def frame_key(frame: Iterable[str]) -> Tuple:
    return tuple(sorted(slot_sort_key(s) for s in frame))


def canonical(frame: Iterable[str]) -> Tuple[str, ...]:
    return tuple(sorted(frame, key=slot_sort_key))


def _frames_from_spec(spec: Sequence) -> List[Frame]:
    frames: List[Frame] = []
    for item in spec:
        if isinstance(item, Mapping):
            for n, fields, extra in itertools.product(item["products"], item["fields"], item.get("extra", [[]])):
                slots = {f"p{i}_{f}" for i in range(1, n + 1) for f in fields} | set(extra)
                frames.append(frozenset(slots))
        elif isinstance(item, list) and item and all(isinstance(x, list) for x in item):
            frames.extend(frozenset(x) for x in item)
        elif isinstance(item, list):
            frames.append(frozenset(item))
        else:
            raise ValueError(f"bad frame spec {item!r}")
    seen: Dict[Frame, None] = {}
    for f in frames:
        seen.setdefault(f, None)
    return list(seen)


def files_of(data_dir: Path) -> List[Path]:
    return [data_dir / "acts.yaml", data_dir / "macros.yaml", data_dir / "heldout.yaml"] + sorted(
        (data_dir / "replies").glob("*.yaml")
    )


def corpus_hash(data_dir: Optional[Path] = None) -> str:
    """sha256 of every corpus source file (names and contents)."""
    data_dir = Path(data_dir or DATA_DIR)
    h = hashlib.sha256()
    for p in files_of(data_dir):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def load_corpus(data_dir: Optional[Path] = None) -> Corpus:
    """Load and check the corpus sources (cached per directory)."""
    return _load(str(Path(data_dir or DATA_DIR).resolve()))


@lru_cache(maxsize=4)
def _load(data_dir_s: str) -> Corpus:
    data_dir = Path(data_dir_s)
    acts_doc = yaml.safe_load((data_dir / "acts.yaml").read_text(encoding="utf-8"))["acts"]
    macros = yaml.safe_load((data_dir / "macros.yaml").read_text(encoding="utf-8"))["macros"]
    held_doc = yaml.safe_load((data_dir / "heldout.yaml").read_text(encoding="utf-8"))["heldout"]
    acts: Dict[str, ActSpec] = {}
    for name, spec in acts_doc.items():
        held = _frames_from_spec(held_doc.get(name, []))
        frames = _frames_from_spec(spec["frames"])
        for f in held:
            if f not in frames:
                frames.append(f)
        acts[name] = ActSpec(
            name=name,
            description=spec.get("description", ""),
            frames=tuple(frames),
            template_src=spec["template"],
            template=grammar.parse(spec["template"], macros),
            uniform_products=bool(spec.get("uniform_products", True)),
        )
    unknown = set(held_doc) - set(acts)
    if unknown:
        raise ValueError(f"heldout.yaml names unknown acts: {sorted(unknown)}")
    heldout = {a: set(_frames_from_spec(v)) for a, v in held_doc.items()}
    lines: Dict[str, List[grammar.Seq]] = {a: [] for a in acts}
    line_src: Dict[str, List[str]] = {a: [] for a in acts}
    for path in sorted((data_dir / "replies").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for act, items in doc.items():
            if act not in acts:
                raise ValueError(f"{path.name}: unknown act {act!r}")
            for src in items:
                try:
                    lines[act].append(grammar.parse(src, macros))
                except grammar.GrammarError as e:
                    raise ValueError(f"{path.name}: {act}: {e}") from e
                line_src[act].append(src)
    return Corpus(acts=acts, lines=lines, line_src=line_src, heldout=heldout, data_dir=data_dir)


def per_frame_count(n_frames: int, per_act: int, lo: int = 8, hi: int = 150) -> int:
    return max(lo, min(hi, math.ceil(per_act / max(1, n_frames))))


def expand_frame(corpus: Corpus, act: str, frame: Frame, k: int, seed: int) -> List[str]:
    """Up to ``k`` distinct replies for one frame, deterministic for ``seed``."""
    key = f"{seed}|{act}|{'|'.join(canonical(frame))}"
    rng = random.Random(hashlib.sha256(key.encode()).hexdigest())
    return grammar.sample_distinct(corpus.lines[act], frame, k, rng)


def build_examples(
    corpus: Optional[Corpus] = None, split: str = "train", seed: int = 13, per_act: int = 420, refs_per_frame: int = 60
) -> List[Example]:
    """Expand the corpus. ``split`` is ``train`` (frames not held out) or ``heldout``."""
    corpus = corpus or load_corpus()
    out: List[Example] = []
    for act in corpus.acts:
        if split == "train":
            frames = corpus.train_frames(act)
            k = per_frame_count(len(frames), per_act)
        elif split == "heldout":
            frames = corpus.heldout_frames(act)
            k = refs_per_frame
        else:
            raise ValueError(split)
        for fr in frames:
            slots = canonical(fr)
            for text in expand_frame(corpus, act, fr, k, seed):
                out.append(Example(act, slots, text))
    return out


def stats(corpus: Corpus, seed: int = 13) -> Dict[str, Dict[str, int]]:
    """Per act: frames, held-out frames, source lines, distinct replies (train + held out)."""
    res: Dict[str, Dict[str, int]] = {}
    for act in corpus.acts:
        distinct: Set[str] = set()
        for fr in corpus.acts[act].frames:
            distinct.update(expand_frame(corpus, act, fr, 400, seed))
        res[act] = {
            "frames": len(corpus.acts[act].frames),
            "heldout_frames": len(corpus.heldout.get(act, ())),
            "lines": len(corpus.lines[act]),
            "distinct_replies": len(distinct),
        }
    return res


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nlg.corpus", description=__doc__.split("\n")[0])
    ap.add_argument("--dump", type=Path, help="write the train and held-out expansions as JSONL into this folder")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args(argv)
    corpus = load_corpus()
    st = stats(corpus, args.seed)
    print(f"{'act':24} {'frames':>6} {'held':>5} {'lines':>5} {'distinct':>8}")
    for act, s in st.items():
        print(f"{act:24} {s['frames']:>6} {s['heldout_frames']:>5} {s['lines']:>5} {s['distinct_replies']:>8}")
    train = build_examples(corpus, "train", args.seed)
    held = build_examples(corpus, "heldout", args.seed)
    print(f"acts={len(corpus.acts)} train_examples={len(train)} heldout_refs={len(held)} hash={corpus_hash()[:12]}")
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        for name, rows in (("train.jsonl", train), ("heldout.jsonl", held)):
            (args.dump / name).write_text("".join(r.to_json() + "\n" for r in rows), encoding="utf-8")
        print(f"wrote {args.dump}/train.jsonl and heldout.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
