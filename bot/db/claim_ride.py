"""The event's claim in the same round trip as the member read, on SQLite (issue 17).

PostgreSQL sends the claim as a data-modifying CTE of the member read (`bot.members.member_query`).
SQLite has no INSERT inside WITH, but the bot's one-trip driver (`bot.db.sqlite_driver`) can run an
INSERT first in the trip of the next statement: the claim then costs neither a trip to SQLite's thread
nor a pass through SQLAlchemy's execution. Its parameters go through the column types' own bind
processors, so the row is exactly the one `session.execute(insert(...))` would write. A duplicate event
id raises the claim's IntegrityError on the member read, before that read runs, as PostgreSQL's CTE
fails the whole statement; `Core.handle` then finds the event already handled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.direct import compiled_for
from bot.db.models import ProcessedEvent
from bot.db.sqlite_driver import send_with_next

_PROCESSED = ProcessedEvent.__table__
_COLUMNS = ("platform", "event_id", "processed_at")
_CLAIM = _PROCESSED.insert().values({c: bindparam(c, type_=_PROCESSED.c[c].type) for c in _COLUMNS})


async def send_claim_with_next(session: AsyncSession, platform: str, event_id: str, at: datetime) -> bool:
    """Queue the claim to run first in the session's next trip to SQLite; False (nothing queued) when the
    connection is not the one-trip driver's, and the caller executes the claim itself."""
    connection = await session.connection()
    compiled = compiled_for(_CLAIM, connection.dialect)
    if compiled is None:
        return False
    raw = connection.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
    values = {"platform": platform, "event_id": event_id, "processed_at": at}
    return send_with_next(raw, compiled.sql, compiled.parameters(values))
