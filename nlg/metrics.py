"""BLEU, distinct-n and slot error rate, written out so no extra package is needed.

Texts are compared delexicalised (placeholders are single tokens), so the
figures measure the phrasing, not the product names that get put in.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Iterable, List, Sequence, Tuple

from nlg.guard import slot_errors

TOKEN_RE = re.compile(r"\[[a-z0-9_]+\]|\w+(?:'\w+)?|[^\w\s]")


def tokenize(text: str) -> List[str]:
    return TOKEN_RE.findall(text.lower())


def ngrams(toks: Sequence[str], n: int) -> List[Tuple[str, ...]]:
    return [tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)]


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[Sequence[str]], max_n: int = 4) -> float:
    """Corpus BLEU-4 (Papineni et al. 2002) with several references per hypothesis, in [0, 100]."""
    if len(hypotheses) != len(references):
        raise ValueError("one list of references per hypothesis")
    match = [0] * max_n
    total = [0] * max_n
    hyp_len = ref_len = 0
    for hyp, refs in zip(hypotheses, references, strict=True):
        h = tokenize(hyp)
        rs = [tokenize(r) for r in refs]
        if not rs:
            continue
        hyp_len += len(h)
        ref_len += min((abs(len(r) - len(h)), len(r)) for r in rs)[1]
        for n in range(1, max_n + 1):
            hc = Counter(ngrams(h, n))
            max_ref: Counter = Counter()
            for r in rs:
                for g, c in Counter(ngrams(r, n)).items():
                    if c > max_ref[g]:
                        max_ref[g] = c
            match[n - 1] += sum(min(c, max_ref[g]) for g, c in hc.items())
            total[n - 1] += max(0, len(h) - n + 1)
    if hyp_len == 0 or any(m == 0 for m in match):
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(match, total, strict=True)) / max_n
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return 100.0 * bp * math.exp(log_p)


def distinct_n(texts: Iterable[str], n: int = 2) -> float:
    """Distinct n-grams / all n-grams over a set of outputs (Li et al. 2016)."""
    grams: List[Tuple[str, ...]] = []
    for t in texts:
        grams.extend(ngrams(tokenize(t), n))
    return len(set(grams)) / len(grams) if grams else 0.0


def slot_error_rate(pairs: Iterable[Tuple[str, Sequence[str]]]) -> float:
    """(missing + invented + repeated placeholders) / slots asked for, over (delex output, slots) pairs.

    Pairs with no slots add nothing to the denominator but still count invented ones.
    """
    err = tot = 0
    for text, slots in pairs:
        m, u, r, t = slot_errors(text, slots)
        err += m + u + r
        tot += t
    return err / tot if tot else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100]."""
    if not values:
        return float("nan")
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)
