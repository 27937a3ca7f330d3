"""Participation per week, as counts of people: who asked, who answered, who shared a resource.

Counts only: no names, no ranking; a quiet member is never singled out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Post, Question, Role
from bot.web.panels.weeks import monday_of, week_range

KINDS = ("asked", "answered", "shared")


async def participation(session: AsyncSession, space_id: str, now: datetime, timezone: str) -> dict[str, Any]:
    people: dict[str, dict[date, set[int]]] = {kind: {} for kind in KINDS}
    first: datetime | None = None

    def add(kind: str, member_id: int, at: datetime) -> None:
        nonlocal first
        first = at if first is None or at < first else first
        people[kind].setdefault(monday_of(at, timezone), set()).add(member_id)

    for asker_id, at in await session.execute(
            select(Question.asker_id, Question.created_at).where(Question.space_id == space_id)):
        add("asked", asker_id, at)
    answers = await session.execute(
        select(Post.author_id, Post.created_at)
        .join(Question, and_(Question.platform == Post.platform,
                             Question.platform_channel_id == Post.platform_channel_id,
                             Question.thread_root_id == Post.thread_root_id))
        .where(Question.space_id == space_id, Post.kind == "answer", Post.author_id != Question.asker_id))
    for author_id, at in answers:
        add("answered", author_id, at)
    shared = await session.execute(
        select(Post.author_id, Post.created_at)
        .where(Post.space_id == space_id, Post.is_direct.is_(False), Post.kind != "command",
               Post.deleted_at.is_(None), Post.text.contains("http")))
    for author_id, at in shared:
        add("shared", author_id, at)
    weeks = [{"monday": monday, **{kind: len(people[kind].get(monday, set())) for kind in KINDS}}
             for monday in week_range(first, now, timezone)]
    members = len(set((await session.execute(
        select(Role.member_id).where(Role.space_id == space_id))).scalars()))
    return {"weeks": weeks, "members": members}
