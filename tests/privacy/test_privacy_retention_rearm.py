"""The nightly purge re-arms itself whatever happens: one failing night does not turn it off."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from adapters.console.replay import Replay
from bot.db.models import ScheduledStep
from bot.privacy import retention


async def _retention_steps(app: Any) -> list[tuple[str, Any]]:
    async with app.db.transaction() as session:
        rows = (await session.execute(select(ScheduledStep).where(ScheduledStep.kind == retention.STEP)
                                      .order_by(ScheduledStep.id))).scalars()
        return [(s.state, s.due_at) for s in rows]


async def test_a_failing_purge_is_recorded_and_the_next_night_still_runs(database_url: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    real_purge = retention.purge
    nights: list[str] = []

    async def purge_failing_once(*args: Any, **kwargs: Any) -> dict[str, int]:
        nights.append("ran")
        if len(nights) == 1:
            raise RuntimeError("disk full")
        return await real_purge(*args, **kwargs)

    monkeypatch.setattr(retention, "purge", purge_failing_once)
    replay = Replay(database_url=database_url)
    try:
        await replay.run_script("space demo referential=c2i2e\nmember alice\nat 2026-09-07T09:00\n"
                                "alice in sos: Une question pour que l'espace vive ?\n+1d\n+1d\n+1d\n")
        assert nights == ["ran", "ran", "ran"]
        steps = await _retention_steps(replay.app)
        assert [state for state, _due in steps] == ["failed", "done", "done", "pending"]
        assert steps[-1][1] == retention.next_run(replay.clock.now())
    finally:
        await replay.close()
