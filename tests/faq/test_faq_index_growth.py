"""The FAQ index follows new resolutions without refitting on each one (a new question is searched on
arrival, and questions are resolved all day): they are appended with the current vocabulary, and the
vocabulary is refitted off the event loop once the index has grown by a quarter."""

from __future__ import annotations

from faq_support import replay, sent, team

from bot.faq.index import REFIT_GROWTH, faq_indexes_of

TOPICS = [
    ("Comment exporter les notes de Pronote vers un tableur ?", "Menu Notes, puis Exporter au format CSV."),
    ("Quel outil pour faire une carte mentale avec les élèves ?", "Framindmap fonctionne bien en ligne."),
    ("Mon vidéoprojecteur affiche des couleurs délavées, une idée ?", "Vérifie le câble VGA et le mode image."),
    ("Où trouver des images libres de droits pour un exposé ?", "Wikimedia Commons et la licence indiquée."),
    ("Comment créer une classe virtuelle dans l'ENT ?", "Dans l'ENT, l'appli Classe virtuelle, bouton Créer."),
    ("Un logiciel pour monter une vidéo de sortie scolaire ?", "Shotcut est libre et suffit largement."),
    ("Comment enregistrer un podcast avec la classe ?", "Audacity et un micro USB, export en MP3."),
    ("Le wifi de la salle coupe sans arrêt pendant les séances", "Demande au référent numérique un relais."),
]
LATE = ("Comment paramétrer un quiz Moodle avec plusieurs essais ?",
        "Dans les réglages du test, Nombre de tentatives autorisées.")


def resolved(question: str, answer: str) -> str:
    return f"alice in sos: {question}\n+1h\nfabienne reply: {answer}\nalice react ✅\n+1d\n"


async def test_a_resolution_after_the_index_was_built_is_appended_and_found(database_url: str) -> None:
    script = team() + "at 2026-09-07T09:00\n" + "".join(resolved(q, a) for q, a in TOPICS)
    script += resolved(*LATE)
    script += "chloe in sos: Combien d'essais pour un quiz Moodle, et où le régler ?\n"
    async with replay(database_url, script) as run:
        assert run.app is not None
        ack = sent(run, "sos/received")[-1]
        assert "Nombre de tentatives" in ack.text  # the late thread's accepted answer, found
        indexes = faq_indexes_of(run.app.core)
        await indexes.settled()
        # Every question was searched on arrival; all 9 threads are in, and once the refits in flight
        # are done the vocabulary is fitted on at least 4/5 of them (refits: off the loop, as it grows).
        (index,) = indexes.current.values()
        assert len(index.docs) == 9
        assert 9 <= (1 + REFIT_GROWTH) * index.fitted_on and index.fitted_on <= 9
