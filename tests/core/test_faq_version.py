"""The FAQ index's freshness through the database's counter (issue 17, migration 0011).

An index asks one counter row per space whether anything it depends on changed; the database's
triggers bump it in the writing transaction. So a resolution, a reopening or a curated entry made by
another instance, or by a plain SQL statement, is seen by the next search of an instance that already
holds its index; and a search with nothing changed reads the counter, not the fingerprint.
"""

from __future__ import annotations

from datetime import timedelta

from core_support import make_app, question, react, reply
from sqlalchemy import select, text

from bot.db.faq_models import FaqSuggestion, FaqVersion
from bot.db.models import Question
from bot.db.sql_capture import SqlCapture

STYLUS = "Mon TNI ne reconnaît plus le stylet depuis la mise à jour, que faire ?"
ANSWER = "Ouvre le logiciel du tableau, menu Paramètres puis Calibrage, et touche les cinq croix."
ALIKE = "Le stylet de mon tableau blanc interactif ne marche plus du tout, une idée ?"


async def suggested(app, msg: str) -> list[int]:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as s:
        qid = await s.scalar(select(Question.id).where(Question.thread_root_id == msg))
        return list((await s.execute(select(FaqSuggestion.source_question_id)
                                     .where(FaqSuggestion.question_id == qid))).scalars())


async def question_id(app, msg: str) -> int:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as s:
        return int(await s.scalar(select(Question.id).where(Question.thread_root_id == msg)) or 0)


async def test_a_change_made_elsewhere_is_seen_by_an_index_already_built(database_url: str) -> None:
    first, _, clock = await make_app(database_url)
    second, _, _ = await make_app(database_url, clock=clock)
    try:
        await first.core.handle(question("e0", "Où trouver le tableur de l'ENT ?", who="bob", msg="q0"))
        await second.core.handle(question("e1", STYLUS, msg="q1"))
        clock.advance(timedelta(hours=2))
        await second.core.handle(reply("e2", "fabienne", ANSWER, root="q1", msg="r1"))
        await second.core.handle(react("e3", "alice", "r1"))  # resolved through the second instance
        q1 = await question_id(first, "q1")
        clock.advance(timedelta(minutes=5))
        await first.core.handle(question("e4", ALIKE, who="bob", msg="q2"))
        assert await suggested(first, "q2") == [q1]

        # the other question resolved too, later: the latest resolution the first index knows
        await second.core.handle(reply("e8", "fabienne", "Dans l'ENT, menu Outils puis Tableur.", root="q0",
                                       msg="r0"))
        await second.core.handle(react("e9", "bob", "r0"))
        await second.core.handle(react("e5", "alice", "r1", emoji="❌"))  # reopened through the second
        clock.advance(timedelta(minutes=5))
        await first.core.handle(question("e6", ALIKE, who="chloe", msg="q3"))
        assert await suggested(first, "q3") == []

        # no code of the bot: a bare statement, as a script would; resolved at a time before the latest
        # resolution the index knows (so not among the questions "resolved since"): the counter says one
        # more, the read finds none, and the fingerprint decides
        async with second.db.transaction() as s:
            await s.execute(text("UPDATE questions SET status = 'resolved', resolved_at = created_at "
                                 "WHERE id = :id"), {"id": q1})
        clock.advance(timedelta(minutes=5))
        await first.core.handle(question("e7", ALIKE, who="dan", msg="q4"))
        assert await suggested(first, "q4") == [q1]
    finally:
        await second.close()
        await first.close()


async def test_a_search_reads_the_counters_not_the_fingerprint_when_nothing_else_changed(
        database_url: str) -> None:
    app, _, clock = await make_app(database_url)
    try:
        await app.core.handle(question("e1", STYLUS, msg="q1"))
        clock.advance(timedelta(hours=2))
        await app.core.handle(reply("e2", "fabienne", ANSWER, root="q1", msg="r1"))
        await app.core.handle(react("e3", "alice", "r1"))
        await app.core.handle(question("e4", ALIKE, who="bob", msg="q2"))  # the counter moved: fingerprint
        async with app.db.transaction() as s:
            assert (await s.scalar(select(FaqVersion.resolutions).where(FaqVersion.space_id == "demo")) or 0) >= 1
        sql = SqlCapture(keep=True)
        with sql.on(app.db.engine):
            await app.core.handle(question("e5", ALIKE, who="chloe", msg="q3"))
        statements = [s for s, _ in sql.statements]
        assert sum("faq_versions" in s for s in statements) == 1
        assert not any("count(questions.id)" in s for s in statements), statements
        assert await suggested(app, "q3") == [await question_id(app, "q1")]

        # one more resolved: the counters say it is the only change, so it is appended without the fingerprint
        await app.core.handle(reply("e6", "fabienne", ANSWER, root="q2", msg="r2"))
        await app.core.handle(react("e7", "bob", "r2"))
        with sql.on(app.db.engine):
            del sql.statements[:]
            await app.core.handle(question("e8", ALIKE, who="dan", msg="q4"))
        assert not any("count(questions.id)" in s for s, _ in sql.statements)
        both = sorted([await question_id(app, "q1"), await question_id(app, "q2")])
        assert sorted(await suggested(app, "q4")) == both
    finally:
        await app.close()
