"""The FAQ search index: TF-IDF vectors (the tagger's French representation) over a set of spaces.

Kept per Core and per set of searchable spaces; every search first reads the spaces' FAQ counters
(`documents.version`: one primary-key read; triggers bump them in the transaction of every change,
migration 0011), so a question resolved, an entry edited or a member erased through another instance
is seen at once. Unchanged counters: the index is current. Only resolutions counted: they are
appended. Anything else (or no counter row yet): the fingerprint of the rows (`documents.signature`,
one statement) decides, as before the counters.

What must be current, and what may lag. An index answers correctly when its *documents* are the ones
the database holds now (which threads are resolved, the entries, their texts as they are after an
erasure): that is what a search shows. The *vocabulary* (the terms and their IDF, fitted on the
documents) only ranks; one fitted a few documents ago ranks nearly the same. So:

* on the event loop, in the event's transaction, every search brings the documents up to date, which
  is cheap: newly resolved questions (the common case: questions get resolved all day, and every new
  question is searched for on arrival) are read and appended with the current vocabulary; any other
  change (an entry added or edited, an erasure, a reopened question) re-reads the documents and
  re-vectorises only those whose text changed;
* the expensive part, refitting the vocabulary over every document (≈ 1 s per 500 threads), runs in
  the build executor (`bot.tagging.builds.build_executor`, one worker thread), with no transaction
  open, while events keep being handled; it is due once the index has grown by a quarter over the
  documents the vocabulary was fitted on, or after a change other than additions. At most one refit
  per set of spaces is in flight. When it is ready it replaces the current index, with the documents
  appended meanwhile added to it; if the documents changed otherwise meanwhile, it is dropped and
  another starts from the current ones.

A search scores only the rows that may reach its threshold (bot/faq/postings.py: posting lists and
bounds, the same results as scoring every row). Appended documents go to a tail that every search
scores in full; once it holds a sixteenth of the indexed rows the executor merges it into the posting
lists (`merge_if_due`), adopted only if the rows are still the same plus those appended since.

Only the first index of a set of spaces is fitted before it can answer: at start-up
(`prepare_faq_indexes`, before any event), or, for a set first searched later, in the event (in the
executor when it has more than a few documents). Texts are expanded with the synonym groups on both
sides (bot/faq/synonyms.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from scipy import sparse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Space
from bot.faq.documents import FaqDoc, Version, load_documents, resolved_since, signature, version
from bot.faq.postings import DocRows
from bot.faq.synonyms import expand
from bot.faq.visibility import searchable_spaces
from bot.tagging.builds import build_executor
from bot.tagging.vectors import TextVectoriser

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

# Cosine (words 0.7, character n-grams 0.3) a suggestion on arrival must reach: chosen on the tests'
# and bench's questions so that same-topic questions pass and different topics sharing only generic
# words ("élèves", "classe") do not. `/faq` is a search the person asked for: a lower bar.
SUGGEST_THRESHOLD = 0.30
SEARCH_THRESHOLD = 0.10
REFIT_GROWTH = 0.25  # appended documents, as a share of those the vocabulary was fitted on
# A first index this small is fitted in the event itself (≈ 0.1 s); a larger one in the executor.
INLINE_BUILD_DOCS = 50

Key = tuple[str, ...]
T = TypeVar("T")


@dataclass(frozen=True)
class Hit:
    doc: FaqDoc
    score: float


@dataclass
class FaqIndex:
    signature: tuple[object, ...]
    docs: list[FaqDoc]
    vectoriser: TextVectoriser | None
    matrix: DocRows | None  # one unit row per doc, in order
    fitted_on: int = 0  # documents the vocabulary was fitted on
    # Resolved questions at the signature's latest resolution time: a later read at that same instant
    # (a fast clock, or a fake one) must not count them as new.
    edge: frozenset[int] = frozenset()
    changed: bool = False  # documents changed, not only added, since the vocabulary was fitted
    # The spaces' FAQ counters read before `signature` (documents.version): while they read the same,
    # the documents are current without the fingerprint. None: always check the fingerprint.
    version: Version | None = None

    @classmethod
    def build(cls, sig: tuple[object, ...], docs: list[FaqDoc], edge: frozenset[int] = frozenset()) -> FaqIndex:
        """Fit the vocabulary on these documents (what the executor runs: plain data in and out)."""
        if not docs:
            return cls(sig, [], None, None, edge=edge)
        texts = [expand(d.text) for d in docs]
        vectoriser = TextVectoriser.fit(texts)
        return cls(sig, list(docs), vectoriser, _rows(vectoriser, vectoriser.matrix(texts), docs), len(docs), edge)

    @property
    def refit_due(self) -> bool:
        return self.vectoriser is not None and (
            self.changed or len(self.docs) > (1 + REFIT_GROWTH) * self.fitted_on)

    def appended(self, sig: tuple[object, ...], new: Sequence[FaqDoc], edge: frozenset[int]) -> FaqIndex | None:
        """This index with `new` documents added, vectorised with the current vocabulary (None when
        there is no vocabulary yet)."""
        if self.vectoriser is None or self.matrix is None:
            return None
        if not new:
            return replace(self, signature=sig, edge=edge)
        rows = self.vectoriser.matrix([expand(d.text) for d in new])
        return replace(self, signature=sig, docs=[*self.docs, *new], edge=edge,
                       matrix=self.matrix.appended(rows, [d.question_id for d in new], [d.curated for d in new]))

    def reloaded(self, sig: tuple[object, ...], docs: list[FaqDoc], edge: frozenset[int]) -> FaqIndex | None:
        """The documents as read again, with the current vocabulary: a document whose text did not
        change keeps its row, the others are vectorised (None when there is no vocabulary yet)."""
        if self.vectoriser is None or self.matrix is None:
            return None
        if not docs:
            return FaqIndex(sig, [], None, None, edge=edge)
        old = {d.question_id: i for i, d in enumerate(self.docs)}
        picks: list[int] = []
        fresh: list[FaqDoc] = []
        for doc in docs:
            i = old.get(doc.question_id)
            if i is not None and self.docs[i].text == doc.text:
                picks.append(i)
            else:
                picks.append(len(self.docs) + len(fresh))
                fresh.append(doc)
        stacked = self.matrix.matrix
        if fresh:
            stacked = sparse.vstack([stacked, self.vectoriser.matrix([expand(d.text) for d in fresh])]).tocsr()
        changed = self.changed or bool(fresh) or len(docs) != len(self.docs)
        return replace(self, signature=sig, docs=docs, edge=edge, changed=changed,
                       matrix=DocRows.unindexed(stacked[np.asarray(picks, dtype=np.int64)],
                                                [d.question_id for d in docs], [d.curated for d in docs],
                                                self.vectoriser.n_words))

    def search(self, text: str, threshold: float, limit: int, exclude: frozenset[int] = frozenset()) -> list[Hit]:
        """Matches at or above the threshold; curated entries first, then by score (bot/faq/postings.py:
        only rows that may reach the threshold are scored)."""
        if self.vectoriser is None or self.matrix is None or not text.strip():
            return []
        query = self.vectoriser.vector(expand(text))
        if not len(query):
            return []
        dense = np.zeros(self.vectoriser.n_features, dtype=np.float32)
        dense[query.indices] = query.values
        return [Hit(self.docs[row], score) for row, score in
                self.matrix.top(dense, query.indices, query.values, threshold, limit, exclude)]


def _rows(vectoriser: TextVectoriser, matrix: sparse.csr_matrix, docs: Sequence[FaqDoc]) -> DocRows:
    return DocRows.of(matrix, [d.question_id for d in docs], [d.curated for d in docs], vectoriser.n_words)


@dataclass
class FaqIndexes:
    """The FAQ indexes of one Core, and their refits in flight (see the module docstring)."""

    executor: Executor | None = None  # None: the shared build executor; tests inject their own
    current: dict[Key, FaqIndex] = field(default_factory=dict)
    _refits: dict[Key, asyncio.Future[FaqIndex]] = field(default_factory=dict)
    _merges: dict[Key, asyncio.Future[DocRows]] = field(default_factory=dict)

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return (self.executor or build_executor()).submit(fn, *args)

    async def first(self, sig: tuple[object, ...], docs: list[FaqDoc], edge: frozenset[int]) -> FaqIndex:
        """An index fitted now: there is none to answer with meanwhile."""
        if len(docs) <= INLINE_BUILD_DOCS:
            return FaqIndex.build(sig, docs, edge)
        return await asyncio.wrap_future(self._submit(FaqIndex.build, sig, docs, edge))

    def refitting(self, key: Key) -> bool:
        return key in self._refits

    def refit_if_due(self, key: Key, index: FaqIndex) -> None:
        if not index.refit_due or key in self._refits:
            return
        pending = asyncio.wrap_future(self._submit(FaqIndex.build, index.signature, list(index.docs), index.edge))
        self._refits[key] = pending

        def done(f: asyncio.Future[FaqIndex]) -> None:
            if self._refits.get(key) is f:
                del self._refits[key]
            if f.cancelled() or f.exception() is not None:
                log.error("FAQ index refit for %s failed", key, exc_info=None if f.cancelled() else f.exception())
                return
            self._adopt(key, f.result())

        pending.add_done_callback(done)

    def merge_if_due(self, key: Key, index: FaqIndex) -> None:
        """Index the tail's rows (posting lists) in the executor once it has grown enough; searches
        score the tail in full meanwhile."""
        source = index.matrix
        if source is None or not source.merge_due or key in self._merges:
            return
        pending = asyncio.wrap_future(self._submit(source.merged))
        self._merges[key] = pending

        def done(f: asyncio.Future[DocRows]) -> None:
            if self._merges.get(key) is f:
                del self._merges[key]
            if f.cancelled() or f.exception() is not None:
                log.error("FAQ index merge for %s failed", key, exc_info=None if f.cancelled() else f.exception())
                return
            current = self.current.get(key)
            rows = current.matrix.adopting(f.result(), source) if current is not None and current.matrix else None
            if current is not None and rows is not None:
                self.current[key] = current = replace(current, matrix=rows)
            if current is not None:
                self.merge_if_due(key, current)

        pending.add_done_callback(done)

    def _adopt(self, key: Key, refit: FaqIndex) -> None:
        """Replace the current index by the refitted one if it holds the same documents, give or take
        those appended since; else drop it and refit the current documents."""
        current = self.current.get(key)
        if current is None:
            return
        n = len(refit.docs)
        merged = refit.appended(current.signature, current.docs[n:], current.edge) \
            if current.docs[:n] == refit.docs else None
        if merged is not None:  # the same documents as the current index: its counters hold for it
            self.current[key] = current = replace(merged, version=current.version)
        self.refit_if_due(key, current)

    async def settled(self) -> None:
        """Wait until no refit or merge is in flight (tests; a clean stop)."""
        while self._refits or self._merges:
            await asyncio.gather(*self._refits.values(), *self._merges.values(), return_exceptions=True)
            await asyncio.sleep(0)  # let the done-callbacks run


def faq_indexes_of(core: Any) -> FaqIndexes:
    """The core's FaqIndexes, created on first use (kept on the Core instance)."""
    indexes = getattr(core, "faq_indexes", None)
    if indexes is None:
        indexes = FaqIndexes()
        core.faq_indexes = indexes
    return indexes


