"""TEDPolicy's prediction remembered by the dialogue states it was made from.

TED (``max_history`` turns of intents, entity names, featurised slots, previous actions, active loop) runs
its TensorFlow model on every prediction, about 2 per turn, ~9 ms CPU each on the 2-core dev box, the
largest stage of a turn (`make profile-turn`). When TED reads neither the shopper's text nor predicts
entities (this bot's stories have no ``user:`` text), its output is a pure function of those states and
the loaded model, and conversations keep reaching the same few hundred states. So the states are
computed as TED computes them, and a state sequence seen before gets the confidences the model gave it
then: the same prediction, without the model call. A new model (another policy object) starts an empty
cache; an end-to-end model is never cached.

Imported by ``channels.rasa_plugins``, which every Rasa server of the stack loads.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from rasa.core.policies.policy import PolicyPrediction, SupportedData
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.nlu.constants import TEXT

from channels.lru import LRU
from config import get_settings

MAX_ENTRIES = get_settings().dialogue.ted_cache_size  # SHOPGUIDE_TED_CACHE_SIZE; 0 turns the cache off
_predict = TEDPolicy.predict_action_probabilities


def cacheable(policy: TEDPolicy) -> bool:
    """True when TED's prediction depends on the dialogue states alone (no user text, no entities)."""
    return MAX_ENTRIES > 0 and policy.model is not None and not policy.only_e2e and TEXT not in policy.fake_features


def state_key(policy: TEDPolicy, tracker: Any, domain: Any, rule_only_data: Optional[Dict[str, Any]]) -> str:
    """The states TED featurises for this prediction (``Policy._featurize_for_prediction``), as one string."""
    ml_only = policy.supported_data() == SupportedData.ML_DATA
    states = policy.featurizer.prediction_states(
        [tracker],
        domain,
        use_text_for_last_user_input=False,
        ignore_rule_only_turns=ml_only,
        rule_only_data=rule_only_data,
        ignore_action_unlikely_intent=ml_only,
    )[0]
    return json.dumps(states, sort_keys=True, default=sorted)


def cache_of(policy: TEDPolicy) -> LRU:
    cache = policy.__dict__.get("_shopguide_state_cache")
    if cache is None:
        cache = policy.__dict__["_shopguide_state_cache"] = LRU(
            MAX_ENTRIES
        )  # values: (confidences tuple, diagnostic data), never changed
    return cache


def predict_action_probabilities(
    self: TEDPolicy,
    tracker: Any,
    domain: Any,
    rule_only_data: Optional[Dict[str, Any]] = None,
    precomputations: Any = None,
    **kwargs: Any,
) -> PolicyPrediction:
    """``TEDPolicy.predict_action_probabilities``, answered from the cache when the states were seen."""
    if not cacheable(self):
        return _predict(self, tracker, domain, rule_only_data=rule_only_data, precomputations=precomputations, **kwargs)
    key = state_key(self, tracker, domain, rule_only_data)
    cache = cache_of(self)
    found = cache.get(key)
    if found is not None:
        probabilities, diagnostic = found
        return self._prediction(list(probabilities), diagnostic_data=diagnostic)
    prediction = _predict(
        self, tracker, domain, rule_only_data=rule_only_data, precomputations=precomputations, **kwargs
    )
    if not prediction.is_end_to_end_prediction and not prediction.optional_events and not prediction.events:
        cache.put(key, (tuple(prediction.probabilities), prediction.diagnostic_data))
    return prediction


TEDPolicy.predict_action_probabilities = predict_action_probabilities
