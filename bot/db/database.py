"""Engine and sessions. One transaction per incoming event; SQLite (embedded) or PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.db.idle_ping import IdlePing
from bot.db.models import Base

log = logging.getLogger(__name__)


DEFAULT_URL = "sqlite+aiosqlite:///ticebot.db"
_READ_ONLY = "ticebot_read_only"  # execution option of a Database.reading() connection


def database_url(explicit: str | None = None) -> str:
    """The URL an admin command uses: --database, else $TICEBOT_DATABASE_URL, else ./ticebot.db."""
    return explicit or os.environ.get("TICEBOT_DATABASE_URL") or DEFAULT_URL


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the message says which URL host (never a password)."""


def _safe_url(url: str) -> str:
    # Hide credentials: URLs may carry a password.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        # hide_parameters: a database error must not carry people's messages into logs.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=5, max_overflow=5)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        # Not pool_pre_ping: three round trips at every checkout (bot/db/idle_ping.py).
        self.idle_ping = None if self.is_sqlite else IdlePing(self.engine.sync_engine)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    async def create_schema(self) -> None:
        """Create or upgrade the schema through the migrations (idempotent)."""
        from bot.db.migrate import upgrade

        try:
            async with self.engine.begin() as conn:
                await conn.run_sync(upgrade)
        except (OSError, OperationalError, DBAPIError) as exc:
            raise DatabaseUnavailable(f"base de données injoignable ({_safe_url(self.url)}) : {exc}") from exc

    async def create_all_for_tests(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: everything in it commits together or not at all."""
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A transaction that only reads. On SQLite it begins DEFERRED: in WAL mode it neither takes the
        write lock nor waits for it, where `transaction`'s BEGIN IMMEDIATE would queue behind a writer
        in SQLite's busy handler (sleeps of 1, 2, 5… ms). Only read in it: a write would take the lock late,
        and fail if another writer committed since the snapshot."""
        async with self._sessions() as session, session.begin():
            if self.is_sqlite:
                await session.connection(execution_options={_READ_ONLY: True})
            yield session

    async def run_with_retry(self, work: Any, attempts: int = 5) -> Any:
        """Run `work(session)` in a transaction, retrying when the connection drops mid-way.

        A rolled-back transaction wrote nothing, so retrying is safe.
        """
        delay = 0.2
        for attempt in range(1, attempts + 1):
            try:
                async with self.transaction() as session:
                    return await work(session)
            except (OperationalError, OSError, ConnectionError) as exc:
                if attempt == attempts or "locked" in str(exc) and attempt > 3:
                    raise
                log.warning("database error, retry %d/%d: %s", attempt, attempts, type(exc).__name__)
                await asyncio.sleep(delay)
                delay *= 2
            except DBAPIError as exc:
                if not exc.connection_invalidated or attempt == attempts:
                    raise
                log.warning("database connection lost, retry %d/%d", attempt, attempts)
                await asyncio.sleep(delay)
                delay *= 2
        return None

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    from bot.db.sqlite_driver import adopt

    adopt(dbapi_connection)  # one trip to aiosqlite's thread per statement (bot/db/sqlite_driver.py)
    # The driver's own transaction handling breaks SAVEPOINTs; we emit BEGIN ourselves (_sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a crash of the bot (only a power cut can lose the last commits).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    from bot.db.sqlite_driver import defer_control

    # A reader (Database.reading) begins plain: WAL gives it a snapshot, no lock. IMMEDIATE takes the
    # write lock up front, so two writers wait (busy_timeout) instead of failing.
    statement = "BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE"
    # The one-trip driver sends it with the next statement anyway: queued here, it skips SQLAlchemy's
    # execution of a statement without parameters or result (4 % of a general post's CPU under the profiler, stop 31).
    if not defer_control(conn, statement):
        conn.exec_driver_sql(statement)
