"""Recording what the policy sent and to whom: one `escalations` row per person reached.

Staff load in the SLA report is a count of these rows, so every policy message that names or writes
to someone goes through `record`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Escalation, Member, Question


def record(session: AsyncSession, question: Question, kind: str, due: datetime, now: datetime,
           reached: Iterable[Member] = (), level: int | None = None) -> None:
    people = list(dict.fromkeys(m.id for m in reached))
    for member_id in people or [None]:
        session.add(Escalation(question_id=question.id, kind=kind, due_at=due, fired_at=now,
                               member_id=member_id, level=level))
