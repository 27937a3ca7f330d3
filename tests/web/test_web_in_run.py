"""`ticebot run` with a `[web]` section serves the dashboard beside the adapters, and stops with them."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest

import adapters.discord
from bot import runner
from bot.config import DiscordConfig, Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_run_serves_the_dashboard_when_web_is_configured(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    started = asyncio.Event()

    async def stand_in(config: DiscordConfig, app: object) -> None:  # the real adapter runs in tests/discord
        started.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(adapters.discord, "start_discord", stand_in)
    port = _free_port()
    settings = Settings.model_validate({
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 't.db'}"}, "discord": DiscordConfig().model_dump(),
        "web": {"bind": f"127.0.0.1:{port}", "public_url": "https://tableau.example.org"},
        "spaces": [{"id": "lettres", "roles": {"coordinator": ["console:claire"]}}],
    })
    stop = asyncio.Event()
    run = asyncio.create_task(runner.run_from_settings(settings, stop=stop))
    await asyncio.wait_for(started.wait(), 20)
    async with aiohttp.ClientSession() as client:
        for _ in range(100):
            try:
                async with client.get(f"http://127.0.0.1:{port}/espace/lettres") as answer:
                    status = answer.status
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)  # the server is starting
        assert status == 401
        stop.set()
        await asyncio.wait_for(run, 20)
        with pytest.raises(aiohttp.ClientConnectionError):
            async with client.get(f"http://127.0.0.1:{port}/"):
                pass
