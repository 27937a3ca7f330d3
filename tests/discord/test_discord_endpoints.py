"""A Discord-compatible server can stand in for Discord: API base and gateway come from the config."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest
from aiohttp import web
from discord.gateway import DiscordWebSocket

from adapters.discord.endpoints import DISCORD_API, DISCORD_GATEWAY, configure_endpoints
from bot.config import ConfigError, DiscordConfig


@pytest.fixture
async def restore() -> AsyncIterator[None]:
    yield
    discord.http.Route.BASE = DISCORD_API
    DiscordWebSocket.DEFAULT_GATEWAY = DISCORD_GATEWAY


async def test_the_gateway_is_asked_of_the_configured_api(restore: None, aiohttp_free_port: int) -> None:
    async def gateway(_request: web.Request) -> web.Response:
        return web.json_response({"url": "ws://127.0.0.1:3002"})

    app = web.Application()
    app.router.add_get("/api/v9/gateway", gateway)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", aiohttp_free_port)
    await site.start()
    try:
        await configure_endpoints(DiscordConfig(api_base=f"http://127.0.0.1:{aiohttp_free_port}/api/v9/"))
        assert discord.http.Route.BASE == f"http://127.0.0.1:{aiohttp_free_port}/api/v9"
        assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:3002/"
        assert discord.http.Route("GET", "/users/@me").url.startswith(f"http://127.0.0.1:{aiohttp_free_port}/api/v9")
    finally:
        await runner.cleanup()


async def test_an_explicit_gateway_wins_and_defaults_come_back(restore: None) -> None:
    await configure_endpoints(DiscordConfig(api_base="http://127.0.0.1:9/api/v9", gateway_url="ws://127.0.0.1:9"))
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9"
    await configure_endpoints(DiscordConfig())
    assert discord.http.Route.BASE == DISCORD_API and DiscordWebSocket.DEFAULT_GATEWAY == DISCORD_GATEWAY


async def test_an_unreachable_api_is_a_configuration_error(restore: None, aiohttp_free_port: int) -> None:
    with pytest.raises(ConfigError, match="gateway_url"):
        await configure_endpoints(DiscordConfig(api_base=f"http://127.0.0.1:{aiohttp_free_port}/api/v9"))


@pytest.fixture
def aiohttp_free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
