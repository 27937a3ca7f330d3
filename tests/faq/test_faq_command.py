"""`/faq`: search by words not in the titles (stems, synonyms), curated entries first, curation by staff only."""

from __future__ import annotations

from faq_support import SEPTEMBER, replay, rows, sent, team

from bot.db.models import FaqEntry

# Thread 4 (m4): a second resolved thread, also about the interactive whiteboard.
SECOND = """
+1d
bruno in sos: Le TBI de la salle 12 affiche une image floue, comment régler la netteté ?
+1h
thomas reply: Règle la mise au point sur la bague du projecteur, puis relance le calibrage du tableau.
bruno react ✅
"""


async def test_faq_finds_a_thread_by_words_absent_from_its_title(database_url: str) -> None:
    # "logiciels" is only in the answer, singular ("logiciel": same stem); "tableau blanc interactif" is a
    # synonym of TNI (bot/faq/synonyms.yaml).
    script = team() + SEPTEMBER + "+1d\nchloe in general: /faq logiciels\nchloe in general: /faq tableau blanc " \
        "interactif\n"
    async with replay(database_url, script) as run:
        by_stem, by_synonym = sent(run, "faq/results")
        for result in (by_stem, by_synonym):
            assert "Mon TNI ne reconnaît plus le stylet" in result.text and "#sos/m1" in result.text
            assert result.channel == "general" and result.to == ""  # public in a channel


async def test_faq_in_a_dm_answers_privately_and_says_when_nothing_matches(database_url: str) -> None:
    script = team() + SEPTEMBER + "+1d\nchloe dm: /faq stylet\nchloe dm: /faq webradio podcast\n"
    async with replay(database_url, script) as run:
        found, nothing = sent(run, "faq/results")
        assert found.to == "chloe" and found.channel == "" and "#sos/m1" in found.text
        assert nothing.to == "chloe" and "Rien dans la FAQ" in nothing.text


async def test_curated_entries_rank_first(database_url: str) -> None:
    # Promote the second thread (m4), whose score for "stylet calibrage" is lower than m1's.
    script = team() + SEPTEMBER + SECOND + "fabienne reply: /faq ajouter Image floue sur le TBI | Mise au point " \
        "sur la bague du projecteur\n+1h\nchloe in general: /faq stylet calibrage\n"
    async with replay(database_url, script) as run:
        (entry,) = await rows(run, FaqEntry)
        assert (entry.title, entry.summary) == ("Image floue sur le TBI", "Mise au point sur la bague du projecteur")
        (added,) = sent(run, "faq/added")
        assert added.thread == "m4" and f"n°{entry.id}" in added.text
        (result,) = sent(run, "faq/results")
        lines = [line for line in result.text.splitlines() if line.startswith("- ")]
        assert lines[0].startswith(f"- 📌 FAQ n°{entry.id} : Image floue sur le TBI")
        assert "Mon TNI ne reconnaît plus le stylet" in lines[1]


async def test_members_search_but_only_staff_curate(database_url: str) -> None:
    script = team() + SEPTEMBER + "alice reply: /faq ajouter\nthomas reply: /faq ajouter\n" \
        "fabienne reply: /faq ajouter\nalice reply: /faq retirer 1\nchloe reply: /faq modifier 1 titre: Pirate\n"
    async with replay(database_url, script) as run:
        refusals = sent(run, "faq/refuse_curate")
        assert len(refusals) == 4 and all(r.thread == "m1" for r in refusals)  # alice, thomas (a tutor), alice, chloe
        assert "Seuls les formateurs et la coordination" in refusals[0].text
        (entry,) = await rows(run, FaqEntry)
        assert entry.removed_at is None and entry.title.startswith("Mon TNI ne reconnaît plus le stylet")
        assert entry.summary is not None and entry.summary.startswith("Ouvre le logiciel du tableau")


async def test_staff_edit_and_remove_entries_with_clear_syntax(database_url: str) -> None:
    script = team() + SEPTEMBER + "fabienne reply: /faq ajouter\n" \
        "claire dm: /faq modifier 1 titre: Recalibrer le stylet du TNI résumé: Paramètres > Calibrage, cinq croix.\n" \
        "claire dm: /faq modifier 1 sans deux-points\nclaire dm: /faq retirer 7\nclaire dm: /faq retirer 1\n" \
        "chloe dm: /faq recalibrer\n"
    async with replay(database_url, script) as run:
        (entry,) = await rows(run, FaqEntry)
        assert entry.title == "Recalibrer le stylet du TNI" and entry.summary == "Paramètres > Calibrage, cinq croix."
        assert entry.removed_at is not None
        assert [d.template for d in sent(run) if d.to == "claire"] == [
            "faq/edited", "faq/edit_usage", "faq/no_such_entry", "faq/removed"]
        (result,) = sent(run, "faq/results")
        assert "📌" not in result.text and "#sos/m1" in result.text  # the thread stays, as a plain question


async def test_faq_ajouter_outside_a_resolved_thread_says_where_to_write_it(database_url: str) -> None:
    script = team() + "at 2026-09-14T09:00\nalice in sos: Comment faire un quiz ?\nfabienne reply: /faq ajouter\n" \
        "fabienne dm: /faq ajouter\nalice dm: /faq\n"
    async with replay(database_url, script) as run:
        assert [d.template for d in sent(run) if d.template.startswith("faq/")] == [
            "faq/not_resolved_thread", "faq/not_resolved_thread", "faq/usage"]
        assert await rows(run, FaqEntry) == []
