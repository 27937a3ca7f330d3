"""A failing command or observer never loses the message: the post is stored in its own step, each
handler runs in a savepoint, the person is told truthfully, the failure is kept for a replay, and
nothing is ever dropped without a log line."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from core_support import make_app, question, reply, user
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.commands.registry import command
from bot.context import Context
from bot.db.models import EventFailure, Post, ProcessedEvent, Question, ScheduledStep, Tag
from bot.events import PostCreated
from bot.events_cli import events_app
from bot.refs import MessageRef
from bot.wiring import build_registry

SECRET = "Mon-tableau-Xylophone clignote"


async def _count(app, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@command("panne", usage="/panne")
async def broken_command(ctx: Context, parsed: object) -> None:
    ctx.session.add(ScheduledStep(space_id="demo", kind="test.half_written", due_at=ctx.now))
    await ctx.session.flush()
    raise RuntimeError("bug in a command")


async def test_a_failing_command_keeps_the_post_and_says_nothing_was_changed(
        database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    registry = build_registry()
    registry.add_commands(broken_command)
    app, adapter, _clock = await make_app(database_url)
    app.core.registry = registry
    app.core.parser = registry.parser()
    caplog.set_level(logging.DEBUG, logger="bot")
    try:
        await app.submit(question("ev-1"))
        await app.run_once()
        event = reply("ev-2", "alice", f"/panne {SECRET}")
        assert await app.submit(event) is True
        await app.run_once()
        assert await _count(app, Post, Post.platform_post_id == "ev-2") == 1  # the words are kept
        assert await _count(app, ScheduledStep, ScheduledStep.kind == "test.half_written") == 0  # rolled back
        async with app.db.transaction() as session:
            [failure] = (await session.execute(select(EventFailure))).scalars().all()
        assert (failure.event_id, failure.handler, failure.error) == ("ev-2", "/panne", "RuntimeError")
        told = [a for a in adapter.core_sent() if getattr(a, "template", "") == "errors/command_failed"]
        assert len(told) == 1 and "/panne" in told[0].text and "rien n'a été modifié" in told[0].text  # type: ignore
        assert f"n° {failure.id}" in told[0].text  # type: ignore[union-attr]
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors and all("ev-2" in r.getMessage() for r in errors)
        assert "Xylophone" not in caplog.text
        # The platform redelivers the event: not run twice, said in the log.
        caplog.clear()
        assert await app.submit(event) is False
        await app.run_once()
        assert len([a for a in adapter.core_sent() if getattr(a, "template", "") == "errors/command_failed"]) == 1
        assert any("ev-2" in r.getMessage() for r in caplog.records)
    finally:
        await app.close()


async def test_a_failing_observer_keeps_the_post_and_lets_the_others_run(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.sos.questions as questions

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom after the question row was added")

    app, adapter, _clock = await make_app(database_url)
    try:
        monkeypatch.setattr(questions, "schedule_ladder", broken)
        await app.submit(question("ev-1", text="Comment partager un document #B2-3 avec mes élèves ?"))
        await app.run_once()
        assert await _count(app, Post) == 1 and await _count(app, Question) == 0
        # stored as a question by its INSERT, taken back with the question row the savepoint undid
        assert await _count(app, Post, Post.kind == "post") == 1
        assert await _count(app, Tag) >= 1  # tagging ran before SOS and is kept
        assert adapter.templates() == ["errors/post_failed"]
        [told] = adapter.core_sent()
        assert "bien enregistré" in told.text and "SOS" in told.text  # type: ignore[union-attr]
    finally:
        await app.close()


async def test_an_operator_replays_the_failed_step_once_fixed(database_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.sos.questions as questions

    real = questions.schedule_ladder
    app, adapter, clock = await make_app(database_url)
    try:
        monkeypatch.setattr(questions, "schedule_ladder", lambda *a, **k: (_ for _ in ()).throw(RuntimeError()))
        await app.submit(question("ev-1"))
        await app.run_once()
        monkeypatch.setattr(questions, "schedule_ladder", real)  # the fix is deployed
        env = {"TICEBOT_DATABASE_URL": database_url}
        runner = CliRunner()
        listed = await asyncio.to_thread(runner.invoke, events_app, ["failed"], env=env)
        assert listed.exit_code == 0 and "sos_on_post" in listed.output and "ev-1" in listed.output
        async with app.db.transaction() as session:
            failure_id = await session.scalar(select(EventFailure.id))
        replayed = await asyncio.to_thread(runner.invoke, events_app, ["replay", "--id", str(failure_id)], env=env)
        assert replayed.exit_code == 0, replayed.output
        clock.set(max(clock.now(), datetime.now(UTC)))  # the CLI replays at the real time
        await app.run_once()
        assert await _count(app, Question) == 1
        assert "sos/received" in adapter.templates()
        again = await asyncio.to_thread(runner.invoke, events_app, ["replay", "--id", str(failure_id)], env=env)
        assert again.exit_code == 1 and "déjà" in again.output
        assert await _count(app, Question) == 1
    finally:
        await app.close()


async def test_when_even_the_post_cannot_be_stored_the_person_is_told_and_a_redelivery_works(
        database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from bot.core import Core

    app, adapter, _clock = await make_app(database_url)
    real = Core._store_post
    try:
        async def cannot_store(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("disk full")

        monkeypatch.setattr(Core, "_store_post", cannot_store)
        assert await app.submit(question("ev-1")) is True
        await app.run_once()
        assert await _count(app, Post) == 0 and await _count(app, ProcessedEvent) == 0
        assert adapter.templates() == ["errors/not_recorded"]
        assert "pas pu enregistrer" in adapter.core_sent()[0].text  # type: ignore[union-attr]
        assert any("ev-1" in r.getMessage() and r.levelno >= logging.ERROR for r in caplog.records)
        monkeypatch.setattr(Core, "_store_post", real)
        assert await app.submit(question("ev-1")) is True  # the platform sends it again: handled now
        await app.run_once()
        assert await _count(app, Question) == 1
        assert await app.submit(question("ev-1")) is False
        monkeypatch.setattr(Core, "_store_post", cannot_store)
        await app.submit(question("ev-1c", msg="q3"))
        await app.submit(question("ev-1c", msg="q3"))  # failing twice: apologised once
        await app.run_once()
        assert adapter.templates().count("errors/not_recorded") == 2
    finally:
        await app.close()


async def test_an_integrity_error_is_never_silently_already_handled(database_url: str,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    app, adapter, _clock = await make_app(database_url)
    caplog.set_level(logging.INFO, logger="bot")
    try:
        await app.submit(question("ev-1"))
        # The same platform message arrives again under another event id: its post is already stored.
        twin = PostCreated("ev-1-again", user("alice"), question("x").channel,
                           MessageRef(question("x").channel, "q1"), "Comment partager un fichier avec mes élèves ?")
        await app.submit(twin)
        assert await _count(app, Post) == 1
        lines = [r for r in caplog.records if "ev-1-again" in r.getMessage()]
        assert lines, "a line says why the event changed nothing"
    finally:
        await app.close()
