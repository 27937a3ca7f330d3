"""An adapter that fails never ends the process: it is logged and restarted with backoff while the
other platform keeps running; a configuration error ends the run only at start-up."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

import adapters.discord
import adapters.matrix
from bot import runner
from bot.config import ConfigError, DiscordConfig, MatrixConfig, Settings


def both(tmp_path: Path) -> Settings:
    return Settings.model_validate({
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 't.db'}"},
        "discord": DiscordConfig().model_dump(),
        "matrix": MatrixConfig(homeserver="http://127.0.0.1:1", user_id="@bot:hs", password_env="X").model_dump(),
    })


class Platform:
    """Stands for an adapter's start function: registers itself, then fails `failures` times."""

    platform = "matrix"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.starts = 0
        self.up = asyncio.Event()

    async def deliver(self, action: object) -> str | None:
        return None

    async def __call__(self, config: object, app: runner.TicebotApp) -> None:
        self.starts += 1
        app.register_adapter(self)  # type: ignore[arg-type]
        if self.starts <= self.failures:
            raise RuntimeError(f"{self.platform} closed the connection at attempt {self.starts}")
        self.up.set()
        await asyncio.Event().wait()


async def test_a_failing_adapter_is_restarted_while_the_other_keeps_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(runner, "FIRST_RESTART", 0.01)  # 0.01 s, 0.02 s, 0.04 s: the real ones are 2, 4, 8 s
    matrix = Platform(failures=3)
    discord_starts: list[int] = []
    discord_cancelled = asyncio.Event()

    async def discord(config: object, app: object) -> None:
        discord_starts.append(1)
        try:
            await asyncio.Event().wait()
        finally:
            discord_cancelled.set()

    monkeypatch.setattr(adapters.matrix, "start_matrix", matrix)
    monkeypatch.setattr(adapters.discord, "start_discord", discord)
    caplog.set_level(logging.WARNING)
    stop = asyncio.Event()
    run = asyncio.create_task(runner.run_from_settings(both(tmp_path), stop=stop))
    await asyncio.wait_for(matrix.up.wait(), 30)
    assert not run.done() and matrix.starts == 4
    assert discord_starts == [1] and not discord_cancelled.is_set()  # Discord never noticed
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 3 and all(m.startswith("matrix: stopped with RuntimeError") for m in errors)
    assert all("matrix closed the connection" not in m for m in errors)  # the type and the stack, not the text
    stop.set()
    await asyncio.wait_for(run, 30)
    assert discord_cancelled.is_set()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _supervise(start, clock: FakeClock, stop_after: int) -> runner.Supervisor:  # type: ignore[no-untyped-def]
    stop = asyncio.Event()
    downs: list[float] = []
    supervisor = runner.Supervisor("matrix", start, stop, on_down=lambda: downs.append(clock.now), clock=clock)

    async def wait(seconds: float) -> None:  # time passes instantly
        supervisor.restarts.append(seconds)
        clock.now += seconds
        if len(supervisor.restarts) >= stop_after:
            stop.set()

    supervisor._wait = wait  # type: ignore[method-assign]
    await asyncio.wait_for(supervisor.run(), 10)
    assert len(downs) == len(supervisor.restarts)  # its rows wait while it is down, each time
    return supervisor


async def test_the_backoff_doubles_up_to_five_minutes_and_starts_over_after_a_healthy_run() -> None:
    clock = FakeClock()
    runs = iter([1.0] * 10 + [3600.0] + [1.0] * 3)

    async def flaky() -> None:
        clock.now += next(runs)
        raise ConnectionError("reset by peer")

    supervisor = await _supervise(flaky, clock, stop_after=14)
    assert supervisor.restarts == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 2, 4, 8, 16]


async def test_a_configuration_error_at_start_ends_the_run_later_it_is_retried_slowly(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()

    async def refused() -> None:
        raise ConfigError("[matrix] mot de passe refusé par le serveur")

    with pytest.raises(ConfigError, match="mot de passe refusé"):
        await _supervise(refused, clock, stop_after=1)

    clock = FakeClock()
    calls: list[float] = []

    async def revoked_after_weeks() -> None:
        calls.append(clock.now)
        if len(calls) == 1:
            clock.now += 21 * 86400  # ran three weeks, then the connection dropped
            raise ConnectionError("gateway closed")
        raise ConfigError("[discord] jeton refusé par Discord (variable TICEBOT_DISCORD_TOKEN)")

    caplog.set_level(logging.ERROR)
    supervisor = await _supervise(revoked_after_weeks, clock, stop_after=4)
    assert supervisor.restarts == [2, runner.CONFIG_RETRY, runner.CONFIG_RETRY, runner.CONFIG_RETRY]
    lines = [r.getMessage() for r in caplog.records if "jeton refusé" in r.getMessage()]
    assert len(lines) == 3 and all("\n" not in m for m in lines)  # the one-line error, each time
