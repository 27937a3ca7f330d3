"""The double's own time: what its snowflakes, message timestamps, rate-limit windows and interaction
deadlines are measured in.

Discord ids are snowflakes whose top bits are milliseconds since 2015-01-01 (Discord docs, Reference →
Snowflakes), and a bot reads a post's time from them. `ManualClock` moves only when a test says so
(in-process tests, with the core's FakeClock); `WallClock` follows the wall clock plus an offset, so an
end-to-end test can play "ten minutes later" without waiting ten minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import discord


class DoubleClock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class ManualClock:
    def __init__(self, start: float = datetime(2026, 9, 7, 7, 0, tzinfo=UTC).timestamp()) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


class FollowingClock:
    """The time of another clock (e.g. the core's FakeClock), so both sides agree in one test."""

    def __init__(self, source: Callable[[], datetime]) -> None:
        self._source = source

    def now(self) -> float:
        return self._source().timestamp()


class WallClock:
    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class Snowflakes:
    """Ids whose timestamp is the clock's now, always increasing (two ids in one millisecond differ)."""

    def __init__(self, clock: DoubleClock) -> None:
        self.clock = clock
        self._last = 0

    def next(self) -> int:
        stamp = discord.utils.time_snowflake(datetime.fromtimestamp(self.clock.now(), UTC))
        self._last = max(self._last + 1, stamp)
        return self._last

    def iso_now(self) -> str:
        return datetime.fromtimestamp(self.clock.now(), UTC).isoformat()
