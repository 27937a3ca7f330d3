"""`ticebot run`'s runner: stops cleanly when asked (SIGTERM/SIGINT set the stop event), and a failing
adapter ends the run with its error while the others are cancelled. Adapters are stand-ins here; the
real ones run end to end in tests/matrix/test_matrix_cli_run.py and tests/discord/test_discord_cli_run.py."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

import adapters.discord
from bot import runner
from bot.config import ConfigError, DiscordConfig, Settings, SpaceConfig


def settings(tmp_path: Path) -> Settings:
    return Settings.model_validate(
        {"database": {"url": f"sqlite+aiosqlite:///{tmp_path / 't.db'}"}, "discord": DiscordConfig().model_dump()}
    )


async def test_the_stop_event_cancels_the_adapters_and_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def serve(config: DiscordConfig, app: object) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    monkeypatch.setattr(adapters.discord, "start_discord", serve)
    stop = asyncio.Event()
    run = asyncio.create_task(runner.run_from_settings(settings(tmp_path), stop=stop))
    await asyncio.wait_for(started.wait(), 10)
    stop.set()
    await asyncio.wait_for(run, 10)
    assert cancelled.is_set()


async def test_a_failing_adapter_ends_the_run_with_its_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def refused(config: DiscordConfig, app: object) -> None:
        raise ConfigError("[discord] jeton refusé")

    monkeypatch.setattr(adapters.discord, "start_discord", refused)
    with pytest.raises(ConfigError, match="jeton refusé"):
        await asyncio.wait_for(runner.run_from_settings(settings(tmp_path)), 10)


async def test_stopping_while_events_are_being_handled_logs_no_error(
        database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """SIGTERM arrives while events are being handled in the client library's own tasks (discord.py
    dispatches each event in a task of its own): those events are committed before the database closes,
    and nothing is logged at ERROR (no CancelledError in the pool reset)."""
    from bot.events import PostCreated
    from bot.refs import ChannelRef, MessageRef, UserRef

    busy = asyncio.Event()
    dispatched: list[asyncio.Task[object]] = []

    async def chatty(config: DiscordConfig, app: object) -> None:
        channel = ChannelRef("discord", "general")
        n = 0
        while True:  # an adapter under load: one task per event, as discord.py does
            n += 1
            event = PostCreated(f"ev-{n}", UserRef("discord", f"u{n % 7}", "x"), channel,
                                MessageRef(channel, f"m{n}"), "Bonjour tout le monde, une petite question ?",
                                space_hint="demo")
            dispatched.append(asyncio.create_task(app.submit(event)))  # type: ignore[attr-defined]
            if n % 10 == 0:  # the platform sends in bursts
                await asyncio.gather(*dispatched[-10:-1])
            if n == 35:
                busy.set()
            await asyncio.sleep(0)

    monkeypatch.setattr(adapters.discord, "start_discord", chatty)
    caplog.set_level(logging.WARNING)
    loop_errors: list[str] = []  # "Future exception was never retrieved" and the like
    asyncio.get_running_loop().set_exception_handler(lambda _loop, context: loop_errors.append(context["message"]))
    config = Settings.model_validate({"database": {"url": database_url}, "discord": DiscordConfig().model_dump(),
                                      "spaces": [SpaceConfig(id="demo").model_dump()]})
    stop = asyncio.Event()
    run = asyncio.create_task(runner.run_from_settings(config, stop=stop))
    await asyncio.wait_for(busy.wait(), 60)
    stop.set()
    await asyncio.wait_for(run, 60)
    # What asyncio.run does with the tasks still there when the main coroutine returns.
    for task in dispatched:
        task.cancel()
    await asyncio.gather(*dispatched, return_exceptions=True)
    import gc

    gc.collect()  # unretrieved exceptions of futures left behind are reported when they are collected
    await asyncio.sleep(0)
    assert loop_errors == []
    problems = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]
    assert problems == []
    assert "Traceback" not in caplog.text and "CancelledError" not in caplog.text
    done = [t for t in dispatched if not t.cancelled() and t.exception() is None]
    from sqlalchemy import func, select

    from bot.db.database import Database
    from bot.db.models import ProcessedEvent

    db = Database(config.database.url)
    try:
        async with db.transaction() as session:
            stored = await session.scalar(select(func.count()).select_from(ProcessedEvent))
    finally:
        await db.dispose()
    assert stored is not None and stored >= len(done) > 0  # every event the app accepted was committed
