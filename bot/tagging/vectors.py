"""Text → normalised sparse vector, for a vocabulary fitted on a set of documents.

This is the text representation of the tagger, and the one the similar-question search may reuse:

    vectoriser = TextVectoriser.fit(["texte un", "texte deux", ...])
    v = vectoriser.vector("Comment partager un document sans l'ENT ?")   # SparseVector, |v| = 1
    v.dot(vectoriser.vector("partage de documents hors ENT"))             # cosine similarity
    m = vectoriser.matrix(texts)                                          # scipy CSR, one unit row per text

Features (both blocks are TF-IDF with sublinear TF, each block L2-normalised, then joined with weights
``sqrt(1 - char_weight)`` and ``sqrt(char_weight)`` so that a dot product of two vectors is
``(1 - w) × word cosine + w × character cosine``):

* **words**: French-normalised stems of the content words (:mod:`bot.tagging.normalise`) and pairs of
  neighbouring stems, so a phrase such as "droit à l'image" (``droit imag``) weighs more than its
  loose words;
* **characters**: 3- and 4-grams of each content word padded with spaces, accents folded, so typos,
  missing accents and inflections the stemmer cuts differently still meet.

Why not scikit-learn's ``TfidfVectorizer``: it builds a sparse matrix per call, which costs more than
everything else when the bot turns one post at a time into a vector (the bot's own path). Here every
word's stem id and n-gram ids are looked up once and memoised, and a post's vector is a pair of small
numpy arrays. ``idf = ln((1 + n) / (1 + df)) + 1``, as scikit-learn's smooth IDF, so the figures are
the same as with it.

Words never seen when fitting contribute nothing (their features have no column). A document may be
given as several *segments* (e.g. a competence's label and each keyword): bigrams do not cross segments.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse

from bot.tagging.normalise import _WORD, STOP_WORDS, content_words, fold_accents, stem

__all__ = ["SparseVector", "TextVectoriser", "char_grams", "word_features"]

DEFAULT_CHAR_WEIGHT = 0.3
_MEMO_LIMIT = 200_000  # words memoised per vectoriser; a community's vocabulary is far smaller


@dataclass(frozen=True)
class SparseVector:
    """A unit vector (or zero) over a vectoriser's features: column ``indices`` and their ``values``."""

    indices: np.ndarray  # int32, no duplicates
    values: np.ndarray  # float32

    def dot(self, other: SparseVector) -> float:
        common, mine, theirs = np.intersect1d(self.indices, other.indices, assume_unique=True,
                                              return_indices=True)
        return float(self.values[mine] @ other.values[theirs]) if len(common) else 0.0

    def __len__(self) -> int:
        return len(self.indices)


CHAR_NGRAMS = (3, 4)  # 5-grams added nothing in cross-validation and cost a third more time


@lru_cache(maxsize=200_000)
def char_grams(word: str, sizes: tuple[int, ...] = CHAR_NGRAMS) -> tuple[str, ...]:
    """Character n-grams of one word padded with spaces (like scikit-learn's ``char_wb``)."""
    padded = f" {fold_accents(word)} "
    grams: list[str] = []
    for n in sizes:
        if len(padded) < n:
            break
        grams += [padded[i:i + n] for i in range(len(padded) - n + 1)]
    return tuple(grams)


def word_features(words: Sequence[str]) -> list[str]:
    """Stems and neighbouring-stem pairs of a sequence of content words."""
    stems = [stem(w) for w in words]
    return stems + [f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False)]


def _segments_of(document: str | Sequence[str]) -> list[list[str]]:
    texts = [document] if isinstance(document, str) else list(document)
    return [content_words(t) for t in texts]


