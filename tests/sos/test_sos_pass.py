"""`/passer`: the person asked hands the question on, and the next level is tried at once."""

from __future__ import annotations

from sos_support import local, member_id, replay, rows, sent, team

from bot.db.sos_models import Assignment

ROTA = team("oncall=fabienne,gilles")
ASK = "at 2026-09-07T09:00\nalice in sos: Comment partager un document sans ENT ?\n+2d1h\n"  # on call asked Wed 09:00


async def test_passer_moves_on_at_once_with_the_reason_kept(database_url: str) -> None:
    script = ROTA + ASK + "fabienne dm: /passer en formation toute la journée\n+3d\n"
    async with replay(database_url, script) as run:
        (asked,) = sent(run, "sos/oncall")
        assert asked.to == "fabienne" and local(asked.at) == "Wed 09/09 09:00"
        (passed,) = sent(run, "sos/passed")
        assert passed.to == "fabienne" and local(passed.at) == "Wed 09/09 10:00"
        nxt = [d for d in sent(run) if d.at == passed.at and d.template == "sos/trainers_alert"]
        assert nxt and "@gilles" in nxt[0].text and "@fabienne" not in nxt[0].text
        fabienne = await member_id(run, "fabienne")
        (mine,) = await rows(run, Assignment, Assignment.member_id == fabienne)
        assert (mine.state, mine.reason) == ("passed", "en formation toute la journée")
        assert all(d.to != "fabienne" for d in sent(run) if d.at > passed.at)  # not asked again


async def test_passer_at_night_waits_for_the_morning(database_url: str) -> None:
    # Asked Monday 19:00: the person on call is asked Wednesday 14:00 and has until Thursday 09:00.
    script = ROTA + ASK.replace("T09:00", "T19:00").replace("+2d1h", "+2d4h") + "fabienne dm: /passer\n+2d\n"
    async with replay(database_url, script) as run:
        (passed,) = sent(run, "sos/passed")
        assert local(passed.at) == "Wed 09/09 23:00"
        following = next(d for d in sent(run) if d.at > passed.at and d.template != "sos/passed")
        assert local(following.at) == "Thu 10/09 08:00" and following.template == "sos/trainers_alert"


async def test_passer_by_someone_not_asked_is_refused_and_changes_nothing(database_url: str) -> None:
    script = ROTA + ASK + "thread 1\nbruno reply: /passer\ngilles reply: /passer\n"
    async with replay(database_url, script) as run:
        refusals = sent(run, "sos/refuse_pass")
        assert [d.thread for d in refusals] == ["m1", "m1"]  # said where they wrote
        assert "/claim" in refusals[0].text
        (offer,) = await rows(run, Assignment)
        assert offer.state == "offered" and offer.member_id == await member_id(run, "fabienne")
        assert sent(run, "sos/trainers_alert") == []  # nothing moved on


async def test_passer_in_a_dm_with_two_questions_asks_which_one(database_url: str) -> None:
    script = ROTA + ("at 2026-09-07T09:00\nalice in sos: Comment partager un document sans ENT ?\n"
                     "bruno in sos: Quel logiciel pour une carte mentale ?\n+2d1h\nfabienne dm: /passer\n"
                     "fabienne dm: /passer 2 trop pris\n")
    async with replay(database_url, script) as run:
        (which,) = sent(run, "sos/which_question")
        assert "n°1 — Comment partager" in which.text and "n°2 — Quel logiciel" in which.text
        assert "`/passer 2`" in which.text  # an example to type
        states = {a.question_id: a.state for a in await rows(run, Assignment)}
        assert states == {1: "offered", 2: "passed"}
