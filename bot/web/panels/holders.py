"""Who holds each open question, for the dashboard: the SOS policy's own answer (`bot/sos/sla_staff.py`),
the same rows `/sla` reads (a person asked and not yet answered, or who took it)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member
from bot.sos.sla_staff import holders as sos_holders


async def holders(session: AsyncSession, space_id: str) -> dict[int, list[Member]]:
    """Open question id -> the members holding it (empty list: still with the community)."""
    out: dict[int, list[Member]] = {}
    for row in await sos_holders(session, space_id):
        people = out.setdefault(row.question.id, [])
        if row.holder is not None and row.holder not in people:
            people.append(row.holder)
    return out
