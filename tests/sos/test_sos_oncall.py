"""The on-call rota (`/permanence`) and the Monday handover."""

from __future__ import annotations

from datetime import date

from sos_support import local, member_id, replay, rows, sent, team

from bot.db.sos_models import Handover, OncallWeek

ROTA = team("oncall=fabienne,gilles")  # fabienne the week of 7 September, gilles the next, …


async def test_permanence_shows_the_rotation_and_a_coordinator_changes_a_week(database_url: str) -> None:
    script = ROTA + ("at 2026-09-08T10:00\nalice dm: /permanence\nclaire dm: /permanence gilles 15/09\n"
                     "claire dm: /permanence\nat 2026-09-14T09:00\nalice in sos: Comment faire un QCM dans l'ENT ?\n"
                     "+2d\n")
    async with replay(database_url, script) as run:
        first, second = sent(run, "sos/oncall_show")
        assert first.to == "alice"
        assert "semaine du 7/09 : fabienne" in first.text and "semaine du 14/09 : gilles" in first.text
        assert "/permanence <formateur>" not in first.text  # a member only sees it
        assert "semaine du 14/09 : gilles (fixé par la coordination)" in second.text
        (done,) = sent(run, "sos/oncall_set")
        assert done.to == "claire" and "14/09/2026" in done.text
        (week,) = await rows(run, OncallWeek)
        assert (week.week_start, week.member_id) == (date(2026, 9, 14), await member_id(run, "gilles"))
        assert week.set_by_id == await member_id(run, "claire")
        (asked,) = sent(run, "sos/oncall")
        assert asked.to == "gilles"


async def test_permanence_changed_by_a_member_is_refused_and_nothing_changes(database_url: str) -> None:
    script = ROTA + ("at 2026-09-08T10:00\nbruno dm: /permanence gilles\nfabienne dm: /permanence gilles\n"
                     "claire dm: /permanence bruno\nclaire dm: /permanence gilles 01/09\n")
    async with replay(database_url, script) as run:
        refusals = sent(run, "sos/refuse_oncall_change")
        assert [d.to for d in refusals] == ["bruno", "fabienne"]  # a formateur is not the coordination either
        assert "/permanence" in refusals[0].text
        (not_trainer,) = sent(run, "sos/oncall_not_trainer")
        assert not_trainer.to == "claire" and "bruno" in not_trainer.text
        (past,) = sent(run, "sos/oncall_past")
        assert past.to == "claire"
        assert await rows(run, OncallWeek) == []


async def test_monday_handover_lists_the_open_questions_once(database_url: str) -> None:
    script = ROTA + ("at 2026-09-13T18:00\nalice in sos: Comment partager un document sans ENT ?\n"
                     "bruno in sos: Quel logiciel pour une carte mentale ?\nat 2026-09-14T07:59\nrestart\n"
                     "at 2026-09-14T09:00\nrestart\n+1d\n")
    async with replay(database_url, script) as run:
        (handover,) = sent(run, "sos/handover")
        assert handover.to == "gilles" and local(handover.at) == "Mon 14/09 08:00"
        assert "n°1" in handover.text and "n°2" in handover.text and "17 septembre à 18:00" in handover.text
        (row,) = await rows(run, Handover)
        assert (row.week_start, row.open_questions) == (date(2026, 9, 14), 2)


async def test_an_absent_person_on_call_gets_no_handover_the_stand_in_does(database_url: str) -> None:
    script = ROTA + ("at 2026-09-13T18:00\ngilles dm: /absent jusqu'au 15/09\n"
                     "alice in sos: Comment partager un document sans ENT ?\nat 2026-09-14T09:00\n")
    async with replay(database_url, script) as run:
        (handover,) = sent(run, "sos/handover")
        assert handover.to == "fabienne"


async def test_no_handover_when_nothing_is_left_to_do(database_url: str) -> None:
    # The only open question is already taken by gilles: the Monday handover would say nothing useful.
    script = ROTA + ("at 2026-09-11T10:00\nalice in sos: Comment partager un document sans ENT ?\n"
                     "gilles reply: /claim\nat 2026-09-14T09:00\n")
    async with replay(database_url, script) as run:
        assert sent(run, "sos/handover") == []
        assert await rows(run, Handover) == []
