"""The hot path's hand-built statements (issue 17): what they store, on both databases, and that
SQLAlchemy can cache them (a statement without a cache key is compiled again on every event)."""

from __future__ import annotations

from core_support import SOS, make_app, question, reply, user
from sqlalchemy import select

from bot.core import _POST_KEY, _POSTS, _store_statement
from bot.db.insert_ignore import insert_ignore
from bot.db.models import Post, ProcessedEvent, Question
from bot.db.sql_capture import SqlCapture
from bot.events import CommandInvoked


async def _kinds(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as s:
        return dict((await s.execute(select(Post.platform_post_id, Post.kind))).all())


async def test_posts_are_claimed_once_and_replies_in_question_threads_are_answers(database_url: str) -> None:
    app, _adapter, _clock = await make_app(database_url)
    try:
        sql = SqlCapture(keep=True)
        with sql.on(app.db.engine):
            assert await app.submit(question("e1", msg="q1")) is True
        # a new question's post is stored as one by its INSERT, not updated right after it
        assert not [s for s, _ in sql.statements if s.lstrip().upper().startswith("UPDATE POSTS")]
        assert await app.submit(reply("e2", "bob", "Essaie le partage de lien.", root="q1", msg="r1")) is True
        # a thread under a post that is no question: its reply stays a plain post
        assert await app.submit(reply("e3", "bob", "Merci pour l'info", root="nothing", msg="r2")) is True
        # the same message under another event id: not stored twice
        assert await app.submit(reply("e4", "bob", "Essaie le partage de lien.", root="q1", msg="r1")) is True
        assert await _kinds(app) == {"q1": "question", "r1": "answer", "r2": "post"}
        assert await app.submit(reply("e5", "bob", "Ou alors par mail.", root="q1", msg="r3")) is True
        assert await app.submit(reply("e6", "carol", "Moi aussi.", root="q1", msg="r4")) is True
        # one INSERT built per kind expression (a new question's, an answer whose question was read with
        # the member, a new member's reply whose thread was not): reused, not rebuilt per post
        assert len(app.core._kind_statements) == 3
    finally:
        await app.close()


def test_post_inserts_have_a_cache_key_that_ignores_the_values() -> None:
    for dialect in ("sqlite", "postgresql"):
        assert _store_statement(dialect)._generate_cache_key() is not None
        one = insert_ignore(_POSTS, _POST_KEY, dialect).values(platform="a", platform_post_id="1")
        two = insert_ignore(_POSTS, _POST_KEY, dialect).values(platform="b", platform_post_id="2")
        assert one._generate_cache_key() == two._generate_cache_key()
        other_key = insert_ignore(_POSTS, ("platform", "platform_post_id"), dialect).values(
            platform="a", platform_post_id="1")
        assert other_key._generate_cache_key() != one._generate_cache_key()  # the key is rendered: part of it


async def _count(app, model) -> int:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as s:
        return len((await s.execute(select(model))).scalars().all())


async def test_the_claim_comes_first_and_a_replayed_event_changes_nothing(database_url: str) -> None:
    """The claim rides with the member read: on PostgreSQL one statement (a CTE), on SQLite the same trip
    (sent by the driver right before it, not through SQLAlchemy: tests/core/test_claim_ride.py); on both
    it runs first, and a second delivery of the event id, post or command, is refused whole."""
    app, adapter, _clock = await make_app(database_url)
    try:
        assert await app.submit(question("warm", msg="q0")) is True  # channel and space now held in memory
        sql = SqlCapture(keep=True)
        with sql.on(app.db.engine):
            assert await app.submit(question("e1", msg="q1")) is True
            assert await app.submit(CommandInvoked("e2", user("bob"), SOS, "aide")) is True
        first = [s.split()[0] for s, _ in sql.statements if not s.startswith(("BEGIN", "SAVEPOINT"))][:1]
        if app.db.is_postgres:
            assert first == ["WITH"]
            assert sum("processed_events" in s for s, _ in sql.statements) == 2  # no INSERT besides the CTE
        else:
            assert first == ["SELECT"] and "FROM members" in sql.statements[1][0]
            assert not [s for s, _ in sql.statements if "processed_events" in s]
        assert await _count(app, ProcessedEvent) == 3
        await app.run_once()
        replies = len(adapter.sent)
        assert await app.submit(question("e1", msg="q9")) is False
        assert await app.submit(CommandInvoked("e2", user("bob"), SOS, "aide")) is False
        assert await app.submit(CommandInvoked("e3", user("newcomer"), SOS, "aide")) is True  # a new member
        await app.run_once()
        assert await _count(app, ProcessedEvent) == 4
        assert await _count(app, Question) == 2
        assert await _kinds(app) == {"q0": "question", "q1": "question"}
        assert len(adapter.sent) > replies  # the newcomer's /aide was answered
        assert await app.submit(CommandInvoked("e3", user("newcomer"), SOS, "aide")) is False
    finally:
        await app.close()


async def test_member_reads_with_rows_along_are_built_once_and_cacheable(database_url: str) -> None:
    """A reply's question and a reaction's post ride in the member read: one statement per space and
    kind of event, whose values are bound (SQLAlchemy caches its compiled form)."""
    from core_support import react

    app, _adapter, _clock = await make_app(database_url)
    try:
        assert await app.submit(question("e1", msg="q1")) is True
        for i in range(3):
            assert await app.submit(reply(f"r{i}", "bob", f"Piste numéro {i}.", msg=f"m{i}")) is True
            assert await app.submit(react(f"x{i}", "alice", f"m{i}", "👍")) is True
        built = {key: query for key, query in app.core.config_rows.derived.items() if key[0] == "member query"}
        assert {key[4] for key in built} >= {"reply", "reaction"}
        assert len(built) <= 4  # posts and replies, reactions; with and without the claim riding
        for query in built.values():
            assert query.statement._generate_cache_key() is not None
    finally:
        await app.close()
