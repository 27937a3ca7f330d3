"""Absences (`/absent jusqu'au …`, `/absent fin`): absent people are skipped in assignments.

An absence is a row with its start and end, kept after it ends (the SLA report can explain a skip).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.sos_models import Absence


async def current_absence(session: AsyncSession, member_id: int, at: datetime) -> Absence | None:
    return (await session.execute(
        select(Absence).where(Absence.member_id == member_id, Absence.starts_at <= at, Absence.ends_at > at)
        .order_by(Absence.ends_at.desc()).limit(1)
    )).scalar_one_or_none()


async def absent_ids(session: AsyncSession, member_ids: Iterable[int], at: datetime) -> set[int]:
    ids = list(set(member_ids))
    if not ids:
        return set()
    rows = await session.execute(
        select(Absence.member_id).where(Absence.member_id.in_(ids), Absence.starts_at <= at, Absence.ends_at > at)
    )
    return set(rows.scalars())


async def declare_absence(session: AsyncSession, member_id: int, until: datetime, now: datetime) -> Absence:
    """Absent from now until `until`; an absence already running is replaced by this one."""
    await end_absence(session, member_id, now)
    absence = Absence(member_id=member_id, starts_at=now, ends_at=until, created_at=now)
    session.add(absence)
    await session.flush()
    return absence


async def end_absence(session: AsyncSession, member_id: int, now: datetime) -> bool:
    running = list((await session.execute(
        select(Absence).where(Absence.member_id == member_id, Absence.starts_at <= now, Absence.ends_at > now)
    )).scalars())
    for absence in running:
        absence.ends_at = now
    return bool(running)
