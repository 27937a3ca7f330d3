"""`/permanence remplacer <semaine|date> @personne`: a coordinator fills a rota hole; a member cannot."""

from __future__ import annotations

from datetime import date

from sos_support import member_id, replay, rows, sent, team

from bot.db.sos_models import OncallWeek

ROTA = team("oncall=fabienne,gilles")  # gilles is on call the week of 14 September
ASK = "alice in sos: Comment partager un document sans ENT ?\n"


async def test_the_coordinator_replaces_the_person_on_call_as_the_rota_warning_says(database_url: str) -> None:
    script = ROTA + ("at 2026-09-08T10:00\ngilles dm: /absent jusqu'au 18/09\n"
                     "claire dm: /permanence remplacer semaine 38 @fabienne\n"
                     "at 2026-09-14T09:00\n" + ASK + "+49h\n")
    async with replay(database_url, script) as run:
        to_claire = next(w for w in sent(run, "sos/rota_hole") if w.to == "claire")
        assert "`/permanence remplacer 14/09 @personne`" in to_claire.text  # the warning says what to type
        (done,) = sent(run, "sos/oncall_set")
        assert "fabienne est de permanence la semaine du 14/09/2026, à la place de gilles" in done.text
        (row,) = await rows(run, OncallWeek)
        assert (row.week_start, row.member_id) == (date(2026, 9, 14), await member_id(run, "fabienne"))
        assert [d.to for d in sent(run, "sos/oncall")] == ["fabienne"]


async def test_a_member_cannot_replace_and_mistakes_say_what_to_type(database_url: str) -> None:
    script = ROTA + ("at 2026-09-08T10:00\nbruno dm: /permanence remplacer 14/09 @fabienne\n"
                     "claire dm: /permanence remplacer @fabienne\n"
                     "claire dm: /permanence remplacer 14/09 @bruno\n"
                     "claire dm: /permanence remplacer 01/09 @fabienne\n")
    async with replay(database_url, script) as run:
        (refusal,) = sent(run, "sos/refuse_oncall_change")
        assert refusal.to == "bruno" and "Seule la coordination" in refusal.text
        (usage,) = sent(run, "sos/oncall_usage")
        assert "/permanence remplacer <semaine|date> @personne" in usage.text
        (not_trainer,) = sent(run, "sos/oncall_not_trainer")
        assert "« @bruno »" in not_trainer.text and "/permanence remplacer" in not_trainer.text
        assert sent(run, "sos/oncall_past")
        assert await rows(run, OncallWeek) == []  # nothing changed
