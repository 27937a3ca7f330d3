"""The FAQ flow end to end, as a replay script (tests/faq/scenarios/faq_flow.tice)."""

from __future__ import annotations

from pathlib import Path

from faq_support import replay, rows, sent

from bot.db.models import FaqEntry, Question

SCENARIO = Path(__file__).parent / "scenarios" / "faq_flow.tice"


async def test_the_faq_scenario_plays_end_to_end(database_url: str) -> None:
    async with replay(database_url, SCENARIO.read_text(encoding="utf-8")) as run:  # every `expect` holds
        september, october = sorted(await rows(run, Question), key=lambda q: q.id)
        assert (september.resolution, october.resolution) == (None, "faq")
        (entry,) = await rows(run, FaqEntry)
        ack = sent(run, "sos/received")[-1]
        assert f"📌 FAQ n°{entry.id} : Recalibrer le stylet du TNI" in ack.text
        (found,) = sent(run, "faq/results")
        assert "Recalibrer le stylet du TNI" in found.text  # none of the searched words is in the title
        (sla,) = sent(run, "sos/sla")
        assert "dont par la FAQ : 1" in sla.text and "dépassements : 0" in sla.text
