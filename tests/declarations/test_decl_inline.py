"""Commands written inside a message: the declaration people actually write, and what is not one."""

from __future__ import annotations

from decl_support import Run, declarations, reviews, templates
from sqlalchemy import select

from bot.db.models import Post, Tag
from bot.events import PostCreated
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

NATURAL = ("J'ai mené une recherche documentaire sur l'ENT avec mes 4e, fiche de séance jointe. "
           "/declare B2-3 https://exemple.org/fiche-seance")


async def _posts(replay: object) -> list[Post]:
    async with replay.app.core.db.transaction() as session:  # type: ignore[attr-defined]
        return list((await session.execute(select(Post).order_by(Post.id))).scalars())


async def _tags(replay: object, post_id: int) -> set[tuple[str, str]]:
    async with replay.app.core.db.transaction() as session:  # type: ignore[attr-defined]
        rows = await session.execute(select(Tag).where(Tag.post_id == post_id))
        return {(t.code, t.source) for t in rows.scalars()}


async def test_natural_declaration_then_precisions_then_validation_in_the_thread(run: Run) -> None:
    replay = await run(f"""
alice in general: {NATURAL}
expect declarations/declared
fabienne reply: Belle séance ! /precisions Quel était l'objectif de la recherche ?
expect declarations/needs_info
alice reply: Apprendre à évaluer la fiabilité d'un site.
expect declarations/info_received to fabienne
fabienne reply: Merci, c'est clair. /valider B2-3
expect declarations/validated to alice
""")
    [decl] = await declarations(replay)
    assert (decl.code, decl.state, decl.is_private) == ("B2-3", "validated", False)
    assert decl.trace_text == ("J'ai mené une recherche documentaire sur l'ENT avec mes 4e, fiche de séance jointe. "
                               "https://exemple.org/fiche-seance")
    posts = await _posts(replay)
    assert decl.trace_post_id == posts[0].id and decl.thread_root_id == posts[0].platform_post_id
    assert [(f, t, c) for _, f, t, c in await reviews(replay)] == [
        ("declared", "in_review", None), ("in_review", "needs_info", "Quel était l'objectif de la recherche ?"),
        ("needs_info", "in_review", "Apprendre à évaluer la fiabilité d'un site."),
        ("in_review", "validated", "Merci, c'est clair.")]
    # What alice saw: the code, its label and the trace that was understood.
    ack = next(d for d in replay.delivered if d.template == "declarations/declared")
    assert ack.thread and "**B2-3** — Concevoir des situations" in ack.text
    assert "Trace retenue (votre message) : « J'ai mené une recherche documentaire" in ack.text
    assert "lien : https://exemple.org/fiche-seance" in ack.text
    validated = next(d for d in replay.delivered if d.template == "declarations/validated")
    assert validated.to == "alice" and "Merci, c'est clair." in validated.text
    # The post is both an account of a session and a declaration: it is tagged as a contribution.
    assert ("B2-3", "explicit") in await _tags(replay, posts[0].id)


async def test_a_trainers_help_message_declares_nothing(run: Run) -> None:
    replay = await run("""
fabienne in general: Rappel : pour déclarer une compétence, tapez /declare B2-3 votre lien dans le fil de votre post.
gaston in general: Bienvenue à tous ! Après vos séances : /declare B2-3 https://exemple.org/ma-sequence
tom in general: Petit conseil : utilisez /declare B1-1 suivi du lien de votre trace.
""")
    assert await declarations(replay) == []
    assert templates(replay) == []  # no acknowledgement, no error, nobody is told anything
    posts = await _posts(replay)
    assert [p.kind for p in posts] == ["post", "post", "post"]  # ordinary posts, seen by the observers


async def test_an_invalid_inline_code_gets_suggestions_not_a_declaration(run: Run) -> None:
    replay = await run("""
alice in general: Séance de recherche au CDI avec les 6e. /declare B2-8 https://exemple.org/seance
expect declarations/unknown_code
""")
    assert await declarations(replay) == []
    reply = replay.delivered[-1]
    assert "« B2-8 »" in reply.text and "`B2-3`" in reply.text and "rien n'a été enregistré" in reply.text


async def test_quoted_declaration_in_a_reply_is_not_a_declaration(run: Run) -> None:
    replay = await run("alice in general: Bonjour à tous\n")
    assert replay.app is not None
    channel = ChannelRef("console", "general")
    [root] = await _posts(replay)
    text = f"> {NATURAL}\n\nBravo Alice, je vais essayer avec mes 5e !"
    await replay.app.submit(PostCreated("quote-1", UserRef("console", "bruno", "bruno"), channel,
                                        MessageRef(channel, "q1"), text,
                                        thread=ThreadRef(channel, root.platform_post_id)))
    await replay.app.run_once()
    assert await declarations(replay) == []
    assert not [t for t in templates(replay) if t.startswith("declarations/")]


async def test_inline_valider_outside_a_declaration_thread_is_just_a_post(run: Run) -> None:
    replay = await run("""
fabienne in general: On pourra /valider ensemble vos séances la semaine prochaine.
alice in general: Je voudrais bien qu'on puisse /valider ma séance #B2-3.
""")
    assert templates(replay) == [] and await declarations(replay) == []
    assert [p.kind for p in await _posts(replay)] == ["post", "post"]


async def test_sos_at_the_end_of_a_message_opens_a_question_with_the_words_before(run: Run) -> None:
    from bot.db.models import Question

    replay = await run("""
alice in general: Mon vidéoprojecteur ne s'allume plus depuis ce matin, comment faire ? /sos
expect sos/received
bruno in general: Quand je tape /sos rien ne se passe, c'est normal ?
""")
    async with replay.app.core.db.transaction() as session:  # type: ignore[union-attr]
        questions = list((await session.execute(select(Question))).scalars())
    assert [q.title for q in questions] == ["Mon vidéoprojecteur ne s'allume plus depuis ce matin, comment faire ?"]
    assert [t for t in templates(replay) if t.startswith("sos/")] == ["sos/received"]
