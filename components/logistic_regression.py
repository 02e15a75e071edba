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
from rasa.nlu.classifiers.logistic_regression_classifier import (
    LogisticRegressionClassifier,
)

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
