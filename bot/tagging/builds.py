"""Taggers per space, built off the event loop.

Building a tagger (vocabulary, prototypes, thresholds) takes from a fraction of a second to about a
second with a thousand corrections: too long to block the event loop, which must keep handling
posts, commands and deliveries, and far too long to hold a database transaction open (on SQLite
every transaction takes the write lock up front). So builds run in an executor (one worker thread
by default; any ``concurrent.futures.Executor`` can be injected, e.g. by tests), and no post waits:

* **the referential's model** (no corrections; what every space without corrections uses, shared
  process-wide since it depends only on the referential and its seed files) is built at start-up,
  before any event is handled (:func:`prepare_on_startup`); the wait is an ``await`` on the
  executor, with no transaction open;
* **a space's own model** (with its corrections) is built when its stored corrections change: right
  after a ``/tag`` or ``/untag``, or on the first post after a restart. Until it is ready the space
  keeps tagging with the model it had — its previous one, or the referential's model — then
  switches. A correction overrides the model on its own post at once (the Tag row changes in the
  command's transaction); later posts learn from it once the rebuild is done (typically well under
  a second);
* **at most one build per space is in flight**: corrections arriving during a build are picked up
  by the next one (the next post sees that the stored corrections changed and starts it).

Only if a post arrives for a referential whose model was never prepared (not configured at
start-up) does it wait for that model, inside its event.

What is built is decided by a *stamp* of the space's stored corrections (count, removals, highest
tag id), compared on every post with one cheap query, so a correction made through another instance
of the bot is seen too. Database reads stay on the loop, in the event's transaction; only plain data
(the referential and the correction texts) crosses to the executor.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bot.referential.model import Referential
from bot.tagging.model import Tagger

log = logging.getLogger(__name__)

__all__ = ["TaggerBuilds", "build_executor", "build_tagger", "builds_of"]

_DEFAULT_EXECUTOR: ThreadPoolExecutor | None = None
_SHARED_LOCK = threading.RLock()  # shared() may create the default executor while holding it
# The referentials' models, process-wide: immutable, and the same for every space and every core.
_SHARED: dict[tuple[str, str, int], Future[Tagger]] = {}


def _default_executor() -> ThreadPoolExecutor:
    global _DEFAULT_EXECUTOR
    with _SHARED_LOCK:
        if _DEFAULT_EXECUTOR is None:
            # One worker: builds are CPU-bound, and two at once would only slow each other and the loop.
            _DEFAULT_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagger-build")
        return _DEFAULT_EXECUTOR


def build_executor() -> ThreadPoolExecutor:
    """The process's worker for CPU-bound model builds (taggers, the FAQ index's refits): one thread,
    so two builds never compete with each other and the event loop for the 2 cores."""
    return _default_executor()


def build_tagger(referential: Referential, positives: Sequence[tuple[str, str]],
                 negatives: Sequence[tuple[str, str]]) -> Tagger:
    """What runs in the executor: a module-level function of plain data (a process pool works too)."""
    return Tagger(referential, positives, negatives=negatives)


def _referential_key(referential: Referential) -> tuple[str, str, int]:
    # The content too: two referentials with the same id and version but edited files are not one model.
    return referential.id, referential.version, hash(referential.model_dump_json())


@dataclass
class _Space:
    stamp: Hashable | None = None  # what `tagger` was built from
    tagger: Tagger | None = None
    pending: asyncio.Future[Tagger] | None = None


@dataclass
class TaggerBuilds:
    """The taggers of one bot process: per space, plus the shared model of each referential."""

    executor: Executor | None = None
    shared_models: dict[tuple[str, str, int], Future[Tagger]] = field(default_factory=lambda: _SHARED)
    _spaces: dict[str, _Space] = field(default_factory=dict)

    def _run(self, fn: Callable[..., Tagger], *args: Any) -> Future[Tagger]:
        return (self.executor or _default_executor()).submit(fn, *args)

    def shared(self, referential: Referential) -> Future[Tagger]:
        """The model of a referential without corrections (built once, then shared)."""
        key = _referential_key(referential)
        with _SHARED_LOCK:
            future = self.shared_models.get(key)
            if future is None or (future.done() and future.exception() is not None):
                future = self.shared_models[key] = self._run(build_tagger, referential, (), ())
        return future

    async def prepare(self, referentials: Iterable[Referential]) -> None:
        """Build the referentials' models now (start-up), waiting without blocking the loop."""
        await asyncio.gather(*(asyncio.wrap_future(self.shared(r)) for r in referentials))

    def current(self, space_id: str, stamp: Hashable) -> Tagger | None:
        """The space's tagger if it was built from exactly this stamp."""
        entry = self._spaces.get(space_id)
        return entry.tagger if entry is not None and entry.stamp == stamp else None

    def building(self, space_id: str) -> bool:
        entry = self._spaces.get(space_id)
        return entry is not None and entry.pending is not None

    def start(self, space_id: str, stamp: Hashable, referential: Referential,
              positives: Sequence[tuple[str, str]], negatives: Sequence[tuple[str, str]]) -> None:
        """Start building the space's tagger for `stamp`, unless a build is already in flight."""
        entry = self._spaces.setdefault(space_id, _Space())
        if entry.pending is not None:
            return
        if not positives and not negatives:
            shared = self.shared(referential)
            if shared.done() and shared.exception() is None:
                entry.tagger, entry.stamp = shared.result(), stamp  # nothing to build
                return
            future = shared
        else:
            future = self._run(build_tagger, referential, list(positives), list(negatives))
        pending = entry.pending = asyncio.wrap_future(future)

        def done(f: asyncio.Future[Tagger]) -> None:
            if entry.pending is f:
                entry.pending = None
            if f.cancelled() or f.exception() is not None:
                log.error("tagger build for space %s failed", space_id,
                          exc_info=None if f.cancelled() else f.exception())
                return
            entry.tagger, entry.stamp = f.result(), stamp

        pending.add_done_callback(done)

    async def tagger(self, space_id: str, stamp: Hashable, referential: Referential,
                     load: Callable[[], Awaitable[tuple[list[tuple[str, str]], list[tuple[str, str]]]]]
                     ) -> Tagger:
        """The tagger to use now for a post of `space_id` whose stored corrections have `stamp`.

        `load` returns ``(positives, negatives)``; it is awaited (on the loop, in the event's
        transaction) only when a build must start. Never waits for a space's own build: meanwhile the
        space's previous model, or else the referential's, is used.
        """
        entry = self._spaces.get(space_id)
        if entry is not None and entry.stamp == stamp and entry.tagger is not None:
            return entry.tagger
        if entry is None or entry.pending is None:
            positives, negatives = await load()
            self.start(space_id, stamp, referential, positives, negatives)
            entry = self._spaces[space_id]
        if entry.tagger is not None:
            return entry.tagger
        shared = self.shared(referential)
        if not shared.done():
            log.warning("referential %s was not prepared at start-up; waiting for its model", referential.id)
        return await asyncio.wrap_future(shared)

    async def settled(self) -> None:
        """Wait until no build is in flight (tests; a clean stop)."""
        while True:
            pending = [e.pending for e in self._spaces.values() if e.pending is not None]
            if not pending:
                return
            await asyncio.gather(*pending, return_exceptions=True)
            await asyncio.sleep(0)  # let the done-callbacks run


def builds_of(core: Any) -> TaggerBuilds:
    """The core's TaggerBuilds, created on first use (kept on the Core instance)."""
    builds = getattr(core, "tagger_builds", None)
    if builds is None:
        builds = TaggerBuilds()
        core.tagger_builds = builds
    return builds
