"""`/absent du … au …`: an absence declared ahead takes the person out of assignments only on its days,
is listed by `/absent`, survives a restart (rows), and lets the rota check see a future hole at once."""

from __future__ import annotations

from datetime import date, datetime

from sos_support import PARIS, member_id, replay, rows, sent, team

from bot.db.sos_models import Absence, RotaWarning

ROTA = team("oncall=fabienne,gilles")  # fabienne on call the weeks of 7 and 21 September, gilles of 14
ASK = "alice in sos: Comment partager un document sans ENT ?\n"


async def test_an_absence_ahead_leaves_the_person_asked_until_its_first_day(database_url: str) -> None:
    # Declared on the 1st for the week of the 21st: fabienne is still asked on the 7th, skipped on the 21st.
    script = ROTA + ("at 2026-09-01T10:00\nfabienne dm: /absent du 21/09 au 25/09 formation\n"
                     "at 2026-09-07T09:00\n" + ASK + "+5d\nat 2026-09-21T09:00\n"
                     "bruno in sos: Et pour un lien de visio ?\n+5d\n")
    async with replay(database_url, script) as run:
        fabienne = await member_id(run, "fabienne")
        (absence,) = await rows(run, Absence, Absence.member_id == fabienne)
        assert absence.starts_at == datetime(2026, 9, 21, 0, 0, tzinfo=PARIS)
        assert absence.ends_at == datetime(2026, 9, 26, 0, 0, tzinfo=PARIS)  # the 25th included
        assert absence.reason == "formation"
        (notice,) = sent(run, "sos/absent_set")
        assert "du 21/09/2026 au 25/09/2026 inclus (formation)" in notice.text
        assert "d'ici là, rien ne change" in notice.text
        assert [d.to for d in sent(run, "sos/oncall")] == ["fabienne", "gilles"]  # 7/09 her week; 21/09 she is away


async def test_absent_alone_lists_the_running_and_upcoming_absences_and_fin_keeps_the_upcoming(
        database_url: str) -> None:
    script = ROTA + ("at 2026-09-07T10:00\nfabienne dm: /absent jusqu'au 08/09\n"
                     "fabienne dm: /absent 19/10-30/10 vacances\nfabienne dm: /absent\n"
                     "fabienne dm: /absent fin\nfabienne dm: /absent\n")
    async with replay(database_url, script) as run:
        first, second = sent(run, "sos/absent_usage")
        assert "en cours, jusqu'au 08/09/2026 inclus" in first.text
        assert "du 19/10/2026 au 30/10/2026 inclus (vacances)" in first.text
        assert "en cours" not in second.text and "du 19/10/2026 au 30/10/2026" in second.text
        (back,) = sent(run, "sos/absent_ended")
        assert "Vos absences à venir restent prévues" in back.text
        assert len(await rows(run, Absence)) == 2


async def test_a_future_hole_in_the_rota_is_told_as_soon_as_the_absence_is_declared(database_url: str) -> None:
    # gilles is on call the week of 12 October; declared on 7 September, three weeks ahead of the lookahead.
    script = ROTA + "at 2026-09-22T10:00\ngilles dm: /absent du 12/10 au 14/10\n"
    async with replay(database_url, script) as run:
        warnings = sent(run, "sos/rota_hole")
        assert sorted(w.to for w in warnings) == ["claire", "fabienne"]
        to_claire = next(w for w in warnings if w.to == "claire")
        assert "semaine du 12/10" in to_claire.text and "lundi 12/10, mardi 13/10, mercredi 14/10" in to_claire.text
        assert {r.week_start for r in await rows(run, RotaWarning)} == {date(2026, 10, 12)}


async def test_mistakes_in_an_absence_ahead_are_explained_and_change_nothing(database_url: str) -> None:
    script = ROTA + ("at 2026-09-07T10:00\nfabienne dm: /absent du 30/09 au 20/09\n"
                     "fabienne dm: /absent du 01/09 au 03/09\nfabienne dm: /absent du 21/09 au lundi\n"
                     "fabienne dm: /absent du 21/09 au 25/09\nfabienne dm: /absent du 22/09 au 29/09\n")
    async with replay(database_url, script) as run:
        order, unread = sent(run, "sos/absent_usage")
        assert "Le dernier jour (20/09/2026) est avant le premier (30/09/2026)" in order.text
        assert "`/absent du 20/09 au 30/09`" in order.text
        assert "« lundi »" in unread.text and "/absent du 19/10 au 30/10" in unread.text
        (past,) = sent(run, "sos/absent_past")
        assert "du 01/09 au 03/09" in past.text
        # The second declaration of overlapping days replaces the first: one absence, the last word.
        (absence,) = await rows(run, Absence)
        assert absence.starts_at == datetime(2026, 9, 22, 0, 0, tzinfo=PARIS)
        assert absence.ends_at == datetime(2026, 9, 30, 0, 0, tzinfo=PARIS)


async def test_an_absence_ahead_survives_a_restart(database_url: str) -> None:
    script = ROTA + ("at 2026-09-01T10:00\nfabienne dm: /absent du 07/09 au 11/09\nrestart\n"
                     "at 2026-09-07T09:00\n" + ASK + "+5d\n")
    async with replay(database_url, script) as run:
        assert len(await rows(run, Absence)) == 1
        assert [d.to for d in sent(run, "sos/oncall")] == ["gilles"]  # the row, read after the restart
