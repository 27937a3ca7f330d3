"""Declarations waiting for a validator, by age, and how long validators take to answer."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Declaration, Member, Review
from bot.declarations.review import DECISIONS
from bot.declarations.store import queue
from bot.sos.sla import _quantile

HOUR = 3600.0


async def pending(session: AsyncSession, space_id: str, now: datetime,
                  members: set[int] | None = None, exclude: int | None = None) -> list[dict[str, Any]]:
    """Pending declarations, oldest first; `members` limits them to some declarants (a formateur's)."""
    rows = await queue(session, space_id, exclude_member=exclude)
    if members is not None:
        rows = [d for d in rows if d.member_id in members]
    ids = {d.member_id for d in rows}
    names = {m.id: m.display_name for m in (await session.execute(
        select(Member).where(Member.id.in_(ids)))).scalars()} if ids else {}
    return [{"code": d.code, "label": d.label, "who": names.get(d.member_id, ""), "state": d.state,
             "since": d.created_at, "age": now - d.created_at} for d in rows]


async def review_times(session: AsyncSession, space_id: str) -> dict[str, Any]:
    """Hours from a declaration to its validator's first answer, overall and per validator."""
    rows = await session.execute(
        select(Declaration.id, Declaration.created_at, Declaration.member_id, Review.actor_id, Review.at)
        .join(Review, Review.declaration_id == Declaration.id)
        .where(Declaration.space_id == space_id, Review.to_state.in_(DECISIONS))
        .order_by(Review.at, Review.id)
    )
    first: dict[int, tuple[int | None, float]] = {}
    for decl_id, created_at, member_id, actor_id, at in rows:
        if decl_id not in first and actor_id != member_id:
            first[decl_id] = (actor_id, (at - created_at).total_seconds() / HOUR)
    per_actor: dict[int | None, list[float]] = {}
    for actor_id, hours in first.values():
        per_actor.setdefault(actor_id, []).append(hours)
    names = {m.id: m.display_name for m in (await session.execute(
        select(Member).where(Member.id.in_({a for a in per_actor if a is not None})))).scalars()}
    everyone = [h for _, h in first.values()]
    return {
        "count": len(everyone),
        "median_h": round(statistics.median(everyone), 1) if everyone else None,
        "p90_h": _quantile(everyone, 0.9),
        "validators": sorted(
            ({"name": names.get(a, "") if a is not None else "", "count": len(hs),
              "median_h": round(statistics.median(hs), 1)} for a, hs in per_actor.items()),
            key=lambda v: v["name"]),
    }
