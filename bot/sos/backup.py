"""The `backup` target: another space's on-call person, then its formateurs, stand in for this space.

A network of institutes shares formateurs: a space lists the spaces that back it up
(`backup_spaces = ["gfp-maths"]`). They are asked only when nobody of this space's own staff (tutors,
formateurs, coordinators) is available: declared absent, or none configured; with
`backup_when = "unanswered"`, also when every present one was already asked in this round. A space with
`private = true` never sends its questions out. The person asked gets the question's excerpt and link,
not the asker's name nor a peer's reply (`prompts/*/sos/backup.md.j2`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Member, Question, Space
from bot.members import members_with_role
from bot.sos.availability import absent_ids
from bot.sos.oncall import oncall_now
from bot.sos.replies import ANSWERING_ROLES


async def own_staff(session: AsyncSession, question: Question) -> list[Member]:
    people: dict[int, Member] = {}
    for role in ANSWERING_ROLES:
        for m in await members_with_role(session, question.space_id, role):
            if m.platform == question.platform and m.id != question.asker_id:
                people[m.id] = m
    return list(people.values())


async def staff_unavailable(session: AsyncSession, cfg: SpaceConfig, question: Question, asked: set[int],
                            now: datetime) -> bool:
    """Nobody of the space's own staff can be asked (the condition for the backup)."""
    staff = await own_staff(session, question)
    away = await absent_ids(session, [m.id for m in staff], now)
    out = away | (asked if cfg.sos.backup_when == "unanswered" else set())
    return all(m.id in out for m in staff)


async def backup_candidates(session: AsyncSession, cfg: SpaceConfig, question: Question, asked: set[int],
                            now: datetime) -> list[Member]:
    if cfg.sos.private or not cfg.sos.backup_spaces:
        return []
    if not await staff_unavailable(session, cfg, question, asked, now):
        return []
    people: list[Member] = []
    for space_id in cfg.sos.backup_spaces:
        space = await session.get(Space, space_id)
        if space is None or space_id == cfg.id:
            continue
        other = SpaceConfig.model_validate(space.settings)
        person = await oncall_now(session, other, now)
        for m in ([person] if person else []) + await members_with_role(session, space_id, "trainer"):
            if m not in people:
                people.append(m)
    return people
