"""A formateur's page: the declarations waiting for them, their groups' SLA, the questions they hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Declaration, Role
from bot.declarations.store import PENDING
from bot.members import referents_of
from bot.web.panels.holders import holders
from bot.web.panels.promise import open_queue, promise
from bot.web.panels.reviews import pending


async def trainer_groups(session: AsyncSession, space_id: str, member_id: int) -> set[str]:
    rows = await session.execute(select(Role.group).where(
        Role.space_id == space_id, Role.member_id == member_id, Role.role == "trainer", Role.group != ""))
    return set(rows.scalars())


async def group_members(session: AsyncSession, space_id: str, groups: set[str]) -> set[int]:
    rows = await session.execute(select(Role.member_id).where(Role.space_id == space_id, Role.group.in_(groups)))
    return set(rows.scalars())


async def my_declarants(session: AsyncSession, space_id: str, trainer_id: int) -> set[int]:
    """Members with a pending declaration whose referent formateurs include this one."""
    ids = set((await session.execute(select(Declaration.member_id).where(
        Declaration.space_id == space_id, Declaration.state.in_(PENDING)).distinct())).scalars())
    return {m for m in ids if trainer_id in {t.id for t in await referents_of(session, space_id, m)}}


async def trainer_view(session: AsyncSession, cfg: SpaceConfig, trainer_id: int, now: datetime) -> dict[str, Any]:
    groups = await trainer_groups(session, cfg.id, trainer_id)
    askers = await group_members(session, cfg.id, groups) if groups else None
    queue = await pending(session, cfg.id, now, members=await my_declarants(session, cfg.id, trainer_id),
                          exclude=trainer_id)
    mine = {qid for qid, people in (await holders(session, cfg.id)).items() if any(p.id == trainer_id for p in people)}
    held = [q for q in await open_queue(session, cfg, now) if q["id"] in mine]
    return {"groups": sorted(groups), "queue": queue, "promise": await promise(session, cfg, now, askers),
            "held": held}

