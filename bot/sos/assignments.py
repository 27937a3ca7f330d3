"""Assignment rows: one named person asked to take a question, and what became of it.

States (see `Assignment`): offered → acknowledged → answered, or passed / expired / released / lapsed.
At most one assignment of a question is open (offered or acknowledged) at a time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Question
from bot.db.sos_models import Assignment

OPEN_STATES = ("offered", "acknowledged")


async def open_assignments(session: AsyncSession, question_id: int) -> list[Assignment]:
    rows = await session.execute(
        select(Assignment).where(Assignment.question_id == question_id, Assignment.state.in_(OPEN_STATES))
        .order_by(Assignment.id)
    )
    return list(rows.scalars())


async def open_assignment_of(session: AsyncSession, question_id: int, member_id: int) -> Assignment | None:
    for assignment in await open_assignments(session, question_id):
        if assignment.member_id == member_id:
            return assignment
    return None


async def member_open_assignments(session: AsyncSession, member_id: int) -> list[tuple[Assignment, Question]]:
    """A person's open assignments on open questions, most recent first (for commands typed in a DM)."""
    rows = await session.execute(
        select(Assignment, Question).join(Question, Question.id == Assignment.question_id)
        .where(Assignment.member_id == member_id, Assignment.state.in_(OPEN_STATES), Question.status == "open")
        .order_by(Assignment.offered_at.desc(), Assignment.id.desc())
    )
    return [(a, q) for a, q in rows.tuples()]


def offer(session: AsyncSession, question: Question, member_id: int, target: str, level: int, now: datetime,
          ack_due: datetime | None) -> Assignment:
    assignment = Assignment(question_id=question.id, member_id=member_id, target=target, level=level,
                            loop=question.policy_loop, state="offered", offered_at=now, ack_due_at=ack_due)
    session.add(assignment)
    return assignment


async def end_open(session: AsyncSession, question_id: int, now: datetime, state: str,
                   keep_member: int | None = None) -> None:
    """Close every open assignment of the question with `state` (but the one of `keep_member`)."""
    for assignment in await open_assignments(session, question_id):
        if assignment.member_id != keep_member:
            assignment.state, assignment.ended_at = state, now


async def expire_offers(session: AsyncSession, question_id: int, now: datetime) -> None:
    """The next level is tried: whoever was asked and did not acknowledge had their time."""
    for assignment in await open_assignments(session, question_id):
        if assignment.state == "offered":
            assignment.state, assignment.ended_at = "expired", now


async def settle_answered(session: AsyncSession, question_id: int, answerer_id: int | None, now: datetime) -> None:
    """The question is answered: the answerer's assignment is done, everyone else's released."""
    for assignment in await open_assignments(session, question_id):
        done = assignment.member_id == answerer_id
        assignment.state, assignment.ended_at = ("answered" if done else "released"), now
        if done and assignment.acknowledged_at is None:
            assignment.acknowledged_at = now  # answering is the clearest acknowledgement
