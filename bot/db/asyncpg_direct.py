"""A hot statement run on the session's asyncpg connection past SQLAlchemy's execution (issue 17).

The PostgreSQL counterpart of the one-trip driver's `run_in_trip` for `bot.db.direct`: what SQLAlchemy's
asyncpg cursor does for one statement (take the connection's mutex, begin its transaction if this is
the first statement, the prepared statement from the adapter's own cache, fetch; asyncpg's executemany
for a list), without the execution context, the cursor and the result objects around it. Those cost more
of the event loop than PostgreSQL's answer takes to come back (a general post's three statements were
about a third of its CPU under the sampling profiler, stop 32).

Errors take SQLAlchemy's own path (`Connection._handle_dbapi_exception`, in a greenlet as always): the
same exception classes (`IntegrityError` for a duplicate), and a dropped connection invalidates it and
the pool's older ones and is raised with `connection_invalidated`, so `Database.run_with_retry` tries the
event again. If the adapter's internals change shape, `usable` is False and the statement takes
`session.execute` (the stock path, only slower).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.engine import Connection
from sqlalchemy.util import greenlet_spawn

_NEEDED = ("_execute_mutex", "_started", "_start_transaction", "_prepare", "_connection", "_handle_exception",
           "_check_type_cache_invalidation")


def usable(raw: Any) -> bool:
    return type(raw) is AsyncAdapt_asyncpg_connection and all(hasattr(raw, name) for name in _NEEDED)


async def run_on_asyncpg(sync_connection: Connection, raw: AsyncAdapt_asyncpg_connection, sql: str,
                         parameters: Any, many: bool) -> list[Any] | None:
    """Rows of `sql` (None for an executemany); a database error raised as SQLAlchemy raises it."""
    dialect = sync_connection.dialect
    try:
        async with raw._execute_mutex:
            if not raw._started:
                await raw._start_transaction()
            try:
                if many:
                    await raw._check_type_cache_invalidation(dialect._invalidate_schema_cache_asof)  # type: ignore[attr-defined]
                    await raw._connection.executemany(sql, parameters)
                    return None
                prepared, _attributes = await raw._prepare(sql, dialect._invalidate_schema_cache_asof)  # type: ignore[attr-defined]
                return list(await prepared.fetch(*parameters))
            except Exception as error:
                raw._handle_exception(error)  # asyncpg's exception as the adapter's DBAPI class
                raise
    except dialect.loaded_dbapi.Error as error:
        await greenlet_spawn(sync_connection._handle_dbapi_exception, error, sql, parameters, None, None)
        raise  # not reached: the call above raises the SQLAlchemy exception
