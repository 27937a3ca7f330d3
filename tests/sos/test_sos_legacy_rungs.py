"""Questions in flight when the policy arrives: their old rungs (all armed at once, without a note)
fold into the policy, each level once."""

from __future__ import annotations

from datetime import timedelta

from sos_support import replay, rows, sent, team
from sqlalchemy import update

from bot.db.models import ScheduledStep


async def test_old_rungs_of_a_question_in_flight_fire_each_level_once(database_url: str) -> None:
    script = team() + "at 2026-09-07T09:00\nalice in sos: Comment partager un document sans ENT ?\n"
    async with replay(database_url, script) as run:
        assert run.app is not None
        async with run.app.db.transaction() as session:  # what the previous version had armed
            await session.execute(update(ScheduledStep).where(ScheduledStep.kind.like("sos.%"))
                                  .values(state="cancelled"))
            start = run.clock.now()
            for kind, days in (("sos.nudge", 1), ("sos.referent", 2), ("sos.trainers", 3), ("sos.breach", 4)):
                session.add(ScheduledStep(space_id="demo", kind=kind, question_id=1,
                                          due_at=start + timedelta(days=days)))
        await run.run_line("+5d")
        got = [d.template for d in sent(run)]
        assert got.count("sos/nudge") == 1 and got.count("sos/referent") == 1
        assert got.count("sos/trainers_alert") == 1 and got.count("sos/breach_thread") == 1
        assert "sos/coordinator_warning" in got  # the rest of the policy was armed
        pending = await rows(run, ScheduledStep, ScheduledStep.question_id == 1, ScheduledStep.state == "pending")
        assert pending == []
