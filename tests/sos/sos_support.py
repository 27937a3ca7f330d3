"""Helpers for the SOS scenario tests: run a replay script on a chosen database and look at its rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from adapters.console.adapter import Delivered
from adapters.console.replay import Replay

PARIS = ZoneInfo("Europe/Paris")

TEAM = """
space demo referential=c2i2e delay=4d policy=calendar {options}
member alice
member bruno
tutor thomas
trainer fabienne
trainer gilles
coordinator claire
"""


def team(options: str = "") -> str:
    return TEAM.format(options=options)


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


def who_got(run: Replay) -> list[tuple[str, str]]:
    """(template, recipient or channel) of every delivered message, in order."""
    return [(d.template, d.to or d.channel) for d in sent(run)]


def local(at: datetime) -> str:
    return at.astimezone(PARIS).strftime("%a %d/%m %H:%M")


async def rows(run: Replay, model: type, *where: Any) -> list[Any]:
    assert run.app is not None
    async with run.app.db.transaction() as session:
        query = select(model).where(*where) if where else select(model)
        return list((await session.execute(query)).scalars())


async def member_id(run: Replay, name: str) -> int:
    from bot.db.models import Member

    (member,) = await rows(run, Member, Member.platform_user_id == name)
    return int(member.id)
