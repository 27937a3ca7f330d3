"""Nothing private leaks: another space's questions only when it shares them and is not private, never
what was written in a DM; erasure removes an erased person's words from suggestions and curated entries."""

from __future__ import annotations

from faq_support import SEPTEMBER, replay, rows, sent

from bot.db.models import FaqEntry, FaqSuggestion

MATHS_FIRST = """
space maths referential=crcn delay=4d {maths}
channel sos-maths kind=sos
member mathilde
trainer maxime
space lettres referential=c2i2e delay=4d
member alice
member chloe
trainer fabienne
coordinator claire
at 2026-09-14T09:00
mathilde in sos-maths: SECRET-MATHS Mon TNI ne reconnaît plus le stylet, que faire ?
+1h
maxime reply: Recalibre le tableau depuis le logiciel, menu Paramètres puis Calibrage.
mathilde react ✅
at 2026-10-05T10:00
chloe in sos: Le stylet de mon tableau blanc interactif ne marche plus, une idée ?
chloe in general: /faq stylet
"""


async def test_another_spaces_questions_stay_there_by_default(database_url: str) -> None:
    async with replay(database_url, MATHS_FIRST.format(maths="")) as run:
        assert "SECRET-MATHS" not in sent(run, "sos/received")[-1].text
        assert "SECRET-MATHS" not in sent(run, "faq/results")[0].text
        assert await rows(run, FaqSuggestion) == []


async def test_a_space_that_shares_with_another_is_suggested_there(database_url: str) -> None:
    async with replay(database_url, MATHS_FIRST.format(maths="faq_share=lettres")) as run:
        ack = sent(run, "sos/received")[-1]
        assert "SECRET-MATHS" in ack.text and "espace maths" in ack.text
        assert "SECRET-MATHS" in sent(run, "faq/results")[0].text


async def test_a_private_space_never_shares_whatever_faq_share_says(database_url: str) -> None:
    async with replay(database_url, MATHS_FIRST.format(maths="faq_share=lettres private=yes")) as run:
        assert "SECRET-MATHS" not in sent(run, "sos/received")[-1].text
        assert "SECRET-MATHS" not in sent(run, "faq/results")[0].text


async def test_nothing_written_in_a_dm_is_ever_found(database_url: str) -> None:
    script = """
space lettres referential=c2i2e delay=4d
member alice
member chloe
trainer fabienne
at 2026-09-14T09:00
alice dm: Confidentiel : mon TNI de la salle 12 a un stylet cassé, je ne veux pas que ça se sache.
fabienne dm: Pour le stylet du TNI de alice, change la pile du stylet.
alice dm: /faq stylet TNI
+1d
chloe in sos: Le stylet de mon TNI est cassé, que faire ?
chloe in general: /faq stylet TNI salle 12
"""
    async with replay(database_url, script) as run:
        private_search, public_search = sent(run, "faq/results")
        for result in (private_search, public_search):
            assert "Rien dans la FAQ" in result.text and "Confidentiel" not in result.text
        assert private_search.to == "alice"  # the DM search was answered in the DM
        assert "semblables" not in sent(run, "sos/received")[-1].text


async def test_erasure_removes_the_answerers_words_from_suggestions_and_entries(database_url: str) -> None:
    script = """
space lettres referential=c2i2e delay=4d
member alice
member chloe
trainer fabienne
coordinator claire
""" + SEPTEMBER + """claire reply: /faq ajouter
+1d
chloe dm: /faq stylet
fabienne dm: /oublier
fabienne dm: /oublier confirmer
chloe dm: /faq stylet
at 2026-10-05T10:00
chloe in sos: Le stylet de mon tableau blanc interactif ne marche plus, une idée ?
"""
    words = "Calibrage, et touche les cinq croix"
    async with replay(database_url, script) as run:
        before, after = sent(run, "faq/results")
        assert words in before.text and words not in after.text
        assert "Mon TNI ne reconnaît plus le stylet" in after.text  # alice's question stays, it is hers
        assert words not in sent(run, "sos/received")[-1].text
        (entry,) = await rows(run, FaqEntry)
        assert words not in (entry.summary or "") and words not in entry.title
