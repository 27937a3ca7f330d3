"""The FAQ search done the slow, obvious way: every resolved thread scored, filtered and sorted.

Not used by the bot. It is the reference the pruned search (bot/faq/postings.py) must equal exactly —
tests/faq/test_faq_search_equivalence.py compares them — and the "before" of bench/bench_faq.py.
"""

from __future__ import annotations

import numpy as np

from bot.faq.index import FaqIndex
from bot.faq.synonyms import expand

__all__ = ["exhaustive_search"]


def exhaustive_search(index: FaqIndex, text: str, threshold: float, limit: int,
                      exclude: frozenset[int] = frozenset()) -> list[tuple[int, float]]:
    """(question id, score) of the best threads, curated first, as the bot's search orders them."""
    assert index.vectoriser is not None and index.matrix is not None
    query = index.vectoriser.vector(expand(text))
    if not len(query):
        return []
    column = index.vectoriser.stack([query]).T
    scores = np.asarray((index.matrix.matrix @ column).todense()).ravel()
    hits = [(doc, float(score)) for doc, score in zip(index.docs, scores, strict=True)
            if score >= threshold and doc.question_id not in exclude]
    hits.sort(key=lambda h: (not h[0].curated, -h[1], -h[0].question_id))
    return [(doc.question_id, score) for doc, score in hits[:limit]]
