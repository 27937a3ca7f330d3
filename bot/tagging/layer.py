"""The second stage of the text model: one logistic regression per competence, trained on labelled
posts, over the post's TF-IDF vector *and* its prototype scores (the first stage).

Why a second stage: prototype cosines (:mod:`bot.tagging.model`) know each competence from its
wording and seed posts, but they cannot learn which words *separate* two neighbouring codes, nor how
often a code goes along with a whole activity. A linear model trained on posts that formateurs
labelled with every code they cover learns both, and its per-code bias is the competence's own
threshold, learned from the examples and moved by every correction (corrections are training posts).
Cross-validated on the development set, it lifts micro-F1 from 0.67 to 0.71 (C2i2e) and from 0.59 to
0.74 (CRCN), see README → Tagging.

Training posts: each competence's description, the seed posts (single-competence and activity
sheets), the labelled posts shipped with the referential (``referential/labelled_posts.jsonl``, the
development set) and the space's corrections (``/tag`` adds the code to that post's labels, ``/untag``
removes it); the posts formateurs labelled weigh ``post_weight`` (2) against 1 for the descriptions and
seeds we wrote (``Tagger._layer_weights``). A post's features are ``[x, alpha × p]`` where x is its
unit TF-IDF vector and p its prototype scores (cosine + keyword bonus). As both parts are linear in
x, the trained weights fold into one (features × codes) matrix: the per-post path is one
gather-and-multiply, as fast as the first stage alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

__all__ = ["Layer", "DEFAULT_C", "DEFAULT_ALPHA", "DEFAULT_PROBABILITY", "DEFAULT_LAYER_RELATIVE"]

# Chosen by 5-fold cross-validation on the development set (C2i2e grid C ∈ {1, 4, 16}, alpha ∈ {0, 3},
# probability and relative cut ∈ {0.3, 0.4, 0.5}); CRCN then checked with the same numbers.
DEFAULT_C = 16.0
DEFAULT_ALPHA = 3.0
DEFAULT_PROBABILITY = 0.4
DEFAULT_LAYER_RELATIVE = 0.4


@dataclass(frozen=True)
class Layer:
    """Folded weights: ``logit = x @ weights + bias + keyword_weights(bonuses)``."""

    weights: np.ndarray  # (features × codes), float32
    bias: np.ndarray  # (codes,)
    prototype_weights: np.ndarray  # (codes × codes): applied to the keyword bonuses only
    alpha: float

    @classmethod
    def train(
        cls,
        features: sparse.csr_matrix,
        prototype_scores: np.ndarray,
        labels: np.ndarray,
        prototypes: np.ndarray,
        *,
        c: float = DEFAULT_C,
        alpha: float = DEFAULT_ALPHA,
        sample_weight: np.ndarray | None = None,
    ) -> Layer:
        """``features``: unit TF-IDF rows; ``prototype_scores``: first-stage scores of the same rows;
        ``labels``: (rows × codes) booleans; ``prototypes``: the first stage's (features × codes) matrix;
        ``sample_weight``: one weight per row (None: all 1)."""
        from sklearn.linear_model import LogisticRegression

        n_features = features.shape[1]
        n_codes = labels.shape[1]
        stacked = sparse.hstack([features, sparse.csr_matrix(alpha * prototype_scores)]).tocsr()
        coef = np.zeros((n_codes, n_features + n_codes), dtype=np.float64)
        bias = np.full(n_codes, -30.0)  # a code nobody ever labelled is never given
        for j in range(n_codes):
            positives = int(labels[:, j].sum())
            if positives == 0 or positives == len(labels):
                continue
            # liblinear's dual solver: far fewer samples than features. It visits the samples in a
            # shuffled order: a fixed seed makes every build from the same data the same model (two
            # instances of the bot, or a restart, tag a post alike; unseeded, scores moved by ~1e-4).
            model = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", dual=True, max_iter=1000,
                                       random_state=0)
            model.fit(stacked, labels[:, j], sample_weight=sample_weight)
            coef[j] = model.coef_[0]
            bias[j] = model.intercept_[0]
        word_part = coef[:, :n_features].T  # (features × codes)
        proto_part = coef[:, n_features:].T  # (codes × codes)
        folded = word_part + alpha * (prototypes.astype(np.float64) @ proto_part)
        return cls(np.ascontiguousarray(folded, dtype=np.float32), bias.astype(np.float32),
                   np.ascontiguousarray(alpha * proto_part, dtype=np.float32), alpha)

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))

    def row(self, values: np.ndarray, indices: np.ndarray, bonuses: np.ndarray | None) -> np.ndarray:
        logits = values @ np.take(self.weights, indices, axis=0) + self.bias
        if bonuses is not None:
            logits = logits + bonuses @ self.prototype_weights
        return self.probabilities(logits)

    def matrix(self, features: sparse.csr_matrix, bonuses: np.ndarray | None) -> np.ndarray:
        logits = np.asarray(features @ self.weights) + self.bias
        if bonuses is not None:
            logits = logits + bonuses @ self.prototype_weights
        return self.probabilities(logits)


def label_matrix(items: Sequence[tuple[object, set[str]]], index: Mapping[str, int]) -> np.ndarray:
    labels = np.zeros((len(items), len(index)), dtype=bool)
    for row, (_, codes) in enumerate(items):
        for code in codes:
            labels[row, index[code]] = True
    return labels
