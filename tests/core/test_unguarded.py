"""Savepoints only when something fails (bot/event_failures.py): an event whose handlers all succeed
is handled without one; a handler that fails or refuses makes the core handle the event again with a
savepoint per handler, so what it wrote is undone and nothing else is lost."""

from __future__ import annotations

import logging

import pytest
from core_support import make_app, question, reply
from sqlalchemy import func, select

from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import EventFailure, Post, ProcessedEvent, Question, ScheduledStep, Tag
from bot.db.sql_capture import SqlCapture
from bot.events import PostCreated
from bot.wiring import build_registry


async def _count(app, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_events_whose_handlers_succeed_open_no_savepoint(database_url: str) -> None:
    app, adapter, _clock = await make_app(database_url)
    try:
        sql = SqlCapture(keep=True)
        with sql.on(app.db.engine):
            await app.submit(question("ev-1", text="Comment partager un document #B2-3 avec mes élèves ?"))
            await app.submit(reply("ev-2", "bob", "Essaie le partage de lien dans l'ENT #B2-3"))
            await app.submit(reply("ev-3", "alice", "/portfolio"))
            await app.run_once()
        assert not [s for s, _ in sql.statements if "SAVEPOINT" in s.upper()]
        # and everything the handlers do is there: question, tags, the answer, the command's reply
        assert await _count(app, Question) == 1
        assert await _count(app, Tag, Tag.code == "B2-3") == 2
        assert await _count(app, Post, Post.kind == "answer") == 1
        assert "declarations/portfolio" in adapter.templates(), adapter.templates()
    finally:
        await app.close()


@command("refuse", usage="/refuse")
async def writes_then_refuses(ctx: Context, parsed: object) -> None:
    ctx.session.add(ScheduledStep(space_id="demo", kind="test.half_written", due_at=ctx.now))
    await ctx.session.flush()
    raise UserError("errors/no_space")


async def test_a_command_that_wrote_before_refusing_leaves_nothing_but_its_refusal(database_url: str) -> None:
    registry = build_registry()
    registry.add_commands(writes_then_refuses)
    app, adapter, _clock = await make_app(database_url)
    app.core.registry, app.core.parser = registry, registry.parser()
    try:
        assert await app.submit(reply("ev-1", "alice", "/refuse", root="q0")) is True
        await app.run_once()
        assert await _count(app, ScheduledStep, ScheduledStep.kind == "test.half_written") == 0
        assert await _count(app, Post, Post.platform_post_id == "ev-1") == 1  # the words are kept
        assert await _count(app, ProcessedEvent, ProcessedEvent.event_id == "ev-1") == 1
        assert adapter.templates() == ["errors/no_space"]
        assert await _count(app, EventFailure) == 0  # a refusal is no failure
    finally:
        await app.close()


async def test_a_row_an_observer_left_pending_that_breaks_a_constraint_is_its_own_failure(database_url: str) -> None:
    """Without a savepoint the observer's pending row would be flushed at the event's commit, where
    the constraint would refuse the whole event, post included."""

    async def claims_the_event_twice(ctx: Context, event: PostCreated) -> None:
        ctx.session.add(ProcessedEvent(platform=event.channel.platform, event_id=event.event_id,
                                       processed_at=ctx.now))

    app, adapter, _clock = await make_app(database_url)
    app.core.registry.post_observers.append(claims_the_event_twice)
    try:
        assert await app.submit(question("ev-1", text="Comment partager un document #B2-3 avec mes élèves ?"))
        await app.run_once()
        assert await _count(app, Post, Post.platform_post_id == "q1") == 1
        assert await _count(app, Question) == 1 and await _count(app, Tag) >= 1  # the other observers' work
        [failure] = await _failures(app)
        assert failure.handler.endswith("claims_the_event_twice") and failure.error == "IntegrityError"
        assert "errors/post_failed" in adapter.templates() and "sos/received" in adapter.templates()
    finally:
        await app.close()


async def _failures(app) -> list[EventFailure]:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as session:
        return list((await session.execute(select(EventFailure))).scalars())


async def test_a_handler_failing_once_is_run_again_and_the_event_is_handled_whole(
        database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """A failure met on the first pass only (a lock, a race in a handler) leaves no failure behind: the
    second pass, with savepoints, gets through; the log still says it happened."""
    from bot.tagging.service import tagging_on_post

    calls: list[str] = []

    async def flaky_tagging(ctx: Context, event: PostCreated) -> None:
        calls.append(event.event_id)
        if len(calls) == 1:
            raise RuntimeError("met once")
        await tagging_on_post(ctx, event)

    app, adapter, _clock = await make_app(database_url)
    observers = app.core.registry.post_observers
    observers[observers.index(tagging_on_post)] = flaky_tagging
    caplog.set_level(logging.WARNING, logger="bot")
    try:
        await app.submit(question("ev-1", text="Comment partager un document #B2-3 avec mes élèves ?"))
        await app.run_once()
        assert calls == ["ev-1", "ev-1"]
        assert await _count(app, Question) == 1 and await _count(app, Tag, Tag.code == "B2-3") == 1
        assert await _count(app, EventFailure) == 0
        assert "sos/received" in adapter.templates() and "errors/post_failed" not in adapter.templates()
        assert any("ev-1" in r.getMessage() and "flaky_tagging" in r.getMessage() for r in caplog.records)
    finally:
        await app.close()
