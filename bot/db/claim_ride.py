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
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ProcessedEvent
from bot.db.sqlite_driver import send_with_next

_PROCESSED = ProcessedEvent.__table__
_COLUMNS = ("platform", "event_id", "processed_at")


class _Compiled:
    """The claim's SQL and parameter processors for one dialect (compiled once)."""

    __slots__ = ("dialect", "processors", "sql")

    def __init__(self, dialect: Dialect) -> None:
        compiled = _PROCESSED.insert().compile(dialect=dialect)
        order = tuple(compiled.positiontup or ())
        if sorted(order) != sorted(_COLUMNS):
            raise RuntimeError(f"unexpected claim statement: {compiled.string}")
        self.dialect = dialect
        self.sql = compiled.string
        # dialect_impl: the dialect's own type (SQLite's DATETIME writes microseconds), as execution uses
        self.processors = tuple((name, _PROCESSED.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                                for name in order)

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[name] if process is None else process(values[name]) for name, process in self.processors)


_compiled: dict[int, _Compiled] = {}


async def send_claim_with_next(session: AsyncSession, platform: str, event_id: str, at: datetime) -> bool:
    """Queue the claim to run first in the session's next trip to SQLite; False (nothing queued) when the
    connection is not the one-trip driver's, and the caller executes the claim itself."""
    connection = await session.connection()
    dialect = connection.dialect
    compiled = _compiled.get(id(dialect))
    if compiled is None or compiled.dialect is not dialect:
        compiled = _compiled[id(dialect)] = _Compiled(dialect)
    raw = await connection.get_raw_connection()
    values = {"platform": platform, "event_id": event_id, "processed_at": at}
    return send_with_next(raw.dbapi_connection, compiled.sql, compiled.parameters(values))
