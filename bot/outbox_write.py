"""An event's new outbox rows written straight to the database before its claim (issue 17).

The ORM's flush of one outbox row cost 0.8–0.9 ms of the event loop's CPU on the stop-31 machine (the
unit of work around a single INSERT), a third of a command's event. Each pending row is one INSERT …
RETURNING id through the direct path (`bot.db.direct`): the column types' own bind processors (the
payload's JSON is the same text), the columns' defaults filled as the ORM fills them. The row object
`emit` returned — the one `emitted_rows` lists — then becomes the session's persistent row, every column
set, so the claim and later changes work on it as before (a change is an UPDATE at the commit). Rows go
in the order they were emitted, so ids keep each conversation's order. On PostgreSQL (since the direct
path runs on asyncpg, stop 32) only a lone row (`PG_MOST`); more keep the ORM's one multi-row
INSERT.
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


# PostgreSQL: each row straight is a round trip, against the flush's one multi-row INSERT for all of them.
# A lone row (a command's reply) costs the same trip for less CPU; with two (a question's acknowledgement
# and thread mark) the extra trip cost more wall time than the flush's CPU saved (bench_ingest, stop 32).
PG_MOST = 1


async def write_pending_outbox(session: AsyncSession) -> None:
    """Insert the session's pending outbox rows now, each made the session's persistent row."""
    if session.bind is None:
        return
    if session.bind.dialect.name != "sqlite" and sum(isinstance(row, Outbox) for row in session.new) > PG_MOST:
        return  # the flush writes them
    rows = take_new(session, (Outbox,))
    for row in rows:
        values: dict[str, Any] = {**_DEFAULTS, **{k: v for k, v in row.__dict__.items() if k in _COLUMNS}}
        ((row_id,),) = await execute_direct(session, _INSERT, values)
        state = inspect(row)
        state.dict.update(values, id=row_id)
        make_transient_to_detached(row)
        session.add(row)
