"""The text model: explicit codes first, then TF-IDF similarity to competence prototypes, with a
threshold per competence.

Why this shape:

* Every competence gets a *description*: its label (twice: it is the official wording), its details,
  its keywords, the seed terms of ``referential/<id>.examples.yaml`` and its domain's label, each a
  segment of one document. Texts become unit TF-IDF vectors of stems, stem pairs and character
  n-grams (:mod:`bot.tagging.vectors`, the representation other features may reuse).
* A code's *prototype* is its description vector plus ``seed_weight`` × the mean vector of its seed
  posts (single-competence posts and the activity-level posts that list it), plus ``example_weight``
  × the mean of the space's trainer corrections for it, minus ``negative_weight`` × the mean of the
  posts a trainer ``/untag``-ged from it (negative components clipped to 0), re-normalised
  (Rocchio-style). A post's score for a code is the cosine with its prototype. A correction changes
  later tagging with nothing to train but a refit of the vocabulary.
* **How many tags**: no fixed number. A code is kept when its score reaches *its own* threshold and
  ``relative`` × the post's best score. A post that describes a whole activity scores high on several
  codes and gets them all (up to ``max_tags``, a ceiling above the 3–5 items an activity sheet
  covers); a one-topic question has one clear winner and the relative cut drops the rest.
* **Per-competence thresholds** (:mod:`bot.tagging.thresholds`): some codes score high on everything
  (a long label shares words with many posts), others rarely. Each code's threshold starts at
  ``mean + z × std`` of its scores over the seed posts that are *not* examples of it (how high the
  code scores by chance), then moves with the trainers' corrections: a ``/tag`` the model had missed
  lowers it, an ``/untag`` of a tag it gave raises it.
* ``seed_weight``, ``char_weight``, ``z`` and ``relative`` were compared by 5-fold cross-validation on
  the development set (both referentials) and kept on a plateau, not a peak
  (:func:`bot.tagging.eval.choose_decision`; ``ticebot tagging eval --cv 5`` reports the nested
  cross-validated estimate), never by looking at single sentences.

Speed: :meth:`Tagger.tag` (one post, the bot's path) turns the post into a pair of small arrays and
multiplies them with a dense prototype matrix; no sparse matrix is built per post.
:meth:`Tagger.tag_many` does the same for a batch with one sparse product; both give the same result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse

from bot.referential.model import Competence, Referential
from bot.tagging.explicit import CodeFinder
from bot.tagging.keywords import DEFAULT_BONUS, KeywordIndex
from bot.tagging.layer import DEFAULT_LAYER_RELATIVE, DEFAULT_PROBABILITY, Layer, label_matrix
from bot.tagging.normalise import fold_accents, tokens
from bot.tagging.seeds import Seeds, load_labelled, load_seeds
from bot.tagging.thresholds import Thresholds
from bot.tagging.vectors import DEFAULT_CHAR_WEIGHT, SparseVector, TextVectoriser

__all__ = ["TagResult", "Tagger", "keyword_baseline", "DEFAULT_Z", "DEFAULT_RELATIVE", "DEFAULT_MAX_TAGS"]

# Chosen by cross-validation on tests/data/tagging_dev.jsonl (both referentials), see README.
DEFAULT_Z = 2.5
DEFAULT_RELATIVE = 0.5
DEFAULT_MAX_TAGS = 5
DEFAULT_FLOOR = 0.05  # below this cosine a post shares nothing meaningful with the code
DEFAULT_EXAMPLE_WEIGHT = 1.0
DEFAULT_SEED_WEIGHT = 2.0
DEFAULT_NEGATIVE_WEIGHT = 0.5
DEFAULT_POST_WEIGHT = 2.0


@dataclass(frozen=True)
class TagResult:
    code: str
    score: float
    source: str  # "explicit" | "model"


def _description(competence: Competence, domain_label: str, terms: Sequence[str]) -> list[str]:
    # The label twice: it is the official wording and the most reliable signal. Keywords are
    # already chosen terms: each is a segment of its own, so its words pair up but not across.
    return [competence.label, competence.label, *competence.details, *competence.keywords, *terms,
            *([domain_label] if domain_label else [])]


def _item_key(text: str | Sequence[str]) -> str:
    return text if isinstance(text, str) else "\x1f".join(text)


class Tagger:
    """Tags posts with the competence codes of one referential (see module docstring)."""

    def __init__(
        self,
        referential: Referential,
        examples: Sequence[tuple[str, str]] = (),
        threshold: float | None = None,
        *,
        z: float = DEFAULT_Z,
        relative: float = DEFAULT_RELATIVE,
        max_tags: int = DEFAULT_MAX_TAGS,
        example_weight: float = DEFAULT_EXAMPLE_WEIGHT,
        seeds: bool = True,
        seed_weight: float = DEFAULT_SEED_WEIGHT,
        negatives: Sequence[tuple[str, str]] = (),
        negative_weight: float = DEFAULT_NEGATIVE_WEIGHT,
        char_weight: float = DEFAULT_CHAR_WEIGHT,
        keyword_bonus: float = DEFAULT_BONUS,
        labelled: Sequence[tuple[str, Sequence[str]]] | None = None,
        layer: bool = True,
        post_weight: float = DEFAULT_POST_WEIGHT,
        _finder: CodeFinder | None = None,
        _descriptions: list[list[str]] | None = None,
    ) -> None:
        self.referential = referential
        self.relative = relative
        self.max_tags = max_tags
        self.example_weight = example_weight
        self.use_seeds = seeds
        self.seed_weight = seed_weight
        self.negative_weight = negative_weight
        self.char_weight = char_weight
        self.keyword_bonus = keyword_bonus
        loaded = load_seeds(referential.id) if seeds else Seeds(referential.id)
        self.codes: list[str] = [c.code for c in referential.competences()]
        self._code_index = {c: i for i, c in enumerate(self.codes)}
        self._finder = _finder or CodeFinder(referential)
        if _descriptions is None:
            domains = {d.code: d.label for d in referential.domains}
            _descriptions = [_description(c, domains.get(c.domain, ""), loaded.terms.get(c.code, ()))
                             for c in referential.competences()]
        self._descriptions = _descriptions
        known = self._code_index
        # Corrections naming a code outside the referential are ignored, not fatal: a referential
        # may have been edited since the trainer's /tag.
        self.examples: list[tuple[str, str]] = [(t, c) for t, c in examples if c in known]
        self.negatives: list[tuple[str, str]] = [(t, c) for t, c in negatives if c in known]
        self.seed_posts: list[tuple[str, str]] = [(t, c) for t, c in loaded.pairs() if c in known]
        self._seed_labels = {t: {c for c in cs if c in known} for t, cs in loaded.labelled().items()}
        # Labelled posts shipped with the referential (None: load them; () for none, as the
        # cross-validation does so that no fold is judged by a model that has read it).
        if labelled is None:
            labelled = load_labelled(referential.id) if seeds else ()
        self.labelled: list[tuple[str, list[str]]] = [(t, [c for c in cs if c in known]) for t, cs in labelled]
        self.layer: Layer | None = None  # the second stage, trained below once the first stage exists
        self._with_layer = layer
        self.post_weight = post_weight
        self._fit()
        self.keywords = KeywordIndex(
            [(i, k) for i, c in enumerate(referential.competences())
             for k in (*c.keywords, *loaded.terms.get(c.code, ()))],
            self.vectoriser._stem_ids, len(self.codes), bonus=keyword_bonus,
        )
        self.thresholds = Thresholds(self, z=z, fixed=threshold)
        if layer:
            self.relative = DEFAULT_LAYER_RELATIVE if relative == DEFAULT_RELATIVE else relative
            self.layer = self._train_layer()
            self._layer_limits = np.full(len(self.codes), DEFAULT_PROBABILITY if threshold is None else threshold,
                                         dtype=np.float32)
            self._layer_limit_list = self._layer_limits.tolist()

    # -- training ----------------------------------------------------------------------------

    def _fit(self) -> None:
        seed_texts = list(self._seed_labels)
        example_texts = [text for text, _ in self.examples]
        # The labelled posts train the second stage: their words must have columns, or a word met
        # only in them (a tool's name, a typo formateurs write) would teach it nothing.
        labelled_texts = [text for text, _ in self.labelled] if self._with_layer else []
        self.vectoriser = TextVectoriser.fit(
            [*self._descriptions, *seed_texts, *labelled_texts, *example_texts], char_weight=self.char_weight
        )
        self._description_matrix = self.vectoriser.matrix(self._descriptions)
        seeds = self._code_means(self.seed_posts)
        base = self._description_matrix + self.seed_weight * seeds if seeds is not None else self._description_matrix
        # Prototypes before any correction: the thresholds judge corrections against them.
        self._base_prototypes = self._dense(base)
        prototype = base
        # With the second stage, corrections train it and leave the prototypes alone: moving the
        # prototypes too lowered cross-validated F1 (README → Tagging).
        corrections = () if self._with_layer else ((self.examples, self.example_weight),
                                                    (self.negatives, -self.negative_weight))
        for items, weight in corrections:
            means = self._code_means(items)
            if means is not None and weight:
                prototype = prototype + weight * means
        if self.negatives and not self._with_layer:
            prototype = prototype.maximum(0)  # a negative can silence a word, not make it repel
        self._prototypes = self._dense(prototype)

    def _layer_items(self) -> list[tuple[str | Sequence[str], set[str]]]:
        """Every labelled text once, with all its codes: descriptions, seeds, shipped labelled posts,
        then the corrections (``/tag`` adds a code to that text, ``/untag`` removes it)."""
        items: dict[str, tuple[str | Sequence[str], set[str]]] = {}
        key = _item_key

        for i, description in enumerate(self._descriptions):
            items[key(description)] = (description, {self.codes[i]})
        for text, codes in [*self._seed_labels.items(), *self.labelled]:
            items.setdefault(key(text), (text, set()))[1].update(codes)
        for text, code in self.examples:
            items.setdefault(key(text), (text, set()))[1].add(code)
        for text, code in self.negatives:
            items.setdefault(key(text), (text, set()))[1].discard(code)
        return list(items.values())

    def _layer_weights(self, items: Sequence[tuple[str | Sequence[str], set[str]]]) -> np.ndarray:
        """``post_weight`` for the posts formateurs labelled (shipped labelled posts, corrections), 1 for
        the descriptions and seeds we wrote: the real posts are the kind of text the bot tags, so they
        should outweigh the prior where the two disagree (cross-validated, README → Tagging)."""
        posts = {_item_key(t) for t, _ in self.labelled} | {_item_key(t) for t, _ in (*self.examples, *self.negatives)}
        return np.array([self.post_weight if _item_key(t) in posts else 1.0 for t, _ in items])

    def _train_layer(self) -> Layer:
        items = self._layer_items()
        texts = [text for text, _ in items]
        stems: list[list[int]] = [[] for _ in texts]
        features = self.vectoriser.stack([self.vectoriser.vector(t, s) for t, s in zip(texts, stems, strict=True)])
        first = np.asarray(features @ self._prototypes)
        bonuses = self._bonus_matrix(stems)
        if bonuses is not None:
            first = first + bonuses
        return Layer.train(features, first, label_matrix(items, self._code_index), self._prototypes,
                           sample_weight=self._layer_weights(items))

    def _bonus_matrix(self, stems: Sequence[Sequence[int]]) -> np.ndarray | None:
        if not self.keyword_bonus:
            return None
        out = np.zeros((len(stems), len(self.codes)), dtype=np.float32)
        found = False
        for i, sequence in enumerate(stems):
            bonuses = self.keywords.bonuses(sequence)
            if bonuses is not None:
                out[i] = bonuses
                found = True
        return out if found else None

    def limits_for(self, z: float) -> np.ndarray:
        """Per-code decision limits: the second stage's probability, else the first stage's thresholds."""
        return self._layer_limits if self.layer is not None else self.thresholds.for_z(z)

    @staticmethod
    def _dense(prototype: sparse.spmatrix) -> np.ndarray:
        """Unit prototypes as a dense (features × codes) array: one post's score is then
        ``values @ P[indices]`` with no sparse matrix built per post."""
        dense = np.asarray(sparse.csr_matrix(prototype).toarray(), dtype=np.float32)
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        dense /= np.maximum(norms, 1e-12)
        return np.ascontiguousarray(dense.T)

    def _code_means(self, items: Sequence[tuple[str, str]]) -> sparse.csr_matrix | None:
        """Per code, the mean vector of these (text, code) items (zero rows for codes without any)."""
        if not items:
            return None
        vectors = self.vectoriser.matrix([text for text, _ in items])
        cols = np.array([self._code_index[c] for _, c in items])
        onehot = sparse.csr_matrix(
            (np.ones(len(items), dtype=np.float32), (np.arange(len(items)), cols)),
            shape=(len(items), len(self.codes)),
        )
        counts = np.asarray(onehot.sum(axis=0)).ravel()
        return sparse.csr_matrix(sparse.diags(1.0 / np.maximum(counts, 1)) @ (onehot.T @ vectors))

    def with_examples(self, examples: Iterable[tuple[str, str]],
                      negatives: Iterable[tuple[str, str]] = ()) -> Tagger:
        """A new tagger with these corrections added (descriptions are not re-read)."""
        return Tagger(
            self.referential,
            [*self.examples, *examples],
            self.thresholds.fixed,
            z=self.thresholds.z,
            relative=self.relative,
            max_tags=self.max_tags,
            example_weight=self.example_weight,
            seeds=self.use_seeds,
            seed_weight=self.seed_weight,
            negatives=[*self.negatives, *negatives],
            negative_weight=self.negative_weight,
            char_weight=self.char_weight,
            keyword_bonus=self.keyword_bonus,
            labelled=self.labelled,
            layer=self.layer is not None,
            post_weight=self.post_weight,
            _finder=self._finder,
            _descriptions=self._descriptions,
        )

    # -- scoring -----------------------------------------------------------------------------

    def score_vector(self, vector: SparseVector, stems: Sequence[int] = (), base: bool = False) -> np.ndarray:
        """Model scores of one vectorised post, one per code (the per-post path): cosine with each
        prototype, plus the keyword evidence found in its stem sequence."""
        if not len(vector):
            return np.zeros(len(self.codes), dtype=np.float32)
        bonuses = self.keywords.bonuses(stems) if self.keyword_bonus else None
        if self.layer is not None and not base:
            return self.layer.row(vector.values, vector.indices, bonuses)
        prototypes = self._base_prototypes if base else self._prototypes
        row = vector.values @ np.take(prototypes, vector.indices, axis=0)
        return row if bonuses is None else row + bonuses

    def score_matrix(self, texts: Sequence[str | Sequence[str]], base: bool = False) -> np.ndarray:
        """Model scores, shape (len(texts), len(codes)), explicit codes not included."""
        stems: list[list[int]] = [[] for _ in texts]
        matrix = self.vectoriser.stack([self.vectoriser.vector(t, s) for t, s in zip(texts, stems, strict=True)])
        bonuses = self._bonus_matrix(stems)
        if self.layer is not None and not base:
            return self.layer.matrix(matrix, bonuses)
        out = np.asarray(matrix @ (self._base_prototypes if base else self._prototypes))
        return out if bonuses is None else out + bonuses

    def scores(self, text: str) -> dict[str, float]:
        """Every code's score for `text`; explicit codes score 1.0."""
        row = self.score_matrix([text])[0]
        out = {code: float(row[i]) for i, code in enumerate(self.codes)}
        for code in self._finder.codes(text):
            out[code] = 1.0
        return out

    def tag(self, text: str) -> list[TagResult]:
        """Explicit codes first (score 1.0), then model tags, best first. One post: the bot's path."""
        stems: list[int] = []
        vector = self.vectoriser.vector(text, stems)
        return self._decide(self._finder.codes(text), self.score_vector(vector, stems))

    def tag_many(self, texts: Sequence[str]) -> list[list[TagResult]]:
        """:meth:`tag` for a batch, with one sparse product (same results)."""
        matrix = self.score_matrix(texts)
        return [self._decide(self._finder.codes(text), row) for text, row in zip(texts, matrix, strict=True)]

    def decide(self, explicit: Sequence[str], row: np.ndarray, thresholds: np.ndarray | None = None,
               relative: float | None = None, max_tags: int | None = None) -> list[str]:
        """The codes kept for a post with these explicit codes and model scores (for evaluation)."""
        return [r.code for r in self._decide(explicit, row, thresholds, relative, max_tags)]

    def _decide(self, explicit: Sequence[str], row: np.ndarray, thresholds: np.ndarray | None = None,
                relative: float | None = None, max_tags: int | None = None) -> list[TagResult]:
        out = [TagResult(code, 1.0, "explicit") for code in explicit]
        room = (self.max_tags if max_tags is None else max_tags) - len(out)
        if room <= 0 or not len(row):
            return out
        # Plain Python on 16–27 floats: cheaper than numpy's per-call overhead on the per-post path.
        values = row.tolist()
        if thresholds is None:
            limits = self.thresholds.as_list() if self.layer is None else self._layer_limit_list
        else:
            limits = thresholds.tolist()
        cut = (self.relative if relative is None else relative) * max(values)
        passed = [(-v, i) for i, v in enumerate(values) if v >= limits[i] and v >= cut]
        if not passed:
            return out
        passed.sort()
        codes = self.codes
        for negative, i in passed:
            if codes[i] in explicit:
                continue
            out.append(TagResult(codes[i], round(min(-negative, 1.0), 4), "model"))
            room -= 1
            if not room:
                break
        return out


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
