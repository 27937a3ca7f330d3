"""Helpers for the declaration tests (imported by name: `conftest` is ambiguous across test folders)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from sqlalchemy import select

from adapters.console.replay import Replay
from bot.db.models import Declaration, Review

HEADER = """space demo referential=c2i2e
member alice
member bruno
tutor tom
trainer fabienne
trainer gaston
coordinator claire
at 2026-09-07T09:00
"""

Run = Callable[[str], Awaitable[Replay]]


async def run_fixture() -> AsyncIterator[Run]:
    """Run a replay script (HEADER prepended unless the script starts with `space`); closed afterwards."""
    replays: list[Replay] = []

    async def _run(script: str, database_url: str | None = None) -> Replay:
        replay = Replay(database_url=database_url)
        replays.append(replay)
        text = script if script.lstrip().startswith("space") else HEADER + script
        await replay.run_script(text)
        return replay

    yield _run
    for replay in replays:
        await replay.close()


def templates(replay: Replay) -> list[str]:
    """What the bot sent, without the one-time privacy notices (tested in tests/privacy)."""
    return [d.template for d in replay.delivered if not d.template.startswith("privacy/")]


async def declarations(replay: Replay) -> list[Declaration]:
    assert replay.app is not None
    async with replay.app.core.db.transaction() as session:
        return list((await session.execute(select(Declaration).order_by(Declaration.id))).scalars())


async def reviews(replay: Replay) -> list[tuple[int, str, str, str | None]]:
    assert replay.app is not None
    async with replay.app.core.db.transaction() as session:
        rows = await session.execute(select(Review).order_by(Review.id))
        return [(r.declaration_id, r.from_state, r.to_state, r.comment) for r in rows.scalars()]
