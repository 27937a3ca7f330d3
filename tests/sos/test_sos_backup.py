"""Backup across spaces: a neighbouring space's formateur is asked only when nobody of this space's staff
is available, gets the excerpt and link only, and may take and answer the question."""

from __future__ import annotations

from sos_support import member_id, replay, rows, sent

from bot.db.models import Question
from bot.db.sos_models import Assignment

# The neighbour first: both spaces have a channel called "sos", and the last one declared keeps it.
NEIGHBOUR = "space voisin referential=c2i2e delay=4d oncall=hugo\ntrainer hugo\ntrainer ines\n"
HOME = """space demo referential=c2i2e delay=4d {options}
member alice
tutor thomas
resource thomas
trainer fabienne
trainer gilles
coordinator claire
"""
ALL_AWAY = "".join(f"{who} dm: /absent jusqu'au 20/09\n" for who in ("fabienne", "gilles", "thomas", "claire"))
ASK = "alice in sos: Mon vidéoprojecteur ne trouve pas l'ordinateur, que faire ?\n"


async def test_nobody_of_the_space_available_the_neighbours_on_call_gets_the_excerpt(database_url: str) -> None:
    script = NEIGHBOUR + HOME.format(options="oncall=fabienne,gilles backup=voisin") + (
        "at 2026-09-07T08:00\n" + ALL_AWAY + "at 2026-09-07T09:00\n" + ASK + "+2d\n"
        "hugo reply: /claim\nhugo reply: Vérifie la touche de recopie d'écran (Fn+F7).\n+1d\n")
    async with replay(database_url, script) as run:
        (backup,) = sent(run, "sos/backup")
        assert backup.to == "hugo" and "demo" in backup.text and "vidéoprojecteur" in backup.text
        assert "alice" not in backup.text  # the excerpt and link, not the asker's name
        assert "/claim" in backup.text and "/passer" in backup.text
        (question,) = await rows(run, Question)
        assert question.status == "answered" and question.answered_at <= question.deadline_at
        (assignment,) = await rows(run, Assignment, Assignment.target == "backup")
        assert (assignment.member_id, assignment.state) == (await member_id(run, "hugo"), "answered")
        home_staff = {await member_id(run, n) for n in ("fabienne", "gilles", "thomas", "claire")}
        assert not {a.member_id for a in await rows(run, Assignment)} & home_staff


async def test_no_backup_while_someone_of_the_space_is_there_nor_from_a_private_space(database_url: str) -> None:
    three_away = "".join(f"{who} dm: /absent jusqu'au 20/09\n" for who in ("fabienne", "gilles", "claire"))
    present = NEIGHBOUR + HOME.format(options="oncall=fabienne,gilles backup=voisin") + (
        "at 2026-09-07T08:00\n" + three_away + "at 2026-09-07T09:00\n" + ASK + "+4d\n")
    async with replay(database_url, present) as run:
        assert sent(run, "sos/backup") == []
        (resource,) = sent(run, "sos/resource")
        assert resource.to == "thomas"  # the tutor, still there, is asked instead
    private = NEIGHBOUR + HOME.format(options="oncall=fabienne,gilles backup=voisin private=yes") + (
        "at 2026-09-07T08:00\n" + ALL_AWAY + "at 2026-09-07T09:00\n" + ASK + "+4d\n")
    async with replay(database_url, private) as run:
        assert sent(run, "sos/backup") == []
        assert [d.to for d in sent(run) if d.to in ("hugo", "ines")] == []


async def test_someone_outside_the_space_cannot_claim_a_question_they_were_not_given(database_url: str) -> None:
    script = NEIGHBOUR + HOME.format(options="oncall=fabienne,gilles backup=voisin") + (
        "at 2026-09-07T09:00\n" + ASK + "ines reply: /claim\nines dm: /claim 1\n")
    async with replay(database_url, script) as run:
        assert len(sent(run, "sos/refuse_claim")) == 2  # in the thread, and in a DM
        (question,) = await rows(run, Question)
        assert question.claimed_by_id is None
