"""A weekly scheduled step per space (the Monday handover, the Friday rota check): exactly one pending
row when wanted, at the next time of its cron expression; none otherwise. Re-run at start-up and when
the configuration changes, so a changed schedule replaces the old row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import ScheduledStep, Space
from bot.digest.periods import next_fire

if TYPE_CHECKING:
    from bot.core import Core


async def ensure_weekly(session: AsyncSession, cfg: SpaceConfig, kind: str, cron: str, wanted: bool,
                        now: datetime) -> None:
    pending = list((await session.execute(select(ScheduledStep).where(
        ScheduledStep.space_id == cfg.id, ScheduledStep.kind == kind, ScheduledStep.state == "pending"))).scalars())
    keep = [s for s in pending if wanted and s.note == cron][:1]
    for step in pending:
        if step not in keep:
            step.state = "cancelled"
    if wanted and not keep:
        session.add(ScheduledStep(space_id=cfg.id, kind=kind, note=cron, due_at=next_fire(cron, now, cfg.timezone)))


async def arm_every_space(core: Core, ensure: Callable[[AsyncSession, SpaceConfig, datetime], Awaitable[None]]) -> None:
    now = core.clock.now()
    async with core.db.transaction() as session:
        for space in (await session.execute(select(Space).order_by(Space.id))).scalars():
            await ensure(session, core.space_config(space), now)
