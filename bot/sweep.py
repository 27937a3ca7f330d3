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
from bot.db.models import Outbox, ScheduledStep
from bot.hooks import StepRun

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)


async def sweep(core: Core, now: datetime, limit: int = 10_000, batch: int = 50) -> int:
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
    for step in steps:
        step.state, step.fired_at = "done", now
        handler = core.registry.step_handlers.get(step.kind)
        if handler is None:
            log.error("no handler for step kind %s", step.kind)
            continue
        try:
            async with session.begin_nested():
                await handler(StepRun(core=core, session=session, step=step, now=now))
        except Exception:
            log.exception("step %s (%s) failed; marked failed", step.id, step.kind)
            step.state = "failed"
    return len(steps)


async def next_due(db: Database, platforms: Collection[str] | None = None) -> datetime | None:
    """The earliest time anything needs doing: a pending step or an outbox row waiting for a retry.

    `platforms`: only outbox rows this instance can deliver count (a standby instance without the Matrix
    device must not spin on Matrix rows that the holder will send).
    """
    async with db.transaction() as session:
        step = await session.scalar(select(func.min(ScheduledStep.due_at)).where(ScheduledStep.state == "pending"))
        pending = select(func.min(Outbox.next_attempt_at)).where(Outbox.status == "pending")
        if platforms is not None:
            pending = pending.where(Outbox.platform.in_(list(platforms)))
        out = await session.scalar(pending)
    candidates = [t for t in (step, out) if t is not None]
    if not candidates:
        return None
    # func.min bypasses the column type on some drivers: make sure the value is aware UTC.
    return min(t if t.tzinfo else t.replace(tzinfo=UTC) for t in candidates)