async def index_for(session: AsyncSession, core: Core, space_ids: Sequence[str]) -> FaqIndex:
    """The index over these spaces, with the documents the database holds now."""
    key = tuple(space_ids)
    state = faq_indexes_of(core)
    seen = await version(session, key)  # first: a change committed after it moves it again
    cached = state.current.get(key)
    if cached is not None and seen is not None and cached.version == seen:
        state.refit_if_due(key, cached)
        state.merge_if_due(key, cached)
        return cached
    added = seen.only_resolutions_since(cached.version) if cached and seen and cached.version else 0
    if cached is not None and added:
        grown = await _resolved_since_counted(session, key, cached, added)
        index = _latest(state, key, cached).appended(*grown) if grown is not None else None
        if index is not None:
            state.current[key] = index = replace(index, version=seen)
            state.refit_if_due(key, index)
            state.merge_if_due(key, index)
            return index
    sig = await signature(session, key)
    if cached is not None and cached.signature == sig:
        cached = state.current[key] = replace(_latest(state, key, cached), version=seen)
        state.refit_if_due(key, cached)  # a refit that failed is tried again
        state.merge_if_due(key, cached)
        return cached
    index: FaqIndex | None = None
    if cached is not None:
        grown = await _only_additions(session, key, cached, sig)
        if grown is not None:
            index = _latest(state, key, cached).appended(sig, *grown)
    if index is None:
        docs = await load_documents(session, key)
        edge = await _edge(session, key, sig[1]) if sig[1] is not None else frozenset()  # type: ignore[arg-type]
        if cached is not None:
            index = _latest(state, key, cached).reloaded(sig, docs, edge)
        if index is None:
            index = await state.first(sig, docs, edge)
    state.current[key] = index = replace(index, version=seen)
    state.refit_if_due(key, index)
    state.merge_if_due(key, index)
    return index


