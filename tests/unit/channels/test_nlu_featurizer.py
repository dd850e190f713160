"""The search encoder's sentence vector as a Rasa NLU feature (real MiniLM, real Rasa message objects)."""
from __future__ import annotations

import numpy as np
import pytest
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from channels.nlu_featurizer import SentenceEncoderFeaturizer


@pytest.fixture(scope="module")
def featurizer() -> SentenceEncoderFeaturizer:
    return SentenceEncoderFeaturizer(SentenceEncoderFeaturizer.get_default_config(), "sentence_encoder")


def sentence_vector(m: Message) -> np.ndarray:
    (feature,) = [f for f in m.features if f.type == FEATURE_TYPE_SENTENCE and f.attribute == TEXT]
    return feature.features


def test_each_message_gets_one_normalised_sentence_vector(featurizer):
    msgs = [Message(data={TEXT: "where is my parcel?"}), Message(data={TEXT: "a kettle under $40"})]
    featurizer.process(msgs)
    vecs = [sentence_vector(m) for m in msgs]
    assert all(v.shape == (1, 384) for v in vecs)
    assert all(abs(float(np.linalg.norm(v)) - 1.0) < 1e-3 for v in vecs)


def test_similar_requests_are_closer_than_unrelated_ones(featurizer):
    a, b, c = (Message(data={TEXT: t}) for t in ("when will my order arrive", "my parcel is late", "I need a yoga mat"))
    featurizer.process_training_data(TrainingData([a, b, c]))
    va, vb, vc = (sentence_vector(m)[0] for m in (a, b, c))
    assert float(va @ vb) > float(va @ vc)


def test_messages_without_text_are_left_alone(featurizer):
    empty, intent_only = Message(data={TEXT: "  "}), Message(data={"intent": "greet"})
    featurizer.process([empty, intent_only])
    assert not empty.features and not intent_only.features


def test_a_blank_encoder_name_is_refused():
    with pytest.raises(ValueError, match="encoder"):
        SentenceEncoderFeaturizer({**SentenceEncoderFeaturizer.get_default_config(), "encoder": " "}, "x")
