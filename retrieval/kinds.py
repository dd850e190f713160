"""Which kind of product a request asks for, against the catalog's own taxonomy.

    kinds = KindIndex.from_catalog(catalog)          # leaf categories + data/kinds.yml
    m = kinds.recognise("a fast road bike for commuting")
    m.kind, m.carried, m.confidence                  # "bikes", False, 1.0
    kinds.recognise("shoes for running on trails")   # Kind "Running Shoes", carried

A kind is named by one of its names: the catalog's leaf categories (and the other names
shoppers use for them, from ``data/kinds.yml``), or a kind the store does not carry (same file).
Names match on word stems in any order, so "shoes for running" names running shoes; the most
specific name (most words) wins, so "bike helmet" beats "bike". ``confidence`` is the share of
the request's product words that the winning name covers, damped for one-word names, so callers
can tell "the request is about X" from "X is mentioned in passing".
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

KINDS_PATH = Path(__file__).resolve().parent.parent / "data" / "kinds.yml"
# words that never name a kind on their own
_STOP = frozenset(
    """
a an the and or of for to in on at with my me i im i'm you your our we some any new good best nice pair
pairs something anything looking look need want would like please get buy find show recommend suggest
""".split()
)

# function words that share a stem with a kind ("can you..." is not "Canned Goods"); dropped before stemming
_FUNCTION_WORDS = frozenset("can could will would may might must shall should do does did is are was were be".split())

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
# the sentence that asks for something: "I want...", "looking for...", "can you recommend..."
_ASKS = re.compile(
    r"\b(?:i\s+(?:want|need|would like|'d like|am looking|'m looking)|i'?m\s+(?:looking|after|shopping)|looking for|"
    r"searching for|recommend|suggest|show me|do you (?:have|sell|stock|carry)|where can i (?:get|buy|find))\b",
    re.IGNORECASE,
)

_STEMMER: Any = None
_LOCK = threading.Lock()


def _words(text: str) -> List[str]:
    return [w for w in re.findall(r"[a-z0-9]+", (text or "").lower().replace("-", " ")) if len(w) >= 2]


def stem_words(text: str) -> List[str]:
    """Snowball stems of the words of ``text``, in order (two letters and up: "tv" counts)."""
    return _stem(_words(text))


def _stem(words: List[str]) -> List[str]:
    global _STEMMER
    with _LOCK:
        if _STEMMER is None:
            import Stemmer

            _STEMMER = Stemmer.Stemmer("english")
        return list(_STEMMER.stemWords(words))


@dataclass(frozen=True)
class Kind:
    """One kind of product: a catalog leaf category (``carried``) or a kind the store does not sell."""

    name: str  # the catalog's leaf category ("Running Shoes"), or the kind's plural ("bikes")
    carried: bool
    names: Tuple[Tuple[str, FrozenSet[str]], ...]  # (name as written, its stems)
    family: bool = False  # a category above the leaves ("Footwear", "Bottoms"), named as a whole


@dataclass(frozen=True)
class KindMatch:
    kind: Kind
    said: str  # the name the request used ("road bike")
    confidence: float  # 0..1

    @property
    def carried(self) -> bool:
        return self.kind.carried


def _load_yaml(path: Path) -> Dict[str, Any]:
    import yaml

    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with 'carried' and 'not_carried'")
    return data


def _names(words: Iterable[str]) -> Tuple[Tuple[str, FrozenSet[str]], ...]:
    out = []
    for w in words:
        stems = frozenset(s for s in stem_words(str(w)) if s not in _STOP)
        if stems:
            out.append((str(w), stems))
    return tuple(out)


def _close(stems: Sequence[str], need: FrozenSet[str], slack: int = 2) -> bool:
    """The words of a kind's name said together, at most ``slack`` other words between them ("shoes for
    outdoor running"), not scattered through a message ("a bike with built-in lights" is not Bike Lights)."""
    if len(need) < 2:
        return True
    where = {s: [i for i, t in enumerate(stems) if t == s] for s in need}
    for start in where[next(iter(need))]:
        if all(any(abs(i - start) <= len(need) - 1 + slack for i in where[s]) for s in need):
            return True
    return False


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by one substitution, insertion, deletion or swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1 :]


def _in_order(stems: Sequence[str], name: Sequence[str]) -> bool:
    """Whether the name's words come in the message in the name's order ("water ... bottle")."""
    it = iter(stems)
    return all(any(s == w for s in it) for w in name)


