"""`/sla` and the SLA report: holders and since when, acknowledgement times, warnings, staff load."""

from __future__ import annotations

from sos_support import replay, rows, sent, team

from bot.db.models import Question
from bot.sos.sla_staff import holders, staff_report

SCRIPT = team("oncall=fabienne,gilles") + """
at 2026-09-07T09:00
alice in sos: Comment partager un document sans ENT ?
bruno in sos: Quel logiciel pour une carte mentale ?
+2d3h
fabienne dm: /claim 1
+2h
claire dm: /sla
fabienne dm: /sla
bruno dm: /sla
"""


async def test_sla_shows_who_holds_each_open_question_and_the_staff_load(database_url: str) -> None:
    async with replay(database_url, SCRIPT) as run:
        sla = sent(run, "sos/sla")
        assert [d.to for d in sla] == ["claire", "fabienne"]
        text = sla[0].text
        assert "n°1" in text and "prise par fabienne depuis le 9 septembre à 12:00" in text
        assert "n°2" in text and "confiée à fabienne depuis le 9 septembre à 09:00, sans réponse" in text
        assert "Prise en charge après sollicitation : médiane 3.0 h (1 prise)" in text
        assert "Charge de l'équipe : 2 messages personnels, soit 1.0 par question" in text
        assert "- fabienne : 2 messages, 2 questions" in text
        assert [d.to for d in sent(run, "sos/refuse_sla")] == ["bruno"]


async def test_the_report_is_a_query_over_assignments_and_escalations(database_url: str) -> None:
    script = SCRIPT + "+4d\n"
    async with replay(database_url, script) as run:
        assert run.app is not None
        async with run.app.db.transaction() as session:
            report = await staff_report(session, run.clock.now(), "demo")
            held = await holders(session, "demo")
        questions = await rows(run, Question)
        pinged = sum(row["pings"] for row in report.load)  # type: ignore[misc]
        assert report.pings == pinged and report.pings_per_question == round(pinged / len(questions), 3)
        # Both questions breached; the coordinator was warned in time for both.
        assert (report.coordinator_needed, report.coordinator_warned_in_time) == (2, 2)
        assert report.acknowledged == 1 and report.median_ack_hours == 3.0
        assert {h.state for h in held} <= {"offered", "acknowledged", "community"} and len(held) == 2


async def test_sla_shows_coordinators_the_messages_not_delivered(database_url: str) -> None:
    from sqlalchemy import select

    from bot.db.models import Outbox

    async with replay(database_url, SCRIPT) as run:
        async with run.app.db.transaction() as session:
            row = (await session.execute(select(Outbox).where(Outbox.template == "sos/received")
                                         .order_by(Outbox.id))).scalars().first()
            row.status, row.failed_at, row.last_error = "failed", run.clock.now(), "room deleted"
            failed_id = row.id
        await run.run_script("claire dm: /sla\nfabienne dm: /sla\n")
        claire, fabienne = sent(run, "sos/sla")[-2:]
        assert (claire.to, fabienne.to) == ("claire", "fabienne")
        assert "Messages non remis** : 1" in claire.text and f"n° {failed_id} ·" in claire.text
        assert "room deleted" in claire.text and "ticebot outbox retry" in claire.text
        assert "non remis" not in fabienne.text  # a formateur is not the one who fixes deliveries
        assert "non remis" not in sent(run, "sos/sla")[0].text  # none failed at the first /sla


async def test_trainer_digest_lists_the_formateurs_open_assignments(database_url: str) -> None:
    """The same rows as /sla's holders: n°1 taken by fabienne, n°2 given to her and not acknowledged."""
    from datetime import timedelta

    from sos_support import member_id

    from bot.db.models import Space
    from bot.digest.trainer import trainer_digests
    from bot.templates import render

    async with replay(database_url, SCRIPT) as run:
        now = run.clock.now()
        fabienne, gilles = await member_id(run, "fabienne"), await member_id(run, "gilles")
        async with run.app.db.transaction() as session:
            cfg = run.app.core.space_config(await session.get(Space, "demo"))
            digests = await trainer_digests(session, cfg, now - timedelta(days=7), now, now)
            expected = [(h.question.id, h.state) for h in await holders(session, "demo")
                        if h.holder is not None and h.holder.id == fabienne]
        mine = digests[fabienne][1]
        assert [(a["number"], a["state"]) for a in mine.assigned] == expected == [(1, "acknowledged"), (2, "offered")]
        assert digests[gilles][1].assigned == []
        text = render("fr", "digest/trainer", space="demo", first_day=now, last_day=now, **mine.values()).text
        assert "**Questions qui vous sont confiées**" in text
        assert "n°1" in text and "prise par vous le 9 septembre à 12:00" in text
        assert "n°2" in text and "sans réponse de votre part (`/claim #2` ou `/passer #2`)" in text
        english = render("en", "digest/trainer", space="demo", first_day=now, last_day=now, **mine.values()).text
        assert "**Questions given to you**" in english
        assert "confiées" not in render("fr", "digest/trainer", space="demo", first_day=now, last_day=now,
                                        **digests[gilles][1].values()).text
