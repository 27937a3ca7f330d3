"""What administrator commands share: open the database, find one member, work on them in a transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.database import Database
from bot.db.models import Member
from bot.members import find_member

T = TypeVar("T")


async def on_member(url: str, raw: str, work: Callable[[AsyncSession, Member], Awaitable[T]]) -> T | None:
    """`work(session, member)` in one transaction; None when no member matches `raw`."""
    db = Database(url)
    try:
        await db.create_schema()
        async with db.transaction() as session:
            member = await find_member(session, raw)
            return None if member is None else await work(session, member)
    finally:
        await db.dispose()
