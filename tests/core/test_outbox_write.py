"""An event's new outbox rows written straight to the database (bot/outbox_write.py, issue 17): the stored rows
are the ones the ORM's flush writes, in emit order, and each `emit` object becomes the session's persistent
row; on PostgreSQL more than a few rows are left to the flush's one multi-row INSERT."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core_support import make_app, question
from sqlalchemy import inspect, select

from bot import actions as A
from bot.db.database import Database
from bot.db.models import Outbox
from bot.outbox import emit, emitted_rows
from bot.outbox_write import PG_MOST, write_pending_outbox
from bot.refs import ChannelRef, ThreadRef, UserRef

AT = datetime(2026, 10, 5, 8, 30, 15, 123456, tzinfo=UTC)
THREAD = ThreadRef(ChannelRef("console", "sos"), "m1")
ACTIONS = (
    A.ReplyInThread(THREAD, "Bien reçu « TNI » — délai : 4 jours", template="sos/received",
                    mentions=(UserRef("console", "alice", "Alice"),)),
    A.SendDirect(UserRef("console", "fabienne", "Fabienne"), "Une question attend", question_id=7,
                 actions=("claim", "pass")),
)


def _stored(row: Outbox) -> dict[str, Any]:
    return {key: getattr(row, key) for key in ("platform", "conversation", "kind", "template", "payload", "status",
                                                "attempts", "created_at", "next_attempt_at", "sent_at", "failed_at",
                                                "platform_message_id", "last_error")}


async def test_rows_written_straight_are_the_ones_the_orm_writes(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.create_schema()
        async with db.transaction() as s:  # the ORM's flush, as at the commit
            for action in ACTIONS:
                emit(s, action, AT)
        async with db.transaction() as s:
            for action in ACTIONS:  # one at a time: PostgreSQL writes a lone row straight (PG_MOST)
                emit(s, action, AT)
                await write_pending_outbox(s)
            rows = emitted_rows(s)
            assert all(inspect(row).persistent for row in rows) and not s.new
            assert rows[0].id < rows[1].id  # emit order: a conversation's order
            rows[1].status = "sending"  # a change to the object is written, as on an ORM row
        async with db.transaction() as s:
            stored = (await s.execute(select(Outbox).order_by(Outbox.id))).scalars().all()
        assert len(stored) == 4
        by_orm, straight = [_stored(r) for r in stored[:2]], [_stored(r) for r in stored[2:]]
        assert straight[1]["status"] == "sending"
        straight[1]["status"] = "pending"
        assert straight == by_orm  # same payload JSON, same defaults, same datetimes
        assert by_orm[0]["payload"]["mentions"][0]["id"] == "alice" and by_orm[0]["status"] == "pending"
    finally:
        await db.dispose()


async def test_many_rows_on_postgresql_are_left_to_the_flush(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.create_schema()
        async with db.transaction() as s:
            for n in range(PG_MOST + 1):
                emit(s, A.SendDirect(UserRef("console", f"m{n}", f"Membre {n}"), "Votre bilan de la semaine"), AT)
            await write_pending_outbox(s)
            pending = [inspect(row).pending for row in emitted_rows(s)]
        assert pending == [not db.is_sqlite] * (PG_MOST + 1)  # SQLite: every row written straight, in order
        async with db.transaction() as s:
            stored = (await s.execute(select(Outbox.conversation).order_by(Outbox.id))).scalars().all()
        assert len(stored) == PG_MOST + 1 and len(set(stored)) == PG_MOST + 1  # each stored once
    finally:
        await db.dispose()


async def test_a_questions_acknowledgement_written_straight_is_sent_once(database_url: str) -> None:
    app, adapter, _clock = await make_app(database_url)
    try:
        assert await app.submit(question("e1", text="Le TNI a perdu son stylet, que faire ?", msg="q1")) is True
        await app.settle()
        async with app.db.transaction() as s:
            rows = (await s.execute(select(Outbox).where(Outbox.template == "sos/received"))).scalars().all()
        assert [(r.status, r.attempts) for r in rows] == [("sent", 1)]  # claimed by the event, sent by it
        assert adapter.templates().count("sos/received") == 1
        assert await app.submit(question("e1", text="Le TNI a perdu son stylet, que faire ?", msg="q1")) is False
        await app.settle()
        assert adapter.templates().count("sos/received") == 1  # the event again: nothing written, nothing sent
    finally:
        await app.close()
