"""The grounding guard: a candidate reply may state nothing that is not in the facts.

:func:`check` works on the delexicalised candidate (placeholders, not values) and
returns the reasons to reject it, empty when it passes:

- ``unknown_slot:X``  a placeholder the facts do not have;
- ``missing_slot:X``  a slot of the facts the reply leaves out;
- ``repeated_slot:X`` a slot said twice;
- ``misbound:X``      a product attribute placed next to another product's name
                      (``[p1_name] costs [p2_price]``);
- ``malformed``       a bracket that is not a placeholder;
- ``number:X`` / ``currency:X`` / ``number_word:X`` a figure in the model's own words;
- ``name:X``          a known product or brand name (the lexicon) not among the facts;
- ``unknown_word:X``  a word the training corpus never used (closed vocabulary:
                      an invented product or brand cannot slip through);
- ``ngram:...``       a pair of adjacent tokens, a run of three or four words, or
                      the two words before a placeholder, that no training reply has
                      within a sentence: a value in the wrong role ("costs
                      [p1_feature]", "Otherwise it's [shipping_days]"), a claim made
                      by splicing ("The fee is free.", "Otherwise shipping is
                      free."), or a garbled seam ("It has Keep shopping?"). What
                      follows a placeholder is checked one token deep only, so a new
                      but sound combination ("for [category] under [budget]") passes;
- ``empty``           nothing left to say.

:func:`ungrounded` checks a final, lexicalised text the same way after removing
every fact value: what remains must hold no figure, currency or unknown name.
"""

from __future__ import annotations

import re
from typing import Collection, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from nlg.grammar import PLACEHOLDER_RE
from nlg.slots import n_products, product_slot

CURRENCY_CHARS = "$€£¥₹₩₽¢"
CURRENCY_WORDS = {
    "usd",
    "eur",
    "gbp",
    "inr",
    "jpy",
    "cny",
    "rs",
    "rupee",
    "rupees",
    "dollar",
    "dollars",
    "euro",
    "euros",
    "pound",
    "pounds",
    "buck",
    "bucks",
    "cent",
    "cents",
    "yen",
    "yuan",
    "pence",
    "quid",
}
NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
    "million": 10**6,
    "billion": 10**9,
    "dozen": 12,
    "zero": 0,
    "none": 0,
}
# "one" is left out on purpose: "this one", "the one I'd pick" are not counts.
NUMBER_WORDS.pop("none")

WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
DIGIT_RE = re.compile(r"\d+(?:[.,]\d+)*")
CURRENCY_RE = re.compile(f"[{re.escape(CURRENCY_CHARS)}%]")
SENTENCE_RE = re.compile(r"(?<=[.!?;])\s+")
_MASK = "\u2063"
_TOKEN_RE = re.compile(r"\[[a-z0-9_]+\]|[^\W_]+(?:['’][^\W_]+)*|[^\w\s]")
_PNUM_RE = re.compile(r"^\[p\d_")
_POSSESSIVE_RE = re.compile(r"['’]s \[p(\d)_name\]")  # invisible separator: stands where a value was


def words(text: str) -> List[str]:
    """Lower-cased words (letters and inner apostrophes) of a text."""
    return [w.lower().replace("’", "'") for w in WORD_RE.findall(text)]


def scaffold(delex: str) -> str:
    """The model's own words: the candidate with its placeholders blanked out."""
    return PLACEHOLDER_RE.sub(f" {_MASK} ", delex)


def _binding_errors(delex: str) -> List[str]:
    """Product attributes must sit with their own product's name.

    An attribute binds to the name it qualifies as a possessive (``[p2_brand]'s
    [p2_name]``), else the nearest name before it in the same sentence, else the
    first name after it in the sentence, else the last name said before.
    """
    errors: List[str] = []
    sentences = SENTENCE_RE.split(delex)
    last_name_before: Optional[int] = None
    for sent in sentences:
        matches = list(PLACEHOLDER_RE.finditer(sent))
        slots = [(m.group(1), product_slot(m.group(1))) for m in matches]
        names = [(k, ps[0]) for k, (_, ps) in enumerate(slots) if ps and ps[1] == "name"]
        for k, (slot, ps) in enumerate(slots):
            if not ps or ps[1] == "name":
                continue
            poss = _POSSESSIVE_RE.match(sent, matches[k].end())
            before = [i for (j, i) in names if j < k]
            after = [i for (j, i) in names if j > k]
            if poss:
                owner: Optional[int] = int(poss.group(1))
            else:
                owner = before[-1] if before else (after[0] if after else last_name_before)
            if owner is None or owner != ps[0]:
                errors.append(f"misbound:{slot}")
        if names:
            last_name_before = names[-1][1]
    return errors


def _allowed_numbers(values: Mapping[str, str]) -> set:
    allowed: Set[float] = {n_products(values)}
    for v in values.values():
        for d in DIGIT_RE.findall(v):
            try:
                allowed.add(float(d.replace(",", "")))
            except ValueError:
                pass
    return allowed


