"""The sweep's batches (issue 17): a batch runs without a savepoint per step; when a handler fails, the
batch is rolled back and run again step by step. What people see must be exactly what the careful way
gives: the failing step alone is failed, every other step fires once, nothing of the failure is sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from core_support import START, make_app, question
from sqlalchemy import func, select, update

from bot.db.models import Escalation, Outbox, ScheduledStep
from bot.hooks import StepRun
from bot.outbound import Outbound
from bot.refs import ChannelRef
from bot.sos.store import LEVEL_KINDS


async def _state(app: object, kind: str) -> list[str]:
    async with app.db.transaction() as s:  # type: ignore[attr-defined]
        return list((await s.execute(select(ScheduledStep.state).where(ScheduledStep.kind == kind)
                                     .order_by(ScheduledStep.id))).scalars())


async def _next_levels(app: object) -> list[int]:
    """How many level steps each question has pending (the policy keeps exactly one)."""
    async with app.db.transaction() as s:  # type: ignore[attr-defined]
        rows = await s.execute(select(func.count()).select_from(ScheduledStep).where(
            ScheduledStep.state == "pending", ScheduledStep.kind.in_(LEVEL_KINDS))
            .group_by(ScheduledStep.question_id).order_by(ScheduledStep.question_id))
        return list(rows.scalars())


async def _count(app: object, model: type, *where: object) -> int:
    async with app.db.transaction() as s:  # type: ignore[attr-defined]
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_a_failing_step_in_a_batch_fails_alone_and_the_others_fire_once(database_url: str) -> None:
    app, _adapter, clock = await make_app(database_url)
    try:
        for n in range(6):
            await app.submit(question(f"ev-{n}", msg=f"q{n}"))
        calls: list[int] = []

        async def boom(run: StepRun) -> None:
            calls.append(run.step.id)
            # Written before the failure: it must be undone with the step, never sent.
            Outbound(run.session, run.now, "fr").post(ChannelRef("console", "general"), "sos/nudge",
                                                      asker="x", resources=[], has_replies=False,
                                                      deadline=run.now, late=None)
            raise RuntimeError("handler bug")

        app.core.registry.step_handlers["test.boom"] = boom
        nudge_due = START + timedelta(days=1)
        async with app.db.transaction() as s:  # due after the nudges, in their batch
            s.add(ScheduledStep(space_id="demo", kind="test.boom", due_at=nudge_due + timedelta(minutes=1)))
        clock.advance(timedelta(days=1, hours=1))
        await app.core.sweep()
        assert await _state(app, "test.boom") == ["failed"]
        assert await _state(app, "sos.nudge") == ["done"] * 6
        # Each question was nudged once (the rolled-back first run left nothing), and each has exactly
        # one next level pending.
        assert await _count(app, Outbox, Outbox.template == "sos/nudge") == 6
        assert await _count(app, Escalation, Escalation.kind == "sos.nudge") == 6
        assert await _next_levels(app) == [1] * 6
        assert len(calls) == 2  # the batch run, then the step-by-step run
        assert await app.core.sweep() == 0  # nothing left: the failed step is not retried
    finally:
        await app.close()


async def test_a_failing_ladder_step_keeps_its_question_as_it_was(database_url: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    app, _adapter, clock = await make_app(database_url)
    try:
        for n in range(4):
            await app.submit(question(f"ev-{n}", msg=f"q{n}"))
        from bot.sos import ladder

        real = ladder.question_text

        async def broken_for_q2(session, q):  # type: ignore[no-untyped-def]
            if q.thread_root_id == "q2":
                raise RuntimeError("rendering bug")
            return await real(session, q)

        monkeypatch.setattr(ladder, "question_text", broken_for_q2)
        clock.advance(timedelta(days=1, hours=1))
        await app.core.sweep()
        assert await _state(app, "sos.nudge") == ["done", "done", "failed", "done"]
        # The failed one's cancel and next level were undone with it; the others moved on.
        assert await _count(app, Outbox, Outbox.template == "sos/nudge") == 3
        assert await _next_levels(app) == [1] * 3  # q2 has none: its failed step armed nothing
    finally:
        await app.close()


async def test_steps_of_one_question_due_together_fire_in_order_across_batches(database_url: str) -> None:
    app, adapter, clock = await make_app(database_url)
    try:
        for n in range(3):
            await app.submit(question(f"ev-{n}", msg=f"q{n}"))
        clock.advance(timedelta(days=4, hours=1))  # each question's level and its breach are due
        await app.core.sweep(batch=2)  # batches cut at a question's second step still fire everything
        async with app.db.transaction() as s:
            pending = (await s.execute(select(ScheduledStep.kind, ScheduledStep.due_at)
                                       .where(ScheduledStep.state == "pending"))).all()
        assert all(due > clock.now() for _kind, due in pending)
        await app.run_once()
        got = [a.template for a in adapter.core_sent() if getattr(a, "template", "").startswith("sos/")]
        assert got.count("sos/breach_thread") == 3
        assert got.count("sos/nudge") == 3
    finally:
        await app.close()


async def test_another_kind_of_step_in_a_batch_sees_what_the_steps_before_it_wrote(database_url: str) -> None:
    app, _adapter, clock = await make_app(database_url)
    try:
        for n in range(3):
            await app.submit(question(f"ev-{n}", msg=f"q{n}"))
        async with app.db.transaction() as s:  # rungs of an earlier version: all armed at once
            await s.execute(update(ScheduledStep).where(ScheduledStep.kind.like("sos.%")).values(state="cancelled"))
            for q in (1, 2, 3):
                for kind, days in (("sos.nudge", 1), ("sos.referent", 2)):
                    s.add(ScheduledStep(space_id="demo", kind=kind, question_id=q, due_at=START + timedelta(days=days)))
        seen: list[tuple[int, list[int]]] = []

        async def look(run: StepRun) -> None:
            # What a purge or a report would read in the middle of a catch-up.
            nudges = await run.session.scalar(select(func.count()).select_from(Outbox)
                                              .where(Outbox.template == "sos/nudge"))
            levels = (await run.session.execute(
                select(func.count()).select_from(ScheduledStep)
                .where(ScheduledStep.state == "pending", ScheduledStep.kind.in_(LEVEL_KINDS))
                .group_by(ScheduledStep.question_id).order_by(ScheduledStep.question_id))).scalars()
            seen.append((int(nudges or 0), list(levels)))

        app.core.registry.step_handlers["test.look"] = look
        async with app.db.transaction() as s:  # due after the three nudges, in the same batch
            s.add(ScheduledStep(space_id="demo", kind="test.look", due_at=START + timedelta(days=1, minutes=1)))
        clock.advance(timedelta(days=1, hours=1))
        await app.core.sweep()
        # Each question's old referent rung was cancelled by its nudge (one level pending, the next one).
        assert seen == [(3, [1, 1, 1])]
        assert await _next_levels(app) == [1, 1, 1]
    finally:
        await app.close()
