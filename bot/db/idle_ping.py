"""Check a pooled PostgreSQL connection before use only when it has sat idle (issue 17).

SQLAlchemy's `pool_pre_ping` checks every checkout, and on asyncpg its check is three round trips
(BEGIN, an empty query, ROLLBACK): three of a general post's eight, and three of the floor's six. A
connection checked in moments ago has just proven itself; one that sat in the pool for a while may have
been dropped meanwhile (the server restarted, `idle_session_timeout`, a firewall). So only those are
pinged, and a dead one is swapped for a fresh connection before the event sees it. One second: a bot
handling a backlog reuses its connections within milliseconds and never pings; a bot waiting for the
next message pings as before, at no cost anyone sees.

A connection that dies within a second of its last use is not caught here: the first statement on it
fails as a disconnect, SQLAlchemy invalidates it and every older connection of the pool, and the work
is tried again on a fresh one (`Database.run_with_retry`: events, the sweep, the record of a delivery),
which is what a drop in the middle of a transaction gets anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

IDLE_SECONDS = 1.0
_LAST_USED = "ticebot_last_used"


class IdlePing:
    """Installed on `engine`'s pool (a sync engine: `AsyncEngine.sync_engine`); `clock` is seconds."""

    def __init__(self, engine: Engine, idle_seconds: float = IDLE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.engine, self.idle_seconds, self.clock = engine, idle_seconds, clock
        event.listen(engine.pool, "connect", self._used_now)  # just opened: alive
        event.listen(engine.pool, "checkin", self._used_now)
        event.listen(engine.pool, "checkout", self._check)

    def _used_now(self, _dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = self.clock()

    def _check(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get(_LAST_USED)
        if last is not None and self.clock() - last < self.idle_seconds:
            return
        try:
            self.engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool disposes of it and checks out a fresh connection
            raise exc.DisconnectionError("idle pooled connection failed its ping") from error
        record.info[_LAST_USED] = self.clock()
