"""The text representation: same numbers as scikit-learn's TF-IDF, one post or a batch alike."""

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.tagging.normalise import content_words
from bot.tagging.vectors import TextVectoriser, char_grams, word_features

DOCS = [
    "Le droit à l'image des élèves sur le blog de l'école",
    "Partager une sitographie avec la classe sur l'ENT",
    ["Anticiper un incident technique", "panne", "plan B", "vidéoprojecteur"],
    "Évaluation des élèves sur tablette, évaluations en ligne",
]
POSTS = ["Droit à l'imge des élèves ?", "", "panne du vidéoprojecteur, plan B !", "mot inconnu zzz",
         "Partager partager partager la sitographie"]


def _segments(doc):
    return [content_words(d) for d in ([doc] if isinstance(doc, str) else doc)]


def _reference(char_weight: float):
    """The same representation built with scikit-learn, block by block."""
    words = TfidfVectorizer(analyzer=lambda d: [f for s in _segments(d) for f in word_features(s)],
                            sublinear_tf=True, dtype=np.float64)
    chars = TfidfVectorizer(analyzer=lambda d: [g for s in _segments(d) for w in s for g in char_grams(w)],
                            sublinear_tf=True, dtype=np.float64)
    words.fit(DOCS)
    chars.fit(DOCS)
    w = words.transform(POSTS).toarray()
    c = chars.transform(POSTS).toarray()
    both = (w.any(axis=1) & c.any(axis=1))[:, None]
    return np.hstack([np.where(both, np.sqrt(1 - char_weight), 1.0) * w,
                      np.where(both, np.sqrt(char_weight), 1.0) * c])


def test_same_vectors_as_scikit_learn() -> None:
    v = TextVectoriser.fit(DOCS, char_weight=0.3)
    assert np.allclose(v.matrix(POSTS).toarray(), _reference(0.3), atol=1e-6)


def test_one_post_equals_its_batch_row() -> None:
    v = TextVectoriser.fit(DOCS)
    m = v.matrix(POSTS).toarray()
    for i, post in enumerate(POSTS):
        row = np.zeros(v.n_features, dtype=np.float32)
        vec = v.vector(post)
        row[vec.indices] = vec.values
        assert np.allclose(row, m[i])


def test_unit_vectors_and_cosine() -> None:
    v = TextVectoriser.fit(DOCS)
    a, b = v.vector("droit à l'image"), v.vector("Droit a l'image")  # accents and case do not matter
    assert abs(a.dot(a) - 1.0) < 1e-5
    assert abs(a.dot(b) - 1.0) < 1e-5
    assert v.vector("zzz qqq").dot(a) == 0.0
    assert len(v.vector("")) == 0


def test_bigrams_do_not_cross_segments() -> None:
    v = TextVectoriser.fit([["plan", "incident"]], char_weight=0.0)
    assert (v._stem_ids["plan"], v._stem_ids["incident"]) not in v._bigram_ids
    v = TextVectoriser.fit(["plan incident"], char_weight=0.0)
    assert (v._stem_ids["plan"], v._stem_ids["incident"]) in v._bigram_ids
