"""Queries about questions and their scheduled steps."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Channel, Question, ScheduledStep
from bot.durations import parse_duration
from bot.refs import ChannelRef, ThreadRef

# Scheduled-step kinds of the escalation policy (one per level target), of a claim's chase, of the breach.
LEVEL_KINDS = ("sos.nudge", "sos.oncall", "sos.referent", "sos.resource", "sos.trainers", "sos.coordinator",
               "sos.backup")
CLAIM_KINDS = ("sos.claim_reminder", "sos.claim_lapse")
BREACH_KINDS = ("sos.breach", "sos.breach_coordinator")
LADDER_KINDS = LEVEL_KINDS + CLAIM_KINDS + BREACH_KINDS


# Statements of every reply or reaction, built once with bound values (not rebuilt and hashed per event).
_IN_THREAD = select(Question).where(
    Question.platform == bindparam("thread_platform"), Question.platform_channel_id == bindparam("thread_channel"),
    Question.thread_root_id == bindparam("thread_id"))


async def question_in_thread(session: AsyncSession, thread: ThreadRef) -> Question | None:
    return (await session.execute(_IN_THREAD, {
        "thread_platform": thread.channel.platform, "thread_channel": thread.channel.id, "thread_id": thread.id,
    })).scalar_one_or_none()


@lru_cache(maxsize=16)
def _with_pending(kinds: tuple[str, ...]) -> Select[Any]:
    pending = (select(ScheduledStep.id)
               .where(ScheduledStep.question_id == Question.id, ScheduledStep.state == "pending",
                      ScheduledStep.kind.in_(kinds))
               .exists().label("pending"))
    return select(Question, pending).where(
        Question.platform == bindparam("thread_platform"), Question.platform_channel_id == bindparam("thread_channel"),
        Question.thread_root_id == bindparam("thread_id"))


async def question_in_thread_with_pending(session: AsyncSession, thread: ThreadRef,
                                         kinds: Iterable[str]) -> tuple[Question | None, bool]:
    """The thread's question and whether one of its steps of `kinds` is pending, in one query (a reply
    then cancels those steps only when there is one: an UPDATE saved on most replies). The statement is
    built once per `kinds` (the thread is bound)."""
    row = (await session.execute(_with_pending(tuple(kinds)), {
        "thread_platform": thread.channel.platform, "thread_channel": thread.channel.id, "thread_id": thread.id,
    })).one_or_none()
    return (None, False) if row is None else (row[0], bool(row[1]))


def thread_of(question: Question) -> ThreadRef:
    return ThreadRef(ChannelRef(question.platform, question.platform_channel_id), question.thread_root_id)


async def cancel_steps(session: AsyncSession, question_id: int, kinds: Iterable[str]) -> None:
    # Built per call on purpose: the ORM applies this UPDATE to the steps already in the session by
    # evaluating its WHERE in Python, which reads literal values, not bound parameters given at execution.
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


def schedule_after(session: AsyncSession, question: Question, kind: str, delay: str, now: datetime) -> None:
    session.add(ScheduledStep(space_id=question.space_id, kind=kind, question_id=question.id,
                              due_at=now + parse_duration(delay)))
