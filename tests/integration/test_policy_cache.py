"""TED's state cache (channels/policy_cache.py) against the trained model: over every story prefix of the
training stories, the cached predictions are the model's own, the ensemble picks the same action, and a
second pass never calls the model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from support.stack import REPO

MODEL_PATH = REPO / ".run" / "model-path"
pytestmark = pytest.mark.skipif(
    not MODEL_PATH.exists() or not Path(MODEL_PATH.read_text().strip()).exists(),
    reason="no trained Rasa model (make dialogue-model)",
)
MAX_PREFIXES = 400


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    import channels.nlu_cache  # noqa: F401
    import channels.policy_cache  # noqa: F401 - before the model's graph binds TED's predict function

    return Agent.load(MODEL_PATH.read_text().strip())


@pytest.fixture(scope="module")
def prefixes(agent):
    """Trackers ending just before each action of the training stories (the points TED predicts at)."""
    from rasa.core.training import load_data
    from rasa.shared.core.events import ActionExecuted

    out = []
    for story in load_data(str(REPO / "bot" / "data"), agent.domain, augmentation_factor=0):
        if story.is_rule_tracker:
            continue
        events = list(story.events)
        for i, event in enumerate(events):
            if i and isinstance(event, ActionExecuted):
                out.append((story.sender_id, events[:i]))
    assert len(out) > 50, "the training stories should give many prediction points"
    return out[:MAX_PREFIXES]


def ted(agent):
    from rasa.core.policies.ted_policy import TEDPolicy

    nodes = agent.processor.graph_runner._instantiated_nodes
    return next(n for n in nodes.values() if isinstance(n._component, TEDPolicy))


def predict_all(agent, prefixes, monkeypatch):
    """TED's confidences and the ensemble's (action, policy) at every prefix."""
    from rasa.shared.core.trackers import DialogueStateTracker

    node, ted_out, chosen = ted(agent), [], []
    inner = node._fn

    def recording(component, **kwargs):
        prediction = inner(component, **kwargs)
        ted_out.append(np.array(prediction.probabilities))
        return prediction

    monkeypatch.setattr(node, "_fn", recording)
    for sender, events in prefixes:
        tracker = DialogueStateTracker.from_events(sender, events, slots=agent.domain.slots)
        p = agent.processor._predict_next_with_tracker(tracker)
        chosen.append((int(np.argmax(p.probabilities)), p.policy_name))
    monkeypatch.setattr(node, "_fn", inner)
    return ted_out, chosen


def test_cached_predictions_are_the_models_and_repeats_skip_the_model(agent, prefixes, monkeypatch):
    from channels import policy_cache

    component = ted(agent)._component
    assert policy_cache.cacheable(component), "this bot's TED reads no user text, so it must be cacheable"
    model_calls = []
    real = policy_cache._predict
    monkeypatch.setattr(policy_cache, "_predict", lambda *a, **k: model_calls.append(1) or real(*a, **k))

    monkeypatch.setattr(policy_cache, "MAX_ENTRIES", 0)
    fresh, fresh_chosen = predict_all(agent, prefixes, monkeypatch)
    assert len(model_calls) == len(prefixes)

    monkeypatch.setattr(policy_cache, "MAX_ENTRIES", 4096)
    component.__dict__.pop("_shopguide_state_cache", None)
    model_calls.clear()
    first, first_chosen = predict_all(agent, prefixes, monkeypatch)
    distinct = len(model_calls)
    model_calls.clear()
    second, second_chosen = predict_all(agent, prefixes, monkeypatch)

    assert 0 < distinct < len(prefixes), "story prefixes repeat states; the first pass should hit some"
    assert model_calls == [], "every state was seen in the first pass"
    assert fresh_chosen == first_chosen == second_chosen
    for a, b, c in zip(fresh, first, second, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
        np.testing.assert_allclose(a, c, atol=1e-6)
    cache = policy_cache.cache_of(component)
    assert cache.hits == len(prefixes) * 2 - distinct and len(cache.entries) == distinct



TEXTS = ["hello", "hi there", "I'm looking for running shoes under $120", "show me other brands",
         "tell me more about the second one", "compare them", "is the first one in stock?", "yes", "thanks",
         "do you have a red rain jacket?", "/greet", "what's your return policy?", "add two to my cart"]


def parse_all(agent, texts, **kwargs):
    import asyncio

    from rasa.core.channels.channel import UserMessage

    async def run():
        return [await agent.processor.parse_message(UserMessage(t, sender_id=f"s{i}", metadata={"who": i}), **kwargs)
                for i, t in enumerate(texts)]

    return asyncio.run(run())


def test_a_repeated_text_gets_the_same_parse_without_running_nlu(agent, monkeypatch):
    from channels import nlu_cache

    graph_runs = []
    real = nlu_cache._parse
    monkeypatch.setattr(nlu_cache, "_parse", lambda *a, **k: graph_runs.append(1) or real(*a, **k))
    monkeypatch.setattr(nlu_cache, "MAX_ENTRIES", 0)
    fresh = parse_all(agent, TEXTS)
    assert len(graph_runs) == len(TEXTS)

    monkeypatch.setattr(nlu_cache, "MAX_ENTRIES", 4096)
    agent.processor.__dict__.pop("_shopguide_parse_cache", None)
    graph_runs.clear()
    first = parse_all(agent, TEXTS)
    assert len(graph_runs) == len(TEXTS)
    first[0]["intent"]["name"] = "changed by the caller"  # Rasa may change what it got: the cache must not see it
    second = parse_all(agent, list(reversed(TEXTS)))
    assert len(graph_runs) == len(TEXTS), "every text was parsed before"
    assert second[::-1][1:] == fresh[1:] and second[-1] == fresh[0] != first[0]
    assert all("metadata" not in p and "message_id" not in p for p in second), "no sender's data in a shared parse"


def test_long_texts_and_full_parses_are_not_cached(agent, monkeypatch):
    from channels import nlu_cache

    monkeypatch.setattr(nlu_cache, "MAX_ENTRIES", 4096)
    agent.processor.__dict__.pop("_shopguide_parse_cache", None)
    long_text = "I need a present for my sister who likes hiking and reading, " * 3
    parse_all(agent, [long_text, long_text])
    full = parse_all(agent, ["hello", "hello"], only_output_properties=False)
    cache = nlu_cache.cache_of(agent.processor)
    assert len(cache.entries) == 0 and cache.hits == 0
    assert full[1]["metadata"] == {"who": 1}  # the full parse is the sender's own
