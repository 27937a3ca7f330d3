"""A new SOS question that resembles a resolved one gets it linked in its acknowledgement; the asker's ✅
on that acknowledgement (or `/resolu` before anyone replied) resolves it "par la FAQ", a category of its own."""

from __future__ import annotations

from faq_support import OCTOBER_ASK, SEPTEMBER, replay, rows, sent, team

from bot.db.models import FaqSuggestion, Question, ScheduledStep


async def test_an_october_question_gets_the_september_thread_linked(database_url: str) -> None:
    async with replay(database_url, team() + SEPTEMBER + OCTOBER_ASK) as run:
        september, october = sorted(await rows(run, Question), key=lambda q: q.id)
        ack = sent(run, "sos/received")[-1]
        assert ack.thread == "m4"  # the October thread
        assert "#sos/m1" in ack.text and "septembre 2026" in ack.text
        assert "Calibrage, et touche les cinq croix" in ack.text  # the accepted answer's first line
        assert "fabienne" not in ack.text  # she never agreed to be named in public
        (suggestion,) = await rows(run, FaqSuggestion)
        assert (suggestion.question_id, suggestion.source_question_id) == (october.id, september.id)
        first_ack = sent(run, "sos/received")[0]
        assert "semblables" not in first_ack.text  # nothing resolved yet in September


async def test_a_named_answerer_who_consented_is_named(database_url: str) -> None:
    script = team() + "at 2026-09-01T09:00\nfabienne dm: /consentement public\n" + SEPTEMBER + OCTOBER_ASK
    async with replay(database_url, script) as run:
        assert "(fabienne)" in sent(run, "sos/received")[-1].text


async def test_an_unrelated_question_gets_no_suggestion(database_url: str) -> None:
    script = team() + SEPTEMBER + "at 2026-10-05T10:00\nchloe in sos: Quelle appli pour enregistrer la lecture à " \
        "voix haute des élèves ?\n"
    async with replay(database_url, script) as run:
        assert "semblables" not in sent(run, "sos/received")[-1].text
        assert await rows(run, FaqSuggestion) == []


async def test_the_askers_check_on_the_acknowledgement_resolves_it_by_the_faq(database_url: str) -> None:
    script = team() + SEPTEMBER + OCTOBER_ASK + "chloe react ✅ to bot\n+6d\nclaire dm: /sla\n"
    async with replay(database_url, script) as run:
        october = max(await rows(run, Question), key=lambda q: q.id)
        assert october.status == "resolved" and october.resolution == "faq"
        assert october.answered_at is None and october.breached_at is None  # no human answer, no breach
        pending = await rows(run, ScheduledStep, ScheduledStep.question_id == october.id,
                             ScheduledStep.state == "pending")
        assert pending == []
        october_messages = [d.template for d in sent(run) if d.thread == "m4"]
        assert october_messages == ["sos/received", "faq/resolved_by_faq"]  # no nudge, no breach afterwards
        assert not [d for d in sent(run) if d.to in ("fabienne", "thomas") and d.template.startswith("sos/")]
        (sla,) = sent(run, "sos/sla")
        assert "résolues : 2 (dont par la FAQ : 1)" in sla.text
        assert "dépassements : 0" in sla.text and "Répondues dans le délai : 100.0 %" in sla.text


async def test_resolu_before_any_reply_is_a_faq_resolution(database_url: str) -> None:
    script = team() + SEPTEMBER + OCTOBER_ASK + "+1h\nchloe reply: /resolu\n"
    async with replay(database_url, script) as run:
        october = max(await rows(run, Question), key=lambda q: q.id)
        assert (october.status, october.resolution) == ("resolved", "faq")
        assert sent(run, "faq/resolved_by_faq")[0].thread == "m4"


async def test_resolu_after_a_reply_accepts_that_reply_as_always(database_url: str) -> None:
    script = team() + SEPTEMBER + OCTOBER_ASK + "+1h\nbruno reply: Recharge le stylet.\nchloe reply: /resolu\n"
    async with replay(database_url, script) as run:
        october = max(await rows(run, Question), key=lambda q: q.id)
        assert (october.status, october.resolution) == ("resolved", None)
        assert october.answered_at is not None and october.accepted_post_id is not None
        assert sent(run, "faq/resolved_by_faq") == []


async def test_only_the_askers_check_counts(database_url: str) -> None:
    script = team() + SEPTEMBER + OCTOBER_ASK + "bruno react ✅ to bot\nfabienne react ✅ to bot\n"
    async with replay(database_url, script) as run:
        october = max(await rows(run, Question), key=lambda q: q.id)
        assert october.status == "open" and october.resolution is None


async def test_an_acknowledgement_without_suggestions_resolves_nothing(database_url: str) -> None:
    script = team() + "at 2026-09-14T09:00\nalice in sos: Comment faire un quiz ?\nalice react ✅ to bot\n"
    async with replay(database_url, script) as run:
        (question,) = await rows(run, Question)
        assert question.status == "open"
