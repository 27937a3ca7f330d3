"""Replies in a question's thread: the latest peer reply nobody has confirmed yet.

A peer is anyone but the asker and the space's tutors, formateurs and coordinators (their reply is an
answer by itself). A reply stops being "unconfirmed" when the asker said it did not solve the problem
(❌ or `/pas-resolu` after it).
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Post, Question, Role

ANSWERING_ROLES = ("tutor", "trainer", "coordinator")


def thread_replies(question: Question) -> Select[tuple[Post]]:
    return select(Post).where(
        Post.platform == question.platform, Post.platform_channel_id == question.platform_channel_id,
        Post.thread_root_id == question.thread_root_id, Post.id != question.post_id,
        Post.author_id != question.asker_id, Post.kind == "answer",
    )


async def unconfirmed_peer_reply(session: AsyncSession, question: Question) -> Post | None:
    staff = select(Role.member_id).where(Role.space_id == question.space_id, Role.role.in_(ANSWERING_ROLES))
    query = thread_replies(question).where(Post.author_id.not_in(staff), Post.deleted_at.is_(None))
    if question.not_solved_at is not None:
        query = query.where(Post.created_at > question.not_solved_at)
    return (await session.execute(query.order_by(Post.created_at.desc(), Post.id.desc()).limit(1))).scalar_one_or_none()


def excerpt(text: str | None, limit: int = 200) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit] + "…"
