"""One trip to SQLite's thread per statement instead of three or four (issue 17).

aiosqlite runs the sqlite3 connection in its own thread; SQLAlchemy's adapter sends each step of a
statement there separately (open a cursor, execute, fetch, close), and every trip is a queue hand-off
and an event-loop wake-up. On a loaded machine those hand-offs, not SQLite, were most of an event's
time. Here a statement is one function run in that thread: same sqlite3 calls, in the same order, on
the same connection, so transactions, savepoints, errors and results are unchanged.

Transaction control without a result (BEGIN IMMEDIATE or BEGIN, SAVEPOINT, RELEASE SAVEPOINT) is sent in the
same trip as the statement that follows it (or the COMMIT): SQLite runs them in the same order, on the
same connection, just without a hand-off of their own. A savepoint is still taken before the statements
it guards, so a ROLLBACK TO it undoes exactly what it did; a failure of the control statement itself
surfaces on the statement it travels with, inside the same transaction.

`send_with_next` puts an INSERT whose result nobody reads (the event's claim) in the same trip, right
before the statement its caller executes next: SQLite has no INSERT inside WITH, so this is how the claim
rides with the member read as PostgreSQL's CTE does. A failure of it (a duplicate event) is raised as
that next statement's error, before that statement runs.

`send_later` does the same for a handler's executemany (a post's tags), so it rides with the COMMIT
instead of taking a trip of its own; a later statement of the transaction runs after it and sees its
rows. Its failure is raised as `LaterFailed`, named after its handler and never a database error of the
statement it rode with: the caller hands the event to the guarded pass, which writes it again in the
handler's own savepoint (bot/event_failures.py).

Installed per connection (`adopt`, from the engine's "connect" listener), not by patching the library;
server-side cursors keep the stock path. If aiosqlite's internals change shape, `adopt` leaves the
connection as it is (stock behaviour, only slower).
"""

from __future__ import annotations

import sqlite3
from collections import deque
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor

_DEFERRED = "_ticebot_deferred"  # statements waiting for the next trip, on the aiosqlite connection


@dataclass(frozen=True, slots=True)
class Later:
    """A handler's executemany waiting for the next trip (`send_later`)."""

    operation: str
    rows: list[tuple[Any, ...]]
    owner: str  # the handler, for the guarded pass's log


class LaterFailed(Exception):
    """A `send_later` statement failed in the trip it rode with; its sqlite3 error is the cause."""

    def __init__(self, owner: str) -> None:
        super().__init__(owner)
        self.owner = owner


# A control statement (str), a statement with its parameters (`send_with_next`), or a `Later`.
Waiting = str | tuple[str, tuple[Any, ...]] | Later


def _deferrable(operation: Any, parameters: Any) -> bool:
    if parameters or not isinstance(operation, str):
        return False
    return operation in ("BEGIN IMMEDIATE", "BEGIN") or operation.startswith(("SAVEPOINT ", "RELEASE SAVEPOINT "))


def _take_deferred(aio: Any) -> tuple[Waiting, ...]:
    waiting = getattr(aio, _DEFERRED)
    if not waiting:
        return ()
    out = tuple(waiting)
    waiting.clear()
    return out


def _send_waiting(cursor: Any, before: tuple[Waiting, ...]) -> None:
    for waiting in before:
        if isinstance(waiting, str):
            cursor.execute(waiting)
        elif isinstance(waiting, Later):
            try:
                cursor.executemany(waiting.operation, waiting.rows)
            except sqlite3.Error as error:
                raise LaterFailed(waiting.owner) from error
        else:
            cursor.execute(*waiting)


