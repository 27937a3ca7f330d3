"""Retention, the newer tables (same period as the texts, `retention_days`):

- the reasons given when passing an SOS question (their words), for questions older than the period;
- handler failures older than the period (the post's text they would replay is purged too);
- absences that ended, and on-call weeks that began, before the period;
- dashboard links and sessions expired for more than a day (useless once expired; the day keeps
  « lien expiré » for someone who clicks an old link the same day).
Escalations and handovers stay, like questions: no text, and the SLA report counts them.
Rows without a space (absences, web sessions, failures of unstored posts) are purged with the first space.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import EventFailure, Post, Question, WebLogin, WebSession
from bot.db.sos_models import Absence, Assignment, OncallWeek, RotaWarning

EXPIRED_KEPT = timedelta(days=1)


async def purge_more(session: AsyncSession, space_id: str, cutoff: datetime, now: datetime,
                     include_spaceless: bool) -> dict[str, int]:
    counts: dict[str, int] = {}

    async def run(name: str, statement: object) -> None:
        counts[name] = (await session.execute(statement)).rowcount or 0  # type: ignore[call-overload]

    old_questions = select(Question.id).where(Question.space_id == space_id, Question.created_at < cutoff)
    await run("assignment_reasons", update(Assignment).where(Assignment.question_id.in_(old_questions),
                                                             Assignment.reason.is_not(None)).values(reason=None))
    posts = select(Post.id).where(Post.space_id == space_id)
    mine = EventFailure.post_id.in_(posts)
    if include_spaceless:
        mine = or_(mine, EventFailure.post_id.is_(None),
                   EventFailure.post_id.in_(select(Post.id).where(Post.space_id.is_(None))))
    await run("event_failures", delete(EventFailure).where(EventFailure.at < cutoff, mine))
    await run("oncall_weeks", delete(OncallWeek).where(OncallWeek.space_id == space_id,
                                                       OncallWeek.week_start < cutoff.date()))
    await run("rota_warnings", delete(RotaWarning).where(RotaWarning.space_id == space_id,
                                                         RotaWarning.week_start < cutoff.date()))
    if include_spaceless:
        await run("absences", delete(Absence).where(Absence.ends_at < cutoff))
        await run("web_logins", delete(WebLogin).where(WebLogin.expires_at < now - EXPIRED_KEPT))
        await run("web_sessions", delete(WebSession).where(WebSession.expires_at < now - EXPIRED_KEPT))
    return counts
