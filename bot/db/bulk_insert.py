"""Send a session's new rows of some tables as multi-row INSERTs instead of one INSERT each.

The ORM inserts one row per statement on SQLite when it must read back each new id (it cannot rely on
the order of a multi-row RETURNING there): 3,000 statements for a 1,000-step sweep batch's outbox,
escalation and step rows (issue 17). Rows whose ids nobody reads after the batch are taken out of the
session and inserted with one executemany per table, in the order they were added (the outbox
delivers a conversation's rows in id order).
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from sqlalchemy import insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession

# session.info key: the tables `insert_rows` wrote in this transaction. These rows pass no ORM flush
# event; whoever must know that a transaction wrote some (bot/own_sends.py: a step) looks here.
INSERTED_TABLES = "ticebot.bulk.tables"


def take_new(session: AsyncSession, models: tuple[type, ...]) -> list[Any]:
    """The session's pending new objects of `models`, in the order they were added, taken out of it
    (a flush no longer writes them; `insert_rows` does). The caller must not use them afterwards."""
    new = [obj for obj in session.new if isinstance(obj, models)]
    new.sort(key=lambda obj: inspect(obj).insert_order)
    for obj in new:
        session.expunge(obj)
    return new


async def insert_rows(session: AsyncSession, objects: list[Any]) -> None:
    """One executemany per run of rows of one table with the same columns set; the column defaults
    (status, attempts, …) fill what an object left unset, as the ORM would."""
    keyed = [((type(obj), _keys_of(obj)), obj) for obj in objects]
    # By table, in the order added within each (no foreign keys between the rows taken together).
    keyed.sort(key=lambda pair: (pair[0][0].__name__, pair[0][1]))
    for (model, keys), group in groupby(keyed, key=lambda pair: pair[0]):
        # The table, not the class: a Core executemany (the ORM bulk path still sends a row at a time).
        await session.execute(insert(model.__table__), [_values_of(obj, keys) for _key, obj in group])
        session.info.setdefault(INSERTED_TABLES, set()).add(model.__tablename__)


def _keys_of(obj: Any) -> tuple[str, ...]:
    columns = inspect(type(obj)).column_attrs
    return tuple(c.key for c in columns if c.key in obj.__dict__)


def _values_of(obj: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: obj.__dict__[key] for key in keys}
