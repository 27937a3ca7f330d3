"""`ticebot run`: builds the app from configuration and keeps the configured adapters running.

Each adapter runs under a supervisor: when its task fails (homeserver gone, gateway closed, a bug in the
adapter) the failure is logged and that connection alone is restarted with backoff (2 s, 4 s … 5 min),
while the other platform and the sweep keep running; its outbox rows wait meanwhile, untried. A
configuration problem (wrong password, invalid token, missing intents) raised at start-up ends the run
with its one-line error (exit 2): someone is there to fix it. Raised later (a token revoked in the middle
of the semester), it is logged with the same line and retried every 15 minutes, so that the other
platform keeps its promises.

SIGTERM and SIGINT stop it cleanly: the sweep finishes its pass, the adapters are cancelled (they close
their connections), the events being handled commit, then the database is closed; the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.app import TicebotApp
from bot.config import ConfigError, Settings
from bot.db.database import DatabaseUnavailable
from bot.event_failures import stack_only

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
SHUTDOWN_TIMEOUT = 10.0  # seconds the sweep's last pass, then the adapters, get to finish
FIRST_RESTART = 2.0
MAX_RESTART = 300.0
HEALTHY_AFTER = 600.0  # a connection that lasted this long starts its backoff from the beginning again
STARTUP_WINDOW = 120.0  # a configuration error this soon after start ends the run
CONFIG_RETRY = 900.0

AdapterStart = Callable[[Any, TicebotApp], Awaitable[None]]


@dataclass
class Supervisor:
    """Keeps one long-running task alive: restarts it with backoff when it ends or fails."""

    name: str
    start: Callable[[], Awaitable[None]]
    stop: asyncio.Event
    on_down: Callable[[], None] = lambda: None  # the connection is gone (its rows wait)
    clock: Callable[[], float] = time.monotonic
    restarts: list[float] = field(default_factory=list)  # the delays waited, for the log and tests

    async def run(self) -> None:
        began = self.clock()
        failures = 0
        first = True
        while not self.stop.is_set():
            started = self.clock()
            try:
                await self.start()
                log.warning("%s: connection ended", self.name)
            except asyncio.CancelledError:
                self.on_down()
                raise
            except ConfigError as exc:
                if first and self.clock() - began < STARTUP_WINDOW:
                    raise  # at start-up: `ticebot run` exits 2 with this line
                log.error("%s: %s (retrying every %.0f min)", self.name, exc, CONFIG_RETRY / 60)
                self.on_down()
                first = False
                await self._wait(CONFIG_RETRY)
                continue
            except Exception as exc:
                log.error("%s: stopped with %s\n%s", self.name, type(exc).__name__, stack_only(exc))
            self.on_down()
            first = False
            if self.clock() - started >= HEALTHY_AFTER:
                failures = 0
            failures += 1
            delay = min(MAX_RESTART, FIRST_RESTART * 2 ** (failures - 1))
            log.warning("%s: restarting in %gs (restart %d)", self.name, delay, failures)
            await self._wait(delay)

    async def _wait(self, seconds: float) -> None:
        self.restarts.append(seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)


def _adapter_starts(settings: Settings) -> list[tuple[str, AdapterStart, Any]]:
    starts: list[tuple[str, AdapterStart, Any]] = []
    if settings.matrix is not None:
        from adapters.matrix import start_matrix

        starts.append(("matrix", start_matrix, settings.matrix))
    if settings.discord is not None:
        from adapters.discord import start_discord

        starts.append(("discord", start_discord, settings.discord))
    return starts


async def run_from_settings(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set (by SIGTERM/SIGINT when not given); raises ConfigError for a
    configuration problem found at start-up."""
    if settings.matrix is None and settings.discord is None:
        raise ConfigError("aucun adaptateur configuré : ajoutez une section [matrix] ou [discord]")
    try:
        app = await TicebotApp.create(settings)
    except DatabaseUnavailable as exc:
        raise ConfigError(str(exc)) from exc
    stop = stop or asyncio.Event()
    installed = _on_signals(stop.set)
    sweep = asyncio.create_task(Supervisor("sweep", app.run_forever, stop).run(), name="sweep")
    adapters = [
        asyncio.create_task(
            Supervisor(name, lambda start=start, config=config: start(config, app), stop,
                       on_down=lambda name=name: app.unregister_platform(name)).run(),
            name=name)
        for name, start, config in _adapter_starts(settings)
    ]
    if settings.web is not None:  # the dashboard is supervised like an adapter (it only reads)
        from bot.web.server import run_web

        web = settings.web
        adapters.append(asyncio.create_task(
            Supervisor("web", lambda: run_web(web, app.db, app.clock, settings.bot.language), stop).run(),
            name="web"))
    log.info("ticebot running with %d space(s)", len(settings.spaces))
    stopper = asyncio.create_task(stop.wait(), name="stop")
    try:
        done, _ = await asyncio.wait({stopper, sweep, *adapters}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper:
                task.result()  # only a configuration error at start-up ends a supervisor
        log.info("ticebot stopping")
    finally:
        for sig in installed:
            asyncio.get_running_loop().remove_signal_handler(sig)
        stop.set()
        await _shutdown(app, sweep, adapters)
        stopper.cancel()


async def _shutdown(app: TicebotApp, sweep: asyncio.Task[None], adapters: list[asyncio.Task[None]]) -> None:
    """The sweep first (its pass may be delivering through the adapters), then the adapters, then the
    database once the events being handled have committed."""
    app.stop()
    await _finish([sweep], cancel=False)
    await _finish(adapters, cancel=True)
    await app.close(SHUTDOWN_TIMEOUT)


async def _finish(tasks: list[asyncio.Task[None]], cancel: bool) -> None:
    if cancel:
        for task in tasks:
            task.cancel()
    _done, hanging = await asyncio.wait(tasks, timeout=SHUTDOWN_TIMEOUT)
    for task in hanging:
        log.warning("%s did not stop within %.0fs; cancelled", task.get_name(), SHUTDOWN_TIMEOUT)
        task.cancel()
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            # Already raised to the caller, or a second failure while stopping: said once, not raised twice.
            log.debug("%s ended with %s", task.get_name(), type(task.exception()).__name__)


def _on_signals(callback: Callable[[], object]) -> list[signal.Signals]:
    loop = asyncio.get_running_loop()
    installed = []
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread / Windows
            loop.add_signal_handler(sig, callback)
            installed.append(sig)
    return installed
