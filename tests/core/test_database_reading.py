"""`Database.reading`: a read-only transaction that an open write transaction does not hold up (SQLite
begins it DEFERRED; in WAL mode it reads the last committed state without taking the write lock)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.db.database import Database
from bot.db.models import KeyValue


async def test_a_reader_is_not_held_up_by_an_open_writer_and_sees_only_what_was_committed(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            session.add(KeyValue(key="matrix:since", value="s1"))

        async def read() -> list[str]:
            async with db.reading() as session:
                return list((await session.execute(select(KeyValue.value).order_by(KeyValue.key))).scalars())

        async with db.transaction() as writer:
            writer.add(KeyValue(key="matrix:dm:user:@alice:hs", value="!dm:hs"))
            await writer.flush()  # the writer now holds the write lock, uncommitted
            # A BEGIN IMMEDIATE would wait for this transaction, which only ends after the read: 30 s.
            assert await asyncio.wait_for(read(), timeout=5) == ["s1"]
        assert await read() == ["!dm:hs", "s1"]
    finally:
        await db.dispose()
