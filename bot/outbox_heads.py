"""Which outbox rows may be sent now: the oldest unsent row of each conversation, once its time has come.

A row waits while an older row of its conversation is pending (say, waiting for a retry) or being sent
by another instance. Both queries are index-driven (ix_outbox_due for the candidates, ix_outbox_conversation
for the "older unsent row?" probe): no scan of the delivered history.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import Outbox

UNSENT = ("pending", "sending")


def _is_head() -> ColumnElement[bool]:
    older = aliased(Outbox)
    return ~exists().where(older.conversation == Outbox.conversation, older.status.in_(UNSENT),
                           older.id < Outbox.id)


async def due_heads(session: AsyncSession, platforms: Collection[str], now: datetime, limit: int,
                    lock: bool) -> list[Outbox]:
    """Up to `limit` rows to send now, the longest due first, at most one per conversation.

    `lock` (PostgreSQL): rows another instance is claiming are skipped, not waited for.
    """
    if not platforms:
        return []
    query = (
        select(Outbox)
        .where(Outbox.status == "pending", Outbox.platform.in_(list(platforms)), Outbox.next_attempt_at <= now,
               _is_head())
        # By due time, as ix_outbox_due is ordered: by id, PostgreSQL would walk the primary key through
        # the whole delivered history to find the few pending rows.
        .order_by(Outbox.next_attempt_at, Outbox.id)
        .limit(limit)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    return list((await session.execute(query)).scalars())


async def earliest_head(session: AsyncSession, platforms: Collection[str]) -> datetime | None:
    """When the first conversation of these platforms may send again (None: nothing queued)."""
    if not platforms:
        return None
    value = await session.scalar(
        select(func.min(Outbox.next_attempt_at))
        .where(Outbox.status == "pending", Outbox.platform.in_(list(platforms)), _is_head())
    )
    # func.min bypasses the column type on some drivers: make sure the value is aware UTC.
    return None if value is None else (value if value.tzinfo else value.replace(tzinfo=UTC))


async def has_pending(session: AsyncSession, platforms: Collection[str]) -> bool:
    if not platforms:
        return False
    return bool(await session.scalar(
        select(exists().where(Outbox.status == "pending", Outbox.platform.in_(list(platforms))))
    ))
