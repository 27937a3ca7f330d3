"""The coordinator is warned while there is still time to act; the breach is still recorded at 100 %."""

from __future__ import annotations

import re
from datetime import timedelta

from sos_support import PARIS, local, replay, rows, sent, team, who_got

from bot.db.models import Escalation, Question
from bot.sos.sla_staff import staff_report


async def test_the_coordinator_is_warned_at_least_six_hours_before_the_deadline(database_url: str) -> None:
    script = team() + "at 2026-09-07T09:00\nalice in sos: Comment partager un document sans ENT ?\n+5d\n"
    async with replay(database_url, script) as run:
        (question,) = await rows(run, Question)
        (warning,) = sent(run, "sos/coordinator_warning")
        assert warning.to == "claire"
        assert question.deadline_at - warning.at >= timedelta(hours=6)
        assert "il reste" in warning.text and "/claim #1" in warning.text  # time left, and what to do
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


def _number(text: str) -> int:
    found = re.search(r"n°(\d+)", text)
    assert found is not None, text
    return int(found.group(1))


async def test_whatever_the_hour_of_the_question_the_warning_comes_awake_and_in_time(database_url: str) -> None:
    hours = ["00:30", "06:00", "11:45", "15:00", "20:30", "23:59"]
    script = team() + "".join(f"at 2026-09-{7 + k // 3:02d}T{h}\nalice in sos: Question n°{k + 1} ?\n"
                              for k, h in enumerate(hours)) + "+5d\n"
    async with replay(database_url, script) as run:
        deadline_of = {q.id: q.deadline_at for q in await rows(run, Question)}
        warnings = sent(run, "sos/coordinator_warning")
        assert sorted(_number(w.text) for w in warnings) == sorted(deadline_of)  # one warning per question
        for warning in warnings:
            number = _number(warning.text)
            assert 8 <= warning.at.astimezone(PARIS).hour < 21, local(warning.at)
            assert deadline_of[number] - warning.at >= timedelta(hours=6), local(warning.at)


async def test_no_warning_once_a_formateur_has_answered(database_url: str) -> None:
    script = team() + ("at 2026-09-07T09:00\nalice in sos: Comment partager un document sans ENT ?\n"
                       "+2d\ngilles reply: Par le cahier de textes, en pièce jointe.\n+4d\n")
    async with replay(database_url, script) as run:
        assert sent(run, "sos/coordinator_warning") == [] and sent(run, "sos/breach_thread") == []
        (question,) = await rows(run, Question)
        assert question.status == "answered" and question.breached_at is None
