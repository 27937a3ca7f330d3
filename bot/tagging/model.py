"""The text model: explicit codes first, then TF-IDF similarity to competence descriptions and to
posts that trainers have tagged.

Why this shape:

* Every competence gets a *description document*: its label (counted twice: it is the official
  wording), its details, its keywords and its domain's label, French-normalised and stemmed
  (:mod:`bot.tagging.normalise`). Features are stems plus pairs of neighbouring stems, so that a
  keyword phrase such as "droit à l'image" (``droit imag``) weighs more than its loose words.
* A post is scored against every description by cosine similarity of TF-IDF vectors (IDF learned
  over the descriptions and examples, sublinear TF so one repeated word does not dominate). The
  vector joins word features with character 3–5-grams of the words (``char_weight`` = 0.3 of the
  cosine), so typos, missing accents and inflections the stemmer cuts differently still match.
* In centroid mode a code also gets ``knn_weight`` × its best cosine to one of its *seed* posts:
  seeds cover different sub-aspects of a code, which a single mean blurs. (Trainer corrections
  act through the centroid only, which keeps tagging speed independent of their number.)
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
  ``max_tags`` model codes in all (explicit codes are always kept). ``char_weight``,
  ``knn_weight`` and ``seed_weight`` were compared by 5-fold cross-validation on both referentials
  (two shuffles) and kept at a plateau, not a peak; the three decision numbers were chosen
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
from bot.tagging.normalise import _WORD, _is_stop, fold_accents, normalise_text, stem, tokens
from bot.tagging.seeds import Seeds, load_seeds

__all__ = ["TagResult", "Tagger", "keyword_baseline", "features", "DEFAULT_FLOOR", "DEFAULT_RELATIVE"]

# Chosen by cross-validation on tests/data/tagging_dev.jsonl (both referentials), see report.
DEFAULT_FLOOR = 0.15
DEFAULT_RELATIVE = 0.6
DEFAULT_MAX_TAGS = 2
DEFAULT_EXAMPLE_WEIGHT = 1.0
DEFAULT_SEED_WEIGHT = 0.5
DEFAULT_NEGATIVE_WEIGHT = 0.5
DEFAULT_CHAR_WEIGHT = 0.3
DEFAULT_KNN_WEIGHT = 0.25


@dataclass(frozen=True)
class TagResult:
    code: str
    score: float
    source: str  # "explicit" | "model"


def features(text: str) -> list[str]:
    """Stems and neighbouring-stem pairs of a text (the model's vocabulary)."""
    return _features_of(_content_words(text))


def _features_of(content_words: list[str]) -> list[str]:
    words = [stem(w) for w in content_words]  # what normalise.stems gives, in one pass
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


@lru_cache(maxsize=200_000)
def _word_grams(word: str) -> tuple[str, ...]:
    """Character 3- to 5-grams of one word padded with spaces (like scikit-learn's ``char_wb``)."""
    padded = f" {fold_accents(word)} "
    grams: list[str] = []
    for n in (3, 4, 5):
        if len(padded) < n:
            break
        grams += [padded[i:i + n] for i in range(len(padded) - n + 1)]
    return tuple(grams)


def _content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(normalise_text(text)) if len(w) >= 2 and not _is_stop(w)]


def char_features(text: str) -> list[str]:
    """Character n-grams of a text's words (stop words and single letters dropped), accents folded.

    They let "evaluation", "évaluations" and "évalutaion" share most of their features where the
    stems differ, which helps with typos and with words the stemmer cuts differently.
    """
    out: list[str] = []
    for w in _content_words(text):
        out += _word_grams(w)
    return out


