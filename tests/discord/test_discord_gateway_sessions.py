"""Gateway sessions as Discord documents them (double_gateway): a dropped connection RESUMEs and gets the
missed events replayed; a session that cannot be resumed (INVALID_SESSION) makes the bot IDENTIFY again,
and its catch-up reads back what happened meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord_payloads as p
import pytest
from discord_server import DiscordServer
from sqlalchemy import select
from test_discord_restart import TOKEN, settings

from adapters.discord import start_discord
from bot.app import TicebotApp
from bot.db import models


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICEBOT_DISCORD_TOKEN", TOKEN)


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[DiscordServer, Any, Any]]:
    server = DiscordServer(TOKEN)
    await server.start()
    config = settings(server.api_base)
    assert config.discord is not None
    app = await TicebotApp.create(config, database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db")
    sweep = asyncio.create_task(app.run_forever())
    bot = asyncio.create_task(start_discord(config.discord, app))
    await server.wait_connected()
    client = app.adapters["discord"].client  # type: ignore[attr-defined]
    await server.wait_until(lambda: client.catchups == 1, what="the first catch-up", within=30)
    yield server, app, client
    bot.cancel()
    await asyncio.gather(bot, return_exceptions=True)
    app.stop()
    await asyncio.gather(sweep, return_exceptions=True)
    await app.close()
    await server.close()


async def question_roots(app: Any) -> list[str]:
    async with app.db.transaction() as session:
        return [q.thread_root_id for q in (await session.execute(select(models.Question))).scalars()]


async def test_a_dropped_connection_resumes_and_gets_the_missed_events(running: tuple[Any, Any, Any]) -> None:
    server, app, client = running
    await server.gateway.drop(code=4000)  # a network failure: the session stays resumable
    post = await server.forum_post(p.SOS_FORUM, p.ALICE, "Alice", "Pendant la coupure", "Comment faire un QCM ?")
    await server.wait_until(
        lambda: len(server.gateway.resumes) == 1 and server.connected, what="a RESUME", within=30
    )
    await server.wait_call("POST", rf"/channels/{post}/messages")  # the receipt: the post reached the core
    assert await question_roots(app) == [str(post)]
    assert len(server.identifies) == 1 and client.catchups == 1  # resumed: no new session, no catch-up


async def test_an_invalid_session_identifies_again_and_catches_up(running: tuple[Any, Any, Any]) -> None:
    server, app, client = running
    server.gateway.invalidate()
    await server.gateway.drop(code=4000)
    post = await server.forum_post(p.SOS_FORUM, p.BRUNO, "Bruno", "Perdu", "Où trouver les manuels numériques ?")
    await server.wait_until(
        lambda: len(server.identifies) == 2 and client.catchups == 2, what="a new session", within=30
    )
    await server.wait_call("POST", rf"/channels/{post}/messages")
    assert await question_roots(app) == [str(post)]
    assert len(server.gateway.resumes) == 1  # it tried to resume, was refused, identified again
