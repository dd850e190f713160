"""The small grammar the NLG corpus and the templates are written in.

    [p1_name]          a placeholder (a slot of the act)
    {a|b|c}            alternatives: one is chosen when sampling
    <...>              optional: kept iff every placeholder directly inside it is
                       present in the frame; with no placeholder inside, kept at random
    @item(2)           a macro from ``data/nlg/macros.yaml``; ``#`` in its body becomes 2

Example::

    >>> line = parse("{Try|How about} [p1_name]< at [p1_price]>?")
    >>> render(line, {"p1_name"}, random.Random(0))
    'Try [p1_name]?'

Rendering never invents a placeholder: a line either realises exactly the frame's
slots or is rejected by the caller (``placeholders(text) != frame``).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple, Union

PLACEHOLDER_RE = re.compile(r"\[([a-z][a-z0-9_]*)\]")
MACRO_RE = re.compile(r"@([a-z_]+)\((\d)\)")


class GrammarError(ValueError):
    """A corpus line that cannot be parsed (unbalanced brackets, unknown macro)."""


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Slot:
    name: str


@dataclass(frozen=True)
class Seq:
    items: Tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    options: Tuple[Seq, ...]


@dataclass(frozen=True)
class Opt:
    body: Seq


Node = Union[Text, Slot, Seq, Alt, Opt]


def expand_macros(line: str, macros: Mapping[str, str], depth: int = 0) -> str:
    """Replace ``@name(i)`` with the macro body, ``#`` set to ``i`` (recursively)."""
    if depth > 5:
        raise GrammarError(f"macro recursion too deep in {line!r}")

    def sub(m: re.Match[str]) -> str:
        name, idx = m.group(1), m.group(2)
        if name not in macros:
            raise GrammarError(f"unknown macro @{name} in {line!r}")
        return macros[name].replace("#", idx)

    out = MACRO_RE.sub(sub, line)
    return expand_macros(out, macros, depth + 1) if MACRO_RE.search(out) else out


def parse(line: str, macros: Optional[Mapping[str, str]] = None) -> Seq:
    """Parse one grammar line into a tree."""
    src = expand_macros(line, macros or {})
    pos = 0

    def seq(stops: str) -> Seq:
        nonlocal pos
        items: List[Node] = []
        buf: List[str] = []

        def flush() -> None:
            if buf:
                items.append(Text("".join(buf)))
                buf.clear()

        while pos < len(src):
            c = src[pos]
            if c in stops:
                break
            if c == "{":
                flush()
                pos += 1
                opts = [seq("|}")]
                while pos < len(src) and src[pos] == "|":
                    pos += 1
                    opts.append(seq("|}"))
                if pos >= len(src) or src[pos] != "}":
                    raise GrammarError(f"unclosed '{{' in {line!r}")
                pos += 1
                items.append(Alt(tuple(opts)))
            elif c == "<":
                flush()
                pos += 1
                body = seq(">")
                if pos >= len(src) or src[pos] != ">":
                    raise GrammarError(f"unclosed '<' in {line!r}")
                pos += 1
                items.append(Opt(body))
            elif c == "[":
                m = PLACEHOLDER_RE.match(src, pos)
                if not m:
                    raise GrammarError(f"bad placeholder at {src[pos : pos + 20]!r} in {line!r}")
                flush()
                items.append(Slot(m.group(1)))
                pos = m.end()
            elif c in "}>|]":
                raise GrammarError(f"stray {c!r} in {line!r}")
            else:
                buf.append(c)
                pos += 1
        flush()
        return Seq(tuple(items))

    tree = seq("")
    if pos != len(src):
        raise GrammarError(f"stray {src[pos]!r} in {line!r}")
    return tree


def direct_slots(node: Node) -> FrozenSet[str]:
    """Placeholders in ``node`` that are not inside a nested optional."""
    if isinstance(node, Slot):
        return frozenset([node.name])
    if isinstance(node, Seq):
        out: FrozenSet[str] = frozenset()
        for it in node.items:
            out |= direct_slots(it)
        return out
    if isinstance(node, Alt):
        out = frozenset()
        for o in node.options:
            out |= direct_slots(o)
        return out
    return frozenset()  # Text, Opt


