"""One trip to SQLite's thread per statement instead of three or four (issue 17).

aiosqlite runs the sqlite3 connection in its own thread; SQLAlchemy's adapter sends each step of a
statement there separately (open a cursor, execute, fetch, close), and every trip is a queue hand-off
and an event-loop wake-up. On a loaded machine those hand-offs, not SQLite, were most of an event's
time. Here a statement is one function run in that thread: same sqlite3 calls, in the same order, on
the same connection, so transactions, savepoints, errors and results are unchanged.

Installed per connection (`adopt`, from the engine's "connect" listener), not by patching the library;
server-side cursors keep the stock path. If aiosqlite's internals change shape, `adopt` leaves the
connection as it is (stock behaviour, only slower).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor


def _run(conn: Any, operation: str, parameters: Any, many: bool) -> tuple[Any, list[Any] | None, Any, int]:
    """In aiosqlite's thread: what the stock adapter does in three or four trips."""
    cursor = conn.cursor()
    try:
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
        try:
            aio = self._connection
            description, rows, lastrowid, rowcount = self.await_(
                aio._execute(_run, aio._conn, operation, parameters, many))
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


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:
            return super().cursor(server_side=True)
        return OneTripCursor(self)


def adopt(dbapi_connection: Any) -> bool:
    """Switch a freshly opened adapted connection to one trip per statement; False if left as it is."""
    if type(dbapi_connection) is not AsyncAdapt_aiosqlite_connection:
        return False  # the fallback (sync) adapter or an unknown wrapper: keep the stock path
    aio = getattr(dbapi_connection, "_connection", None)
    if not callable(getattr(aio, "_execute", None)) or not hasattr(type(aio), "_conn"):
        return False
    dbapi_connection.__class__ = OneTripConnection
    return True
