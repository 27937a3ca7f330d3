"""When handling an event fails: each command and observer runs in its own savepoint, so a failing one
undoes only its own changes; the post stays stored, the failure is recorded (type only, never the
text), the log says which event and which handler, and an operator can replay that handler later.

Savepoints are paid only when something fails. An event is first handled without them (`unguarded`):
two statements saved per handler, and nearly every event succeeds. If a handler ends in an exception
there, nothing of the event is kept (GuardNeeded rolls its transaction back) and the core handles the
event again with a savepoint per handler, which gives exactly the outcome described above.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import NotACommand, UserError
from bot.db.models import EventFailure
from bot.db.sqlite_driver import LaterFailed
from bot.outbox_write import write_pending_outbox

if TYPE_CHECKING:
    from bot.context import Context

log = logging.getLogger(__name__)

CORE = "core"  # the event could not even be stored
_UNGUARDED = "ticebot.unguarded"  # session.info: this transaction runs its handlers without savepoints


class GuardNeeded(Exception):
    """A handler run without its savepoint failed (or refused): handle the event again, guarded."""

    def __init__(self, handler: str) -> None:
        super().__init__(handler)
        self.handler = handler


def unguarded(session: AsyncSession) -> None:
    """Run this transaction's handlers without savepoints; the first failure raises GuardNeeded."""
    session.info[_UNGUARDED] = True


def may_write_later(session: AsyncSession) -> bool:
    """Whether a handler's write nobody reads back may ride with the commit (`bot.db.direct.execute_later`):
    only without savepoints, where its failure hands the event to the guarded pass (`Core._handle_once`),
    which writes it at once, in the handler's savepoint, where a failure is the handler's alone."""
    return bool(session.info.get(_UNGUARDED))


def handler_name(fn: Any) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def part_of(handler: str) -> str:
    """The capability a handler belongs to, for the person's message ("sos", "tagging", …)."""
    parts = handler.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "bot" else "other"


def retryable(exc: BaseException) -> bool:
    """The database or the connection failed, not the handler: the whole event is tried again."""
    if isinstance(exc, OSError | ConnectionError):
        return True
    return isinstance(exc, DBAPIError) and (exc.connection_invalidated or isinstance(exc, OperationalError))


def stack_only(exc: BaseException) -> str:
    """The traceback's frames without the exception's message (which may quote what someone wrote)."""
    return "".join(traceback.format_tb(exc.__traceback__)).rstrip()


async def record(session: AsyncSession, platform: str, event_id: str, handler: str, exc: BaseException,
                 now: datetime, post_id: int | None = None) -> EventFailure:
    """One row per (event, handler): a second failure of the same step is the same failure."""
    existing = (await session.execute(
        select(EventFailure).where(EventFailure.platform == platform, EventFailure.event_id == event_id,
                                   EventFailure.handler == handler)
    )).scalar_one_or_none()
    if existing is not None:
        return existing
    failure = EventFailure(platform=platform, event_id=event_id, handler=handler, post_id=post_id,
                           error=type(exc).__name__[:100], at=now)
    session.add(failure)
    await session.flush()
    return failure


async def run_guarded(ctx: Context, platform: str, event_id: str, handler: str,
                      work: Callable[[], Awaitable[None]]) -> EventFailure | None:
    """Run `work` in a savepoint; on failure undo it alone, record it and return the failure row.

    A UserError (a polite refusal) and NotACommand (an embedded command its handler declines) go
    through to the caller; database trouble too (the caller's retry runs the whole event again, which
    is safe since nothing was committed).

    In an `unguarded` transaction there is no savepoint: any exception but database trouble becomes
    GuardNeeded, a refusal too (the handler may have written before refusing, and only a savepoint
    could take that back). The handler's pending changes are flushed here, so a constraint it breaks
    fails here, named, and not at the event's commit."""
    if ctx.session.info.get(_UNGUARDED):
        try:
            await work()
            await write_pending_outbox(ctx.session)  # SQLite: straight INSERTs, cheaper than the ORM's flush
            await ctx.session.flush()
            return None
        except Exception as exc:
            if retryable(exc):
                raise
            # A write queued by an earlier handler may fail in this one's trip: name the one it was.
            raise GuardNeeded(exc.owner if isinstance(exc, LaterFailed) else handler) from exc
    try:
        async with ctx.session.begin_nested():
            await work()
        return None
    except (UserError, NotACommand):
        raise
    except Exception as exc:
        if retryable(exc):
            raise
        # The savepoint's rollback expired what the handler had touched; reload what we still use.
        for obj in (ctx.member, ctx.post):
            if obj is not None and obj in ctx.session:
                await ctx.session.refresh(obj)
        post_id = ctx.post.id if ctx.post is not None else None
        failure = await record(ctx.session, platform, event_id, handler, exc, ctx.now, post_id)
        log.error("event %s:%s: %s failed with %s; post %s kept, failure %d recorded (ticebot events replay)\n%s",
                  platform, event_id, handler, type(exc).__name__, post_id, failure.id, stack_only(exc))
        return failure
