"""Rota holes warned ahead: the coordinator hears of an uncovered week in time to name someone."""

from __future__ import annotations

from datetime import date

from sos_support import member_id, replay, rows, sent, team

from bot.db.sos_models import RotaWarning

ROTA = team("oncall=fabienne,gilles")  # fabienne on call the week of 7 September, gilles the week of 14
ASK = "alice in sos: Comment partager un document sans ENT ?\n"


async def test_an_absence_in_an_on_call_week_is_told_at_once_and_not_again_on_friday(database_url: str) -> None:
    script = ROTA + ("at 2026-09-08T10:00\ngilles dm: /absent jusqu'au 16/09\nat 2026-09-11T11:00\n"
                     "at 2026-09-14T09:00\n" + ASK + "+49h\n")
    async with replay(database_url, script) as run:
        warnings = sent(run, "sos/rota_hole")
        assert sorted(w.to for w in warnings) == ["claire", "fabienne"]  # the coordinator and the stand-in
        to_claire = next(w for w in warnings if w.to == "claire")
        assert "semaine du 14/09" in to_claire.text and "lundi 14/09, mardi 15/09, mercredi 16/09" in to_claire.text
        assert "fabienne prendra le relais" in to_claire.text
        assert "/permanence remplacer 14/09 @personne" in to_claire.text
        to_fabienne = next(w for w in warnings if w.to == "fabienne")
        assert "c'est vous qui serez sollicité·e" in to_fabienne.text
        (notice,) = sent(run, "sos/absent_set")
        assert "la coordination en est prévenue" in notice.text
        stored = await rows(run, RotaWarning)
        assert {(r.week_start, r.reason) for r in stored} == {(date(2026, 9, 14), "declared")}
        assert len(stored) == 2  # the Friday check found the same hole: nothing told twice
        (asked,) = sent(run, "sos/oncall")
        assert asked.to == "fabienne"  # the absent person on call is skipped


async def test_the_friday_check_finds_a_hole_and_a_coordinator_fixes_it(database_url: str) -> None:
    # claire puts fabienne on call for a week she is partly away: nobody is told until the Friday check.
    script = ROTA + ("at 2026-09-07T10:00\nfabienne dm: /absent jusqu'au 15/09\n"
                     "at 2026-09-09T10:00\nclaire dm: /permanence fabienne 14/09\nat 2026-09-11T10:30\n"
                     "claire dm: /permanence gilles 14/09\nat 2026-09-14T09:00\n" + ASK + "+49h\nat 2026-09-18T11:00\n")
    async with replay(database_url, script) as run:
        checks = [r for r in await rows(run, RotaWarning) if r.reason == "check"]
        assert sorted((r.week_start, r.member_id) for r in checks) == sorted(
            [(date(2026, 9, 14), await member_id(run, "claire")), (date(2026, 9, 14), await member_id(run, "gilles"))])
        friday = [w for w in sent(run, "sos/rota_hole") if w.to == "claire" and "14/09" in w.text]
        assert friday and "lundi 14/09, mardi 15/09" in friday[-1].text
        (asked,) = sent(run, "sos/oncall")
        assert asked.to == "gilles"  # the coordinator's change is what the policy uses
        # The week of 21/09 has no hole: the Friday of 18/09 tells nobody anything.
        assert not [r for r in await rows(run, RotaWarning) if r.week_start == date(2026, 9, 21)]


async def test_a_week_with_no_formateur_at_all_is_told_to_the_coordinator(database_url: str) -> None:
    script = ROTA + ("at 2026-09-08T10:00\nfabienne dm: /absent jusqu'au 18/09\ngilles dm: /absent jusqu'au 18/09\n")
    async with replay(database_url, script) as run:
        to_claire = [w for w in sent(run, "sos/rota_hole") if w.to == "claire"]
        assert any("aucun formateur ou formatrice n'est disponible" in w.text and "vendredi 18/09" in w.text
                   for w in to_claire)
        nobody = [w.to for w in sent(run, "sos/rota_hole") if "aucun formateur" in w.text]
        assert nobody == ["claire", "claire"]  # weeks of 7 and 14/09; gilles, whose absence opened it, is not told
