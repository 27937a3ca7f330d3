"""The sweep: fires every scheduled step that is due (escalation rungs, reminders, digests, purges).

It is idempotent and safe to run from several instances: steps are taken with
`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite runs a single instance).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database
from bot.db.models import Member, Outbox, Post, Question, ScheduledStep, Space
from bot.hooks import StepRun
from bot.outbox_heads import earliest_head
from bot.sos.batch import KEY as BATCH_KEY
from bot.sos.batch import LadderBatch
from bot.sos.store import LADDER_KINDS
from bot.timezones import writing_in

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)


class _BulkFailed(Exception):
    """A handler (or the batch's final flush) failed in a batch run without savepoints."""


async def sweep(core: Core, now: datetime, limit: int = 10_000, batch: int = 200) -> int:
    """Fire every step due at `now`, oldest first, each once.

    A batch first runs without a savepoint per step, its reads and its deferred UPDATEs shared
    (`bot/sos/batch.py`): two statements per step saved, and the rows it writes go out in a few
    multi-row statements at the end. When any handler fails, that transaction is rolled back whole
    (nothing of it was written) and the batch runs again the careful way: a savepoint per step, so the
    failing step alone is marked failed and the others fire. The retry takes the due steps afresh
    with the same lock: a step another instance took meanwhile is fired there, so each step still
    fires exactly once.
    """
    fired = 0
    while fired < limit:
        size = min(batch, limit - fired)
        try:
            count = await core.db.run_with_retry(lambda s, size=size: _fire_batch_bulk(core, s, now, size))
        except _BulkFailed:
            count = await core.db.run_with_retry(lambda s, size=size: _fire_batch(core, s, now, size))
        if not count:
            break
        fired += count
    return fired


async def any_due(db: Database, now: datetime) -> bool:
    """Is a step due? Read without the write lock: on SQLite a pass with nothing to fire then takes no
    lock at all (the sweep's own transaction would, with BEGIN IMMEDIATE)."""
    async with db.reading() as session:
        return await session.scalar(
            select(ScheduledStep.id).where(ScheduledStep.state == "pending", ScheduledStep.due_at <= now).limit(1)
        ) is not None


async def _take(core: Core, session: AsyncSession, now: datetime, batch: int) -> list[ScheduledStep]:
    query = (
        select(ScheduledStep)
        .where(ScheduledStep.state == "pending", ScheduledStep.due_at <= now)
        .order_by(ScheduledStep.due_at, ScheduledStep.id)
        .limit(batch)
    )
    if core.db.is_postgres:
        query = query.with_for_update(skip_locked=True)
    return list((await session.execute(query)).scalars())


def _one_per_question(steps: list[ScheduledStep]) -> list[ScheduledStep]:
    """At most one step per question: a question's next step waits for the next batch, so that the
    batch's shared reads of a question are right for the one handler that uses them. Its later steps
    wait too (a question's steps keep their order), and so does any step without a question after it
    (a digest or a purge sees the state that every step due before it left). Other questions' steps
    go on filling the batch; locked rows left over are released at the commit and taken next."""
    seen: set[int] = set()
    kept: list[ScheduledStep] = []
    waiting = False
    for step in steps:
        if step.question_id is None:
            if waiting:
                break
        elif step.question_id in seen:
            waiting = True
            continue
        else:
            seen.add(step.question_id)
        kept.append(step)
    return kept


async def _fire_batch_bulk(core: Core, session: AsyncSession, now: datetime, batch: int) -> int:
    steps = _one_per_question(await _take(core, session, now, batch))
    preloaded = await _preload(session, steps)  # held: the session's identity map keeps rows weakly
    shared = LadderBatch(now)
    await shared.load(session, _open_questions(preloaded, steps))
    session.info[BATCH_KEY] = shared
    zones: dict[str, tuple[Space | None, str]] = {}  # each space (held) and its zone, once per batch
    try:
        for i, step in enumerate(steps):
            step.state, step.fired_at = "done", now
            handler = core.registry.step_handlers.get(step.kind)
            if handler is None:
                log.error("no handler for step kind %s", step.kind)
                continue
            if step.space_id not in zones:
                space = await core.config_rows.space(session, step.space_id)
                zones[step.space_id] = (space, core.space_config(space).timezone if space is not None
                                        else core.default_timezone)
            zone = zones[step.space_id][1]
            other = step.kind not in LADDER_KINDS
            try:
                if other:  # it sees the database as the careful way leaves it
                    await shared.finish(session)
                with writing_in(zone):
                    await handler(StepRun(core=core, session=session, step=step, now=now))
            except Exception as exc:
                log.info("step %s (%s) failed in a batch; the batch runs again step by step", step.id, step.kind)
                raise _BulkFailed from exc
            if other:  # it may have changed people's rows: the rest of the batch reads them again
                await shared.load(session, _open_questions(preloaded, steps[i + 1:]))
        try:
            await shared.finish(session)
        except Exception as exc:
            raise _BulkFailed from exc
    finally:
        session.info.pop(BATCH_KEY, None)
    del preloaded
    return len(steps)


def _open_questions(preloaded: list[object], steps: list[ScheduledStep]) -> list[Question]:
    """The open questions of `steps`, among the rows `_preload` read."""
    ids = {s.question_id for s in steps if s.question_id is not None}
    return [q for q in preloaded if isinstance(q, Question) and q.id in ids and q.status == "open"]


async def _fire_batch(core: Core, session: AsyncSession, now: datetime, batch: int) -> int:
    """The careful way, after a failure in the batch: a savepoint per step."""
    steps = await _take(core, session, now, batch)
    preloaded = await _preload(session, steps)  # held: the session's identity map keeps rows weakly
    for step in steps:
        step.state, step.fired_at = "done", now
        handler = core.registry.step_handlers.get(step.kind)
        if handler is None:
            log.error("no handler for step kind %s", step.kind)
            continue
        space = await core.config_rows.space(session, step.space_id)
        zone = core.space_config(space).timezone if space is not None else core.default_timezone
        try:
            with writing_in(zone):
                async with session.begin_nested():
                    await handler(StepRun(core=core, session=session, step=step, now=now))
        except Exception:
            log.exception("step %s (%s) failed; marked failed", step.id, step.kind)
            step.state = "failed"
    del preloaded
    return len(steps)


async def _preload(session: AsyncSession, steps: list[ScheduledStep]) -> list[object]:
    """Load the batch's questions, askers and question posts in three queries: the handlers' own
    `session.get` then find them in the session instead of asking one row at a time."""
    question_ids = {s.question_id for s in steps if s.question_id is not None}
    if not question_ids:
        return []
    rows: list[object] = list((await session.execute(
        select(Question).where(Question.id.in_(question_ids)))).scalars())
    askers = {q.asker_id for q in rows if isinstance(q, Question)}
    posts = {q.post_id for q in rows if isinstance(q, Question)}
    rows += list((await session.execute(select(Member).where(Member.id.in_(askers)))).scalars())
    rows += list((await session.execute(select(Post).where(Post.id.in_(posts)))).scalars())
    return rows


async def next_due(db: Database, platforms: Collection[str] | None = None) -> datetime | None:
    """The earliest time anything needs doing: a pending step, or a conversation's oldest unsent row
    waiting for its (re)try on one of `platforms` (None: on any platform)."""
    async with db.reading() as session:  # reads only: on SQLite it does not queue behind a writer
        step = await session.scalar(select(func.min(ScheduledStep.due_at)).where(ScheduledStep.state == "pending"))
        if platforms is None:
            platforms = list((await session.execute(
                select(Outbox.platform).where(Outbox.status == "pending").distinct())).scalars())
        out = await earliest_head(session, platforms)
    if step is not None and step.tzinfo is None:  # func.min bypasses the column type on some drivers
        step = step.replace(tzinfo=UTC)
    candidates = [t for t in (step, out) if t is not None]
    return min(candidates) if candidates else None
