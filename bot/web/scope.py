"""Who sees what, from the roles the bot uses (`Role` rows), read again on every request.

| role in the space   | sees                                                               |
|---------------------|--------------------------------------------------------------------|
| coordinator         | the space's dashboard (promise, queue, declarations, coverage,     |
|                     | participation) and every member's bilan                            |
| trainer (formateur) | their queue, their groups' SLA, the questions they hold            |
| any role            | their own portfolio and bilan                                      |
| no role             | nothing of the space (403, same page whether the space exists)     |
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, Role

DASHBOARD = "dashboard"
TRAINER_VIEW = "trainer"
OWN_PORTFOLIO = "portfolio"
ALL_BILANS = "bilans"


def views_for(roles: set[str]) -> set[str]:
    views: set[str] = set()
    if roles:
        views.add(OWN_PORTFOLIO)
    if "coordinator" in roles:
        views |= {DASHBOARD, ALL_BILANS}
    if "trainer" in roles:
        views.add(TRAINER_VIEW)
    return views


@dataclass(frozen=True)
class Scope:
    member: Member
    roles: dict[str, frozenset[str]]  # space id -> roles there

    def may(self, space_id: str, view: str) -> bool:
        return view in views_for(set(self.roles.get(space_id, frozenset())))

    def spaces(self) -> list[str]:
        return sorted(self.roles)


async def scope_of(session: AsyncSession, member: Member) -> Scope:
    rows = await session.execute(select(Role.space_id, Role.role).where(Role.member_id == member.id))
    roles: dict[str, set[str]] = {}
    for space_id, role in rows:
        roles.setdefault(space_id, set()).add(role)
    return Scope(member, {space: frozenset(r) for space, r in roles.items()})
