"""`start_discord` fails cleanly and can be started again in the same process: what a supervisor that
restarts a failed adapter (while the other platform keeps running) relies on."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import discord_payloads as p
import pytest
from discord_server import DiscordServer

from adapters.discord import start_discord
from bot.app import TicebotApp
from bot.config import DiscordConfig, Settings
from bot.db import models

TOKEN = "restart.Discord-Bot-Token.0c1d"


def settings(api_base: str) -> Settings:
    return Settings.model_validate(
        {
            "discord": {"api_base": api_base},
            "spaces": [
                {
                    "id": "gfp",
                    "referential": "c2i2e",
                    "discord": {"guild": str(p.GUILD_ID), "sos": str(p.SOS_FORUM), "general": str(p.GENERAL)},
                }
            ],
        }
    )


@pytest.fixture
async def server() -> AsyncIterator[DiscordServer]:
    started = DiscordServer(TOKEN)
    await started.start()
    yield started
    await started.close()


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICEBOT_DISCORD_TOKEN", TOKEN)


async def ours(before: set[asyncio.Task[object]]) -> set[asyncio.Task[object]]:
    """Tasks started since `before` still running. A database session cancelled with its task closes
    in a shielded task of its own (SQLAlchemy): that one is finishing, not left behind, so it gets a
    moment to end."""
    me = asyncio.current_task()
    left = {t for t in asyncio.all_tasks() - before if t is not me and not t.done()}
    closing = {t for t in left if "AsyncSession.close" in repr(t.get_coro())}
    if closing:
        await asyncio.wait(closing, timeout=2)
    return {t for t in left if not t.done()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unreachable_discord_raises_out_of_start_discord_and_leaves_nothing_running(tmp_path: Path) -> None:
    port = free_port()
    config = settings(f"http://127.0.0.1:{port}/api/v10")
    assert config.discord is not None
    unreachable = DiscordConfig(api_base=config.discord.api_base, gateway_url=f"ws://127.0.0.1:{port}/gateway")
    app = await TicebotApp.create(config, database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db")
    before = asyncio.all_tasks()
    try:
        with pytest.raises(OSError):  # aiohttp's ClientConnectorError is an OSError
            await asyncio.wait_for(start_discord(unreachable, app), timeout=20)
        client = app.adapters["discord"].client  # type: ignore[attr-defined]
        assert client.is_closed() and client.http._HTTPClient__session.closed
        assert await ours(before) == set()
    finally:
        await app.close()


async def test_a_fatal_gateway_close_raises_and_a_second_start_serves(server: DiscordServer, tmp_path: Path) -> None:
    config = settings(server.api_base)
    assert config.discord is not None
    app = await TicebotApp.create(config, database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db")
    sweep = asyncio.create_task(app.run_forever())
    before = asyncio.all_tasks()
    try:
        server.gateway.refuse_identify = 4013  # "Invalid intent(s)": discord.py does not reconnect
        with pytest.raises(discord.ConnectionClosed):
            await asyncio.wait_for(start_discord(config.discord, app), timeout=20)
        first = app.adapters["discord"].client  # type: ignore[attr-defined]
        assert first.is_closed() and (await ours(before)) == set()

        running = asyncio.create_task(start_discord(config.discord, app))  # what the supervisor does
        await server.wait_connected(sessions=1)
        second = app.adapters["discord"].client  # type: ignore[attr-defined]
        assert second is not first
        await server.wait_until(lambda: second.catchups == 1, what="the first catch-up", within=30)
        post = await server.forum_post(p.SOS_FORUM, p.ALICE, "Alice", "Pronote", "Comment exporter mes notes ?")
        await server.wait_call("POST", rf"/channels/{post}/messages")  # the receipt
        async with app.db.transaction() as session:
            from sqlalchemy import select

            (question,) = (await session.execute(select(models.Question))).scalars()
        assert question.thread_root_id == str(post)

        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        assert second.is_closed() and second.http._HTTPClient__session.closed
        assert await ours(before) == set()
    finally:
        app.stop()
        await asyncio.gather(sweep, return_exceptions=True)
        await app.close()
