"""Replay a script through the real core on a chosen database and look at what each person got."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select

from adapters.console.adapter import Delivered
from adapters.console.replay import Replay


@asynccontextmanager
async def replay(database_url: str, script: str) -> AsyncIterator[Replay]:
    """Play `script` through the real core on `database_url`; the app stays open for row checks."""
    run = Replay(database_url=database_url)
    try:
        await run.run_script(script)
        yield run
    finally:
        await run.close()


def sent(run: Replay, template: str | None = None) -> list[Delivered]:
    """What the bot delivered (without the one-time privacy notices), optionally of one template."""
    return [d for d in run.delivered if d.template and not d.template.startswith("privacy/")
            and (template is None or d.template == template)]


async def rows(run: Replay, model: type, *where: Any) -> list[Any]:
    """The rows of `model` (matching `where`) as the bot's database holds them now."""
    assert run.app is not None
    async with run.app.db.transaction() as session:
        query = select(model).where(*where) if where else select(model)
        return list((await session.execute(query)).scalars())
