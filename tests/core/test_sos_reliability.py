"""Restart anywhere and several instances: every due step is sent exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from pathlib import Path

from core_support import RecordingAdapter, make_app, question

from bot.actions import MarkThread

EXPECTED = ["sos/received", "sos/nudge", "sos/referent", "sos/trainers_alert", "sos/coordinator_warning",
            "sos/breach_coordinator", "sos/breach_thread"]


def _templates(adapters: list[RecordingAdapter]) -> list[str]:
    """SOS messages sent (weekly digests, which a walk across a Monday also sends, are left out)."""
    return sorted(a.template for ad in adapters for a in ad.core_sent()
                  if not isinstance(a, MarkThread) and a.template.startswith("sos/"))


async def _walk(url: str, trial: int, hops: list[tuple[timedelta, bool, bool]]) -> list[RecordingAdapter]:
    """One question, then time passes in `hops`; a hop may kill the process (after a sweep, sometimes
    with a row claimed for delivery and never delivered) and start a new one on the same database."""
    app, adapter, clock = await make_app(url)
    adapters = [adapter]
    await app.submit(question(f"ev-{trial}", msg=f"q{trial}"))
    await app.run_once()
    for hop, crash, mid_delivery in hops:
        clock.advance(hop)
        if crash:
            await app.core.sweep()  # steps fired, outbox written, nothing delivered: then crash
            if mid_delivery:
                await app.dispatcher.claim(1)  # a row claimed and never delivered
            await app.close()
            app, adapter, clock = await make_app(url, clock=clock)
            adapters.append(adapter)
        await app.run_once()
    clock.advance(timedelta(days=3))  # settle: nothing of this question is left for the next trial
    await app.run_once()
    await app.close()
    return adapters


async def test_killing_the_engine_between_any_two_steps_loses_and_duplicates_nothing(
    database_url: str, tmp_path: Path
) -> None:
    rng = random.Random(7)
    for trial in range(4 if "postgres" in database_url else 8):
        hops = []
        while sum((h for h, _c, _m in hops), timedelta(0)) < timedelta(days=5):
            hops.append((timedelta(hours=rng.choice([3, 7, 13, 26])), rng.random() < 0.5, rng.random() < 0.5))
        # The same walk without any crash, on its own database, is the reference.
        reference = _templates(await _walk(f"sqlite+aiosqlite:///{tmp_path / f'ref{trial}.db'}", trial,
                                           [(h, False, False) for h, _c, _m in hops]))
        assert set(EXPECTED) <= set(reference)
        # Same database each trial: earlier questions are settled, new ones start.
        assert _templates(await _walk(database_url, trial, hops)) == reference, f"trial {trial}"


async def test_two_instances_sweeping_together_never_send_a_step_twice(database_url: str) -> None:
    app1, adapter1, clock = await make_app(database_url)
    app2, adapter2, _ = await make_app(database_url, clock=clock)
    try:
        for n in range(20):
            await app1.submit(question(f"ev-{n}", msg=f"q{n}"))
        clock.advance(timedelta(days=4, hours=1))  # Friday 10:00, past the deadline (a weekday: not quiet)
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
        # Nobody is left at the fourth level (no resource person, the referent was asked): the
        # coordinator is warned at once.
        assert got == ["sos/nudge", "sos/referent", "sos/trainers_alert", "sos/coordinator_warning"]
        assert "relance prévue le 8 septembre à 09:00" in adapter.sent[0].text  # type: ignore[union-attr]
        await app.run_once()
        assert len([a for a in adapter.sent if not isinstance(a, MarkThread)]) == 4
    finally:
        await app.close()
