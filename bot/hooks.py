"""The shapes services plug in with: observers of posts and reactions, scheduled-step handlers,
start-up hooks. Which functions are plugged in, and in what order, is decided in `bot/wiring.py`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ScheduledStep
from bot.events import PostCreated, ReactionAdded

if TYPE_CHECKING:
    from bot.context import Context
    from bot.core import Core
    from bot.db.models import Space

PostObserver = Callable[["Context", PostCreated], Awaitable[None]]
ReactionObserver = Callable[["Context", ReactionAdded], Awaitable[None]]


@dataclass
class StepRun:
    core: Core
    session: AsyncSession
    step: ScheduledStep
    now: datetime


StepHandler = Callable[[StepRun], Awaitable[None]]
# Run once after the configuration is synced into the database (e.g. arm each space's digest schedule).
StartupHook = Callable[["Core"], Awaitable[None]]

_STEP_ATTRIBUTE = "__ticebot_step__"
_APPLIES_ATTRIBUTE = "__ticebot_applies__"

Applies = Callable[["Context", Any], bool]


def only_when(applies: Applies) -> Callable[[Any], Any]:
    """An observer's own early return, as an in-memory test the core runs first: when it is False the
    core skips the observer and its savepoint (two statements saved per post it does not concern).
    The observer keeps its checks; `applies` must only say False where the observer would do nothing."""

    def describe(fn: Any) -> Any:
        setattr(fn, _APPLIES_ATTRIBUTE, applies)
        return fn

    return describe


_READS_ATTRIBUTE = "__ticebot_reads_along__"

# What a post observer wants read with the member, in the same query (one round trip less per post):
# labelled scalar subqueries for the post's space. Only for reads that are the database's own truth of
# the moment (a freshness stamp), never a cache; the observer falls back to its own query without them.
ReadAlong = Callable[["Space"], dict[str, Any]]


def reads_along(read: ReadAlong) -> Callable[[Any], Any]:
    def describe(fn: Any) -> Any:
        setattr(fn, _READS_ATTRIBUTE, read)
        return fn

    return describe


def reads_of(observers: list[Any]) -> list[ReadAlong]:
    return [read for read in (getattr(o, _READS_ATTRIBUTE, None) for o in observers) if read is not None]


_THREAD_ROW_ATTRIBUTE = "__ticebot_thread_row_along__"

# The bound parameters naming the thread of a reply's RowAlong: the core gives them per reply.
THREAD_PARAMS = ("along_thread_platform", "along_thread_channel", "along_thread_id")


@dataclass(frozen=True)
class RowAlong:
    """A row read with the member, in the same query (one round trip less, issue 17): `entity` (an
    alias, so two of them never clash) outer-joined on `onclause`, which names the row by bound
    parameters the core gives per event (a reply's thread: THREAD_PARAMS), and `extras`, labelled
    columns computed on that row. Read in the event's own transaction by the ORM (the object is loaded
    into the session like any other, its changes flushed as UPDATEs), never cached. A post observer
    declares one for a reply's thread (`reads_thread_along`) and finds `(row or None, *extras)` in
    `ctx.read_along[label]`, or no entry when it was not read (a new member, a replayed step): then
    it reads for itself."""

    label: str
    entity: Any
    onclause: Any
    extras: tuple[Any, ...] = ()


def reads_thread_along(along: RowAlong) -> Callable[[Any], Any]:
    def describe(fn: Any) -> Any:
        setattr(fn, _THREAD_ROW_ATTRIBUTE, along)
        return fn

    return describe


def thread_reads_of(observers: list[Any]) -> tuple[RowAlong, ...]:
    return tuple(a for a in (getattr(o, _THREAD_ROW_ATTRIBUTE, None) for o in observers) if a is not None)


_KIND_ATTRIBUTE = "__ticebot_kind_at_insert__"

# The kind an observer will give a new post, as a SQL expression evaluated by the post's own INSERT
# (e.g. "answer" when its thread holds a question): the row is stored with it, not updated right after.
# None: no opinion. Evaluated in memory before the INSERT; must not read anything itself.


@dataclass(frozen=True)
class KindSql:
    """A kind expression built once (module level or cached), whose per-post values are named bind
    parameters given in `params`: the core builds the INSERT around it once and reuses it, instead of
    building and hashing a new statement on every post (≈ 0.5 ms a reply, issue 17). Parameter names
    must not be columns of `posts` (they share the INSERT's parameters)."""

    expression: Any
    params: dict[str, Any]
    # The kind the post gets back when its observer fails (its savepoint undone): for a kind that
    # states a row the observer writes ("question": its question row), so no post claims a row that
    # is not there. None: the kind holds whatever the observer does ("answer": the thread's question).
    undo: str | None = None


KindAtInsert = Callable[["Context", PostCreated], KindSql | None]


def kind_at_insert(kind: KindAtInsert) -> Callable[[Any], Any]:
    def describe(fn: Any) -> Any:
        setattr(fn, _KIND_ATTRIBUTE, kind)
        return fn

    return describe


def kinds_of(observers: list[Any]) -> list[tuple[Any, KindAtInsert]]:
    """(observer, its kind) in the observers' order."""
    return [(o, kind) for o, kind in ((o, getattr(o, _KIND_ATTRIBUTE, None)) for o in observers) if kind is not None]


def applies(observer: Any, ctx: Context, event: Any) -> bool:
    test = getattr(observer, _APPLIES_ATTRIBUTE, None)
    return test is None or bool(test(ctx, event))


def on_step(kind: str) -> Callable[[StepHandler], StepHandler]:
    """Name the scheduled-step kind a handler fires (`ScheduledStep.kind`); wiring plugs it in."""

    def describe(fn: StepHandler) -> StepHandler:
        setattr(fn, _STEP_ATTRIBUTE, kind)
        return fn

    return describe


def step_kind_of(fn: Any) -> str:
    kind = getattr(fn, _STEP_ATTRIBUTE, None)
    if not isinstance(kind, str):
        raise TypeError(f"{fn!r} is not a step handler (missing @on_step)")
    return kind
