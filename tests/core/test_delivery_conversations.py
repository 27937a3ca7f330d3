"""Delivery is ordered per conversation (a thread, a channel, a DM): a row waiting for a retry holds
back only its own conversation; the others keep flowing. Exactly once still holds."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core_support import make_app, question, where
from sqlalchemy import select

from bot import actions as A
from bot.db.models import Outbox


def in_conversation(sent: list[A.CoreAction], place: str) -> list[str]:
    return [getattr(a, "template", "") or f"mark:{getattr(a, 'state', '')}" for a in sent if where(a) == place]


async def test_a_thread_waiting_for_a_retry_does_not_hold_back_the_others(database_url: str) -> None:
    app, adapter, clock = await make_app(database_url)
    try:
        adapter.retry_after = 300  # the platform asks this thread to wait five minutes
        adapter.fail_in["q1"] = 1
        await app.submit(question("ev-1", who="alice", msg="q1"))
        await app.submit(question("ev-2", text="Comment créer un QCM sur l'ENT ?", who="bruno", msg="q2"))
        await app.run_once()
        # Bruno's thread and both welcome DMs went out; Alice's thread waits, in order, for its retry.
        assert in_conversation(adapter.sent, "q2") == ["sos/received", "mark:open"]
        assert in_conversation(adapter.sent, "dm:bruno") == ["privacy/welcome"]
        assert in_conversation(adapter.sent, "dm:alice") == ["privacy/welcome"]
        assert in_conversation(adapter.sent, "q1") == []
        clock.advance(timedelta(seconds=299))
        await app.run_once()
        assert in_conversation(adapter.sent, "q1") == []
        clock.advance(timedelta(seconds=1))
        await app.run_once()
        assert in_conversation(adapter.sent, "q1") == ["sos/received", "mark:open"]
        async with app.db.transaction() as session:
            assert set((await session.execute(select(Outbox.status))).scalars()) == {"sent"}
    finally:
        await app.close()


async def test_a_conversation_keeps_its_order_through_several_retries(database_url: str) -> None:
    app, adapter, clock = await make_app(database_url)
    try:
        adapter.retry_after = None  # exponential backoff: 2 s, 4 s, 8 s
        adapter.fail_in["q1"] = 3
        await app.submit(question("ev-1", msg="q1"))
        for _ in range(10):
            clock.advance(timedelta(seconds=3))
            await app.run_once()
        assert in_conversation(adapter.sent, "q1") == ["sos/received", "mark:open"]
        async with app.db.transaction() as session:
            rows = list((await session.execute(select(Outbox).where(Outbox.kind != "send_direct")
                                               .order_by(Outbox.id))).scalars())
        assert [(r.kind, r.status, r.attempts) for r in rows] == [("reply_in_thread", "sent", 4),
                                                                  ("mark_thread", "sent", 1)]
    finally:
        await app.close()


async def test_two_instances_delivering_together_send_each_row_once_and_in_order(database_url: str) -> None:
    app1, adapter1, clock = await make_app(database_url)
    app2, adapter2, _ = await make_app(database_url, clock=clock)
    adapter2.sent = adapter1.sent  # one list: the order in which the two instances sent
    try:
        app1.unregister_platform("console")  # all 45 rows queued for the two dispatchers to race for
        for n in range(15):
            await app1.submit(question(f"ev-{n}", msg=f"q{n}", who=f"p{n}"))
        app1.register_adapter(adapter1)
        await asyncio.gather(app1.dispatcher.deliver_pending(), app2.dispatcher.deliver_pending(),
                             app1.dispatcher.deliver_pending(), app2.dispatcher.deliver_pending())
        sent = adapter1.sent
        keys = [(where(a), getattr(a, "template", "") or "mark") for a in sent]
        assert len(keys) == len(set(keys)) == 45  # received + mark + welcome for each, never twice
        async with app1.db.transaction() as session:
            rows = list((await session.execute(select(Outbox).order_by(Outbox.id))).scalars())
        assert {r.status for r in rows} == {"sent"}
        for n in range(15):  # within a thread the reply was sent before the thread mark
            assert in_conversation(sent, f"q{n}") == ["sos/received", "mark:open"]
    finally:
        await app1.close()
        await app2.close()