class KindIndex:
    """The kinds of one catalog (what it carries) plus the kinds it does not carry."""

    def __init__(self, kinds: Sequence[Kind]):
        self.kinds = list(kinds)
        # for typos: each word of a two-or-more-word name -> the other words of those names
        self._partners: Dict[str, set] = {}
        for kind in self.kinds:
            for _, need in kind.names:
                if len(need) >= 2:
                    for s in need:
                        self._partners.setdefault(s, set()).update(need - {s})
        self._vocab = frozenset(s for k in self.kinds for _, need in k.names for s in need)
        # each name's words in the order written: "water bottle" is a Water Bottle, not Bottled Water
        self._order = {
            said: tuple(s for s in stem_words(said) if s not in _STOP) for k in self.kinds for said, _ in k.names
        }

    def _repair(self, spoken: List[str]) -> List[str]:
        """Fix a one-letter typo in a kind's word when the word next to it is that name's other word:
        "raod shoes" -> road shoes; a common word only after its partner: "a running show" -> running shoe,
        but not "show running tights". Alone ("show me"), a word is left as is."""
        out = list(spoken)
        for i, s in enumerate(spoken):
            if len(s) < 4 or s in self._vocab:
                continue
            near = [spoken[j] for j in ((i - 1,) if s in _STOP else (i - 1, i + 1)) if 0 <= j < len(spoken)]
            fixes = {w for n in near for w in self._partners.get(n, ()) if len(w) >= 4 and one_edit(s, w)}
            if len(fixes) == 1:
                out[i] = fixes.pop()
        return out

    @classmethod
    def from_catalog(cls, catalog: Any, path: Optional[Path] = None) -> KindIndex:
        data = _load_yaml(Path(path or KINDS_PATH))
        leaves: Dict[str, str] = {}
        for p in catalog.products:
            if p.leaf_category:
                leaves.setdefault(p.leaf_category.lower(), p.leaf_category)
        extra = {str(k).lower(): v or [] for k, v in (data.get("carried") or {}).items()}
        kinds = [Kind(leaf, True, _names([leaf, *extra.get(low, [])])) for low, leaf in sorted(leaves.items())]
        # families: a category above the leaves that shoppers name as a whole ("shoes"): it searches that
        # whole branch of the catalog (the category filter matches any element of a product's path)
        branches: Dict[str, str] = {}
        for p in catalog.products:
            for element in list(p.category or [])[:-1]:
                branches.setdefault(str(element).lower(), str(element))
        for name, aliases in (data.get("families") or {}).items():
            branch = branches.get(str(name).lower())
            if branch is not None and branch.lower() not in leaves:
                kinds.append(Kind(branch, True, _names([branch, *(aliases or [])]), family=True))
        carried_stems = {stems for k in kinds for _, stems in k.names}
        for name, aliases in (data.get("not_carried") or {}).items():
            names = tuple(n for n in _names([name, *(aliases or [])]) if n[1] not in carried_stems)
            if names and str(name).lower() not in leaves:
                kinds.append(Kind(str(name), False, names))
        return cls(kinds)

    def matches(self, text: str) -> List[KindMatch]:
        """Every kind the text names, most specific first (then carried before not carried)."""
        words = _words(text)
        spoken = self._repair(_stem(words))  # every word, for how far apart a name's words are
        stems = [s for w, s in zip(words, spoken, strict=True) if w not in _FUNCTION_WORDS and s not in _STOP]
        present = set(stems)
        if not present:
            return []
        # stems said only as an -ing word ("cushioning", "bedding"): an attribute, not a one-word kind name
        verbal = {
            s
            for s in present
            if all(w.endswith("ing") and w != s for w, t in zip(words, spoken, strict=True) if t == s)
        }
        found: List[Tuple[int, int, int, int, KindMatch]] = []
        for kind in self.kinds:
            best: Optional[Tuple[str, FrozenSet[str]]] = None
            for said, need in kind.names:
                if len(need) == 1 and need <= verbal and not said.lower().endswith("ing"):
                    continue  # "soft cushioning" is not a Cushion
                if need <= present and _close(spoken, need) and (best is None or len(need) > len(best[1])):
                    best = (said, need)
            if best is None:
                continue
            n = len(best[1])
            first = min(stems.index(s) for s in best[1])
            confidence = min(1.0, n / max(1, min(len(present), 3))) if n < 2 else 1.0
            reordered = 0 if _in_order(stems, self._order.get(best[0], ())) else 1
            found.append(
                (-n, reordered, first, 0 if kind.carried else 1, KindMatch(kind, best[0], round(confidence, 3)))
            )
        # the most specific name, said in its own word order, then the one said first: the head of
        # "a laptop with a long battery life"
        found.sort(key=lambda t: t[:4])
        return [m for *_, m in found]

    def recognise(self, text: str) -> Optional[KindMatch]:
        """The kind the request is about, or None when it names no kind this index knows. In a message of
        several sentences, the one that asks ("I run on a treadmill. I want shoes that...") names it first."""
        sentences = [x for x in _SENTENCE_END.split(text or "") if x.strip()]
        if len(sentences) > 1:
            for sentence in sentences:
                if _ASKS.search(sentence):
                    found = self.matches(sentence)
                    if found:  # what the sentence asks for is what the request is about
                        m = found[0]
                        return m if m.confidence >= 0.5 else KindMatch(m.kind, m.said, 0.5)
        found = self.matches(text)
        return found[0] if found else None

    def related(self, match: KindMatch, limit: int = 3) -> List[Kind]:
        """Carried kinds that share a word with a kind not carried ("bikes" -> Bike Helmet, Bike Lock)."""
        words = {s for s in stem_words(match.said) if s not in _STOP}
        out = [k for k in self.kinds if k.carried and k.names and k.names[0][1] & words]
        return out[:limit]
