"""Several ticebot instances on one PostgreSQL: exactly one holds the Matrix device and runs the sync.

Two processes syncing one device would race on the olm store (one-time keys, ratchets) and corrupt it,
and the olm store is a local folder anyway. So the holder takes a PostgreSQL *session* advisory lock on a
connection of its own, kept open while it runs: the lock is released by PostgreSQL the moment that
connection ends, also when the process is killed, and a standby instance polling every `standby_poll`
takes over. Standby instances keep sweeping and delivering Discord (and console) rows through the
database; Matrix rows wait in the outbox for the holder, since only the device with the olm store can
encrypt them.

SQLite means one instance (the file is local): no lock.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


class LockLost(Exception):
    """The lock's connection died: another instance may hold the device now."""


def lock_key(user_id: str) -> int:
    """A stable signed 64-bit advisory lock key per Matrix account (two bots may share one database)."""
    digest = hashlib.sha256(f"ticebot matrix device {user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class DeviceLock:
    def __init__(self, database_url: str, user_id: str, poll_seconds: float) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.key = lock_key(user_id)
        self.user_id = user_id
        self.poll = poll_seconds
        self._conn: Any = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    async def acquire(self) -> None:
        """Wait until this instance holds the device (logs once when it has to wait)."""
        said = False
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(self.dsn, timeout=10)
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
                    self._conn = conn
                    log.info("matrix: this instance holds the device of %s and syncs", self.user_id)
                    return
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("matrix: device lock unavailable (%s), retrying", type(exc).__name__)
            if conn is not None:
                await conn.close()
            if not said:
                log.info("matrix: standby, another instance holds the device of %s", self.user_id)
                said = True
            await asyncio.sleep(self.poll)

    async def watch(self, on_tick: Any = None) -> None:
        """Return only by raising LockLost; `on_tick()` is called at each check (every poll interval)."""
        while True:
            await asyncio.sleep(self.poll)
            try:
                await self._conn.fetchval("SELECT 1")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                await self.release()
                raise LockLost(f"device lock connection lost: {type(exc).__name__}") from exc
            if on_tick is not None:
                on_tick()

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close(timeout=5)
            except Exception:  # a dead connection cannot be closed politely: the lock is gone with it
                conn.terminate()
