"""Competence coverage: domains × groups, the share of each domain's competences a group touched.

"Touched" means a tag on a learner's post (not removed by a trainer) or a declaration, as in the
digest. Learners are everyone with a role in the space except formateurs and coordinators (a
formateur listed in a group also gets a member role there: still not a learner); their group is
their `Role.group`. Without groups, the whole cohort is one column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Declaration, Post, Role, Tag
from bot.members import STAFF_ROLES

NO_GROUP = ""
HEAT_LEVELS = 5  # css classes heat-0 … heat-4


async def learner_groups(session: AsyncSession, space_id: str) -> dict[int, str]:
    """Learner member id -> group ("" when none)."""
    roles: dict[int, set[str]] = {}
    groups: dict[int, str] = {}
    for member_id, role, group in await session.execute(
            select(Role.member_id, Role.role, Role.group).where(Role.space_id == space_id)):
        roles.setdefault(member_id, set()).add(role)
        if group:
            groups[member_id] = group
    return {m: groups.get(m, NO_GROUP) for m, r in roles.items() if not r & set(STAFF_ROLES)}


def heat(share: float) -> int:
    return min(HEAT_LEVELS - 1, int(share * (HEAT_LEVELS - 1) + 0.5)) if share > 0 else 0


async def coverage(session: AsyncSession, space_id: str, ref: Any) -> dict[str, Any]:
    learners = await learner_groups(session, space_id)
    touched: dict[str, set[str]] = {}
    tagged = await session.execute(
        select(Post.author_id, Tag.code).join(Post, Post.id == Tag.post_id)
        .where(Tag.space_id == space_id, Tag.removed.is_(False), Post.deleted_at.is_(None)).distinct())
    declared = await session.execute(
        select(Declaration.member_id, Declaration.code).where(Declaration.space_id == space_id).distinct())
    for member_id, code in [*tagged, *declared]:
        if member_id in learners:
            touched.setdefault(learners[member_id], set()).add(code)
    names = sorted(set(learners.values()) - {NO_GROUP})
    columns = names + ([NO_GROUP] if NO_GROUP in learners.values() and names else [])
    if not names:
        columns = [NO_GROUP]
    rows = []
    for domain in ref.domains:
        codes = {c.code for c in domain.competences}
        cells = []
        for group in columns:
            covered = len(codes & touched.get(group, set()))
            share = covered / len(codes) if codes else 0.0
            cells.append({"covered": covered, "total": len(codes), "share": share, "heat": heat(share)})
        rows.append({"domain": domain.code, "label": domain.label, "cells": cells})
    sizes = [sum(1 for g in learners.values() if g == group) for group in columns]
    return {"groups": columns, "sizes": sizes, "rows": rows, "cohort_only": not names}
