"""`ticebot run`'s runner: stops cleanly when asked (SIGTERM/SIGINT set the stop event), and a failing
adapter ends the run with its error while the others are cancelled. Adapters are stand-ins here; the
real ones run end to end in tests/matrix/test_matrix_cli_run.py and tests/discord/test_discord_cli_run.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import adapters.discord
from bot import runner
from bot.config import ConfigError, DiscordConfig, Settings


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
