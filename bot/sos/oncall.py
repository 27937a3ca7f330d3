"""The on-call rota (permanence): who answers for the space, week by week.

The configuration gives a rotation (`sos.oncall = [...]`, one person per week from `oncall_from`, a
Monday); a coordinator's `/permanence` sets a given week, stored in `sos_oncall_weeks`, and wins over
the rotation. When the person on call is absent, the next one in the rotation stands in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Member
from bot.db.sos_models import OncallWeek
from bot.members import get_or_create_member, platform_of_user_id
from bot.refs import UserRef
from bot.sos.availability import absent_ids


def week_start(at: datetime, timezone: str) -> date:
    """The Monday (local date) of the week containing `at`."""
    local = at.astimezone(ZoneInfo(timezone)).date()
    return local - timedelta(days=local.weekday())


@dataclass
class OncallWeekInfo:
    week_start: date
    member: Member | None
    source: str  # "command" (set by a coordinator) | "rotation" (configuration) | "none"


async def rotation(session: AsyncSession, cfg: SpaceConfig, now: datetime) -> list[Member]:
    people = []
    for raw in cfg.sos.oncall:
        people.append(await get_or_create_member(session, UserRef(*platform_of_user_id(raw)), now))
    return people


def _rotation_index(cfg: SpaceConfig, week: date, size: int) -> int:
    first = date.fromisoformat(cfg.sos.oncall_from)
    return ((week - first).days // 7) % size


async def has_rota(session: AsyncSession, cfg: SpaceConfig) -> bool:
    if cfg.sos.oncall:
        return True
    return await session.scalar(select(OncallWeek.week_start).where(OncallWeek.space_id == cfg.id).limit(1)) is not None


async def oncall_of_week(session: AsyncSession, cfg: SpaceConfig, week: date, now: datetime) -> OncallWeekInfo:
    row = await session.get(OncallWeek, (cfg.id, week))
    if row is not None:
        return OncallWeekInfo(week, await session.get(Member, row.member_id), "command")
    people = await rotation(session, cfg, now)
    if not people:
        return OncallWeekInfo(week, None, "none")
    return OncallWeekInfo(week, people[_rotation_index(cfg, week, len(people))], "rotation")


async def oncall_now(session: AsyncSession, cfg: SpaceConfig, at: datetime) -> Member | None:
    """The person on call at `at`, or the next available one in the rotation when they are absent."""
    week = week_start(at, cfg.timezone)
    info = await oncall_of_week(session, cfg, week, at)
    people = await rotation(session, cfg, at)
    order: list[Member] = [info.member] if info.member is not None else []
    if people:
        first = _rotation_index(cfg, week, len(people))
        order += [people[(first + k) % len(people)] for k in range(1, len(people) + 1)]
    away = await absent_ids(session, [m.id for m in order], at)
    return next((m for m in order if m.id not in away and m.erased_at is None), None)


async def set_oncall(session: AsyncSession, space_id: str, week: date, member: Member, by: Member | None,
                     now: datetime) -> None:
    row = await session.get(OncallWeek, (space_id, week))
    if row is None:
        session.add(OncallWeek(space_id=space_id, week_start=week, member_id=member.id,
                               set_by_id=by.id if by else None, set_at=now))
    else:
        row.member_id, row.set_by_id, row.set_at = member.id, by.id if by else None, now
