"""`start_matrix(config, app)`: the long-running task `ticebot run` starts for the [matrix] section."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.holder import DeviceLock, LockLost
from adapters.matrix.translate import PLATFORM
from bot.config import ConfigError, MatrixConfig
from bot.durations import parse_duration
from bot.redact import redact

if TYPE_CHECKING:
    from bot.app import TicebotApp

log = logging.getLogger(__name__)

MAX_START_BACKOFF = 60.0


async def start_matrix(config: MatrixConfig, app: TicebotApp) -> None:
    """Hold the device (PostgreSQL: one instance at a time), log in, catch up, then sync until cancelled.

    The adapter is registered for delivery only once logged in: until then Matrix outbox rows simply wait
    instead of burning retry attempts on a client that cannot send. A holder that loses its lock stops
    syncing and delivering, and goes back to standby.
    """
    lock = DeviceLock(app.db.url, config.user_id, parse_duration(config.standby_poll).total_seconds()) \
        if app.db.is_postgres else None
    while True:
        if lock is not None:
            await lock.acquire()
        try:
            await _serve(config, app, lock)
            return
        except LockLost as exc:
            log.warning("matrix: %s; back to standby", exc)
        finally:
            if lock is not None:
                await lock.release()


async def _serve(config: MatrixConfig, app: TicebotApp, lock: DeviceLock | None) -> None:
    settings = app.settings.model_copy(update={"matrix": config})
    adapter = MatrixAdapter(settings, kv=app, sink=app.submit, register_channel=app.core.register_channel)
    watcher: asyncio.Task[None] | None = None
    try:
        await _start(adapter, config)
        app.register_adapter(adapter)
        if lock is None:
            await adapter.run_forever()
            return
        # Rows other instances queued for Matrix are delivered within one poll interval.
        watcher = asyncio.create_task(lock.watch(on_tick=app.wake))
        syncing = asyncio.create_task(adapter.run_forever())
        done, _ = await asyncio.wait({watcher, syncing}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        if app.adapters.get(PLATFORM) is adapter:
            del app.adapters[PLATFORM]
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, LockLost):
                await watcher
        await adapter.close()


async def _start(adapter: MatrixAdapter, config: MatrixConfig) -> None:
    failures = 0
    while True:
        try:
            await adapter.start()
            return
        except ConfigError:
            raise  # wrong password, token or device: retrying will not help, ticebot run exits with the line
        except Exception as exc:  # homeserver down or restarting at boot
            failures += 1
            delay = min(MAX_START_BACKOFF, 2.0**failures)
            log.warning("matrix: cannot reach %s (%s), retrying in %.0fs", config.homeserver, redact(exc), delay)
            await asyncio.sleep(delay)
