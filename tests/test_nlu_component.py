"""The intent classifier component: same answers as Rasa's, saved without pickle."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import (
    LogisticRegressionClassifier,
)
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from components.logistic_regression import TunedLogisticRegression

INTENTS = ["greet", "describe_job_builder", "describe_job_leader", "ask_price"]
WIDTHS = (30, 50)  # two sparse featurizers, like the word and character counts


def _message(rng: np.random.Generator, blocks: tuple[int, ...] = WIDTHS) -> Message:
    message = Message(data={TEXT: "some text"})
    for index, width in enumerate(blocks):
        dense = (rng.random((1, width)) < 0.15) * rng.integers(1, 4, (1, width))
        message.add_features(
            Features(
                scipy.sparse.coo_matrix(dense.astype(float)),
                FEATURE_TYPE_SENTENCE,
                TEXT,
                f"featurizer{index}",
            )
        )
    return message


@pytest.fixture
def trained(tmp_path: Path) -> tuple[TunedLogisticRegression, LocalModelStorage]:
    storage = LocalModelStorage(tmp_path)
    component = TunedLogisticRegression.create(
        {"C": 10, "max_iter": 1000},
        storage,
        Resource("classifier"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    X = scipy.sparse.random(200, sum(WIDTHS), density=0.15, random_state=3)
    y = [INTENTS[i % len(INTENTS)] for i in range(200)]
    component.clf.fit(X.tocsr(), y)
    return component, storage


def test_c_reaches_scikit_learn(trained) -> None:
    component, _ = trained
    assert component.clf.get_params()["C"] == 10.0


def test_c_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="C must be > 0"):
        TunedLogisticRegression.create(
            {"C": 0},
            LocalModelStorage(tmp_path),
            Resource("classifier"),
            ExecutionContext(GraphSchema({}), "test"),
        )


def test_same_intents_and_confidences_as_rasa(trained) -> None:
    component, _ = trained
    rng = np.random.default_rng(7)
    for _ in range(50):
        ours = _message(rng)
        theirs = copy.deepcopy(ours)
        TunedLogisticRegression.process(component, [ours])
        LogisticRegressionClassifier.process(component, [theirs])
        assert ours.get("intent")["name"] == theirs.get("intent")["name"]
        assert ours.get("intent")["confidence"] == pytest.approx(
            theirs.get("intent")["confidence"], abs=1e-9
        )
        assert [r["name"] for r in ours.get("intent_ranking")] == [
            r["name"] for r in theirs.get("intent_ranking")
        ]


def test_saved_as_arrays_and_loaded_back(trained, tmp_path: Path) -> None:
    component, storage = trained
    component.persist()
    saved = sorted(p.name for p in (tmp_path / "classifier").iterdir())
    assert saved == ["classes.json", "coef_.npy", "intercept_.npy"]
    loaded = TunedLogisticRegression.load(
        {"C": 10},
        storage,
        Resource("classifier"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    rng = np.random.default_rng(11)
    for _ in range(20):
        a = _message(rng)
        b = copy.deepcopy(a)
        component.process([a])
        loaded.process([b])
        assert a.get("intent") == b.get("intent")


def test_a_message_without_features_gets_no_intent(trained) -> None:
    component, _ = trained
    empty = Message(data={TEXT: ""})
    component.process([empty])
    assert empty.get("intent") == {"name": None, "confidence": 0.0}
    assert empty.get("intent_ranking") == []


@pytest.mark.parametrize(
    "config", [{}, {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4}]
)
def test_sentence_counts_are_rasas_without_the_sequences(
    tmp_path: Path, config
) -> None:
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
        CountVectorsFeaturizer,
    )
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from components.sentence_counts import SentenceCountVectors

    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    texts = ["I train models", "I lead the AI programme", "what does CAIP cost"]
    examples = [Message(data={TEXT: t, "intent": f"i{n}"}) for n, t in enumerate(texts)]
    tokenizer.process_training_data(TrainingData(examples))
    made = {}
    for cls in (CountVectorsFeaturizer, SentenceCountVectors):
        featurizer = cls.create(
            {**cls.get_default_config(), **config},
            LocalModelStorage(tmp_path),
            Resource(cls.__name__),
            context,
        )
        featurizer.train(TrainingData(copy.deepcopy(examples)))
        message = Message(data={TEXT: "I train and deploy models, unseen words"})
        tokenizer.process([message])
        featurizer.process([message])
        made[cls] = message.get_sparse_features(TEXT)
    rasa_sequence, rasa_sentence = made[CountVectorsFeaturizer]
    sequence, sentence = made[SentenceCountVectors]
    assert rasa_sequence is not None and sequence is None
    assert (rasa_sentence.features != sentence.features).nnz == 0
    assert rasa_sentence.features.shape == sentence.features.shape
    assert sentence.features.nnz > 0
