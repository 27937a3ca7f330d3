"""PostgreSQL connections are checked before use only after sitting idle (bot/db/idle_ping.py): a busy
event costs no ping round trips, and a connection the server dropped never costs an event."""

from __future__ import annotations

import logging
import time

import asyncpg
import pytest
from core_support import make_app, question, where
from sqlalchemy import select

from bot.app import TicebotApp
from bot.db import idle_ping
from bot.db.models import Outbox, Question

SECOND = "Comment projeter une vidéo au TNI ?"


@pytest.fixture
def pg_url(database_url: str) -> str:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no server to drop a connection (and nothing to ping)")
    return database_url


async def _drop_pooled_connections(url: str) -> None:
    """What a server restart or `idle_session_timeout` does to the bot's pooled connections."""
    admin = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        dropped = await admin.fetch("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        assert dropped and all(row[0] for row in dropped)
    finally:
        await admin.close()


async def _second_question_is_handled(app: TicebotApp, adapter: object) -> None:
    assert await app.submit(question("e2", who="bob", text=SECOND, msg="q2"))
    await app.settle()
    async with app.db.transaction() as s:
        asked = (await s.execute(select(Question.thread_root_id, Question.status))).all()
    assert sorted(asked) == [("q1", "open"), ("q2", "open")]
    acknowledged = [a for a in adapter.core_sent() if where(a) == "q2"]  # type: ignore[attr-defined]
    assert [a.template for a in acknowledged if hasattr(a, "template")] == ["sos/received"]


async def test_a_connection_in_steady_use_is_not_pinged(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app, adapter, _clock = await make_app(pg_url)
    try:
        await app.submit(question("e1", who="alice"))
        pings: list[object] = []
        dialect = app.db.engine.sync_engine.dialect
        ping = dialect.do_ping
        monkeypatch.setattr(dialect, "do_ping", lambda c: pings.append(c) or ping(c))
        await _second_question_is_handled(app, adapter)
        assert pings == []  # pool_pre_ping pinged here: BEGIN, an empty query and ROLLBACK before each event
    finally:
        await app.close()


async def test_an_idle_connection_the_server_dropped_is_replaced_before_the_event(
        pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    app, adapter, _clock = await make_app(pg_url)
    try:
        await app.submit(question("e1", who="alice"))
        await app.settle()
        await _drop_pooled_connections(pg_url)
        assert app.db.idle_ping is not None
        app.db.idle_ping.clock = lambda: time.monotonic() + idle_ping.IDLE_SECONDS + 1  # they sat idle
        with caplog.at_level(logging.WARNING, logger="bot.db.database"):
            await _second_question_is_handled(app, adapter)
        assert "retry" not in caplog.text  # the ping found it dead: the event ran once, on a fresh connection
        assert await _failures(app) == 0
    finally:
        await app.close()


async def test_a_connection_dropped_between_two_close_events_costs_a_retry_not_the_event(
        pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    app, adapter, _clock = await make_app(pg_url)
    try:
        await app.submit(question("e1", who="alice"))
        await app.settle()
        assert app.db.idle_ping is not None
        app.db.idle_ping.idle_seconds = 3600  # "moments ago", however slow the machine running this test
        await _drop_pooled_connections(pg_url)  # not pinged: the event's first statement fails
        with caplog.at_level(logging.WARNING, logger="bot.db.database"):
            await _second_question_is_handled(app, adapter)
        assert "retry 1/5" in caplog.text
        assert await _failures(app) == 0
    finally:
        await app.close()


async def _failures(app: TicebotApp) -> int:
    from bot.db.models import EventFailure

    async with app.db.transaction() as s:
        return len((await s.execute(select(EventFailure))).scalars().all())


async def test_a_drop_right_after_a_platform_call_still_records_it_as_sent(pg_url: str) -> None:
    """The row of a delivered message must not stay "sending" (start-up would send it a second time)."""
    app, adapter, _clock = await make_app(pg_url)
    try:
        await app.submit(question("e1", who="alice"))
        await app.settle()
        assert app.db.idle_ping is not None
        app.db.idle_ping.idle_seconds = 3600
        deliver = adapter.deliver

        async def deliver_then_lose_the_database(action: object) -> str | None:
            sent = await deliver(action)  # type: ignore[arg-type]
            await _drop_pooled_connections(pg_url)
            return sent

        adapter.deliver = deliver_then_lose_the_database  # type: ignore[method-assign]
        await app.submit(question("e2", who="bob", text=SECOND, msg="q2"))
        await app.settle()
        async with app.db.transaction() as s:
            statuses = (await s.execute(select(Outbox.status, Outbox.platform_message_id))).all()
        assert "sending" not in {status for status, _ in statuses}, statuses
        assert sorted(m for status, m in statuses if status == "sent") == sorted(
            f"sent{n}" for n in range(1, len(adapter.sent) + 1))  # each delivered message recorded as sent
        acknowledgements = [a for a in adapter.core_sent() if where(a) == "q2"]
        assert [getattr(a, "template", "") for a in acknowledgements] == ["sos/received"]  # once, not again
    finally:
        await app.close()