def _in_values(term: str, values: Mapping[str, str]) -> bool:
    t = term.lower()
    return any(t in v.lower() for v in values.values())


def ngrams(delex: str) -> List[str]:
    """What the closed-corpus check compares, per sentence: every pair of adjacent
    tokens, every run of three tokens whose first two are not placeholders (three
    words, or the two words that set up a placeholder's role), and every run of four
    words; lower-cased, product numbers generalised (``[p#_price]``), ``^`` / ``$``
    at sentence ends."""
    out: List[str] = []
    for sent in SENTENCE_RE.split(delex.strip().lower()):
        toks = ["^"] + [_PNUM_RE.sub("[p#_", t) for t in _TOKEN_RE.findall(sent)] + ["$"]
        out.extend(" ".join(toks[i : i + 2]) for i in range(len(toks) - 1))
        out.extend(
            " ".join(toks[i : i + 3])
            for i in range(len(toks) - 2)
            if not (toks[i].startswith("[") or toks[i + 1].startswith("["))
        )
        out.extend(
            " ".join(toks[i : i + 4])
            for i in range(len(toks) - 3)
            if not any(t.startswith("[") for t in toks[i : i + 4])
        )
    return out


def check(
    delex: str,
    values: Mapping[str, str],
    vocab: Optional[Collection[str]] = None,
    lexicon: Optional[Iterable[str]] = None,
    known_ngrams: Optional[Collection[str]] = None,
) -> List[str]:
    """Reasons to reject a delexicalised candidate for these slot values; [] = pass.

    Args:
        delex: the candidate with placeholders, e.g. ``"Try [p1_name] at [p1_price]."``
        values: the slot values the reply must state (all of them, each once).
        vocab: lower-cased words the model may use; None skips the closed-vocabulary check.
        known_ngrams: the :func:`ngrams` of the training corpus; None skips the check.
        lexicon: known product and brand names (e.g. the catalog's brands) that must
            not appear unless they are among the values.
    """
    reasons: List[str] = []
    found = PLACEHOLDER_RE.findall(delex)
    counts: Dict[str, int] = {}
    for s in found:
        counts[s] = counts.get(s, 0) + 1
    for s in counts:
        if s not in values:
            reasons.append(f"unknown_slot:{s}")
        elif counts[s] > 1:
            reasons.append(f"repeated_slot:{s}")
    for s in values:
        if s not in counts:
            reasons.append(f"missing_slot:{s}")
    reasons.extend(_binding_errors(delex))
    rest = scaffold(delex)
    if "[" in rest or "]" in rest:
        reasons.append("malformed")
    for m in DIGIT_RE.finditer(rest):
        reasons.append(f"number:{m.group(0)}")
    for m in CURRENCY_RE.finditer(rest):
        reasons.append(f"currency:{m.group(0)}")
    ws = words(rest)
    allowed_n = _allowed_numbers(values)
    for w in ws:
        if w in CURRENCY_WORDS:
            reasons.append(f"currency:{w}")
        elif w in NUMBER_WORDS and NUMBER_WORDS[w] not in allowed_n:
            reasons.append(f"number_word:{w}")
    if vocab is not None:
        for w in ws:
            if w not in vocab:
                reasons.append(f"unknown_word:{w}")
    if lexicon:
        low = rest.lower()
        for name in lexicon:
            n = name.strip().lower()
            if n and re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", low) and not _in_values(n, values):
                reasons.append(f"name:{name}")
    if known_ngrams is not None:
        for g in ngrams(delex):
            if g not in known_ngrams:
                reasons.append(f"ngram:{g}")
    if "  " in delex.strip():
        reasons.append("malformed")
    if not ws:
        reasons.append("empty")
    return reasons


def strip_values(text: str, values: Iterable[str]) -> str:
    """``text`` with every occurrence of every value removed (longest first)."""
    out = text
    for v in sorted({v for v in values if v}, key=len, reverse=True):
        out = out.replace(v, f" {_MASK} ")
    return out


def ungrounded(text: str, values: Mapping[str, str], lexicon: Optional[Iterable[str]] = None) -> List[str]:
    """Figures, currency and lexicon names in a final reply that no fact accounts for."""
    rest = strip_values(text, values.values())
    problems = [f"number:{m.group(0)}" for m in DIGIT_RE.finditer(rest)]
    problems += [f"currency:{m.group(0)}" for m in CURRENCY_RE.finditer(rest)]
    if lexicon:
        low = rest.lower()
        for name in lexicon:
            n = name.strip().lower()
            if n and re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", low):
                problems.append(f"name:{name}")
    return problems


def slot_errors(delex: str, slots: Sequence[str]) -> Tuple[int, int, int, int]:
    """(missing, unknown, repeated, total) placeholders, for the slot error rate."""
    found = PLACEHOLDER_RE.findall(delex)
    want = set(slots)
    missing = sum(1 for s in want if s not in found)
    unknown = sum(1 for s in found if s not in want)
    repeated = sum(found.count(s) - 1 for s in set(found) if s in want and found.count(s) > 1)
    return missing, unknown, repeated, len(want)
