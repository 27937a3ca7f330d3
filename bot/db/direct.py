"""A hot Core statement sent straight to SQLite's thread or asyncpg, past SQLAlchemy's execution (issue 17).

An `AsyncSession.execute` of a Core INSERT costs about 0.2 ms of the event loop's CPU on a fast machine
(ORM execution options, autoflush check, a greenlet, compiled-cache lookup, parameter and result
wrapping), as much as SQLite's own work. The statements every post sends — its INSERT and its tags'
executemany — are compiled once per dialect here, their parameters put through the column types' own
bind processors (the values stored are exactly the ones SQLAlchemy would store), and run by the one-trip
driver's function on the session's own connection, inside its transaction: the BEGIN IMMEDIATE or
savepoint waiting in the driver goes first in the same trip, as for any statement.

What SQLAlchemy would do around it is kept: pending ORM rows are flushed first when the session
autoflushes (a statement may depend on them), an error is raised as the SQLAlchemy exception of the same
kind (`IntegrityError` for a duplicate, so `Core.handle` still reports an event already handled), and
`before_cursor_execute` listeners see the statement (`SqlCapture`: statement counts, the EXPLAIN test).
On PostgreSQL the statement runs on the session's asyncpg connection the same way
(`bot.db.asyncpg_direct`, stop 32); with any other driver it goes through `session.execute`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.asyncpg_direct import run_on_asyncpg, usable
from bot.db.sqlite_driver import OneTripConnection, run_in_trip, send_later

Rows = list[tuple[Any, ...]]


class DirectStatement:
    """One statement's SQL for one dialect, with its parameters' order and bind processors and its
    returned columns' result processors."""

    __slots__ = ("dialect", "processors", "results", "sql", "statement")

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params or not compiled.positional:
            raise ValueError(f"not a statement for the direct path: {compiled.string}")
        self.statement = statement
        self.dialect = dialect
        self.sql = compiled.string
        # (name, processor, required, value built in): a bind built with a value (a literal inside an
        # expression) keeps it; a column's bind must be given, never silently NULL.
        self.processors = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect),
             compiled.binds[name].required, compiled.binds[name].value)
            for name in compiled.positiontup or ())
        self.results = tuple(column[3].dialect_impl(dialect).result_processor(dialect, None)
                             for column in compiled._result_columns)

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, process, required, built in self.processors:
            value = values[name] if required else values.get(name, built)
            out.append(value if process is None or value is None else process(value))
        return tuple(out)

    def rows(self, raw: list[Any] | None) -> Rows:
        if not raw:
            return []
        if not any(self.results):
            return [tuple(row) for row in raw]
        return [tuple(value if process is None or value is None else process(value)
                      for process, value in zip(self.results, row, strict=True)) for row in raw]


_compiled: dict[int, DirectStatement | tuple[Any, Dialect]] = {}  # by statement id; a tuple: not for this path


def compiled_for(statement: Any, dialect: Dialect) -> DirectStatement | None:
    """The statement compiled for the direct path, or None when it needs SQLAlchemy's execution (an IN
    list expanded per execution, a value rendered at execution): such a statement takes the stock path."""
    key = id(statement)
    kept = _compiled.get(key)
    if isinstance(kept, DirectStatement) and kept.statement is statement and kept.dialect is dialect:
        return kept
    if isinstance(kept, tuple) and kept[0] is statement and kept[1] is dialect:
        return None
    try:
        made: DirectStatement | tuple[Any, Dialect] = DirectStatement(statement, dialect)
    except ValueError:
        made = (statement, dialect)
    _compiled[key] = made
    return made if isinstance(made, DirectStatement) else None


async def execute_direct(session: AsyncSession, statement: Any,
                         values: dict[str, Any] | list[dict[str, Any]]) -> Rows:
    """Run `statement` (built once by the caller: it is compiled once, by identity) with `values` (a list:
    an executemany) in the session's transaction; the rows it returns, as tuples ([] for none)."""
    sync = session.sync_session
    if sync.autoflush and not sync._is_clean():  # a Core statement through the session would not flush
        await session.flush()
    connection = await session.connection()
    sync_connection = connection.sync_connection
    raw = sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
    on_sqlite = isinstance(raw, OneTripConnection)
    compiled = compiled_for(statement, connection.dialect) if on_sqlite or usable(raw) else None
    if compiled is None:
        result = await session.execute(statement, values)
        if getattr(statement, "is_dml", False) and not statement._returning:
            return []  # an INSERT without RETURNING: no rows to read
        return [tuple(row) for row in result.all()]
    many = isinstance(values, list)
    parameters: Any = [compiled.parameters(v) for v in values] if many else compiled.parameters(values)
    for listen in sync_connection.dispatch.before_cursor_execute:
        listen(sync_connection, None, compiled.sql, parameters, None, many)
    if not on_sqlite:
        return compiled.rows(await run_on_asyncpg(sync_connection, raw, compiled.sql, parameters, many))
    try:
        return compiled.rows(await run_in_trip(raw, compiled.sql, parameters, many))
    except sqlite3.Error as error:
        raise exc.DBAPIError.instance(compiled.sql, parameters, error, sqlite3.Error, hide_parameters=True,
                                      dialect=connection.dialect) from error


async def execute_later(session: AsyncSession, statement: Any, values: list[dict[str, Any]], owner: str) -> bool:
    """Queue an executemany of `statement` to ride with the session's next trip to SQLite (its COMMIT,
    usually; any later statement runs after it and sees its rows); False (nothing done) when it cannot be
    queued (not SQLite's one-trip driver, a statement for the stock path): the caller executes it.
    Its failure surfaces as `bot.db.sqlite_driver.LaterFailed`, named after `owner`."""
    sync = session.sync_session
    if sync.autoflush and not sync._is_clean():  # what it depends on goes first, as execute_direct does
        await session.flush()
    connection = await session.connection()
    sync_connection = connection.sync_connection
    raw = sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
    if not isinstance(raw, OneTripConnection):
        return False
    compiled = compiled_for(statement, connection.dialect)
    if compiled is None:
        return False
    rows = [compiled.parameters(v) for v in values]
    for listen in sync_connection.dispatch.before_cursor_execute:
        listen(sync_connection, None, compiled.sql, rows, None, True)
    return send_later(raw, compiled.sql, rows, owner)
