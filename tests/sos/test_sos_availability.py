"""`/absent`: an absent formateur is skipped in assignments; bad input changes nothing."""

from __future__ import annotations

from datetime import datetime

from sos_support import PARIS, member_id, replay, rows, sent, team, who_got

from bot.db.sos_models import Absence, Assignment

ROTA = team("oncall=fabienne,gilles")  # fabienne is on call the week of 7 September
ASK = "alice in sos: Comment partager un document sans ENT ?\n"


async def test_an_absent_formateur_on_call_is_skipped_and_the_next_one_stands_in(database_url: str) -> None:
    script = ROTA + "at 2026-09-07T08:30\nfabienne dm: /absent jusqu'au 11/09\nat 2026-09-07T09:00\n" + ASK + "+5d\n"
    async with replay(database_url, script) as run:
        fabienne = await member_id(run, "fabienne")
        (absence,) = await rows(run, Absence, Absence.member_id == fabienne)
        assert absence.ends_at == datetime(2026, 9, 12, 0, 0, tzinfo=PARIS)  # 11/09 included
        (set_notice,) = sent(run, "sos/absent_set")
        assert set_notice.to == "fabienne" and "11/09/2026" in set_notice.text
        # fabienne hears nothing about the question; gilles stands in as the person on call.
        assert [t for t, to in who_got(run) if to == "fabienne"] == ["sos/absent_set"]
        (oncall,) = sent(run, "sos/oncall")
        assert oncall.to == "gilles"
        alert = sent(run, "sos/trainers_alert")
        assert all("@fabienne" not in a.text for a in alert)
        assigned = await rows(run, Assignment)
        assert assigned and fabienne not in {a.member_id for a in assigned}


async def test_declaring_an_absence_hands_on_what_you_were_given(database_url: str) -> None:
    script = ROTA + "at 2026-09-07T09:00\n" + ASK + "+2d\nfabienne dm: /absent jusqu'au 2026-09-15\n"
    async with replay(database_url, script) as run:
        fabienne = await member_id(run, "fabienne")
        (given,) = await rows(run, Assignment, Assignment.member_id == fabienne)
        assert (given.state, given.reason) == ("passed", "absent")
        (notice,) = sent(run, "sos/absent_set")
        assert "1 question qui vous était confiée est passée" in notice.text
        nxt = [d for d in sent(run) if d.at == notice.at and d.kind == "mention_roles"]
        assert nxt and "@gilles" in nxt[0].text  # the next level, at once


async def test_absent_with_a_date_in_the_past_is_refused_politely_and_changes_nothing(database_url: str) -> None:
    script = ROTA + "at 2026-09-07T09:00\nfabienne dm: /absent jusqu'au 01/09\n" + ASK + "+2d\n"
    async with replay(database_url, script) as run:
        (refusal,) = sent(run, "sos/absent_past")
        assert refusal.to == "fabienne"
        assert "01/09" in refusal.text and "/absent jusqu'au" in refusal.text  # what was wrong, what to type
        assert await rows(run, Absence) == []
        (oncall,) = sent(run, "sos/oncall")
        assert oncall.to == "fabienne"  # still on call


async def test_absent_fin_ends_the_absence_and_an_unreadable_date_is_explained(database_url: str) -> None:
    script = ROTA + ("at 2026-09-07T08:00\nfabienne dm: /absent 2026-09-30\nfabienne dm: /absent fin\n"
                     "gilles dm: /absent demain peut-être\nat 2026-09-07T09:00\n" + ASK + "+2d\n")
    async with replay(database_url, script) as run:
        (absence,) = await rows(run, Absence)
        assert absence.ends_at == datetime(2026, 9, 7, 8, 0, tzinfo=PARIS)  # ended at /absent fin
        assert [d.to for d in sent(run, "sos/absent_ended")] == ["fabienne"]
        (usage,) = sent(run, "sos/absent_usage")
        assert usage.to == "gilles" and "demain peut-être" in usage.text and "/absent jusqu'au 20/09" in usage.text
        assert [d.to for d in sent(run, "sos/oncall")] == ["fabienne"]


async def test_alert_asked_again_off_spares_the_one_who_already_had_it(database_url: str) -> None:
    # gilles is away: the only formateur left is fabienne, on call, who was already asked by name.
    script = team("oncall=fabienne,gilles alert_again=no") + (
        "at 2026-09-07T08:30\ngilles dm: /absent jusqu'au 18/09\nat 2026-09-07T09:00\n" + ASK + "+4d\n")
    async with replay(database_url, script) as run:
        assert sent(run, "sos/trainers_alert") == []
        # (She is also told she stands in for gilles next week: sos/rota_hole, not about this question.)
        assert [t for t, to in who_got(run) if to == "fabienne" and t != "sos/rota_hole"] == ["sos/oncall"]
        (warning,) = sent(run, "sos/coordinator_warning")
        assert warning.to == "claire"  # the policy went on to the next level instead
