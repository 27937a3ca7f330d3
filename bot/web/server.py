"""Serving the dashboard: standalone (`ticebot web`) or beside the bot (`ticebot run` with `[web]`)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from aiohttp import web

from bot.clock import Clock, SystemClock
from bot.config import WebConfig
from bot.db.database import Database
from bot.web.app import WebState, make_app
from bot.web.auth import publish_public_url
from bot.web.secret import load_secret

log = logging.getLogger(__name__)


def split_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]"), int(port)


def web_state(config: WebConfig, db: Database, clock: Clock | None = None, language: str = "fr") -> WebState:
    return WebState(db=db, clock=clock or SystemClock(), secret=load_secret(config.secret_env),
                    session_lifetime=timedelta(hours=config.session_hours),
                    secure_cookies=config.public_url.startswith("https://"), default_language=language)


async def start(state: WebState, bind: str) -> web.AppRunner:
    # No access log: a login URL carries its token, and logs must never hold one.
    runner = web.AppRunner(make_app(state), access_log=None)
    await runner.setup()
    host, port = split_bind(bind)
    await web.TCPSite(runner, host, port).start()
    return runner


async def run_web(config: WebConfig, db: Database, clock: Clock | None = None, language: str = "fr",
                  stop: asyncio.Event | None = None) -> None:
    """Publish the public URL (so `/tableau` builds links), serve until cancelled or `stop` is set."""
    state = web_state(config, db, clock, language)
    async with db.transaction() as session:
        await publish_public_url(session, config.public_url)
    runner = await start(state, config.bind)
    log.info("dashboard on %s (public url %s)", config.bind, config.public_url)
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await runner.cleanup()