def _latest(state: FaqIndexes, key: Key, cached: FaqIndex) -> FaqIndex:
    """`cached`, or the refit that replaced it while this event awaited the database (same documents)."""
    now = state.current.get(key)
    return now if now is not None and now.signature == cached.signature else cached


async def prepare_faq_indexes(core: Any) -> None:
    """Fit the index of every space's searchable set before any event is handled (start-up), in the
    executor, with no transaction open."""
    async with core.db.transaction() as session:
        spaces = list((await session.execute(select(Space).order_by(Space.id))).scalars())
        keys = list(dict.fromkeys([await searchable_spaces(session, core, s) for s in spaces]))
        loaded = []
        for key in keys:
            seen = await version(session, key)
            sig = await signature(session, key)
            edge = await _edge(session, key, sig[1]) if sig[1] is not None else frozenset()  # type: ignore[arg-type]
            loaded.append((key, seen, sig, await load_documents(session, key), edge))
    state = faq_indexes_of(core)
    for key, seen, sig, docs, edge in loaded:
        if docs:
            built = await asyncio.wrap_future(state._submit(FaqIndex.build, sig, docs, edge))
            state.current[key] = replace(built, version=seen)


async def _edge(session: AsyncSession, key: tuple[str, ...], last: datetime) -> frozenset[int]:
    return frozenset(i for i, at in await resolved_since(session, key, last) if at == last)


async def _resolved_since_counted(session: AsyncSession, key: tuple[str, ...], cached: FaqIndex, count: int
                                  ) -> tuple[tuple[object, ...], list[FaqDoc], frozenset[int]] | None:
    """The documents of the `count` questions the counters say became resolved since the cached index
    (nothing else changed), with the signature the index then has and its new edge, without reading
    the fingerprint; None when the questions resolved since its latest resolution are not exactly
    `count` new ones (one resolved with an earlier time, say): then the fingerprint decides."""
    old = cached.signature
    old_count, old_last, old_top = old[0], old[1], old[2]
    if not isinstance(old_count, int) or not isinstance(old_last, datetime):
        return None
    since = await resolved_since(session, key, old_last)
    added = [(i, at) for i, at in since if i not in cached.edge]
    if len(added) != count:
        return None
    last = max(at for _, at in since)
    edge = frozenset(i for i, at in since if at == last)
    top = max([i for i, _ in added] + ([old_top] if isinstance(old_top, int) else []))
    sig = (old_count + count, last, top, *old[3:])  # what `signature` reads after these additions
    return sig, await load_documents(session, key, only=[i for i, _ in added]), edge


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
