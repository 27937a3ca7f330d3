"""A threshold per competence, learned from the seed examples and moved by trainers' corrections.

Why per competence: cosine scores are not comparable across codes. A code with a long label full of
common words ("Prendre en compte les lois et les exigences…") scores a little on almost every post; a
code with a short, specific label scores near zero unless the post is about it. One global threshold
either floods posts with the first kind or never gives the second.

1. **From the examples** — how high does code *c* score *by chance*? Its scores over every seed text
   that is not an example of *c* (the other codes' seed posts, activity posts that do not list *c*,
   the other codes' descriptions) give a mean μ and a standard deviation σ; the threshold starts at
   ``max(floor, μ + z × σ)``. ``z`` is one number for all codes, chosen by cross-validation.
2. **From the corrections**, in the order given, positives first: a trainer's ``/tag c`` on a post
   that the model (before any correction) scored *s* below *c*'s threshold moves the threshold halfway
   down to *s* (never under the floor): posts like it belong to *c*. An ``/untag c`` of a post scored
   at or above the threshold moves it halfway up to *s*, and a hair above: posts like it do not.
   A correction that agrees with the model leaves the threshold alone; the prototype learns from it
   all the same.

The thresholds are recomputed with every tagger build (a build follows every correction), so they
"respond" to corrections exactly as the prototypes do; nothing is updated in place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from bot.tagging.model import Tagger

__all__ = ["Thresholds", "DEFAULT_STEP"]

DEFAULT_STEP = 0.5
_ABOVE = 1e-3  # an untagged post's own score must end up below the threshold


class Thresholds:
    """Per-code thresholds of one tagger; ``values`` is an array aligned with ``tagger.codes``."""

    def __init__(self, tagger: Tagger, z: float, fixed: float | None = None, step: float = DEFAULT_STEP,
                 floor: float | None = None) -> None:
        from bot.tagging.model import DEFAULT_FLOOR

        self.z = z
        self.fixed = fixed
        self.step = step
        self.floor = DEFAULT_FLOOR if floor is None else floor
        n = len(tagger.codes)
        index = tagger._code_index
        # Background: each description is an example of its own code only; seed texts of theirs.
        chance_scores = [tagger.score_matrix(tagger._descriptions, base=True)]
        labels = [np.eye(n, dtype=bool)]
        if tagger._seed_labels:
            chance_scores.append(tagger.score_matrix(list(tagger._seed_labels), base=True))
            seed_labels = np.zeros((len(tagger._seed_labels), n), dtype=bool)
            for row, codes in enumerate(tagger._seed_labels.values()):
                seed_labels[row, [index[c] for c in codes]] = True
            labels.append(seed_labels)
        scores = np.vstack(chance_scores)
        others = ~np.vstack(labels)
        self.mean = np.array([scores[others[:, j], j].mean() if others[:, j].any() else 0.0 for j in range(n)])
        self.std = np.array([scores[others[:, j], j].std() if others[:, j].any() else 0.0 for j in range(n)])
        self._positives = self._judged(tagger, tagger.examples)
        self._negatives = self._judged(tagger, tagger.negatives)
        self.values = self.for_z(z)

    @property
    def values(self) -> np.ndarray:
        return self._values

    @values.setter
    def values(self, values: np.ndarray) -> None:
        self._values = values
        self._list = values.tolist()

    def as_list(self) -> list[float]:
        """The thresholds as plain floats (what the per-post decision reads)."""
        return self._list

    @staticmethod
    def _judged(tagger: Tagger, items: list[tuple[str, str]]) -> list[tuple[int, float]]:
        """(code index, score before any correction) of each correction."""
        if not items:
            return []
        before = tagger.score_matrix([text for text, _ in items], base=True)
        return [(tagger._code_index[c], float(before[k, tagger._code_index[c]])) for k, (_, c) in enumerate(items)]

    def for_z(self, z: float) -> np.ndarray:
        """The thresholds for this ``z`` (corrections applied); cheap, for the cross-validation grid."""
        if self.fixed is not None:
            return np.full(len(self.mean), self.fixed, dtype=np.float32)
        values = np.maximum(self.floor, self.mean + z * self.std)
        for j, score in self._positives:
            if score < values[j]:
                values[j] = max(self.floor, values[j] - self.step * (values[j] - score))
        for j, score in self._negatives:
            if score >= values[j]:
                values[j] = values[j] + self.step * (score - values[j]) + _ABOVE
        return values.astype(np.float32)

    def by_code(self, codes: list[str]) -> dict[str, float]:
        return {code: round(float(v), 4) for code, v in zip(codes, self.values, strict=True)}
