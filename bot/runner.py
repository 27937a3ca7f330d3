"""`ticebot run`: builds the app from configuration and starts the configured adapters."""

from __future__ import annotations

import asyncio
import logging

from bot.app import TicebotApp
from bot.config import ConfigError, Settings
from bot.db.database import DatabaseUnavailable

log = logging.getLogger(__name__)


async def run_from_settings(settings: Settings) -> None:
    if settings.matrix is None and settings.discord is None:
        raise ConfigError("aucun adaptateur configuré : ajoutez une section [matrix] ou [discord]")
    try:
        app = await TicebotApp.create(settings)
    except DatabaseUnavailable as exc:
        raise ConfigError(str(exc)) from exc
    tasks = [asyncio.create_task(app.run_forever(), name="sweep")]
    if settings.matrix is not None:
        from adapters.matrix import start_matrix

        tasks.append(asyncio.create_task(start_matrix(settings.matrix, app), name="matrix"))
    if settings.discord is not None:
        from adapters.discord import start_discord

        tasks.append(asyncio.create_task(start_discord(settings.discord, app), name="discord"))
    log.info("ticebot running with %d space(s)", len(settings.spaces))
    try:
        await asyncio.gather(*tasks)
    finally:
        await app.close()
