"""Retention: message text is kept `retention_days` per space (730 by default), then set to NULL.

A daily `privacy.retention` step per space (armed at start-up, re-armed each time it fires) purges
post texts and titles, SOS question titles and delivered outgoing messages older than the period (and,
`retention_more.py`, the newer tables' personal rows). The
structure stays: posts as rows (counts, tags, SLA), questions and their timestamps, declarations with
code, state, dates and trace (evidence for the certification jury), reviews. Data exports written for
members are deleted after EXPORT_KEEP; unconfirmed erasure requests expire.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FaqEntry, Outbox, Post, Question, ScheduledStep, Space
from bot.hooks import StepRun, on_step
from bot.privacy.export import EXPORT_PREFIX
from bot.privacy.retention_more import purge_more
from bot.timezones import DEFAULT_TIMEZONE, zone

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

STEP = "privacy.retention"
RUN_AT_HOUR = 3  # 03:30 in the space's timezone, when nobody is around
EXPORT_KEEP = timedelta(days=7)


def next_run(now: datetime, timezone: str = DEFAULT_TIMEZONE) -> datetime:
    local = now.astimezone(zone(timezone))
    due = local.replace(hour=RUN_AT_HOUR, minute=30, second=0, microsecond=0)
    if due <= local:
        due = (local + timedelta(days=1)).replace(hour=RUN_AT_HOUR, minute=30, second=0, microsecond=0)
    return due.astimezone(now.tzinfo)


async def arm(session: AsyncSession, space_id: str, now: datetime, timezone: str = DEFAULT_TIMEZONE) -> None:
    """One pending retention step per space, never two."""
    pending = await session.scalar(
        select(func.count()).select_from(ScheduledStep)
        .where(ScheduledStep.space_id == space_id, ScheduledStep.kind == STEP, ScheduledStep.state == "pending")
    )
    if not pending:
        session.add(ScheduledStep(space_id=space_id, kind=STEP, due_at=next_run(now, timezone)))


async def arm_retention(core: Core) -> None:
    now = core.clock.now()
    async with core.db.transaction() as session:
        for space in (await session.execute(select(Space).order_by(Space.id))).scalars():
            await arm(session, space.id, now, core.space_config(space).timezone)


async def purge(session: AsyncSession, space_id: str, retention_days: int, now: datetime,
                include_spaceless: bool = False) -> dict[str, int]:
    """Set old message text to NULL in one space; returns counts (no text, no name)."""
    cutoff = now - timedelta(days=retention_days)
    where_space = Post.space_id == space_id
    if include_spaceless:
        where_space = or_(where_space, Post.space_id.is_(None))
    posts = await session.execute(
        update(Post).where(where_space, Post.created_at < cutoff, or_(Post.text.is_not(None), Post.title != ""))
        .values(text=None, title="")
    )
    questions = await session.execute(
        update(Question).where(Question.space_id == space_id, Question.created_at < cutoff, Question.title != "")
        .values(title="")
    )
    # FAQ entries not edited within the period: their copied words go, and the entry with them.
    entries = await session.execute(
        update(FaqEntry).where(FaqEntry.space_id == space_id, FaqEntry.updated_at < cutoff,
                               or_(FaqEntry.title != "", FaqEntry.summary.is_not(None)))
        .values(title="", summary=None, removed_at=now)
    )
    if (posts.rowcount or 0) or (entries.rowcount or 0):
        from bot.faq.documents import bump_generation

        await bump_generation(session)
    # Delivered messages quote posts and name people; the delivery record is not needed after the period.
    outbox = await session.execute(
        delete(Outbox).where(Outbox.status.in_(("sent", "failed")), Outbox.created_at < cutoff)
    )
    counts = {"posts": posts.rowcount or 0, "questions": questions.rowcount or 0, "outbox": outbox.rowcount or 0,
              "faq_entries": entries.rowcount or 0}
    counts.update(await purge_more(session, space_id, cutoff, now, include_spaceless))
    return counts


def purge_exports() -> int:
    """Files age in real time (the file system's clock), whatever the bot's clock says."""
    root = Path(os.environ.get("TICEBOT_DATA_DIR") or "exports")
    if not root.is_dir():
        return 0
    removed = 0
    for path in root.glob(f"{EXPORT_PREFIX}*"):
        if time.time() - path.stat().st_mtime > EXPORT_KEEP.total_seconds():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


@on_step(STEP)
async def retention(run: StepRun) -> None:
    space = await run.session.get(Space, run.step.space_id)
    if space is None:
        return
    cfg = run.core.space_config(space)
    # Armed first and outside the purge's own savepoint: if the purge fails, its rollback must not take
    # tomorrow's run with it (the purge would stay off until the next restart).
    await arm(run.session, space.id, run.now + timedelta(minutes=1), cfg.timezone)
    try:
        async with run.session.begin_nested():
            first = await run.session.scalar(select(func.min(Space.id)))
            counts = await purge(run.session, space.id, cfg.retention_days, run.now,
                                 include_spaceless=first == space.id)
            from bot.privacy.commands import expire_pending

            await expire_pending(run.session, run.now)
            counts["exports"] = purge_exports()
    except Exception:
        log.exception("privacy: retention in space %s failed; next run armed", space.id)
        run.step.state = "failed"
        return
    log.info("privacy: retention in space %s: %s", space.id, counts)
