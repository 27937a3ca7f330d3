"""Counts and keeps the SQL an engine sends: benchmarks print statements per event, the query-plan
test explains the hot paths' queries. Attach only while measuring (the listener costs a call per query)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class SqlCapture:
    def __init__(self, keep: bool = False) -> None:
        self.count = 0
        self.keep = keep
        self.statements: list[tuple[str, Any]] = []

    def _before(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                _executemany: bool) -> None:
        self.count += 1
        if self.keep:
            self.statements.append((statement, parameters))

    @contextmanager
    def on(self, engine: AsyncEngine) -> Iterator[SqlCapture]:
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        try:
            yield self
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", self._before)
