"""Absences (`/absent jusqu'au …`, `/absent du … au …`, `/absent fin`): absent people are skipped in
assignments, only between the absence's dates.

An absence is a row with its start and end, kept after it ends (the SLA report can explain a skip). One
declared ahead starts at the midnight of its first day: until then the person is asked as usual.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.sos_models import Absence

REASON_MAX = 200


async def current_absence(session: AsyncSession, member_id: int, at: datetime) -> Absence | None:
    return (await session.execute(
        select(Absence).where(Absence.member_id == member_id, Absence.starts_at <= at, Absence.ends_at > at)
        .order_by(Absence.ends_at.desc()).limit(1)
    )).scalar_one_or_none()


async def absences_ahead(session: AsyncSession, member_id: int, now: datetime) -> list[Absence]:
    """The running absence and the upcoming ones, soonest first (what `/absent` alone lists)."""
    return list((await session.execute(
        select(Absence).where(Absence.member_id == member_id, Absence.ends_at > now)
        .order_by(Absence.starts_at, Absence.id)
    )).scalars())


async def absent_ids(session: AsyncSession, member_ids: Iterable[int], at: datetime) -> set[int]:
    ids = list(set(member_ids))
    if not ids:
        return set()
    rows = await session.execute(
        select(Absence.member_id).where(Absence.member_id.in_(ids), Absence.starts_at <= at, Absence.ends_at > at)
    )
    return set(rows.scalars())


async def declare_absence(session: AsyncSession, member_id: int, until: datetime, now: datetime,
                          starts: datetime | None = None, reason: str | None = None) -> Absence:
    """Absent from `starts` (default now) until `until`.

    Starting now, it replaces the running absence (`/absent jusqu'au …` again moves the end). Upcoming
    absences it overlaps are replaced too: the last word on those days is the one that counts, and the
    list `/absent` shows stays readable.
    """
    starts = max(starts or now, now)
    if starts <= now:
        await end_absence(session, member_id, now)
    await session.execute(delete(Absence).where(Absence.member_id == member_id, Absence.starts_at > now,
                                                Absence.starts_at < until, Absence.ends_at > starts))
    absence = Absence(member_id=member_id, starts_at=starts, ends_at=until, created_at=now,
                      reason=(reason or "").strip()[:REASON_MAX] or None)
    session.add(absence)
    await session.flush()
    return absence


async def end_absence(session: AsyncSession, member_id: int, now: datetime) -> bool:
    """Back now: the running absence ends (upcoming ones stay planned)."""
    running = list((await session.execute(
        select(Absence).where(Absence.member_id == member_id, Absence.starts_at <= now, Absence.ends_at > now)
    )).scalars())
    for absence in running:
        absence.ends_at = now
    return bool(running)
