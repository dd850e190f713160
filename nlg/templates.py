"""Template replies: the safe fallback and the benchmark's baseline.

Each act has one template in ``data/nlg/acts.yaml``. Its optional parts appear
iff their slots are given, so a template states every slot of the facts, and
nothing else.
"""

from __future__ import annotations

from typing import List, Mapping, Optional, Tuple

from nlg import grammar
from nlg.corpus import Corpus, load_corpus
from nlg.grammar import placeholders
from nlg.slots import lexicalise


def render_delex(act: str, values: Mapping[str, str], corpus: Optional[Corpus] = None) -> Tuple[str, List[str]]:
    """The act's template for these slots, delexicalised, and the required slots it lacks."""
    corpus = corpus or load_corpus()
    spec = corpus.acts[act]
    delex = grammar.tidy(grammar.render(spec.template, frozenset(values), rng=None))
    missing = [s for s in placeholders(delex) if s not in values]
    return delex, missing


def render(act: str, values: Mapping[str, str], corpus: Optional[Corpus] = None) -> str:
    """The act's template with the values put in. Raises KeyError for a missing required slot."""
    delex, missing = render_delex(act, values, corpus)
    if missing:
        raise KeyError(f"act {act!r} needs {', '.join(missing)}")
    return lexicalise(delex, values).text
