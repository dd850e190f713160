"""The intent classifier on real Rasa features (tokenizer, count vectors, the MiniLM sentence vector)."""
from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from channels.nlu_classifier import FILE, SentenceIntentClassifier
from channels.nlu_featurizer import SentenceEncoderFeaturizer

TRAIN = {
    "ask_order_status": ["where is my order", "has my parcel shipped yet", "track my package",
                         "my order hasn't arrived", "when will my delivery come", "order status please"],
    "ask_returns": ["how do I return something", "can I send this back", "what is your return policy",
                    "I want a refund", "return an item I bought", "how long do refunds take"],
    "greet": ["hello", "hi there", "good morning", "hey", "hiya", "hello, anyone there?"],
}
HELD_OUT = {"ask_order_status": "where's my package", "ask_returns": "I'd like to send it back for a refund",
            "greet": "hi!"}


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoderFeaturizer:
    return SentenceEncoderFeaturizer(SentenceEncoderFeaturizer.get_default_config(), "sentence_encoder")


class Pipeline:
    """Tokenizer + word count vectors + the MiniLM sentence vector, as bot/config.yml has them."""

    def __init__(self, tmp_path, encoder: SentenceEncoderFeaturizer) -> None:
        self.storage = LocalModelStorage(tmp_path)
        self.context = ExecutionContext(GraphSchema({}), "test")
        self.tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        self.counts = CountVectorsFeaturizer.create(CountVectorsFeaturizer.get_default_config(), self.storage,
                                                    Resource("counts"), self.context)
        self.encoder = encoder

    def featurize_training(self, data: TrainingData) -> TrainingData:
        self.tokenizer.process_training_data(data)
        self.counts.train(data)
        self.counts.process_training_data(data)
        self.encoder.process_training_data(data)
        return data

    def featurize(self, texts) -> list:
        msgs = [Message(data={TEXT: t}) for t in texts]
        self.tokenizer.process(msgs)
        self.counts.process(msgs)
        self.encoder.process(msgs)
        return msgs

    def classifier(self, name="intents", **config) -> SentenceIntentClassifier:
        return SentenceIntentClassifier.create({**SentenceIntentClassifier.get_default_config(), **config},
                                               self.storage, Resource(name), self.context)

    def load(self, name="intents") -> SentenceIntentClassifier:
        return SentenceIntentClassifier.load(SentenceIntentClassifier.get_default_config(), self.storage,
                                             Resource(name), self.context)


def training_data(examples=TRAIN) -> TrainingData:
    return TrainingData([Message(data={TEXT: t, INTENT: i}) for i, texts in examples.items() for t in texts])


@pytest.fixture()
def pipeline(tmp_path, encoder) -> Pipeline:
    return Pipeline(tmp_path, encoder)


@pytest.fixture()
def trained(pipeline) -> SentenceIntentClassifier:
    clf = pipeline.classifier()
    clf.train(pipeline.featurize_training(training_data()))
    return clf


def test_held_out_phrasings_get_their_intent_and_a_sorted_ranking(pipeline, trained):
    msgs = pipeline.featurize(list(HELD_OUT.values()))
    trained.process(msgs)
    assert [m.get(INTENT)["name"] for m in msgs] == list(HELD_OUT)
    for m in msgs:
        ranking = m.get("intent_ranking")
        confidences = [r["confidence"] for r in ranking]
        assert confidences == sorted(confidences, reverse=True)
        assert ranking[0] == m.get(INTENT)
        assert abs(sum(confidences) - 1.0) < 1e-6  # three intents, all ranked


def test_both_kinds_of_feature_block_are_used(trained):
    assert any(k.endswith(":sparse") for k in trained.keys) and any(k.endswith(":dense") for k in trained.keys)
    assert set(trained.idf) == {k for k in trained.keys if k.endswith(":sparse")}


def test_a_reloaded_model_gives_the_same_probabilities_and_holds_only_plain_arrays(pipeline, trained, tmp_path):
    msgs = pipeline.featurize(["is my parcel on its way", "refund please"])
    before = trained.probabilities(msgs)
    after = pipeline.load().probabilities(msgs)
    np.testing.assert_allclose(before, after, rtol=1e-9)
    (path,) = list(tmp_path.rglob(FILE))
    with np.load(path, allow_pickle=False) as z:  # would raise on any pickled object
        assert {"keys", "dims", "classes", "coef", "intercept"} <= set(z.files)


def test_two_intents_match_scikit_learns_own_probabilities(pipeline):
    data = pipeline.featurize_training(training_data({k: TRAIN[k] for k in ("ask_returns", "greet")}))
    clf = pipeline.classifier()
    clf.train(data)
    msgs = pipeline.featurize(["hello again", "send back my shoes"])
    x = clf._matrix(msgs)
    ref = LogisticRegression()
    ref.classes_, ref.coef_, ref.intercept_ = clf.classes, clf.coef, clf.intercept
    np.testing.assert_allclose(clf.probabilities(msgs), ref.predict_proba(x), rtol=1e-9)
    clf.process(msgs)
    assert [m.get(INTENT)["name"] for m in msgs] == ["greet", "ask_returns"]


def test_messages_without_text_and_an_untrained_model_leave_messages_alone(pipeline, trained):
    blank = Message(data={TEXT: "   "})
    trained.process([blank])
    assert blank.get(INTENT) is None
    msg = pipeline.featurize(["where is my order"])[0]
    pipeline.load("never-trained").process([msg])
    assert msg.get(INTENT) is None


def test_a_feature_block_of_the_wrong_size_is_a_clear_error(pipeline, trained):
    msg = pipeline.featurize(["where is my order"])[0]
    dense = next(f for f in msg.features if f.type == FEATURE_TYPE_SENTENCE and not f.is_sparse())
    msg.features = [f for f in msg.features if f is not dense]
    msg.add_features(Features(np.zeros((1, 7)), FEATURE_TYPE_SENTENCE, TEXT, dense.origin))
    with pytest.raises(ValueError, match="columns"):
        trained.process([msg])


def test_one_intent_alone_is_refused(pipeline):
    with pytest.raises(ValueError, match="two intents"):
        pipeline.classifier().train(pipeline.featurize_training(training_data({"greet": TRAIN["greet"]})))


@pytest.mark.parametrize("key", ["C", "dense_weight"])
def test_non_positive_settings_are_refused(key):
    with pytest.raises(ValueError, match=key):
        SentenceIntentClassifier.validate_config({key: 0})