class TextVectoriser:
    """A fitted vocabulary (see module docstring). Build with :meth:`fit`; immutable afterwards."""

    def __init__(self, word_vocabulary: dict[str, int], word_idf: np.ndarray, char_vocabulary: dict[str, int],
                 char_idf: np.ndarray, char_weight: float = DEFAULT_CHAR_WEIGHT) -> None:
        if not 0.0 <= char_weight < 1.0:
            raise ValueError("char_weight must be in [0, 1)")
        self.char_weight = char_weight
        self._stem_ids: dict[str, int] = {}
        self._bigram_ids: dict[tuple[int, int], int] = {}
        for feature, i in word_vocabulary.items():
            a, sep, b = feature.partition(" ")
            if not sep:
                self._stem_ids[feature] = i
        for feature, i in word_vocabulary.items():
            a, sep, b = feature.partition(" ")
            if sep and a in self._stem_ids and b in self._stem_ids:
                self._bigram_ids[(self._stem_ids[a], self._stem_ids[b])] = i
        self._n_words = len(word_vocabulary)
        self._char_vocabulary = char_vocabulary if char_weight > 0 else {}
        self.n_features = self._n_words + len(self._char_vocabulary)
        # One IDF array over the joined index space; word block first.
        self._idf = np.concatenate([word_idf, char_idf if char_weight > 0 else np.zeros(0)]).astype(np.float32)
        self._word_scale = np.float32(math.sqrt(1.0 - char_weight))
        self._char_scale = np.float32(math.sqrt(char_weight))
        self._memo: dict[str, tuple[int, np.ndarray] | None] = {}
        self._empty = SparseVector(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))

    @property
    def n_words(self) -> int:
        """Columns below this are the word block; the others the character n-grams."""
        return self._n_words

    @classmethod
    def fit(cls, documents: Iterable[str | Sequence[str]], char_weight: float = DEFAULT_CHAR_WEIGHT
            ) -> TextVectoriser:
        """Learn the vocabulary and IDF from documents (a text, or a list of segments each)."""
        word_df: Counter[str] = Counter()
        char_df: Counter[str] = Counter()
        n = 0
        for document in documents:
            n += 1
            segments = _segments_of(document)
            word_df.update({f for seg in segments for f in word_features(seg)})
            if char_weight > 0:
                char_df.update({g for seg in segments for w in seg for g in char_grams(w)})

        def vocabulary(df: Counter[str]) -> tuple[dict[str, int], np.ndarray]:
            names = sorted(df)
            idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in names], dtype=np.float32)
            return {f: i for i, f in enumerate(names)}, idf

        words, word_idf = vocabulary(word_df)
        chars, char_idf = vocabulary(char_df)
        return cls(words, word_idf, chars, char_idf, char_weight)

    # -- one text ----------------------------------------------------------------------------

    def _word_entry(self, word: str) -> tuple[int, np.ndarray] | None:
        """(stem column or -1, character n-gram columns) of one lowercased token, memoised;
        None for a token that is not a content word (stop word, single character)."""
        if word in self._memo:
            return self._memo[word]
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        entry: tuple[int, np.ndarray] | None = None
        if len(word) >= 2 and fold_accents(word) not in STOP_WORDS:
            offset = self._n_words
            vocab = self._char_vocabulary
            # The n-grams of char_grams(), in its order, looked up as they are sliced: a word met for
            # the first time builds no tuple of them and leaves nothing in char_grams' memo.
            padded = f" {fold_accents(word)} "
            found = [offset + j for n in CHAR_NGRAMS for i in range(len(padded) - n + 1)
                     if (j := vocab.get(padded[i:i + n])) is not None] if vocab else []
            chars = np.array(found, dtype=np.int32)
            entry = (self._stem_ids.get(stem(word), -1), chars)
        self._memo[word] = entry
        return entry

    def vector_of_segments(self, segments: Sequence[Sequence[str]], stems: list[int] | None = None
                           ) -> SparseVector:
        """The unit vector of a document given as lists of lowercased tokens (stop words are skipped,
        and do not separate the words around them). When `stems` is given, the stem column of each
        content word (-1 if unknown) is appended to it, in order (for keyword matching)."""
        columns: list[int] = []
        char_cols: list[np.ndarray] = []
        bigrams = self._bigram_ids
        memo = self._memo
        for words in segments:
            previous = -1
            for w in words:
                entry = memo[w] if w in memo else self._word_entry(w)
                if entry is None:
                    continue
                stem_id, chars = entry
                if stems is not None:
                    stems.append(stem_id)
                if stem_id >= 0:
                    columns.append(stem_id)
                    if previous >= 0 and (b := bigrams.get((previous, stem_id))) is not None:
                        columns.append(b)
                previous = stem_id
                if len(chars):
                    char_cols.append(chars)
        if not columns and not char_cols:
            return self._empty
        # Both blocks in one pass: their columns are disjoint ranges (words first), so one sort
        # counts every feature, and a boolean mask tells the blocks apart for their norms.
        ids = np.concatenate([np.array(columns, dtype=np.int32), *char_cols]) if char_cols else \
            np.array(columns, dtype=np.int32)
        ids.sort()
        first = np.empty(len(ids), dtype=bool)
        first[0] = True
        np.not_equal(ids[1:], ids[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        unique = ids[starts]
        ends = np.empty_like(starts)
        ends[:-1] = starts[1:]
        ends[-1] = len(ids)
        counts = (ends - starts).astype(np.float32)
        values = (1.0 + np.log(counts)) * self._idf[unique]
        if not char_cols or not columns:
            values *= np.float32(1.0 / np.sqrt(values @ values))
            return SparseVector(unique, values)
        split = int(np.searchsorted(unique, self._n_words))
        words, chars = values[:split], values[split:]
        words *= self._word_scale / np.sqrt(words @ words)
        chars *= self._char_scale / np.sqrt(chars @ chars)
        return SparseVector(unique, values)

    def vector(self, text: str | Sequence[str], stems: list[int] | None = None) -> SparseVector:
        """The unit vector of a text (or of a list of segments); zero when no word is known."""
        if isinstance(text, str):  # the per-post path: one tokenising pass, the rest is memoised
            return self.vector_of_segments((_WORD.findall(text.lower()),), stems)
        return self.vector_of_segments(_segments_of(text), stems)

    # -- many texts --------------------------------------------------------------------------

    def matrix(self, texts: Sequence[str | Sequence[str]]) -> sparse.csr_matrix:
        """One unit row per text (CSR, float32): the batch form of :meth:`vector`."""
        return self.stack([self.vector(t) for t in texts])

    def stack(self, vectors: Sequence[SparseVector]) -> sparse.csr_matrix:
        indptr = np.zeros(len(vectors) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(v) for v in vectors])
        indices = np.concatenate([v.indices for v in vectors]) if vectors else np.zeros(0, dtype=np.int32)
        data = np.concatenate([v.values for v in vectors]) if vectors else np.zeros(0, dtype=np.float32)
        return sparse.csr_matrix((data, indices, indptr), shape=(len(vectors), self.n_features))
