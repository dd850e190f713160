"""``phrase(act, facts) -> Reply``: model candidates, the guard, the template fallback.

Two implementations of one interface, injected rather than monkeypatched:

- :class:`TemplatePhraser`: templates only; no model, no torch. Tests and the
  fallback path use it.
- :class:`ModelPhraser`: samples a few candidates from the trained GPT-2 under a
  latency budget, returns the first that passes the guard, else the template. The
  phrasings that passed are pooled per act and slot set (they hold placeholders, not
  values); once a pool is full its phrasings are reused, checked again against the
  new values, instead of sampling.

Both always return a non-empty reply whose figures and names come from ``facts``.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Protocol, Tuple

from config import NLGSettings
from nlg import guard, templates
from nlg.corpus import Corpus, load_corpus
from nlg.slots import lexicalise, slot_values

log = logging.getLogger(__name__)

FALLBACK_ACT = "fallback"


@dataclass(frozen=True)
class Reply:
    """What the shopper is told, and how it was made.

    Attributes:
        text: the reply, never empty.
        source: ``"model"`` (a GPT-2 candidate passed the guard) or ``"template"``.
        act: the act that was phrased (``fallback`` for an unknown act).
        delex: the reply with placeholders instead of values.
        reason: why the template was used: ``no_model``, ``guard``, ``timeout``,
            ``error``, ``unknown_act``, ``missing_facts``; None for a model reply.
        latency_ms: wall time of the call.
        candidates: model candidates looked at.
        rejected: the guard's reasons for the candidates it turned down.
        top_candidate: the model's best-scored candidate before the guard
            (delexicalised), for logs and the benchmark; None when there was none.
        pooled: a model phrasing reused from the pool (no sampling this time).
    """

    text: str
    source: str
    act: str
    delex: str
    reason: Optional[str] = None
    latency_ms: float = 0.0
    candidates: int = 0
    rejected: Tuple[Tuple[str, ...], ...] = ()
    top_candidate: Optional[str] = None
    pooled: bool = False


class Phraser(Protocol):
    """What actions depend on."""

    def phrase(self, act: str, facts: Mapping[str, Any]) -> Reply: ...

    def warmup(self) -> None:
        """Load what the first reply would otherwise wait for."""
        ...


class TemplatePhraser:
    """Templates only: deterministic, instant, always grounded."""

    def __init__(self, corpus: Optional[Corpus] = None, reason: Optional[str] = None):
        self.corpus = corpus or load_corpus()
        self._reason = reason

    @property
    def acts(self) -> List[str]:
        return list(self.corpus.acts)

    def load(self) -> None:
        """Nothing to load (same interface as :class:`ModelPhraser`)."""
        return None

    def warmup(self) -> None:
        return None

    def values_for(self, act: str, facts: Mapping[str, Any]) -> Mapping[str, str]:
        spec = self.corpus.acts[act]
        return slot_values(facts, spec.slots, uniform_products=spec.uniform_products)

    def template_reply(self, act: str, facts: Mapping[str, Any], reason: Optional[str], t0: float, **kw: Any) -> Reply:
        if act not in self.corpus.acts:
            log.warning("nlg: unknown act %r, using the fallback reply", act)
            act, reason = FALLBACK_ACT, "unknown_act"
        values = self.values_for(act, facts)
        delex, missing = templates.render_delex(act, values, self.corpus)
        if missing:
            log.warning("nlg: act %r lacks %s, using the fallback reply", act, missing)
            act, reason = FALLBACK_ACT, "missing_facts"
            values = {}
            delex, _ = templates.render_delex(act, values, self.corpus)
        text = lexicalise(delex, values).text
        return Reply(text, "template", act, delex, reason, (time.perf_counter() - t0) * 1000, **kw)

    def phrase(self, act: str, facts: Mapping[str, Any]) -> Reply:
        return self.template_reply(act, facts, self._reason, time.perf_counter())


class ModelPhraser(TemplatePhraser):
    """A trained causal LM behind the guard, with the template as the safety net.

    Args:
        model: a :class:`nlg.model.PhraserModel`, or a zero-argument callable that
            loads one (called once, on first use or by :meth:`load`).
        config: generation settings (latency budget, candidates, sampling).
        lexicon: known product and brand names (e.g. the catalog's brands); the
            guard rejects a candidate that names one not among the facts.
    """

    def __init__(
        self,
        model: Any,
        config: Optional[NLGSettings] = None,
        corpus: Optional[Corpus] = None,
        lexicon: Iterable[str] = (),
    ):
        super().__init__(corpus)
        self.config = config or NLGSettings()
        self.lexicon = tuple(lexicon)
        self._model = None if callable(model) and not hasattr(model, "sample") else model
        self._loader: Optional[Callable[[], Any]] = model if self._model is None else None
        self._load_lock = threading.Lock()
        self._pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlg")
        self._phrasings: Dict[Tuple[str, Tuple[str, ...]], List[str]] = {}  # (act, slots) -> delex texts
        self._phrasings_lock = threading.Lock()
        self._rng = random.Random(self.config.seed)

    def load(self) -> Any:
        """Load the model now (e.g. when the action server starts)."""
        if self._model is None:
            with self._load_lock:
                if self._model is None and self._loader is not None:
                    self._model = self._loader()
        return self._model

    def warmup(self) -> None:
        """Load the model and run one generation so the first shopper does not wait."""
        self.load()
        self.phrase("greet", {})

    def _vocab(self, model: Any) -> Optional[frozenset]:
        vocab = getattr(model, "vocab", None)
        return vocab if (self.config.vocab_check and vocab) else None

    def phrase(self, act: str, facts: Mapping[str, Any]) -> Reply:
        t0 = time.perf_counter()
        if act not in self.corpus.acts:
            return self.template_reply(act, facts, "unknown_act", t0)
        values = self.values_for(act, facts)
        _, missing = templates.render_delex(act, values, self.corpus)
        if missing:
            return self.template_reply(act, facts, "missing_facts", t0)
        try:
            model = self.load()
        except Exception as e:  # a broken model folder must not silence the bot
            log.exception("nlg: could not load the phraser model: %s", e)
            return self.template_reply(act, facts, "error", t0)
        if model is None:
            return self.template_reply(act, facts, "no_model", t0)
        cfg = self.config
        known = getattr(model, "ngrams", None) if cfg.ngram_check else None
        vocab = self._vocab(model)
        key = (act, tuple(values))
        pooled = self._from_pool(key, values, vocab, known)
        if pooled is not None:
            return Reply(pooled[1], "model", act, pooled[0], None, (time.perf_counter() - t0) * 1000, pooled=True)
        # the budget covers generation; loading happens once per process (see warmup)
        deadline = time.perf_counter() + cfg.latency_budget_ms / 1000.0
        rejected: List[Tuple[str, ...]] = []
        top: Optional[str] = None
        n_seen = 0
        last_batch_s = 0.0  # set after each batch; read only from the second attempt on
        for attempt in range(1 + max(0, cfg.retries)):
            t_batch = time.perf_counter()
            if attempt and (deadline - t_batch) < 1.5 * last_batch_s:
                break  # no time for another batch: the template answers now
            cancel = threading.Event()
            fut = self._pool.submit(
                model.sample,
                act,
                list(values),
                n=cfg.num_candidates,
                max_new_tokens=cfg.max_new_tokens,
                temperature=cfg.retry_temperature if attempt else cfg.temperature,
                top_k=cfg.top_k,
                top_p=cfg.top_p,
                seed=None if cfg.seed is None else cfg.seed + attempt,
                deadline=deadline,
                cancel=cancel,
                threads=cfg.threads,
                constrain_slots=cfg.constrain_slots,
                coverage_penalty=cfg.coverage_penalty,
            )
            try:
                cands = fut.result(timeout=max(0.0, deadline - time.perf_counter()))
            except (cf.TimeoutError, TimeoutError):
                cancel.set()
                if attempt:
                    break
                return self.template_reply(act, facts, "timeout", t0)
            except Exception as e:  # noqa: BLE001 - any generation failure falls back to the template reply
                cancel.set()
                log.warning("nlg: generation failed (%s: %s), using the template", type(e).__name__, e)
                return self.template_reply(act, facts, "error", t0)
            last_batch_s = time.perf_counter() - t_batch
            if top is None and cands:
                top = cands[0].text
            passed: List[Tuple[str, str]] = []
            for c in cands:
                reasons = self._rejects(c.text, values, vocab, known)
                if isinstance(reasons, str):
                    passed.append((c.text, reasons))
                elif not passed:
                    n_seen += 1
                    rejected.append(reasons)
            if passed:
                self._keep(key, [delex for delex, _ in passed])
                return Reply(
                    passed[0][1],
                    "model",
                    act,
                    passed[0][0],
                    None,
                    (time.perf_counter() - t0) * 1000,
                    n_seen + 1,
                    tuple(rejected),
                    top,
                )
        return self.template_reply(
            act, facts, "guard", t0, candidates=n_seen, rejected=tuple(rejected), top_candidate=top
        )

    def _rejects(self, delex: str, values: Mapping[str, str], vocab: Any, known: Any) -> Any:
        """The reply ``delex`` makes with ``values`` (a str) when the guard passes it, else its reasons."""
        reasons = guard.check(delex, values, vocab=vocab, lexicon=self.lexicon, known_ngrams=known)
        if reasons:
            return tuple(reasons)
        lex = lexicalise(delex, values)
        reasons = guard.ungrounded(lex.text, values, self.lexicon)
        return tuple(reasons) if reasons else lex.text

    def _keep(self, key: Tuple[str, Tuple[str, ...]], delexes: List[str]) -> None:
        size = self.config.pool_size
        if size <= 0:
            return
        with self._phrasings_lock:
            pool = self._phrasings.setdefault(key, [])
            for d in delexes:
                if d not in pool and len(pool) < size:
                    pool.append(d)

    def _from_pool(self, key: Tuple[str, Tuple[str, ...]], values: Mapping[str, str], vocab: Any, known: Any):
        """(delex, text) of a pooled phrasing the guard passes with these values, once the pool is full."""
        size = self.config.pool_size
        with self._phrasings_lock:
            pool = list(self._phrasings.get(key, ()))
        if size <= 0 or len(pool) < size:
            return None
        delex = self._rng.choice(pool)
        text = self._rejects(delex, values, vocab, known)
        return (delex, text) if isinstance(text, str) else None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def default_model_dir(config: Optional[NLGSettings] = None) -> Path:
    """Where the offline default phraser lives for the current corpus and settings."""
    from nlg.train import TrainArgs, model_dir_for

    config = config or NLGSettings.from_env()
    if config.model_dir:
        return Path(config.model_dir)
    return model_dir_for(TrainArgs(base=config.base), config.resolved_cache_dir())


def build_phraser(config: Optional[NLGSettings] = None, lexicon: Iterable[str] = ()) -> TemplatePhraser:
    """The process's phraser: the trained model if there is one, else templates.

    Nothing is loaded here; the model loads on first use (or ``.load()``).
    """
    from nlg.model import PhraserModel, is_phraser_dir

    config = config or NLGSettings.from_env()
    path = default_model_dir(config)
    if not is_phraser_dir(path):
        log.warning("nlg: no trained phraser at %s (run `make train-phraser`); using templates", path)
        return TemplatePhraser(reason="no_model")
    return ModelPhraser(lambda: PhraserModel.load(path, config.device), config, lexicon=lexicon)


def knows(act: str) -> bool:
    """Whether the phraser has this act (else ``phrase`` answers with the fallback reply)."""
    return act in load_corpus().acts
