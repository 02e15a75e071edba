"""Rasa's count featurizer, making only the features the intent classifier reads.

Rasa's `CountVectorsFeaturizer` turns each message into two matrices: one row per
token (sequence features, which DIET's transformer reads) and one row for the
whole message (sentence features). The advisor's classifier,
`components.logistic_regression.TunedLogisticRegression`, reads only the sentence
features, as Rasa's `LogisticRegressionClassifier` does, and nothing else in the
pipeline reads either. This subclass keeps Rasa's vocabulary, training and
sentence features unchanged and skips the sequence matrices: one scikit-learn
`transform` per message and featurizer instead of two.
`tests/test_nlu_component.py` checks that its sentence features are Rasa's.
Put Rasa's `CountVectorsFeaturizer` back in `config.yml` for a policy or
classifier that needs sequence features (DIET, TED).
"""

from __future__ import annotations

import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)

Matrices = list[scipy.sparse.spmatrix | None]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class SentenceCountVectors(CountVectorsFeaturizer):
    """`CountVectorsFeaturizer` with sentence features only."""

    def _create_features(
        self, attribute: str, all_tokens: list[list[str]]
    ) -> tuple[Matrices, Matrices]:
        """No sequence features; sentence features exactly as Rasa makes them."""
        vectorizer = self.vectorizers.get(attribute)
        sentences: Matrices = []
        for tokens in all_tokens:
            if not vectorizer or not tokens:
                sentences.append(None)
            elif attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                matrix = vectorizer.transform([" ".join(tokens)])
                matrix.sort_indices()
                sentences.append(matrix.tocoo())
            else:
                sentences.append(None)
        return [None] * len(all_tokens), sentences
