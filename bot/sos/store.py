"""Queries about questions and their scheduled steps."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Channel, Question, ScheduledStep
from bot.refs import ChannelRef, ThreadRef

LADDER_KINDS = ("sos.nudge", "sos.referent", "sos.trainers", "sos.breach")


async def question_in_thread(session: AsyncSession, thread: ThreadRef) -> Question | None:
    return (
        await session.execute(
            select(Question).where(
                Question.platform == thread.channel.platform,
                Question.platform_channel_id == thread.channel.id,
                Question.thread_root_id == thread.id,
            )
        )
    ).scalar_one_or_none()


def thread_of(question: Question) -> ThreadRef:
    return ThreadRef(ChannelRef(question.platform, question.platform_channel_id), question.thread_root_id)


async def cancel_steps(session: AsyncSession, question_id: int, kinds: Iterable[str]) -> None:
    await session.execute(
        update(ScheduledStep)
        .where(
            ScheduledStep.question_id == question_id,
            ScheduledStep.state == "pending",
            ScheduledStep.kind.in_(list(kinds)),
        )
        .values(state="cancelled")
    )


async def channel_of_kind(session: AsyncSession, space_id: str, platform: str, kind: str) -> ChannelRef | None:
    row = (
        await session.execute(
            select(Channel)
            .where(Channel.space_id == space_id, Channel.platform == platform, Channel.kind == kind)
            .order_by(Channel.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    return ChannelRef(row.platform, row.platform_channel_id) if row else None