def _competence_text(competence: Competence, domain_label: str, terms: Sequence[str] = ()) -> str:
    parts = [competence.label, competence.label, *competence.details, *competence.keywords, *terms]
    if domain_label:
        parts.append(domain_label)
    return " . ".join(parts)


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
        char_weight: float = DEFAULT_CHAR_WEIGHT,
        knn_weight: float = DEFAULT_KNN_WEIGHT,
        _finder: CodeFinder | None = None,
        _description_features: list[list[str]] | None = None,
        _description_texts: list[str] | None = None,
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
        self.char_weight = char_weight
        self.knn_weight = knn_weight
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
        if _description_texts is None:
            domains = {d.code: d.label for d in referential.domains}
            _description_texts = [
                _competence_text(c, domains.get(c.domain, ""), loaded.terms.get(c.code, ()))
                for c in referential.competences()
            ]
        self._description_texts = _description_texts
        # Corrections naming a code outside the referential are ignored, not fatal: a referential
        # may have been edited since the trainer's /tag.
        self.examples: list[tuple[str, str]] = [(t, c) for t, c in examples if c in self._code_index]
        self.seed_posts: list[tuple[str, str]] = [(t, c) for t, c in loaded.posts if c in self._code_index]
        self.negatives: list[tuple[str, str]] = [(t, c) for t, c in negatives if c in self._code_index]
        self._fit()

    # -- training ----------------------------------------------------------------------------

    def _fit(self) -> None:
        example_texts = [text for text, _ in self.examples]
        seed_texts = [text for text, _ in self.seed_posts]
        negative_texts = [text for text, _ in self.negatives]
        example_features = [features(text) for text in example_texts]
        seed_features = [features(text) for text in seed_texts]
        self._vectorizer = TfidfVectorizer(
            analyzer=_identity, sublinear_tf=True, norm="l2", dtype=np.float32
        )
        self._vectorizer.fit(self._description_features + seed_features + example_features)
        self._char_vectorizer: TfidfVectorizer | None = None
        if self.char_weight > 0:
            self._char_vectorizer = TfidfVectorizer(
                analyzer=_identity, sublinear_tf=True, norm="l2", dtype=np.float32
            )
            self._char_vectorizer.fit(
                [char_features(t) for t in self._description_texts + seed_texts + example_texts]
            )
            self._char_idf = self._char_vectorizer.idf_.astype(np.float32)
            self._char_columns: dict[str, np.ndarray] = {}
        self._descriptions = self._vectors(self._description_texts, self._description_features)
        # knn compares with every example, seeds included; the centroid weighs them apart.
        pairs = self.seed_posts + self.examples
        if pairs:
            self._examples = self._vectors(seed_texts + example_texts)
        near = self.seed_posts if self.mode == "centroid" else pairs
        if near:
            near_codes = np.array([self._code_index[c] for _, c in near])
            order = np.argsort(near_codes, kind="stable")
            self._examples_sorted = sparse.csr_matrix(self._examples[: len(near)][order])
            sorted_codes = near_codes[order]
            self._group_starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
            self._group_codes = sorted_codes[self._group_starts]
        if pairs:
            self._example_codes = np.array([self._code_index[c] for _, c in pairs])
        else:
            self._examples = None
        prototype = self._descriptions
        for texts, items, weight in (
            (seed_texts, self.seed_posts, self.seed_weight),
            (example_texts, self.examples, self.example_weight),
            (negative_texts, self.negatives, -self.negative_weight),
        ):
            if items and weight:
                prototype = prototype + weight * self._code_means(texts, [c for _, c in items])
        if self.negatives:
            prototype = prototype.maximum(0)  # a negative can silence a word, not make it repel
        self._prototypes = normalize(sparse.csr_matrix(prototype))

    def _vectors(self, texts: Sequence[str], feats: list[list[str]] | None = None) -> sparse.csr_matrix:
        """Unit vectors: word features, joined by character n-grams when ``char_weight`` > 0 (the
        two blocks weighted so a dot product is (1 - w) × word cosine + w × char cosine)."""
        content = [_content_words(t) for t in texts]
        words = self._vectorizer.transform(feats if feats is not None else [_features_of(c) for c in content])
        if self._char_vectorizer is None:
            return sparse.csr_matrix(words)
        chars = self._char_matrix(content)
        w = self.char_weight
        return sparse.csr_matrix(sparse.hstack([np.sqrt(1 - w) * words, np.sqrt(w) * chars], format="csr"))

    def _char_matrix(self, content: Sequence[list[str]]) -> sparse.csr_matrix:
        """Same result as ``self._char_vectorizer.transform([char_features(t) ...])`` for texts
        whose content words are ``content``, but each
        word's n-gram columns are looked up once per tagger, and counting, sublinear TF, IDF and
        normalisation are done on the whole batch at once (the vectoriser's per-gram loop would
        halve throughput)."""
        assert self._char_vectorizer is not None
        cache = self._char_columns
        if len(cache) > 200_000:
            cache.clear()
        vocab = self._char_vectorizer.vocabulary_
        cols: list[np.ndarray] = []
        lengths = np.zeros(len(content), dtype=np.int64)
        for i, words in enumerate(content):
            for w in words:
                c = cache.get(w)
                if c is None:
                    c = np.array([j for g in _word_grams(w) if (j := vocab.get(g)) is not None],
                                 dtype=np.int32)
                    cache[w] = c
                cols.append(c)
                lengths[i] += len(c)
        n = len(vocab)
        col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int32)
        row = np.repeat(np.arange(len(content)), lengths)
        counts = sparse.csr_matrix((np.ones(len(col), dtype=np.float32), (row, col)),
                                   shape=(len(content), n))
        counts.sum_duplicates()
        counts.data = (1.0 + np.log(counts.data)) * self._char_idf[counts.indices]
        return normalize(counts)

    def _code_means(self, texts: list[str], codes: list[str]) -> sparse.csr_matrix:
        """Per code, the mean TF-IDF vector of these texts (zero rows for codes without any)."""
        vectors = self._vectors(texts)
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
            char_weight=self.char_weight,
            knn_weight=self.knn_weight,
            _finder=self._finder,
            _description_features=self._description_features,
            _description_texts=self._description_texts,
        )

    # -- scoring -----------------------------------------------------------------------------

    def score_matrix(self, texts: Sequence[str]) -> np.ndarray:
        """Model scores, shape (len(texts), len(codes)), explicit codes not included."""
        x = self._vectors(texts)
        if self.mode == "centroid":
            out = (x @ self._prototypes.T).toarray()
            if self.knn_weight and self.seed_posts:
                out += self.knn_weight * self._nearest(x)
            return out
        label_scores = (x @ self._descriptions.T).toarray()
        if self._examples is None:
            return label_scores
        return np.maximum(label_scores, self.example_weight * self._nearest(x))

    def _nearest(self, x: sparse.csr_matrix) -> np.ndarray:
        """Per code, the best cosine similarity to one of its examples (seeds included)."""
        sims = (x @ self._examples_sorted.T).toarray()  # (texts, examples), grouped by code
        out = np.zeros((x.shape[0], len(self.codes)), dtype=sims.dtype)
        if sims.shape[0]:
            out[:, self._group_codes] = np.maximum.reduceat(sims, self._group_starts, axis=1)
        return out

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
