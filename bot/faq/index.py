"""The FAQ search index: TF-IDF vectors (the tagger's French representation) over a set of spaces.

Built lazily on the first search of a set of spaces and kept per Core; every search first reads a
fingerprint of the rows it depends on (`documents.signature`: small queries), so a question resolved,
an entry edited or a member erased through another instance is seen at once. When the only change is
newly resolved questions (the common case: every new question is searched for on arrival, and
questions get resolved all day), their rows are read and appended with the current vocabulary; the
vocabulary is refitted (a full rebuild) once the index has grown by a quarter, and on any other change
(entries, erasure, a reopened question). A full rebuild on every resolution made each new question cost
the whole space's history. Texts are expanded with the synonym groups on both sides
(bot/faq/synonyms.py).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from sqlalchemy.ext.asyncio import AsyncSession

from bot.faq.documents import FaqDoc, load_documents, resolved_since, signature
from bot.faq.synonyms import expand
from bot.tagging.vectors import TextVectoriser

if TYPE_CHECKING:
    from bot.core import Core

# Cosine (words 0.7, character n-grams 0.3) a suggestion on arrival must reach: chosen on the tests'
# and bench's questions so that same-topic questions pass and different topics sharing only generic
# words ("élèves", "classe") do not. `/faq` is a search the person asked for: a lower bar.
SUGGEST_THRESHOLD = 0.30
SEARCH_THRESHOLD = 0.10
REFIT_GROWTH = 0.25  # appended documents, as a share of those the vocabulary was fitted on


@dataclass(frozen=True)
class Hit:
    doc: FaqDoc
    score: float


@dataclass
class FaqIndex:
    signature: tuple[object, ...]
    docs: list[FaqDoc]
    vectoriser: TextVectoriser | None
    matrix: object  # scipy CSR, one unit row per doc
    fitted_on: int = 0  # documents the vocabulary was fitted on
    # Resolved questions at the signature's latest resolution time: a later read at that same instant
    # (a fast clock, or a fake one) must not count them as new.
    edge: frozenset[int] = frozenset()

    @classmethod
    def build(cls, sig: tuple[object, ...], docs: list[FaqDoc]) -> FaqIndex:
        if not docs:
            return cls(sig, [], None, None)
        texts = [expand(d.text) for d in docs]
        vectoriser = TextVectoriser.fit(texts)
        return cls(sig, docs, vectoriser, vectoriser.matrix(texts), len(docs))

    def extended(self, sig: tuple[object, ...], new: list[FaqDoc], edge: frozenset[int]) -> FaqIndex | None:
        """This index with `new` documents appended, or None when the vocabulary should be refitted."""
        if self.vectoriser is None or len(self.docs) + len(new) > (1 + REFIT_GROWTH) * self.fitted_on:
            return None
        if not new:
            return FaqIndex(sig, self.docs, self.vectoriser, self.matrix, self.fitted_on, edge)
        rows = self.vectoriser.matrix([expand(d.text) for d in new])
        return FaqIndex(sig, [*self.docs, *new], self.vectoriser, sparse.vstack([self.matrix, rows]).tocsr(),
                        self.fitted_on, edge)

    def search(self, text: str, threshold: float, limit: int, exclude: frozenset[int] = frozenset()) -> list[Hit]:
        """Matches at or above the threshold; curated entries first, then by score."""
        if self.vectoriser is None or not text.strip():
            return []
        query = self.vectoriser.vector(expand(text))
        if not len(query):
            return []
        column = self.vectoriser.stack([query]).T
        scores = np.asarray((self.matrix @ column).todense()).ravel()  # type: ignore[operator]
        hits = [Hit(doc, float(score)) for doc, score in zip(self.docs, scores, strict=True)
                if score >= threshold and doc.question_id not in exclude]
        hits.sort(key=lambda h: (not h.doc.curated, -h.score, -h.doc.question_id))
        return hits[:limit]


_CACHE: weakref.WeakKeyDictionary[Core, dict[tuple[str, ...], FaqIndex]] = weakref.WeakKeyDictionary()


async def index_for(session: AsyncSession, core: Core, space_ids: Sequence[str]) -> FaqIndex:
    """The index over these spaces, rebuilt when the database says something changed."""
    key = tuple(space_ids)
    sig = await signature(session, key)
    per_core = _CACHE.setdefault(core, {})
    cached = per_core.get(key)
    if cached is not None and cached.signature == sig:
        return cached
    if cached is not None:
        grown = await _only_additions(session, key, cached, sig)
        if grown is not None:
            extended = cached.extended(sig, *grown)
            if extended is not None:
                per_core[key] = extended
                return extended
    index = FaqIndex.build(sig, await load_documents(session, key))
    if sig[1] is not None:
        index.edge = await _edge(session, key, sig[1])  # type: ignore[arg-type]
    per_core[key] = index
    return index


async def _edge(session: AsyncSession, key: tuple[str, ...], last: datetime) -> frozenset[int]:
    return frozenset(i for i, at in await resolved_since(session, key, last) if at == last)


async def _only_additions(session: AsyncSession, key: tuple[str, ...], cached: FaqIndex,
                          new: tuple[object, ...]) -> tuple[list[FaqDoc], frozenset[int]] | None:
    """The documents of questions resolved since the cached index when nothing else changed (and the
    new edge); else None."""
    old = cached.signature
    old_count, old_last = old[0], old[1]
    if old[3:] != new[3:] or old_last is None or not isinstance(old_count, int) or not isinstance(new[0], int):
        return None
    since = await resolved_since(session, key, old_last)  # type: ignore[arg-type]
    added = [(i, at) for i, at in since if i not in cached.edge]
    if new[0] <= old_count or len(added) != new[0] - old_count:
        return None  # a question reopened, or resolved again: positions changed, rebuild
    last = max(at for _, at in since)
    edge = frozenset(i for i, at in since if at == last)
    return await load_documents(session, key, only=[i for i, _ in added]), edge
