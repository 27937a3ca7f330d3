"""An event's replies that head their conversation are claimed by the event's own transaction and sent
by the submitting task (bot/own_sends.py); everything else stays the dispatcher's. Order per
conversation, exactly once and recovery after a crash hold as for rows the dispatcher claims."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from core_support import RecordingAdapter, make_app, question, user, where
from sqlalchemy import select

from bot.actions import SendDirect
from bot.db.bulk_insert import insert_rows, take_new
from bot.db.database import Database
from bot.db.models import Outbox, ScheduledStep
from bot.delivery import Dispatcher
from bot.events import CommandInvoked
from bot.outbox import emit
from bot.own_sends import OwnSends
from bot.refs import ChannelRef

DM = "dm:alice"


def portfolio(event_id: str) -> CommandInvoked:
    return CommandInvoked(event_id, user("alice"), ChannelRef("console", "dm-alice"), "portfolio", is_direct=True)


async def rows(app) -> list[tuple[str, str, str, int]]:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as session:
        found = (await session.execute(select(Outbox).order_by(Outbox.id))).scalars()
        return [(r.conversation.rsplit(":", 1)[-1], r.template or r.kind, r.status, r.attempts) for r in found]


async def test_the_head_of_a_conversation_is_sent_without_a_loop_pass(database_url: str) -> None:
    app, adapter, _clock = await make_app(database_url)
    try:
        await app.submit(question("ev-1", msg="q1"))
        await app.settle()
        # No loop pass ran: the reply in the thread and the welcome DM went out with the event itself.
        assert [(where(a), a.template) for a in adapter.sent] == [(DM, "privacy/welcome"), ("q1", "sos/received")]
        # The thread's label queued behind the reply stays the dispatcher's, and goes out after it.
        assert await rows(app) == [("alice", "privacy/welcome", "sent", 1), ("q1", "sos/received", "sent", 1),
                                   ("q1", "mark_thread", "pending", 0)]
        await app.run_once()
        assert [where(a) for a in adapter.sent][-1] == "q1" and adapter.sent[-1].state == "open"  # type: ignore[attr-defined]
        assert {status for _c, _t, status, _a in await rows(app)} == {"sent"}
    finally:
        await app.close()


async def test_a_reply_behind_a_pending_row_waits_for_it(database_url: str) -> None:
    app, adapter, clock = await make_app(database_url)
    try:
        adapter.retry_after = 300
        adapter.fail_in[DM] = 1  # the welcome DM is refused once: it waits five minutes
        await app.submit(question("ev-1", msg="q1"))
        await app.settle()
        await app.submit(portfolio("ev-2"))
        await app.settle()
        # The portfolio would overtake the welcome in Alice's DM: it is left to the dispatcher.
        assert [a.template for a in adapter.sent if where(a) == DM] == []
        assert [r for r in await rows(app) if r[0] == "alice"] == [("alice", "privacy/welcome", "pending", 1),
                                                                   ("alice", "declarations/portfolio", "pending", 0)]
        clock.advance(timedelta(seconds=300))
        await app.run_once()
        assert [a.template for a in adapter.sent if where(a) == DM] == ["privacy/welcome", "declarations/portfolio"]
        assert [r for r in await rows(app) if r[0] == "alice"] == [("alice", "privacy/welcome", "sent", 2),
                                                                   ("alice", "declarations/portfolio", "sent", 1)]
    finally:
        await app.close()


async def test_a_failed_own_send_is_retried_by_the_dispatcher(database_url: str) -> None:
    app, adapter, clock = await make_app(database_url)
    try:
        adapter.retry_after = 60
        adapter.fail_in["q1"] = 1
        await app.submit(question("ev-1", msg="q1"))
        await app.settle()
        assert [a.template for a in adapter.sent if where(a) == "q1"] == []
        clock.advance(timedelta(seconds=60))
        await app.run_once()
        assert [getattr(a, "template", "") or "mark" for a in adapter.sent if where(a) == "q1"] == [
            "sos/received", "mark"]
        assert [r for r in await rows(app) if r[0] == "q1"] == [("q1", "sos/received", "sent", 2),
                                                                ("q1", "mark_thread", "sent", 1)]
    finally:
        await app.close()


async def test_a_crash_after_the_commit_before_the_send_is_delivered_once_after_restart(database_url: str) -> None:
    app, adapter, clock = await make_app(database_url)
    own = OwnSends(app.dispatcher.ready_platforms())
    await app.core.handle(question("ev-1", msg="q1"), own)  # committed with its claim, then the process dies
    assert [r.template for r in own.rows] == ["privacy/welcome", "sos/received"]
    await app.close()
    assert adapter.sent == []
    # While the claim stands, a running dispatcher takes nothing: the thread's label waits behind the
    # claimed reply, and the claimed rows are not sent twice.
    db, elsewhere = Database(database_url), RecordingAdapter()
    try:
        assert await Dispatcher(db, clock, {"console": elsewhere}).deliver_pending() == 0
    finally:
        await db.dispose()
    assert elsewhere.sent == []
    restarted, restarted_adapter, _ = await make_app(database_url, clock=clock)  # start-up recovers the claim
    try:
        await restarted.run_once()
        assert sorted(getattr(a, "template", "") or "mark" for a in restarted_adapter.sent) == [
            "mark", "privacy/welcome", "sos/received"]
        assert [getattr(a, "template", "") or "mark" for a in restarted_adapter.sent if where(a) == "q1"] == [
            "sos/received", "mark"]
        assert {status for _c, _t, status, _a in await rows(restarted)} == {"sent"}
    finally:
        await restarted.close()


async def test_an_event_handled_again_claims_nothing(database_url: str) -> None:
    app, adapter, _clock = await make_app(database_url)
    try:
        await app.submit(question("ev-1", msg="q1"))
        await app.settle()
        sent = len(adapter.sent)
        own = OwnSends(app.dispatcher.ready_platforms())
        assert await app.core.handle(question("ev-1", msg="q1"), own) is False
        assert own.rows == [] and len(adapter.sent) == sent
    finally:
        await app.close()


async def test_rows_of_an_adapter_that_is_not_ready_stay_queued(database_url: str) -> None:
    app, adapter, _clock = await make_app(database_url)
    try:
        adapter.ready = False  # type: ignore[attr-defined]
        await app.submit(question("ev-1", msg="q1"))
        await app.settle()
        assert adapter.sent == [] and adapter.calls == 0
        assert {(status, attempts) for _c, _t, status, attempts in await rows(app)} == {("pending", 0)}
    finally:
        await app.close()


async def test_a_caller_cancelled_mid_event_still_gets_its_replies_sent(database_url: str) -> None:
    app, adapter, clock = await make_app(database_url)
    submitting = asyncio.create_task(app.submit(question("ev-1", msg="q1")))
    await asyncio.sleep(0)  # the event is being handled when the adapter stops
    submitting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await submitting
    await app.close()  # lets the event commit and its replies go out
    assert [(where(a), a.template) for a in adapter.sent] == [(DM, "privacy/welcome"), ("q1", "sos/received")]
    restarted, _adapter, _ = await make_app(database_url, clock=clock)
    try:
        assert [status for _c, _t, status, _a in await rows(restarted)] == ["sent", "sent", "pending"]
    finally:
        await restarted.close()


async def test_an_adapter_that_opts_out_leaves_its_replies_to_the_dispatcher(database_url: str) -> None:
    app, adapter, _clock = await make_app(database_url)
    try:
        adapter.own_sends = False  # type: ignore[attr-defined]  (as the Discord adapter does)
        await app.submit(question("ev-1", msg="q1"))
        await app.settle()
        assert adapter.sent == []
        await app.run_once()
        assert [(where(a), getattr(a, "template", "") or "mark") for a in adapter.sent] == [
            (DM, "privacy/welcome"), ("q1", "sos/received"), ("q1", "mark")]
    finally:
        await app.close()


async def test_a_reply_sent_whole_leaves_the_loop_asleep_anything_else_wakes_it(database_url: str) -> None:
    app, adapter, _clock = await make_app(database_url)
    try:
        await app.submit(portfolio("ev-1"))  # first contact: the welcome, then the portfolio behind it
        await app.settle()
        assert app._wake.is_set()  # the portfolio waits behind the welcome: the loop sends it
        await app.run_once()
        app._wake.clear()
        await app.submit(portfolio("ev-2"))
        await app.settle()
        # Claimed and sent by the event itself, nothing else queued or scheduled: a pass would find nothing.
        assert adapter.sent[-1].template == "declarations/portfolio"  # type: ignore[attr-defined]
        assert not app._wake.is_set()
        adapter.fail_next = 1
        await app.submit(portfolio("ev-3"))
        await app.settle()
        assert app._wake.is_set()  # its retry is the loop's: it must look again
    finally:
        await app.close()


async def test_an_event_that_schedules_a_step_wakes_the_loop(database_url: str) -> None:
    """The loop sleeps until the earliest step it knows: a step the event added may be due before."""
    app, _adapter, clock = await make_app(database_url)
    try:
        async with app.db.transaction() as session:
            own = OwnSends(app.dispatcher.own_send_platforms())
            emit(session, SendDirect(user("alice"), "hello", "t/x"), clock.now())
            await own.claim(session, clock.now())
        own.committed()
        assert len(own.rows) == 1 and not own.loop_needed
        async with app.db.transaction() as session:
            own = OwnSends(app.dispatcher.own_send_platforms())
            emit(session, SendDirect(user("bob"), "hello", "t/x"), clock.now())
            session.add(ScheduledStep(space_id="demo", kind="demo.step", due_at=clock.now()))
            await own.claim(session, clock.now())
        own.committed()
        assert len(own.rows) == 1 and own.loop_needed
    finally:
        await app.close()



async def test_steps_written_by_a_multi_row_insert_wake_the_loop(database_url: str) -> None:
    """A new question's ladder goes in one multi-row INSERT outside the ORM's flush (bot/db/bulk_insert.py):
    the loop must still be told, else it sleeps past a step due before the earliest one it knew."""
    app, _adapter, clock = await make_app(database_url)
    try:
        async with app.db.transaction() as session:
            own = OwnSends(app.dispatcher.own_send_platforms())
            emit(session, SendDirect(user("bob"), "hello", "t/x"), clock.now())
            session.add(ScheduledStep(space_id="demo", kind="demo.step", due_at=clock.now()))
            await insert_rows(session, take_new(session, (ScheduledStep,)))
            await own.claim(session, clock.now())
        own.committed()
        assert len(own.rows) == 1 and own.loop_needed
        async with app.db.transaction() as session:
            stored = (await session.execute(select(ScheduledStep).where(ScheduledStep.kind == "demo.step"))).scalars()
            assert len(stored.all()) == 1
    finally:
        await app.close()
