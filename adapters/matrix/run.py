"""`start_matrix(config, app)`: the long-running task `ticebot run` starts for the [matrix] section."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.client import MatrixLoginError
from bot.config import MatrixConfig
from bot.redact import redact

if TYPE_CHECKING:
    from bot.app import TicebotApp

log = logging.getLogger(__name__)

MAX_START_BACKOFF = 60.0


async def start_matrix(config: MatrixConfig, app: TicebotApp) -> None:
    """Log in (retrying while the homeserver is unreachable), catch up, then sync until cancelled.

    The adapter is registered for delivery only once logged in: until then Matrix outbox rows simply wait
    instead of burning retry attempts on a client that cannot send.
    """
    settings = app.settings.model_copy(update={"matrix": config})
    adapter = MatrixAdapter(settings, kv=app, sink=app.submit, register_channel=app.core.register_channel)
    failures = 0
    try:
        while True:
            try:
                await adapter.start()
                break
            except MatrixLoginError:
                raise  # wrong password or token: retrying will not help, ticebot run exits with the message
            except Exception as exc:  # homeserver down or restarting at boot
                failures += 1
                delay = min(MAX_START_BACKOFF, 2.0**failures)
                log.warning("matrix: cannot reach %s (%s), retrying in %.0fs", config.homeserver, redact(exc), delay)
                await asyncio.sleep(delay)
        app.register_adapter(adapter)
        await adapter.run_forever()
    finally:
        await adapter.close()
