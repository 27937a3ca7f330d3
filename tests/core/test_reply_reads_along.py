"""A reply in a question's thread reads its question with the member (issue 17): no SELECT of its own on
questions, and the same effects as when the SOS observer read it itself (both databases)."""

from __future__ import annotations

from datetime import timedelta

from core_support import make_app, question, reply
from sqlalchemy import select

from bot.db.models import Member, Post, Question, ScheduledStep
from bot.db.sql_capture import SqlCapture


def _own_question_reads(sql: SqlCapture) -> list[str]:
    """Statements of their own that read the questions table (the member read only joins it)."""
    return [s for s, _ in sql.statements if s.lstrip().startswith("SELECT questions.")]


async def _state(app, msg: str) -> tuple[str, Question, dict[str, int]]:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as s:
        kind = (await s.execute(select(Post.kind).where(Post.platform_post_id == msg))).scalar_one()
        asked = (await s.execute(select(Question))).scalar_one()
        ids = dict((await s.execute(select(Member.platform_user_id, Member.id))).all())
        return kind, asked, ids


async def test_a_reply_reads_its_thread_question_with_the_member(database_url: str) -> None:
    app, _adapter, clock = await make_app(database_url)
    try:
        assert await app.submit(question("e1", msg="q1")) is True
        assert await app.submit(reply("e2", "bob", "Bonjour à tous", root="elsewhere", msg="b0")) is True  # bob known
        clock.advance(timedelta(minutes=5))
        sql = SqlCapture(keep=True)
        with sql.on(app.db.engine):
            assert await app.submit(reply("e3", "alice", "Je précise : un fichier PDF.", msg="a1")) is True
        # the asker's own reply is an answer-kind post of the thread but not a first response
        kind, asked, _ids = await _state(app, "a1")
        assert (kind, asked.first_response_at, asked.last_asker_post_at) == ("answer", None, clock.now())
        clock.advance(timedelta(minutes=5))
        with sql.on(app.db.engine):
            assert await app.submit(reply("e4", "bob", "Essaie le partage de lien.", msg="r1")) is True
        kind, asked, ids = await _state(app, "r1")
        assert kind == "answer"
        assert (asked.first_response_at, asked.first_responder_id) == (clock.now(), ids["bob"])
        assert asked.status == "open"  # bob holds no answering role
        assert _own_question_reads(sql) == []
    finally:
        await app.close()


async def test_a_reply_cancels_the_armed_follow_up_read_with_its_question(database_url: str) -> None:
    app, _adapter, clock = await make_app(database_url)
    try:
        assert await app.submit(question("e1", msg="q1")) is True
        assert await app.submit(reply("e2", "fabienne", "Utilise le lien de partage.", msg="t1")) is True
        assert (await _state(app, "t1"))[1].status == "answered"  # a trainer's reply
        clock.advance(timedelta(hours=1))
        assert await app.submit(reply("e3", "alice", "Ça ne marche toujours pas.", msg="a1")) is True
        sql = SqlCapture(keep=True)
        with sql.on(app.db.engine):
            assert await app.submit(reply("e4", "fabienne", "Et avec ce lien-ci ?", msg="t2")) is True
        assert _own_question_reads(sql) == []
        async with app.db.transaction() as s:
            steps = dict((await s.execute(select(ScheduledStep.kind, ScheduledStep.state)
                                          .where(ScheduledStep.kind == "sos.next_reply"))).all())
        assert steps == {"sos.next_reply": "cancelled"}  # the follow-up armed by alice's reply
    finally:
        await app.close()


async def test_a_new_members_reply_still_finds_the_question(database_url: str) -> None:
    """A new member has no row to ride along with: the SOS observer reads the question itself."""
    app, _adapter, clock = await make_app(database_url)
    try:
        assert await app.submit(question("e1", msg="q1")) is True
        clock.advance(timedelta(minutes=1))
        assert await app.submit(reply("e2", "newcomer", "Regarde le tutoriel.", msg="n1")) is True
        kind, asked, ids = await _state(app, "n1")
        assert (kind, asked.first_response_at, asked.first_responder_id) == ("answer", clock.now(), ids["newcomer"])
    finally:
        await app.close()
