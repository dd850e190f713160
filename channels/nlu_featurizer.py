"""The search encoder's sentence vectors as features for Rasa's NLU (a dense sentence featurizer).

Real shoppers write long, messy messages with words the NLU training data never saw. The bag-of-words
and character n-gram features alone carry little of their meaning; the BERT sentence vector the search
already computes (all-MiniLM-L6-v2, ``retrieval/encoder.py``) carries it, so DIET gets it as a
sentence-level feature next to the sparse ones. Used in ``bot/config.yml``::

    - name: channels.nlu_featurizer.SentenceEncoderFeaturizer

Only sentence features are added (DIET combines them with the sparse sequence features); entity
extraction keeps working from the sparse token features.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

MAX_CHARS = 2000  # the channels cut messages to this length already; the encoder sees 128 tokens at most


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the encoder's L2-normalised sentence vector of each message's text as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "encoder": "all-MiniLM-L6-v2", "batch_size": 64}

    @staticmethod
    def required_packages() -> List[str]:
        return ["torch", "transformers"]

    def __init__(self, config: Dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._encoder: Optional[Any] = None

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        featurizer = cls(config, execution_context.node_name)
        featurizer.encoder.encode(["hello"])  # load (and the query path) with the model, not on a first message
        return featurizer

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            from retrieval.encoder import Encoder

            self._encoder = Encoder(self._config["encoder"])
        return self._encoder

    def vectors(self, texts: List[str]) -> np.ndarray:
        return self.encoder.encode([t[:MAX_CHARS] for t in texts], batch_size=int(self._config["batch_size"]))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        todo = [m for m in messages if isinstance(m.get(TEXT), str) and m.get(TEXT).strip()]
        if not todo:
            return messages
        vecs = self.vectors([m.get(TEXT) for m in todo])
        for m, v in zip(todo, vecs, strict=True):
            m.add_features(Features(v[np.newaxis, :], FEATURE_TYPE_SENTENCE, TEXT, self._identifier))
        return messages

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        if not str(config.get("encoder") or "").strip():
            raise ValueError("SentenceEncoderFeaturizer needs an 'encoder' (a model name or path)")
