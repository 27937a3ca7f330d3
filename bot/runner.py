"""`ticebot run`: builds the app from configuration and starts the configured adapters.

SIGTERM and SIGINT stop it cleanly: adapters are cancelled (they close their connections), then the
database is closed, and the process exits 0. A failing adapter (wrong password…) ends the run with its error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from bot.app import TicebotApp
from bot.config import ConfigError, Settings
from bot.db.database import DatabaseUnavailable

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
SHUTDOWN_TIMEOUT = 10.0  # seconds the adapters get to close their connections


async def run_from_settings(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set (by SIGTERM/SIGINT when not given) or an adapter fails."""
    if settings.matrix is None and settings.discord is None:
        raise ConfigError("aucun adaptateur configuré : ajoutez une section [matrix] ou [discord]")
    try:
        app = await TicebotApp.create(settings)
    except DatabaseUnavailable as exc:
        raise ConfigError(str(exc)) from exc
    stop = stop or asyncio.Event()
    installed = _on_signals(stop.set)
    tasks = [asyncio.create_task(app.run_forever(), name="sweep")]
    if settings.matrix is not None:
        from adapters.matrix import start_matrix

        tasks.append(asyncio.create_task(start_matrix(settings.matrix, app), name="matrix"))
    if settings.discord is not None:
        from adapters.discord import start_discord

        tasks.append(asyncio.create_task(start_discord(settings.discord, app), name="discord"))
    if settings.web is not None:
        from bot.web.server import run_web

        tasks.append(asyncio.create_task(run_web(settings.web, app.db, app.clock, settings.bot.language), name="web"))
    log.info("ticebot running with %d space(s)", len(settings.spaces))
    stopper = asyncio.create_task(stop.wait(), name="stop")
    waiting: set[asyncio.Task[object]] = {*tasks, stopper}
    try:
        while stopper in waiting and len(waiting) > 1:
            done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper:
                    task.result()  # an adapter that failed ends the run with its error
        log.info("ticebot stopping")
    finally:
        for sig in installed:
            asyncio.get_running_loop().remove_signal_handler(sig)
        app.stop()
        for task in (*tasks, stopper):
            task.cancel()
        _done, hanging = await asyncio.wait(tasks, timeout=SHUTDOWN_TIMEOUT)
        for task in hanging:
            log.warning("%s did not stop within %.0fs", task.get_name(), SHUTDOWN_TIMEOUT)
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                # Already raised above, or a second failure during shutdown: logged, not raised twice.
                log.debug("%s ended with %s", task.get_name(), type(task.exception()).__name__)
        await app.close()


def _on_signals(callback: Callable[[], object]) -> list[signal.Signals]:
    loop = asyncio.get_running_loop()
    installed = []
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread / Windows
            loop.add_signal_handler(sig, callback)
            installed.append(sig)
    return installed
