"""A reaction in a mapped channel reads its post with the member (issue 17), and on PostgreSQL the event's
claim rides in the same statement: the post still drives what the reaction does (both databases)."""

from __future__ import annotations

from datetime import timedelta

from core_support import SOS, make_app, question, react, reply
from sqlalchemy import select

from bot.db.models import Member, Post, ProcessedEvent, Question
from bot.db.sql_capture import SqlCapture
from bot.events import ReactionAdded
from bot.refs import MessageRef, UserRef


def _own_post_reads(sql: SqlCapture) -> list[str]:
    """Statements of their own that read the posts table (the member read only joins it)."""
    return [s for s, _ in sql.statements if s.lstrip().startswith("SELECT posts.")]


async def test_the_askers_tick_reads_the_post_with_the_member_and_resolves(database_url: str) -> None:
    app, _adapter, clock = await make_app(database_url)
    try:
        assert await app.submit(question("e1", msg="q1")) is True
        assert await app.submit(reply("e2", "bob", "Essaie le partage de lien.", msg="r1")) is True
        clock.advance(timedelta(minutes=10))
        await app.settle()  # the reply's own send bookkeeping (an UPDATE of its outbox row) is not this event's
        sql = SqlCapture(keep=True)
        with sql.on(app.db.engine):
            assert await app.submit(react("e3", "alice", "r1")) is True
        assert _own_post_reads(sql) == []
        if app.db.is_postgres:  # the claim rides in the member read: the event's first statement
            first = [s.split()[0] for s, _ in sql.statements if not s.startswith(("BEGIN", "SAVEPOINT"))][:1]
            assert first == ["WITH"]
        async with app.db.transaction() as s:
            asked = (await s.execute(select(Question))).scalar_one()
            r1 = (await s.execute(select(Post.id).where(Post.platform_post_id == "r1"))).scalar_one()
        assert (asked.status, asked.accepted_post_id, asked.resolved_at) == ("resolved", r1, clock.now())
        assert await app.submit(react("e3", "alice", "r1")) is False  # the same event again: already handled
    finally:
        await app.close()


async def test_a_reaction_by_someone_new_or_on_an_unknown_message(database_url: str) -> None:
    """A new member has no row to ride along with (the previous path creates them); a message never
    stored is ignored, its claim kept so a redelivery changes nothing."""
    app, _adapter, _clock = await make_app(database_url)
    try:
        assert await app.submit(question("e1", msg="q1")) is True
        assert await app.submit(reply("e2", "bob", "Essaie le partage de lien.", msg="r1")) is True
        assert await app.submit(react("e3", "zoe", "r1", "👍")) is True
        assert await app.submit(ReactionAdded("e4", UserRef("console", "bob", "bob"), MessageRef(SOS, "gone"),
                                              "✅")) is True
        assert await app.submit(react("e4", "bob", "gone")) is False
        async with app.db.transaction() as s:
            names = set((await s.execute(select(Member.platform_user_id))).scalars())
            claimed = set((await s.execute(select(ProcessedEvent.event_id))).scalars())
            status = (await s.execute(select(Question.status))).scalar_one()
        assert "zoe" in names and {"e3", "e4"} <= claimed
        assert status == "open"  # neither reaction touched the question
    finally:
        await app.close()
