"""Queries about declarations and their reviews."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Declaration, Member, Post, Review
from bot.refs import ChannelRef, ThreadRef

PENDING = ("declared", "in_review", "needs_info")
AWAITING_VALIDATOR = ("declared", "in_review")
DECIDED = ("validated", "not_validated")


def thread_of(decl: Declaration) -> ThreadRef:
    return ThreadRef(ChannelRef(decl.platform, decl.platform_channel_id), decl.thread_root_id)


def in_thread(decl: Declaration, thread: ThreadRef | None) -> bool:
    return (thread is not None and decl.platform == thread.channel.platform
            and decl.platform_channel_id == thread.channel.id and decl.thread_root_id == thread.id)


async def declarations_in_thread(session: AsyncSession, thread: ThreadRef) -> list[Declaration]:
    rows = await session.execute(
        select(Declaration).where(
            Declaration.platform == thread.channel.platform,
            Declaration.platform_channel_id == thread.channel.id,
            Declaration.thread_root_id == thread.id,
            Declaration.is_private.is_(False),
        ).order_by(Declaration.id)
    )
    return list(rows.scalars())


async def latest_by_code(session: AsyncSession, space_id: str, member_id: int) -> dict[str, Declaration]:
    """The member's most recent declaration of each competence (a refused one may be declared again)."""
    rows = await session.execute(
        select(Declaration).where(Declaration.space_id == space_id, Declaration.member_id == member_id)
        .order_by(Declaration.created_at, Declaration.id)
    )
    return {d.code: d for d in rows.scalars()}


async def validated_levels(session: AsyncSession, space_id: str, member_id: int) -> dict[str, int]:
    """The highest level validated for each competence, across all the member's declarations of it."""
    rows = await session.execute(
        select(Declaration.code, Declaration.validated_level).where(
            Declaration.space_id == space_id, Declaration.member_id == member_id,
            Declaration.state == "validated", Declaration.validated_level.is_not(None))
    )
    best: dict[str, int] = {}
    for code, level in rows.all():
        best[code] = max(level, best.get(code, 0))
    return best


async def queue(session: AsyncSession, space_id: str, exclude_member: int | None = None) -> list[Declaration]:
    """Pending declarations of a space, oldest first (the validators' queue and the formateur digest)."""
    query = select(Declaration).where(Declaration.space_id == space_id, Declaration.state.in_(PENDING))
    if exclude_member is not None:
        query = query.where(Declaration.member_id != exclude_member)
    rows = await session.execute(query.order_by(Declaration.created_at, Declaration.id))
    return list(rows.scalars())


async def last_review(session: AsyncSession, declaration_id: int, to_state: str | None = None) -> Review | None:
    query = select(Review).where(Review.declaration_id == declaration_id)
    if to_state is not None:
        query = query.where(Review.to_state == to_state)
    return (await session.execute(query.order_by(Review.at.desc(), Review.id.desc()).limit(1))).scalar_one_or_none()


async def trace_post(session: AsyncSession, decl: Declaration) -> Post | None:
    return await session.get(Post, decl.trace_post_id) if decl.trace_post_id else None


async def member(session: AsyncSession, member_id: int | None) -> Member | None:
    return await session.get(Member, member_id) if member_id else None
