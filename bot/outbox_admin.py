"""What an operator does with the outbox: list rows (failed ones first of all) and put failed rows back.

A row put back keeps its id, so it is again the oldest unsent row of its conversation: it goes out before
what was queued after it and is still there. Messages of the conversation already delivered meanwhile
stay where they are: a resent row arrives late, not in its original place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Outbox

STATUSES = ("pending", "sending", "sent", "failed")


@dataclass(frozen=True)
class OutboxLine:
    id: int
    status: str
    platform: str
    conversation: str
    template: str
    attempts: int
    created_at: datetime
    failed_at: datetime | None
    last_error: str

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "status": self.status, "platform": self.platform, "conversation": self.conversation,
                "template": self.template, "attempts": self.attempts, "created_at": self.created_at.isoformat(),
                "failed_at": self.failed_at.isoformat() if self.failed_at else None, "last_error": self.last_error}


async def list_rows(session: AsyncSession, status: str = "failed", limit: int = 100) -> list[OutboxLine]:
    """Rows in `status` (or "all"), newest first; never the message text."""
    query = select(Outbox).order_by(Outbox.id.desc()).limit(limit)
    if status != "all":
        query = query.where(Outbox.status == status)
    return [OutboxLine(r.id, r.status, r.platform, r.conversation, r.template or r.kind, r.attempts, r.created_at,
                       r.failed_at, r.last_error or "")
            for r in (await session.execute(query)).scalars()]


class NotRetryable(Exception):
    """The row does not exist or is not failed; the message says which."""


async def retry(session: AsyncSession, ids: list[int] | None = None) -> int:
    """Failed rows (those in `ids`, or all of them) go back to pending with fresh attempts, due at once
    (due since their creation: whatever the clock of the bot that picks them up)."""
    if ids is not None:
        for row_id in ids:
            row = await session.get(Outbox, row_id)
            if row is None:
                raise NotRetryable(f"pas de message n° {row_id} dans la file d'envoi")
            if row.status != "failed":
                raise NotRetryable(f"le message n° {row_id} n'est pas en échec (état : {row.status}) : rien à renvoyer")
    query = update(Outbox).where(Outbox.status == "failed")
    if ids is not None:
        query = query.where(Outbox.id.in_(ids))
    result = await session.execute(query.values(status="pending", attempts=0, next_attempt_at=Outbox.created_at,
                                                failed_at=None))
    return result.rowcount or 0
