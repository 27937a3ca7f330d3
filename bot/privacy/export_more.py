"""Right of access, the newer tables: the SOS policy's rows about the person (assignments, absences,
on-call weeks, handovers, escalations that reached them), dashboard logins and sessions, and handler
failures on their posts. Other people stay out: who set an on-call week is "coordinator", never a name.
Secrets are not exported (link and session hashes): only when they were made and how long they last.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Escalation, EventFailure, Member, Post, Question, WebLogin, WebSession
from bot.db.sos_models import Absence, Assignment, Handover, OncallWeek, RotaWarning


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


async def collect_more(session: AsyncSession, member: Member, space_id: str | None = None) -> dict[str, Any]:
    def in_space(column: Any) -> Any:
        return true() if space_id is None else column == space_id

    assignments = (await session.execute(
        select(Assignment, Question.space_id).join(Question, Question.id == Assignment.question_id)
        .where(Assignment.member_id == member.id, in_space(Question.space_id)).order_by(Assignment.id)
    )).all()
    escalations = (await session.execute(
        select(Escalation, Question.space_id).join(Question, Question.id == Escalation.question_id)
        .where(Escalation.member_id == member.id, in_space(Question.space_id)).order_by(Escalation.id)
    )).all()
    absences = (await session.execute(
        select(Absence).where(Absence.member_id == member.id).order_by(Absence.id))).scalars().all()
    weeks = (await session.execute(
        select(OncallWeek).where(OncallWeek.member_id == member.id, in_space(OncallWeek.space_id))
        .order_by(OncallWeek.week_start))).scalars().all()
    rota_warnings = (await session.execute(
        select(RotaWarning).where(RotaWarning.member_id == member.id, in_space(RotaWarning.space_id))
        .order_by(RotaWarning.id))).scalars().all()
    handovers = (await session.execute(
        select(Handover).where(Handover.member_id == member.id, in_space(Handover.space_id))
        .order_by(Handover.id))).scalars().all()
    logins = (await session.execute(
        select(WebLogin).where(WebLogin.member_id == member.id).order_by(WebLogin.created_at))).scalars().all()
    sessions = (await session.execute(
        select(WebSession).where(WebSession.member_id == member.id).order_by(WebSession.created_at))).scalars().all()
    failures = (await session.execute(
        select(EventFailure).join(Post, Post.id == EventFailure.post_id)
        .where(Post.author_id == member.id, in_space(Post.space_id)).order_by(EventFailure.id))).scalars().all()
    return {
        "sos_assignments": [
            {"id": a.id, "question": a.question_id, "space": space, "target": a.target, "level": a.level,
             "state": a.state, "offered_at": _iso(a.offered_at), "acknowledged_at": _iso(a.acknowledged_at),
             "answer_by": _iso(a.answer_by), "reminded_at": _iso(a.reminded_at), "ended_at": _iso(a.ended_at),
             "reason": a.reason}
            for a, space in assignments
        ],
        "sos_messages": [
            {"question": e.question_id, "space": space, "kind": e.kind, "at": _iso(e.fired_at), "level": e.level}
            for e, space in escalations
        ],
        "absences": [{"from": _iso(a.starts_at), "until": _iso(a.ends_at), "declared_at": _iso(a.created_at),
                      "reason": a.reason}
                     for a in absences],
        "oncall_weeks": [
            {"space": w.space_id, "week": _iso(w.week_start), "set_at": _iso(w.set_at),
             "set_by": "self" if w.set_by_id == member.id else ("coordinator" if w.set_by_id else "rotation")}
            for w in weeks
        ],
        "rota_warnings": [{"space": r.space_id, "week": _iso(r.week_start), "reason": r.reason,
                           "sent_at": _iso(r.sent_at)} for r in rota_warnings],
        "handovers": [{"space": h.space_id, "week": _iso(h.week_start), "open_questions": h.open_questions,
                       "sent_at": _iso(h.sent_at)} for h in handovers],
        "dashboard_links": [{"created_at": _iso(x.created_at), "expires_at": _iso(x.expires_at),
                             "used_at": _iso(x.used_at)} for x in logins],
        "dashboard_sessions": [{"created_at": _iso(x.created_at), "expires_at": _iso(x.expires_at)}
                               for x in sessions],
        "processing_failures": [{"post": f.post_id, "step": f.handler, "error": f.error, "at": _iso(f.at),
                                 "replayed_at": _iso(f.replayed_at)} for f in failures],
    }
