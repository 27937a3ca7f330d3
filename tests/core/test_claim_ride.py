"""On SQLite the event's claim rides in the member read's trip (bot/db/claim_ride.py, issue 17): the row is
the one a plain INSERT writes, a duplicate id fails the read before it runs, nothing waits after a rollback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from core_support import make_app, question, reply
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from bot.db import sqlite_driver
from bot.db.claim_ride import send_claim_with_next
from bot.db.database import Database
from bot.db.models import ProcessedEvent

AT = datetime(2026, 9, 7, 7, 0, tzinfo=UTC)


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], str]]:
    """Each trip to SQLite's thread: what was sent before its statement, and the statement."""
    seen: list[tuple[tuple[Any, ...], str]] = []
    run = sqlite_driver._run

    def recording(conn: Any, before: tuple[Any, ...], operation: str, parameters: Any, many: bool) -> Any:
        seen.append((before, operation))
        return run(conn, before, operation, parameters, many)

    monkeypatch.setattr(sqlite_driver, "_run", recording)
    return seen


async def test_a_post_claims_its_event_in_the_member_reads_trip(sqlite_url: str, trips: list[Any]) -> None:
    app, _adapter, _clock = await make_app(sqlite_url)
    try:
        assert await app.submit(question("warm", msg="q0")) is True  # channel and space now in memory
        trips.clear()
        assert await app.submit(reply("e1", "bob", "Essaie le partage de lien.", root="q0", msg="r1")) is True
        first_before, first_statement = trips[0]
        assert first_statement.startswith("SELECT") and "FROM members" in first_statement
        claims = [w for w in first_before if isinstance(w, tuple)]
        assert len(claims) == 1 and claims[0][0].startswith("INSERT INTO processed_events")
        assert first_before.index(claims[0]) > first_before.index("BEGIN IMMEDIATE")  # inside the transaction
        assert not [op for _before, op in trips if "processed_events" in op]  # no trip of its own
        async with app.db.transaction() as s:
            row = (await s.execute(select(ProcessedEvent).where(ProcessedEvent.event_id == "e1"))).scalar_one()
        assert row.platform == "console" and row.processed_at.tzinfo is UTC
        assert await app.submit(reply("e1", "bob", "Essaie le partage de lien.", root="q0", msg="r1")) is False
    finally:
        await app.close()


async def test_the_claim_is_the_row_a_plain_insert_writes(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        async with db.transaction() as s:
            assert await send_claim_with_next(s, "matrix", "$ride", AT) is True
            await s.execute(ProcessedEvent.__table__.insert(), {"platform": "matrix", "event_id": "$plain",
                                                                "processed_at": AT})
        async with db.transaction() as s:
            stored = dict((await s.execute(text(
                "SELECT event_id, processed_at FROM processed_events WHERE platform = 'matrix'"))).all())
        assert stored["$ride"] == stored["$plain"]  # the same text in the column, byte for byte
    finally:
        await db.dispose()


async def test_a_duplicate_claim_fails_the_next_statement_before_it_runs(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        async with db.transaction() as s:
            await s.execute(ProcessedEvent.__table__.insert(), {"platform": "discord", "event_id": "1",
                                                                "processed_at": AT})
        with pytest.raises(IntegrityError):
            async with db.transaction() as s:
                assert await send_claim_with_next(s, "discord", "1", AT) is True
                await s.execute(ProcessedEvent.__table__.insert(), {"platform": "discord", "event_id": "2",
                                                                    "processed_at": AT})
        async with db.transaction() as s:  # nothing of that transaction kept, nothing left waiting
            ids = set((await s.execute(select(ProcessedEvent.event_id))).scalars())
        assert ids == {"1"}
    finally:
        await db.dispose()


async def test_a_claim_with_nothing_after_it_goes_with_the_commit(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        async with db.transaction() as s:
            assert await send_claim_with_next(s, "console", "alone", AT) is True
        with pytest.raises(IntegrityError):  # and a duplicate fails the commit
            async with db.transaction() as s:
                await send_claim_with_next(s, "console", "alone", AT)
        async with db.transaction() as s:
            assert (await s.execute(select(ProcessedEvent.event_id))).scalars().all() == ["alone"]
    finally:
        await db.dispose()


def test_without_the_one_trip_driver_nothing_is_queued() -> None:
    assert sqlite_driver.send_with_next(object(), "INSERT INTO x VALUES (?)", (1,)) is False
