"""Restart anywhere and several instances: every due step is sent exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from core_support import RecordingAdapter, make_app, question

from bot.actions import MarkThread

EXPECTED = ["sos/received", "sos/nudge", "sos/referent", "sos/trainers_alert", "sos/breach_coordinator",
            "sos/breach_thread"]


def _templates(adapters: list[RecordingAdapter]) -> list[str]:
    return sorted(a.template for ad in adapters for a in ad.core_sent() if not isinstance(a, MarkThread))


async def test_killing_the_engine_between_any_two_steps_loses_and_duplicates_nothing(database_url: str) -> None:
    rng = random.Random(7)
    for trial in range(4 if "postgres" in database_url else 8):
        url = database_url  # same database each trial: earlier questions are settled, new ones start
        app, adapter, clock = await make_app(url)
        adapters = [adapter]
        await app.submit(question(f"ev-{trial}", msg=f"q{trial}"))
        await app.run_once()
        # Walk 5 days in random hops; at random points the process dies (sometimes mid-delivery).
        elapsed = timedelta(0)
        while elapsed < timedelta(days=5):
            hop = timedelta(hours=rng.choice([3, 7, 13, 26]))
            elapsed += hop
            clock.advance(hop)
            if rng.random() < 0.5:
                await app.core.sweep()  # steps fired, outbox written, nothing delivered: then crash
                if rng.random() < 0.5:
                    await app.dispatcher.claim(1)  # a row claimed and never delivered
                await app.close()
                app, adapter, clock = await make_app(url, clock=clock)
                adapters.append(adapter)
            await app.run_once()
        await app.close()
        assert _templates(adapters) == sorted(EXPECTED), f"trial {trial}"


async def test_two_instances_sweeping_together_never_send_a_step_twice(database_url: str) -> None:
    app1, adapter1, clock = await make_app(database_url)
    app2, adapter2, _ = await make_app(database_url, clock=clock)
    try:
        for n in range(20):
            await app1.submit(question(f"ev-{n}", msg=f"q{n}"))
        clock.advance(timedelta(days=5))
        await asyncio.gather(app1.run_once(), app2.run_once(), app1.run_once(), app2.run_once())
        await asyncio.gather(app1.run_once(), app2.run_once())
        got = _templates([adapter1, adapter2])
        assert got.count("sos/nudge") == 20
        assert got.count("sos/breach_thread") == 20
        assert got.count("sos/referent") == 20
        assert got.count("sos/received") == 20
    finally:
        await app1.close()
        await app2.close()


async def test_steps_due_while_down_are_sent_once_in_order_with_their_due_time(database_url: str) -> None:
    app, _adapter, clock = await make_app(database_url)
    await app.submit(question("ev-1"))
    await app.run_once()
    await app.close()
    clock.advance(timedelta(days=3, hours=2))  # the bot was down through three rungs
    app, adapter, _ = await make_app(database_url, clock=clock)
    try:
        await app.run_once()
        got = [a.template for a in adapter.sent if not isinstance(a, MarkThread)]
        assert got == ["sos/nudge", "sos/referent", "sos/trainers_alert"]
        assert "relance prévue le 8 septembre à 09:00" in adapter.sent[0].text  # type: ignore[union-attr]
        await app.run_once()
        assert len([a for a in adapter.sent if not isinstance(a, MarkThread)]) == 3
    finally:
        await app.close()