def all_slots(node: Node) -> FrozenSet[str]:
    """Every placeholder that can appear when rendering ``node``."""
    if isinstance(node, Slot):
        return frozenset([node.name])
    if isinstance(node, Text):
        return frozenset()
    if isinstance(node, Opt):
        return all_slots(node.body)
    children = node.items if isinstance(node, Seq) else node.options
    out: FrozenSet[str] = frozenset()
    for c in children:
        out |= all_slots(c)
    return out


def render(node: Node, frame: FrozenSet[str] | set, rng: Optional[random.Random] = None) -> str:
    """Render ``node`` for a frame (the set of slots to realise).

    With ``rng`` None the rendering is deterministic: the first alternative, and
    placeholder-free optionals left out (what templates use).
    """
    if isinstance(node, Text):
        return node.value
    if isinstance(node, Slot):
        return f"[{node.name}]"
    if isinstance(node, Seq):
        return "".join(render(i, frame, rng) for i in node.items)
    if isinstance(node, Alt):
        opts = node.options
        if rng is None:
            return render(opts[0], frame, rng)
        fitting = [o for o in opts if direct_slots(o) <= frame]
        return render(rng.choice(fitting or list(opts)), frame, rng)
    if isinstance(node, Opt):
        need = direct_slots(node.body)
        if need:
            keep = need <= frame
        else:
            keep = rng is not None and rng.random() < 0.5
        return render(node.body, frame, rng) if keep else ""
    raise TypeError(node)


_SPACE_RE = re.compile(r"[ \t]+")
_BEFORE_PUNCT_RE = re.compile(r" +([,.!?;:)])")
_AFTER_OPEN_RE = re.compile(r"([(]) +")
_DOUBLE_PUNCT_RE = re.compile(r"([,;:])\s*([,.!?;:])")
_SENTENCE_START_RE = re.compile(r"([.!?] )([a-z])")


def tidy(text: str) -> str:
    """Collapse the spaces and stray punctuation that optional parts leave behind."""
    t = _SPACE_RE.sub(" ", text).strip().lstrip(",;: ")
    t = _BEFORE_PUNCT_RE.sub(r"\1", t)
    t = _AFTER_OPEN_RE.sub(r"\1", t)
    t = _DOUBLE_PUNCT_RE.sub(r"\2", t)
    t = t.replace("..", ".")
    t = _SENTENCE_START_RE.sub(lambda m: m.group(1) + m.group(2).upper(), t)
    if t and t[0].islower():
        t = t[0].upper() + t[1:]
    return t


def placeholders(text: str) -> List[str]:
    """Placeholders in a delexicalised text, in order, repeats kept."""
    return PLACEHOLDER_RE.findall(text)


def sample_distinct(
    lines: Sequence[Seq], frame: FrozenSet[str], k: int, rng: random.Random, tries_per_line: int = 40
) -> List[str]:
    """Up to ``k`` distinct renderings of ``lines`` that realise exactly ``frame``.

    Lines are visited round-robin so that every fitting line contributes.
    """
    fitting = [ln for ln in lines if direct_slots(ln) <= frame and frame <= all_slots(ln)]
    seen: Dict[str, None] = {}
    tries = max(tries_per_line, 4 * k // max(1, len(fitting)) + 10)
    budget = {i: tries for i in range(len(fitting))}
    while len(seen) < k and budget:
        for i in list(budget):
            if len(seen) >= k:
                break
            budget[i] -= 1
            if budget[i] <= 0:
                del budget[i]
            text = tidy(render(fitting[i], frame, rng))
            ph = placeholders(text)
            if set(ph) == set(frame) and len(ph) == len(set(ph)):
                seen.setdefault(text, None)
    return list(seen)
