"""The real `run_forever` on the real clock uses under 1 % CPU while idle, including while rows wait for an
adapter that is still logging in (the busy loop of issue 21 used a whole core there).

This one needs real time: an idle window of a few seconds, judged on the CPU seconds the process used
(all threads, the SQLite driver's included), not on wall time."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from bot.app import TicebotApp
from bot.config import Settings, SpaceConfig
from bot.db.models import Outbox
from bot.events import PostCreated
from bot.refs import ChannelRef, MessageRef, UserRef

WINDOW = 3.0  # seconds of real time
MX_SOS = ChannelRef("matrix", "!sos:hs")


class Console:
    platform = "console"

    async def deliver(self, action: object) -> str:
        return "ok"


async def test_the_idle_loop_uses_under_one_percent_cpu(database_url: str) -> None:
    settings = Settings.model_validate({"database": {"url": database_url},
                                        "spaces": [SpaceConfig(id="idle", matrix={"sos": MX_SOS.id}).model_dump()]})
    app = await TicebotApp.create(settings)
    app.register_adapter(Console())
    passes: list[float] = []
    first_idle = asyncio.Event()
    real_idle = app.idle

    async def counting_idle(seconds: float) -> None:
        passes.append(seconds)
        first_idle.set()
        await real_idle(seconds)

    app.idle = counting_idle  # type: ignore[method-assign]
    try:
        # Matrix is "still logging in": its rows are queued and cannot be sent yet.
        await app.submit(PostCreated("$q1", UserRef("matrix", "@alice:hs", "alice"), MX_SOS,
                                     MessageRef(MX_SOS, "$q1"), "Comment projeter mon écran sans fil ?"))
        async with app.db.transaction() as session:
            assert (await session.execute(select(Outbox).where(Outbox.platform == "matrix"))).scalars().all()
        loop = asyncio.create_task(app.run_forever())
        await asyncio.wait_for(first_idle.wait(), 30)
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.sleep(WINDOW)  # the idle window itself (real time is what is measured)
        used, elapsed = time.process_time() - cpu, time.perf_counter() - wall
        app.stop()
        await asyncio.wait_for(loop, 30)
        print(f"idle: {used:.4f} CPU s in {elapsed:.2f} s ({used / elapsed:.3%}), {len(passes)} passes")
        assert used / elapsed < 0.01, f"{used:.3f} CPU s in {elapsed:.1f} s, {len(passes)} passes"
        assert len(passes) <= 2
    finally:
        await app.close()
