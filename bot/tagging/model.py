"""The text model: explicit codes first, then TF-IDF similarity to competence descriptions and to
posts that trainers have tagged.

Why this shape:

* Every competence gets a *description document*: its label (counted twice: it is the official
  wording), its details, its keywords and its domain's label, French-normalised and stemmed
  (:mod:`bot.tagging.normalise`). Features are stems plus pairs of neighbouring stems, so that a
  keyword phrase such as "droit à l'image" (``droit imag``) weighs more than its loose words.
* A post is scored against every description by cosine similarity of TF-IDF vectors (IDF learned
  over the descriptions and examples, sublinear TF so one repeated word does not dominate).
* Seeds (``referential/<id>.examples.yaml``, see :mod:`bot.tagging.seeds`): extra vocabulary per
  code joins its description, and a few made-up posts per code act as prior examples with weight
  ``seed_weight`` (lower than a trainer's correction). ``seeds=False`` gives the bare description.
* Trainers' corrections ``(text, code)`` are kept as examples. Default (``mode="centroid"``): each
  code's prototype becomes its description vector plus ``example_weight`` × the mean vector of its
  examples (Rocchio-style), plus ``seed_weight`` × the mean of its seed posts, minus
  ``negative_weight`` × the mean of its *negatives* (posts a trainer ``/untag``-ged from that code),
  negative components clipped to 0, re-normalised. Alternative (``mode="knn"``): a code also scores its best
  cosine similarity to one of its examples. Cross-validated on the dev set, the centroid helped on
  both referentials while nearest-neighbour hurt C2i2e (long posts share generic words), hence the
  default. Either way a correction changes later tagging at once, with nothing to train but a
  vectoriser refit (milliseconds for a thousand examples).
* Decision: a code is kept when its score reaches ``max(floor, relative × best score)``, at most
  ``max_tags`` model codes in all (explicit codes are always kept). The three numbers were chosen
  by a grid search maximising mean micro-F1 over both referentials on the development set
  (:func:`bot.tagging.eval.choose_threshold`; ``ticebot tagging eval --cv 5`` reports the nested
  cross-validated estimate), not by looking at single sentences.

Everything is vectorised: :meth:`Tagger.tag_many` scores a batch with one sparse product.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from bot.referential.model import Competence, Referential
from bot.tagging.explicit import CodeFinder
from bot.tagging.normalise import fold_accents, stems, tokens
from bot.tagging.seeds import Seeds, load_seeds

__all__ = ["TagResult", "Tagger", "keyword_baseline", "features", "DEFAULT_FLOOR", "DEFAULT_RELATIVE"]

# Chosen by cross-validation on tests/data/tagging_dev.jsonl (both referentials), see report.
DEFAULT_FLOOR = 0.10
DEFAULT_RELATIVE = 0.6
DEFAULT_MAX_TAGS = 2
DEFAULT_EXAMPLE_WEIGHT = 1.0
DEFAULT_SEED_WEIGHT = 0.5
DEFAULT_NEGATIVE_WEIGHT = 0.5


@dataclass(frozen=True)
class TagResult:
    code: str
    score: float
    source: str  # "explicit" | "model"


def features(text: str) -> list[str]:
    """Stems and neighbouring-stem pairs of a text (the model's vocabulary)."""
    words = stems(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _competence_features(competence: Competence, domain_label: str,
                         terms: Sequence[str] = ()) -> list[str]:
    parts: list[str] = []
    # The label twice: it is the official wording and the most reliable signal.
    parts += features(competence.label) * 2
    for detail in competence.details:
        parts += features(detail)
    for keyword in [*competence.keywords, *terms]:
        # Keywords are already chosen terms; each counts once, its bigram glues multi-word ones.
        parts += features(keyword)
    if domain_label:
        parts += features(domain_label)
    return parts


def _identity(tokens_: list[str]) -> list[str]:
    return tokens_


class Tagger:
    """Tags posts with the competence codes of one referential (see module docstring)."""

    def __init__(
        self,
        referential: Referential,
        examples: Sequence[tuple[str, str]] = (),
        threshold: float | None = None,
        *,
        relative: float = DEFAULT_RELATIVE,
        max_tags: int = DEFAULT_MAX_TAGS,
        example_weight: float = DEFAULT_EXAMPLE_WEIGHT,
        mode: str = "centroid",
        seeds: bool = True,
        seed_weight: float = DEFAULT_SEED_WEIGHT,
        negatives: Sequence[tuple[str, str]] = (),
        negative_weight: float = DEFAULT_NEGATIVE_WEIGHT,
        _finder: CodeFinder | None = None,
        _description_features: list[list[str]] | None = None,
    ) -> None:
        self.referential = referential
        self.floor = DEFAULT_FLOOR if threshold is None else float(threshold)
        self.relative = relative
        self.max_tags = max_tags
        self.example_weight = example_weight
        if mode not in ("centroid", "knn"):
            raise ValueError(f"unknown mode {mode!r} (centroid | knn)")
        self.mode = mode
        self.use_seeds = seeds
        self.seed_weight = seed_weight
        self.negative_weight = negative_weight
        loaded = load_seeds(referential.id) if seeds else Seeds(referential.id)
        self.codes: list[str] = [c.code for c in referential.competences()]
        self._code_index = {c: i for i, c in enumerate(self.codes)}
        self._finder = _finder or CodeFinder(referential)
        if _description_features is None:
            domains = {d.code: d.label for d in referential.domains}
            _description_features = [
                _competence_features(c, domains.get(c.domain, ""), loaded.terms.get(c.code, ()))
                for c in referential.competences()
            ]
        self._description_features = _description_features
        # Corrections naming a code outside the referential are ignored, not fatal: a referential
        # may have been edited since the trainer's /tag.
        self.examples: list[tuple[str, str]] = [(t, c) for t, c in examples if c in self._code_index]
        self.seed_posts: list[tuple[str, str]] = [(t, c) for t, c in loaded.posts if c in self._code_index]
        self.negatives: list[tuple[str, str]] = [(t, c) for t, c in negatives if c in self._code_index]
        self._fit()

    # -- training ----------------------------------------------------------------------------

    def _fit(self) -> None:
        example_features = [features(text) for text, _ in self.examples]
        seed_features = [features(text) for text, _ in self.seed_posts]
        negative_features = [features(text) for text, _ in self.negatives]
        self._vectorizer = TfidfVectorizer(
            analyzer=_identity, sublinear_tf=True, norm="l2", dtype=np.float32
        )
        self._vectorizer.fit(self._description_features + seed_features + example_features)
        self._descriptions = self._vectorizer.transform(self._description_features)  # (codes, V)
        # knn mode compares with every example, seeds included; centroid mode weighs them apart.
        pairs = self.seed_posts + self.examples
        if pairs:
            self._examples = self._vectorizer.transform(seed_features + example_features)
            self._example_codes = np.array([self._code_index[c] for _, c in pairs])
        else:
            self._examples = None
        prototype = self._descriptions
        for feats, items, weight in (
            (seed_features, self.seed_posts, self.seed_weight),
            (example_features, self.examples, self.example_weight),
            (negative_features, self.negatives, -self.negative_weight),
        ):
            if items and weight:
                prototype = prototype + weight * self._code_means(feats, [c for _, c in items])
        if self.negatives:
            prototype = prototype.maximum(0)  # a negative can silence a word, not make it repel
        self._prototypes = normalize(sparse.csr_matrix(prototype))

    def _code_means(self, feats: list[list[str]], codes: list[str]) -> sparse.csr_matrix:
        """Per code, the mean TF-IDF vector of these texts (zero rows for codes without any)."""
        vectors = self._vectorizer.transform(feats)
        cols = np.array([self._code_index[c] for c in codes])
        onehot = sparse.csr_matrix(
            (np.ones(len(codes), dtype=np.float32), (np.arange(len(codes)), cols)),
            shape=(len(codes), len(self.codes)),
        )
        counts = np.asarray(onehot.sum(axis=0)).ravel()
        return sparse.csr_matrix(sparse.diags(1.0 / np.maximum(counts, 1)) @ (onehot.T @ vectors))

    def with_examples(self, examples: Iterable[tuple[str, str]],
                      negatives: Iterable[tuple[str, str]] = ()) -> Tagger:
        """A new tagger with these corrections added (descriptions are not re-analysed)."""
        return Tagger(
            self.referential,
            [*self.examples, *examples],
            self.floor,
            relative=self.relative,
            max_tags=self.max_tags,
            example_weight=self.example_weight,
            mode=self.mode,
            seeds=self.use_seeds,
            seed_weight=self.seed_weight,
            negatives=[*self.negatives, *negatives],
            negative_weight=self.negative_weight,
            _finder=self._finder,
            _description_features=self._description_features,
        )

    # -- scoring -----------------------------------------------------------------------------

    def score_matrix(self, texts: Sequence[str]) -> np.ndarray:
        """Model scores, shape (len(texts), len(codes)), explicit codes not included."""
        x = self._vectorizer.transform([features(t) for t in texts])
        if self.mode == "centroid":
            return (x @ self._prototypes.T).toarray()
        label_scores = (x @ self._descriptions.T).toarray()
        if self._examples is None:
            return label_scores
        sims = (x @ self._examples.T).toarray()  # (texts, examples)
        knn = np.zeros_like(label_scores)
        # Per code, the best similarity to one of its examples (nearest neighbour).
        for j in np.unique(self._example_codes):
            knn[:, j] = sims[:, self._example_codes == j].max(axis=1)
        return np.maximum(label_scores, self.example_weight * knn)

    def scores(self, text: str) -> dict[str, float]:
        """Every code's score for `text`; explicit codes score 1.0."""
        row = self.score_matrix([text])[0]
        out = {code: float(row[i]) for i, code in enumerate(self.codes)}
        for code in self._finder.codes(text):
            out[code] = 1.0
        return out

    def tag(self, text: str) -> list[TagResult]:
        return self.tag_many([text])[0]

    def tag_many(self, texts: Sequence[str]) -> list[list[TagResult]]:
        """Explicit codes first (score 1.0), then model tags above the threshold, best first."""
        matrix = self.score_matrix(texts)
        results: list[list[TagResult]] = []
        for text, row in zip(texts, matrix, strict=True):
            explicit = self._finder.codes(text)
            out = [TagResult(code, 1.0, "explicit") for code in explicit]
            room = self.max_tags - len(out)
            if room > 0:
                out += self._decide(row, set(explicit), room)
            results.append(out)
        return results

    def _decide(self, row: np.ndarray, exclude: set[str], room: int) -> list[TagResult]:
        top = float(row.max()) if row.size else 0.0
        if top < self.floor:
            return []
        cut = max(self.floor, self.relative * top)
        order = np.argsort(-row, kind="stable")
        picked: list[TagResult] = []
        for i in order:
            score = float(row[i])
            if score < cut or len(picked) >= room:
                break
            if self.codes[i] not in exclude:
                picked.append(TagResult(self.codes[i], round(score, 4), "model"))
        return picked


@lru_cache(maxsize=20_000)
def _keyword_form(keyword: str) -> str:
    # Normalised once per keyword, so the baseline's speed is that of matching, not of parsing.
    norm = " ".join(tokens(fold_accents(keyword), keep_stop_words=True))
    return f" {norm} " if norm else ""


def keyword_baseline(referential: Referential, text: str) -> list[str]:
    """Plain baseline: every competence one of whose keywords occurs in the text.

    Case and accents are ignored and matching is on whole words (a keyword phrase must appear as a
    contiguous word sequence); no stemming, no scoring, no limit.
    """
    words = " " + " ".join(tokens(text, keep_stop_words=True)) + " "
    found: list[str] = []
    for competence in referential.competences():
        for keyword in competence.keywords:
            kw = _keyword_form(keyword)
            if kw and kw in words:
                found.append(competence.code)
                break
    return found
