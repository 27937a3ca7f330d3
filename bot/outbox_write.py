"""An event's new outbox rows written straight to SQLite before its claim (issue 17).

The ORM's flush of one outbox row cost 0.8–0.9 ms of the event loop's CPU on the stop-31 machine (the unit
of work around a single INSERT), a third of a command's event. On
SQLite each pending row is now one INSERT … RETURNING id through the direct path (`bot.db.direct`): the
column types' own bind processors (the payload's JSON is the same text), the columns' defaults filled as
the ORM fills them. The row object `emit` returned — the one `emitted_rows` lists — then becomes the
session's persistent row, every column set, so the claim and later changes work on it as before (a
change is an UPDATE at the commit). Rows go in the order they were emitted, so ids keep each
conversation's order. On PostgreSQL the ORM's one multi-row INSERT stays: it is cheaper there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from bot.db.bulk_insert import take_new
from bot.db.direct import execute_direct
from bot.db.models import Outbox

_OUTBOX = Outbox.__table__
# attribute key -> column, every mapped column but the id (the sentinel too: NULL, as on rows the ORM
# writes one at a time).
_COLUMNS = {attr.key: attr.columns[0] for attr in inspect(Outbox).column_attrs if attr.key != "id"}
_DEFAULTS = {key: column.default.arg if column.default is not None else None for key, column in _COLUMNS.items()}
if any(callable(value) for value in _DEFAULTS.values()):  # a callable default needs the ORM's context
    raise TypeError("bot.outbox_write fills scalar column defaults only")
_INSERT = (_OUTBOX.insert()
           .values({column.name: bindparam(key, type_=column.type) for key, column in _COLUMNS.items()})
           .returning(_OUTBOX.c.id))


async def write_pending_outbox(session: AsyncSession) -> None:
    """Insert the session's pending outbox rows now (SQLite), each made the session's persistent row."""
    if session.bind is None or session.bind.dialect.name != "sqlite":
        return
    rows = take_new(session, (Outbox,))
    for row in rows:
        values: dict[str, Any] = {**_DEFAULTS, **{k: v for k, v in row.__dict__.items() if k in _COLUMNS}}
        ((row_id,),) = await execute_direct(session, _INSERT, values)
        state = inspect(row)
        state.dict.update(values, id=row_id)
        make_transient_to_detached(row)
        session.add(row)
