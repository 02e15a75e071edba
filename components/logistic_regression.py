"""Rasa's logistic-regression intent classifier with its regularisation exposed.

Rasa 3.6's `LogisticRegressionClassifier` fixes scikit-learn's `C` at 1.0 and offers
only `max_iter`, `solver`, `tol`, `random_state` and `ranking_length`. With this
project's sparse word and character features, weaker regularisation (`C: 10`)
classifies the held-out set better (README, "The NLU pipeline").

Training and prediction are Rasa's own. Saving is not: Rasa saves the scikit-learn
model with skops, and importing `skops.io` imports every scikit-learn estimator
(about 6 s, most of the server's start-up). This class saves the fitted weights as
plain arrays instead (`.npy` without pickle, classes as JSON) and rebuilds the same
`LogisticRegression` from them: the same probabilities, nothing executable in the
model file, and a load that takes milliseconds.

Prediction computes the same softmax over `X @ coef_.T + intercept_` as scikit-learn's
`predict_proba`, with the weights stored row-per-feature once: scikit-learn
multiplies the sparse features by the transposed (strided) weight matrix and
re-validates its input on every message, a tenth of the server's time per turn.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.logistic_regression_classifier import (
    LogisticRegressionClassifier,
)
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.special import softmax

logger = logging.getLogger(__name__)

# The fitted attributes `predict_proba` needs, saved as arrays.
WEIGHTS = ("coef_", "intercept_")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class TunedLogisticRegression(LogisticRegressionClassifier):
    """`LogisticRegressionClassifier` plus a `C` setting (inverse regularisation)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Rasa's defaults plus `C: 1.0`, scikit-learn's own default."""
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        c = float(self.config["C"])
        if c <= 0:
            raise ValueError(f"TunedLogisticRegression: C must be > 0, got {c}")
        self.clf.set_params(C=c)

    def persist(self) -> None:
        """Save the fitted weights and class names (no pickle, no skops)."""
        with self._model_storage.write_to(self._resource) as model_dir:
            for attribute in WEIGHTS:
                np.save(model_dir / f"{attribute}.npy", getattr(self.clf, attribute))
            (model_dir / "classes.json").write_text(
                json.dumps([str(c) for c in self.clf.classes_]), encoding="utf-8"
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TunedLogisticRegression:
        """Rebuild the fitted classifier from the saved arrays."""
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                for attribute in WEIGHTS:
                    path = model_dir / f"{attribute}.npy"
                    setattr(component.clf, attribute, np.load(path, allow_pickle=False))
                classes = json.loads((model_dir / "classes.json").read_text("utf-8"))
        except (ValueError, OSError) as error:
            # Rasa's behaviour for a classifier that was not trained (no intents).
            logger.debug(
                "No trained intent classifier in '%s': %s", resource.name, error
            )
            return component
        component.clf.classes_ = np.array(classes)
        component.clf.n_features_in_ = component.clf.coef_.shape[1]
        return component

    def _weights(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(coef_ as feature rows, intercept_) for the softmax, or None when
        scikit-learn would use one-vs-rest (two classes or liblinear)."""
        clf = self.clf
        if not hasattr(clf, "coef_"):
            return None
        if getattr(self, "_cached_for", None) is not clf.coef_:
            ovr = clf.multi_class == "ovr" or (
                clf.multi_class == "auto"
                and (len(clf.classes_) <= 2 or clf.solver == "liblinear")
            )
            self._cached = (
                None if ovr else (np.ascontiguousarray(clf.coef_.T), clf.intercept_)
            )
            self._cached_for = clf.coef_
        return self._cached

    def _scores(
        self, message: Message, coef_rows: np.ndarray, intercept: np.ndarray
    ) -> np.ndarray | None:
        """`X @ coef_.T + intercept_` for one message, None without features.

        X is the message's sentence features side by side, as Rasa's `_create_X`
        builds it (sparse in pipeline order, then dense); the product is taken per
        block, without copying and stacking the sparse matrices first.
        """
        blocks = [
            f
            for f in message.features
            if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE
        ]
        blocks.sort(key=lambda f: not f.is_sparse())  # sparse first, stable
        if sum(f.features.shape[-1] for f in blocks) != coef_rows.shape[0]:
            return None
        scores = intercept.astype(float)
        offset = 0
        for block in blocks:
            width = block.features.shape[-1]
            weights = coef_rows[offset : offset + width]
            if block.is_sparse():
                scores += np.asarray(block.features.tocsr() @ weights)[0]
            else:
                scores += np.asarray(block.features, dtype=float).reshape(-1) @ weights
            offset += width
        return scores

    def process(self, messages: list[Message]) -> list[Message]:
        """Set `intent` and `intent_ranking` as Rasa's classifier does.

        A message without any features (e.g. nothing but spaces or symbols the
        tokenizer drops) gets no intent with confidence 0, so the FallbackClassifier
        answers it, where Rasa's classifier would raise and fail the turn.
        """
        weights = self._weights()
        if weights is None:
            return super().process(messages)
        coef_rows, intercept = weights
        ranking_length = self.config.get("ranking_length", LABEL_RANKING_LENGTH)
        for message in messages:
            scores = self._scores(message, coef_rows, intercept)
            if scores is None:
                message.set("intent", {"name": None, "confidence": 0.0}, True)
                message.set("intent_ranking", [], add_to_output=True)
                continue
            row = softmax(scores)
            ranking = sorted(
                (
                    {"name": name, "confidence": float(p)}
                    for name, p in zip(self.clf.classes_, row, strict=False)
                ),
                key=lambda e: -e["confidence"],
            )
            message.set("intent", ranking[0], add_to_output=True)
            if ranking_length > 0:
                ranking = ranking[:ranking_length]
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