def _run(conn: Any, before: tuple[Waiting, ...], operation: str, parameters: Any,
         many: bool) -> tuple[Any, list[Any] | None, Any, int]:
    """In aiosqlite's thread: what the stock adapter does in three or four trips."""
    cursor = conn.cursor()
    try:
        _send_waiting(cursor, before)
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _one_trip(self, operation: str, parameters: Any, many: bool) -> None:
        aio = self._connection
        if not many and _deferrable(operation, parameters):
            getattr(aio, _DEFERRED).append(operation)  # sent with the next statement or the COMMIT
            self.description = None
            self.lastrowid, self.rowcount = None, -1
            return
        try:
            description, rows, lastrowid, rowcount = self.await_(
                aio._execute(_run, aio._conn, _take_deferred(aio), operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        if description and not many:
            self.description = description
            self.lastrowid = self.rowcount = -1
            self._rows = deque(rows or ())
        else:
            self.description = None
            self.lastrowid = lastrowid
            self.rowcount = rowcount

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._one_trip(operation, parameters, False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._one_trip(operation, seq_of_parameters, True)


def _commit(conn: Any, before: tuple[Waiting, ...]) -> None:
    _send_waiting(conn, before)
    conn.commit()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:
            self._flush_deferred()  # the stock path has its own trips: keep the order
            return super().cursor(server_side=True)
        return OneTripCursor(self)

    def _flush_deferred(self) -> None:
        before = _take_deferred(self._connection)
        if before:
            try:
                self.await_(self._connection._execute(_run_controls, self._connection._conn, before))
            except Exception as error:
                self._handle_exception(error)

    def execute(self, *args: Any, **kw: Any) -> Any:
        self._flush_deferred()
        return super().execute(*args, **kw)

    def commit(self) -> None:
        aio = self._connection
        try:
            self.await_(aio._execute(_commit, aio._conn, _take_deferred(aio)))
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        # Whatever waits (a BEGIN, a savepoint, its release) is void once the whole transaction rolls back.
        _take_deferred(self._connection)
        if not _in_transaction(self._connection):
            # The pool's reset after every ORM commit lands here: sqlite3 would do nothing in the thread
            # (it rolls back only inside a transaction), so the trip there and back is all it would cost.
            return
        super().rollback()

    def close(self) -> None:
        _take_deferred(self._connection)
        super().close()


def _in_transaction(aio: Any) -> bool:
    """Whether SQLite holds an open transaction on the connection; True when it cannot tell (closed or
    unknown shape: the stock rollback then runs). Read from the loop thread while no trip is running on
    this connection: every trip is awaited before the next statement, rollback included."""
    try:
        return bool(aio._conn.in_transaction)
    except Exception:
        return True


def _run_controls(conn: Any, before: tuple[Waiting, ...]) -> None:
    _send_waiting(conn, before)


def adopt(dbapi_connection: Any) -> bool:
    """Switch a freshly opened adapted connection to one trip per statement; False if left as it is."""
    if type(dbapi_connection) is not AsyncAdapt_aiosqlite_connection:
        return False  # the fallback (sync) adapter or an unknown wrapper: keep the stock path
    aio = getattr(dbapi_connection, "_connection", None)
    if not callable(getattr(aio, "_execute", None)) or not hasattr(type(aio), "_conn"):
        return False
    setattr(aio, _DEFERRED, [])
    dbapi_connection.__class__ = OneTripConnection
    return True


async def run_in_trip(dbapi_connection: OneTripConnection, operation: str, parameters: Any,
                      many: bool) -> list[Any] | None:
    """Run one statement in a trip of its own, awaited from the event loop (no greenlet): what the
    cursor's `execute` does, for `bot.db.direct`. The rows it returns, or None."""
    aio = dbapi_connection._connection
    _description, rows, _lastrowid, _rowcount = await aio._execute(
        _run, aio._conn, _take_deferred(aio), operation, parameters, many)
    return rows


def defer_control(connection: Any, statement: str) -> bool:
    """Queue a transaction control statement (BEGIN…) of SQLAlchemy `connection` for the next trip, as
    the cursor would, without SQLAlchemy's execution; its `before_cursor_execute` listeners still see it.
    False (nothing queued) when the connection is not a one-trip one."""
    raw = connection.connection.dbapi_connection
    if not isinstance(raw, OneTripConnection) or not _deferrable(statement, None):
        return False
    for listen in connection.dispatch.before_cursor_execute:
        listen(connection, None, statement, (), None, False)
    getattr(raw._connection, _DEFERRED).append(statement)
    return True


def send_with_next(dbapi_connection: Any, operation: str, parameters: tuple[Any, ...]) -> bool:
    """Queue `operation` to run first in the connection's next trip; False (nothing queued) when the
    connection is not a one-trip one: the caller then executes it itself."""
    if not isinstance(dbapi_connection, OneTripConnection):
        return False
    getattr(dbapi_connection._connection, _DEFERRED).append((operation, parameters))
    return True


def send_later(dbapi_connection: Any, operation: str, rows: list[tuple[Any, ...]], owner: str) -> bool:
    """Queue an executemany of `operation` to run first in the connection's next trip (the COMMIT's, at
    the latest); False (nothing queued) when the connection is not a one-trip one."""
    if not isinstance(dbapi_connection, OneTripConnection):
        return False
    getattr(dbapi_connection._connection, _DEFERRED).append(Later(operation, rows, owner))
    return True
