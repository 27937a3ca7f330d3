"""Erasure, the newer tables (see `erase.py` for the rest).

- SOS policy: their absences and on-call weeks go (a rota naming an erased person is of no use; the
  coordinator sets the week again); "set by" them becomes nobody. Assignments, handovers and
  escalations stay as rows — the SLA report's acknowledgement times and staff load are built on them —
  pointing at the pseudonymised member row; the reasons they gave when passing are deleted.
- Dashboard: their one-time links and sessions are deleted (an open session ends at once).
- Handler failures on their posts are deleted: the post's text is gone, so nothing is left to replay.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import EventFailure, Member, WebLogin, WebSession
from bot.db.sos_models import Absence, Assignment, OncallWeek, RotaWarning


async def erase_more(session: AsyncSession, member: Member, own_post_ids: Sequence[int]) -> dict[str, int]:
    counts: dict[str, int] = {}

    async def run(name: str, statement: object) -> None:
        counts[name] = (await session.execute(statement)).rowcount or 0  # type: ignore[call-overload]

    await run("assignment_reasons", update(Assignment).where(Assignment.member_id == member.id,
                                                             Assignment.reason.is_not(None)).values(reason=None))
    await run("absences", delete(Absence).where(Absence.member_id == member.id))
    await run("oncall_weeks", delete(OncallWeek).where(OncallWeek.member_id == member.id))
    await run("oncall_set_by", update(OncallWeek).where(OncallWeek.set_by_id == member.id).values(set_by_id=None))
    await run("rota_warnings", delete(RotaWarning).where(RotaWarning.member_id == member.id))
    await run("web_logins", delete(WebLogin).where(WebLogin.member_id == member.id))
    await run("web_sessions", delete(WebSession).where(WebSession.member_id == member.id))
    if own_post_ids:
        await run("event_failures", delete(EventFailure).where(EventFailure.post_id.in_(list(own_post_ids))))
    return counts
