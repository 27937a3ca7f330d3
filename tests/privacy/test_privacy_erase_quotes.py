"""Erasure also removes partial quotes of the person's words: a run of their words quoted by someone
else (Matrix reply fallback, Discord "> " quote, « … » by hand), in posts and in pending messages."""

from __future__ import annotations

from sqlalchemy import select

from adapters.console.replay import Replay
from bot.db.models import Member, Outbox, Post
from bot.events import PostCreated
from bot.privacy.erase import erase_member
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

QUESTION = ("Mon ordinateur clignote en violet quand je lance Pronote, puis l'écran se fige au bout de "
            "deux minutes et je dois redémarrer en plein cours. Quelqu'un a une idée ?")
SOS = ChannelRef("console", "sos")
REPLIES = {
    # Element's reply fallback: the whole body quoted after the sender's id, then the answer.
    "matrix_fallback": ("> <@alice:example.org> Mon ordinateur clignote en violet quand je lance Pronote, puis "
                        "l'écran se fige\n\nAs-tu essayé de mettre à jour le pilote graphique ?"),
    # A Discord quote of a middle part, with "> " as the client inserts it.
    "discord_quote": "> l'écran se fige au bout de deux minutes\nPareil chez moi avec le vieux TBI de la salle B.",
    # Quoted by hand, cut with an ellipsis, as in the issue.
    "guillemets": "« Mon ordinateur clignote en violet quand je lance Pronote … » : ça m'arrive aussi le lundi.",
    # Someone who happens to share a few common words, without quoting: left alone.
    "unrelated": "Quand je lance Pronote le matin tout va bien, c'est plutôt l'ENT qui rame.",
}
KEPT = {
    "matrix_fallback": "As-tu essayé de mettre à jour le pilote graphique ?",
    "discord_quote": "Pareil chez moi avec le vieux TBI de la salle B.",
    "guillemets": "ça m'arrive aussi le lundi.",
    "unrelated": REPLIES["unrelated"],
}
FRAGMENTS = ["clignote en violet", "l'écran se fige", "deux minutes"]


async def test_partial_quotes_of_an_erased_member_are_cut_and_the_rest_kept(database_url: str) -> None:
    replay = Replay(database_url=database_url)
    try:
        await replay.run_script(f"space demo referential=c2i2e delay=4d\nmember alice\nmember bruno\n"
                                f"trainer fabienne\nat 2026-09-07T09:00\nalice in sos: {QUESTION}\n")
        app = replay.app
        assert app is not None
        root = replay.threads[-1]
        for n, text in enumerate(REPLIES.values()):
            await app.submit(PostCreated(f"ev-r{n}", UserRef("console", "bruno", "bruno"), SOS,
                                         MessageRef(SOS, f"r{n}"), text, thread=ThreadRef(SOS, root.id)))
        # A message still waiting to go out that quotes her (the referent alert quotes the question).
        async with app.db.transaction() as session:
            pending = Outbox(platform="console", conversation="console:dm:fabienne", kind="send_direct",
                             template="sos/referent", created_at=replay.clock.now(),
                             next_attempt_at=replay.clock.now(),
                             payload={"user": {"platform": "console", "id": "fabienne", "display": "fabienne"},
                                      "text": "Question de @alice :\n> Mon ordinateur clignote en violet quand je "
                                              "lance Pronote, puis l'écran se fige au bout … (suite : #sos/x)",
                                      "template": "sos/referent", "mentions": [], "attachment_path": "",
                                      "declaration_id": None})
            session.add(pending)
        async with app.db.transaction() as session:
            alice = (await session.execute(select(Member).where(Member.platform_user_id == "alice"))).scalar_one()
            await erase_member(session, alice, replay.clock.now())
        async with app.db.transaction() as session:
            texts = {p.platform_post_id: p.text or "" for p in (await session.execute(select(Post))).scalars()}
            queued = (await session.execute(select(Outbox).where(Outbox.template == "sos/referent"))).scalar_one()
        for n, name in enumerate(REPLIES):
            text = texts[f"r{n}"]
            assert KEPT[name] in text, (name, text)
            if name != "unrelated":
                assert "[…]" in text, (name, text)
            assert not [f for f in FRAGMENTS if f in text], (name, text)
        assert not [f for f in FRAGMENTS if f in queued.payload["text"]], queued.payload["text"]
        assert "(suite : #sos/x)" in queued.payload["text"]
    finally:
        await replay.close()
