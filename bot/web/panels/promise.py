"""The SOS promise of a space (or of some of its askers): the SLA report, week by week, and the queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import Member, Post, Question
from bot.digest.community import first_line
from bot.links import thread_link
from bot.sos.sla import build_report, sla_report
from bot.sos.store import thread_of
from bot.web.panels.holders import holders
from bot.web.panels.weeks import monday_of, week_range


async def space_questions(session: AsyncSession, space_id: str, askers: set[int] | None = None) -> list[Question]:
    query = select(Question).where(Question.space_id == space_id)
    if askers is not None:
        query = query.where(Question.asker_id.in_(askers))
    return list((await session.execute(query.order_by(Question.created_at, Question.id))).scalars())


def weekly(questions: list[Question], now: datetime, timezone: str) -> list[dict[str, Any]]:
    """One point per week (questions asked that week), judged at `now` exactly like the SLA report."""
    by_week: dict[Any, list[Question]] = {}
    for q in questions:
        by_week.setdefault(monday_of(q.created_at, timezone), []).append(q)
    points = []
    for monday in week_range(questions[0].created_at if questions else None, now, timezone):
        report = build_report(by_week.get(monday, []), now)
        points.append({"monday": monday, "questions": report.questions, "answered": report.answered,
                       "breaches": report.breaches, "within": report.answered_within_deadline_ratio,
                       "median_h": report.median_first_response_hours})
    return points


async def promise(session: AsyncSession, cfg: SpaceConfig, now: datetime,
                  askers: set[int] | None = None) -> dict[str, Any]:
    if askers is None:
        report = await sla_report(session, now, cfg.id)
        questions = await space_questions(session, cfg.id)
    else:
        questions = await space_questions(session, cfg.id, askers)
        report = build_report(questions, now)
    return {"report": report, "weeks": weekly(questions, now, cfg.timezone), "delay": cfg.sos.delay}


async def open_queue(session: AsyncSession, cfg: SpaceConfig, now: datetime) -> list[dict[str, Any]]:
    """Open questions, least time left first, with who holds each."""
    held = await holders(session, cfg.id)
    rows = await session.execute(
        select(Question, Post.text, Member)
        .join(Post, Post.id == Question.post_id)
        .join(Member, Member.id == Question.asker_id)
        .where(Question.space_id == cfg.id, Question.status == "open")
        .order_by(Question.deadline_at, Question.id)
    )
    out = []
    for question, text, asker in rows:
        out.append({
            "id": question.id, "title": question.title or first_line(text) or "—",
            "asker": asker.display_name if asker.erased_at is None else "",
            "asked_at": question.created_at, "deadline": question.deadline_at,
            "left": question.deadline_at - now, "overdue": question.deadline_at <= now,
            "holders": [m.display_name for m in held.get(question.id, [])],
            "link": thread_link(thread_of(question), cfg),
        })
    return out
