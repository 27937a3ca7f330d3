"""Where the Discord API and gateway live. Discord itself by default; a Discord-compatible server
(self-hosted, or a test double) when the configuration names one."""

from __future__ import annotations

import logging

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot.config import ConfigError, DiscordConfig

log = logging.getLogger(__name__)

DISCORD_API = discord.http.Route.BASE
DISCORD_GATEWAY = DiscordWebSocket.DEFAULT_GATEWAY


async def configure_endpoints(config: DiscordConfig) -> None:
    """Point discord.py at the configured server; ask its API for the gateway when only the API is given.

    discord.py keeps both addresses as class attributes, so this is process-wide (one Discord per bot).
    """
    api = (config.api_base or DISCORD_API).rstrip("/")
    discord.http.Route.BASE = api
    if config.gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)
        return
    if not config.api_base:
        DiscordWebSocket.DEFAULT_GATEWAY = DISCORD_GATEWAY
        return
    try:
        async with aiohttp.ClientSession() as session, session.get(f"{api}/gateway") as response:
            response.raise_for_status()
            url = (await response.json())["url"]
    except (aiohttp.ClientError, KeyError, ValueError, TimeoutError) as exc:
        raise ConfigError(f"[discord] api_base {api} : impossible de lire /gateway ({type(exc).__name__}) ; "
                          "indiquez gateway_url") from exc
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url if url.endswith("/") else url + "/")
    log.info("discord: using API %s and gateway %s", api, url)
