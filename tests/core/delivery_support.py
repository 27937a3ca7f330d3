"""Driving `run_forever` on a fake clock: each idle period is recorded and skipped instantly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.app import TicebotApp
from bot.clock import FakeClock
from bot.events import PostCreated
from bot.refs import ChannelRef, MessageRef, UserRef

MX_SOS = ChannelRef("matrix", "!sos:example.org")
MAX_PASSES = 2_000  # a spinning loop is stopped here, so the test fails instead of hanging


async def drive(app: TicebotApp, clock: FakeClock, duration: timedelta,
                at: dict[timedelta, Callable[[], Awaitable[None] | None]] | None = None) -> list[float]:
    """Run the real loop for `duration` of simulated time; returns the wait chosen after each pass.

    `at` runs callbacks once the simulated time reaches an offset (an adapter logging in, say)."""
    start = clock.now()
    end = start + duration
    pending = dict(sorted((at or {}).items()))
    waits: list[float] = []

    async def idle(seconds: float) -> None:
        waits.append(seconds)
        target = clock.now() + timedelta(seconds=seconds)
        for offset in list(pending):
            if start + offset <= target:
                clock.set(max(clock.now(), start + offset))
                result = pending.pop(offset)()
                if result is not None:
                    await result
                return  # woken: the next pass runs now
        clock.set(min(target, end))
        if clock.now() >= end or len(waits) >= MAX_PASSES:
            app.stop()
        await asyncio.sleep(0)

    app.idle = idle  # type: ignore[method-assign]
    await app.run_forever()
    return waits


def matrix_question(event_id: str = "$q1", who: str = "@alice:example.org") -> PostCreated:
    return PostCreated(event_id, UserRef("matrix", who, "alice"), MX_SOS, MessageRef(MX_SOS, event_id),
                       "Comment projeter mon écran sans fil en salle 12 ?")


def at_offset(clock: FakeClock, start: datetime) -> timedelta:
    return clock.now() - start
