"""Who holds each open question.

Today a holder is the person who `/claim`ed it (`Question.claimed_by_id`). Another branch adds
assignment rows for holders: point this one function at them and every page follows.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, Question


async def holders(session: AsyncSession, space_id: str) -> dict[int, list[Member]]:
    """Open question id -> the members holding it (empty list: nobody)."""
    rows = await session.execute(
        select(Question.id, Member)
        .join(Member, Member.id == Question.claimed_by_id)
        .where(Question.space_id == space_id, Question.status == "open")
    )
    out: dict[int, list[Member]] = {}
    for question_id, member in rows:
        out.setdefault(question_id, []).append(member)
    return out
