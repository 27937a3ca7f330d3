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
from bot.db.models import Member, Outbox, Post, Question, ScheduledStep
from bot.hooks import StepRun
from bot.outbox_heads import earliest_head
from bot.timezones import writing_in

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)


async def sweep(core: Core, now: datetime, limit: int = 10_000, batch: int = 200) -> int:
    """Fire every step due at `now`, oldest first, each once.

    Steps are taken in small batches per transaction (commits dominate the cost of a catch-up after
    downtime); each step runs in its own savepoint so one failing handler does not undo the others.
    """
    fired = 0
    while fired < limit:
        size = min(batch, limit - fired)
        count = await core.db.run_with_retry(lambda s, size=size: _fire_batch(core, s, now, size))
        if not count:
            break
        fired += count
    return fired


async def _fire_batch(core: Core, session: AsyncSession, now: datetime, batch: int) -> int:
    query = (
        select(ScheduledStep)
        .where(ScheduledStep.state == "pending", ScheduledStep.due_at <= now)
        .order_by(ScheduledStep.due_at, ScheduledStep.id)
        .limit(batch)
    )
    if core.db.is_postgres:
        query = query.with_for_update(skip_locked=True)
    steps = list((await session.execute(query)).scalars())
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
    async with db.transaction() as session:
        step = await session.scalar(select(func.min(ScheduledStep.due_at)).where(ScheduledStep.state == "pending"))
        if platforms is None:
            platforms = list((await session.execute(
                select(Outbox.platform).where(Outbox.status == "pending").distinct())).scalars())
        out = await earliest_head(session, platforms)
    if step is not None and step.tzinfo is None:  # func.min bypasses the column type on some drivers
        step = step.replace(tzinfo=UTC)
    candidates = [t for t in (step, out) if t is not None]
    return min(candidates) if candidates else None
