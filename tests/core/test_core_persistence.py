"""Idempotency, atomic outbox and delivery: on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from core_support import make_app, question
from sqlalchemy import func, select

from bot.db.models import Outbox, Post, Question, ScheduledStep
from bot.events import PostCreated
from bot.refs import ChannelRef, MessageRef, UserRef


async def count(app, model) -> int:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_replayed_event_changes_nothing_and_sends_nothing(database_url: str) -> None:
    app, adapter, _clock = await make_app(database_url)
    try:
        assert await app.submit(question("ev-1")) is True
        await app.run_once()
        sent_before = list(adapter.sent)
        assert await app.submit(question("ev-1")) is False
        await app.run_once()
        assert adapter.sent == sent_before
        assert await count(app, Question) == 1
        assert await count(app, Post) == 1
    finally:
        await app.close()


async def test_state_and_outbox_commit_together_or_not_at_all(database_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app, adapter, _clock = await make_app(database_url)
    try:
        import bot.sos.questions as questions

        def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom after the question row was added")

        monkeypatch.setattr(questions, "schedule_ladder", broken)
        await app.submit(question("ev-1"))
        await app.run_once()
        # Nothing half-written: no question, no ladder; the post is kept and the apology says so.
        assert await count(app, Question) == 0
        assert await count(app, Post) == 1
        async with app.db.transaction() as session:
            ladder = await session.scalar(select(func.count()).select_from(ScheduledStep)
                                          .where(ScheduledStep.kind.like("sos.%")))
        assert ladder == 0
        assert adapter.templates() == ["errors/post_failed"]
        # And the failed event is not handled twice.
        assert await app.submit(question("ev-1")) is False
    finally:
        await app.close()


async def test_delivery_retries_with_backoff_and_never_sends_twice(database_url: str) -> None:
    app, adapter, clock = await make_app(database_url)
    try:
        adapter.fail_in["q1"] = 2  # the question's thread: server down twice (retry after 5 s)
        await app.submit(question("ev-1"))
        await app.run_once()
        assert adapter.core_sent() == [] and adapter.calls == 2  # the thread's reply failed; the welcome DM went
        await app.run_once()  # not yet time to retry
        assert adapter.calls == 2
        clock.advance(timedelta(seconds=5))
        await app.run_once()
        assert adapter.calls == 3 and adapter.core_sent() == []
        clock.advance(timedelta(seconds=5))
        await app.run_once()
        assert adapter.templates() == ["sos/received", ""]  # the reply, then the thread mark
        for _ in range(3):
            clock.advance(timedelta(seconds=30))
            await app.run_once()
        assert len(adapter.core_sent()) == 2
        async with app.db.transaction() as session:
            statuses = list((await session.execute(select(Outbox.status))).scalars())
        assert statuses == ["sent"] * len(adapter.sent)
    finally:
        await app.close()


async def test_a_permanent_failure_is_recorded_and_not_retried(database_url: str) -> None:
    app, adapter, clock = await make_app(database_url)
    try:
        adapter.fail_permanently = True
        await app.submit(question("ev-1"))
        await app.run_once()
        calls = adapter.calls
        clock.advance(timedelta(hours=1))
        await app.run_once()
        async with app.db.transaction() as session:
            failed = list((await session.execute(select(Outbox.last_error).where(Outbox.status == "failed"))).scalars())
        assert failed and "room gone" in failed[0]
        assert adapter.calls == calls + 1  # the next row is tried, the failed one is not retried
    finally:
        await app.close()


async def test_a_row_left_sending_by_a_crash_is_delivered_after_restart(database_url: str) -> None:
    app, adapter, clock = await make_app(database_url)
    app.unregister_platform("console")  # queued for the dispatcher, not sent by the event itself
    await app.submit(question("ev-1"))
    app.register_adapter(adapter)
    rows = await app.dispatcher.claim(1)  # claimed, then the process "dies" before delivering
    assert len(rows) == 1
    await app.close()
    app2, adapter2, _ = await make_app(database_url, clock=clock)
    try:
        await app2.run_once()
        assert adapter2.templates()[0] == "sos/received"
    finally:
        await app2.close()


async def test_unknown_channel_is_recorded_and_ignored(database_url: str) -> None:
    app, adapter, _clock = await make_app(database_url)
    try:
        elsewhere = ChannelRef("console", "not-mapped")
        event = PostCreated("ev-9", UserRef("console", "zoe"), elsewhere, MessageRef(elsewhere, "x"), "Bonjour ?")
        assert await app.submit(event) is True
        await app.run_once()
        assert adapter.sent == [] and await count(app, Post) == 0
        assert await app.submit(event) is False
    finally:
        await app.close()


async def test_schema_upgrade_is_idempotent(database_url: str) -> None:
    app, _adapter, _clock = await make_app(database_url)
    try:
        await app.db.create_schema()
        await app.db.create_schema()
    finally:
        await app.close()


async def test_bot_posts_are_never_questions_or_answers(database_url: str) -> None:
    app, adapter, _clock = await make_app(database_url)
    try:
        sos = ChannelRef("console", "sos")
        bot_post = PostCreated("ev-b", UserRef("console", "ticebot"), sos, MessageRef(sos, "b"), "Annonce ?",
                               author_is_bot=True)
        await app.submit(bot_post)
        await app.submit(question("ev-1"))
        await app.submit(PostCreated("ev-2", UserRef("console", "otherbot"), sos, MessageRef(sos, "r"),
                                     "Une question d'un bot ?", author_is_bot=True))
        assert await count(app, Question) == 1
    finally:
        await app.close()


@pytest.mark.parametrize("text", ["merci !", "up", "Bonjour", "👍"])
async def test_small_talk_in_the_sos_channel_is_not_a_question(sqlite_url: str, text: str) -> None:
    app, _adapter, _clock = await make_app(sqlite_url)
    try:
        await app.submit(question("ev-1", text=text))
        assert await count(app, Question) == 0
    finally:
        await app.close()


async def test_migrations_build_exactly_the_schema_the_code_uses(empty_database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.db.database import Database
    from bot.db.models import Base

    db = Database(empty_database_url)
    try:
        await db.create_schema()
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
        assert diff == []
    finally:
        await db.dispose()
