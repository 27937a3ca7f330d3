"""The coordinator is warned while there is still time to act; the breach is still recorded at 100 %."""

from __future__ import annotations

from datetime import timedelta

from sos_support import local, replay, rows, sent, team, who_got

from bot.db.models import Escalation, Question
from bot.sos.sla_staff import staff_report


async def test_the_coordinator_is_warned_at_least_six_hours_before_the_deadline(database_url: str) -> None:
    script = team() + "at 2026-09-07T09:00\nalice in sos: Comment partager un document sans ENT ?\n+5d\n"
    async with replay(database_url, script) as run:
        (question,) = await rows(run, Question)
        (warning,) = sent(run, "sos/coordinator_warning")
        assert warning.to == "claire"
        assert question.deadline_at - warning.at >= timedelta(hours=6)
        assert "il reste" in warning.text and "/claim 1" in warning.text  # time left, and what to do
        # What claire sees: the warning while there is time, then the breach.
        assert [t for t, to in who_got(run) if to == "claire"] == ["sos/coordinator_warning", "sos/breach_coordinator"]
        # The breach is still recorded at 100 % and said in the thread, with the warning's date.
        assert question.breached_at == question.deadline_at
        (breach,) = sent(run, "sos/breach_thread")
        assert breach.at == question.deadline_at and "prévenue le 10 septembre" in breach.text
        (row,) = await rows(run, Escalation, Escalation.kind == "sos.coordinator")
        assert row.fired_at == warning.at and row.member_id is not None
        assert run.app is not None
        async with run.app.db.transaction() as session:
            report = await staff_report(session, run.clock.now(), "demo")
        assert (report.coordinator_needed, report.coordinator_warned_in_time) == (1, 1)


async def test_a_warning_due_at_night_is_sent_in_waking_hours_and_still_in_time(database_url: str) -> None:
    # Asked Monday 15:00: 85 % of the delay is Thursday 21:24, inside quiet hours.
    script = team() + "at 2026-09-07T15:00\nalice in sos: Quel outil pour une carte mentale ?\n+5d\n"
    async with replay(database_url, script) as run:
        (question,) = await rows(run, Question)
        (warning,) = sent(run, "sos/coordinator_warning")
        assert local(warning.at) == "Fri 11/09 08:00"  # the end of quiet hours, 7 h before the deadline
        assert question.deadline_at - warning.at >= timedelta(hours=6)


async def test_no_warning_once_a_formateur_has_answered(database_url: str) -> None:
    script = team() + ("at 2026-09-07T09:00\nalice in sos: Comment partager un document sans ENT ?\n"
                       "+2d\ngilles reply: Par le cahier de textes, en pièce jointe.\n+4d\n")
    async with replay(database_url, script) as run:
        assert sent(run, "sos/coordinator_warning") == [] and sent(run, "sos/breach_thread") == []
        (question,) = await rows(run, Question)
        assert question.status == "answered" and question.breached_at is None
