"""A post's INSERT and its tags go straight to SQLite's thread (bot/db/direct.py, issue 17): the rows are
the ones SQLAlchemy's execution writes, errors are SQLAlchemy's, pending ORM rows go first, listeners see
the statements, savepoints undo them; the pool's reset after a commit no longer takes a trip."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest
from core_support import make_app, question, reply, user
from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.config_rows import ConfigRows
from bot.db import sqlite_driver
from bot.db.database import Database
from bot.db.direct import execute_direct, execute_later
from bot.db.models import EventFailure, Member, Post, ProcessedEvent, Question, Role, Space, Tag
from bot.db.sql_capture import SqlCapture
from bot.events import PostCreated
from bot.members import member_query, member_with_roles
from bot.refs import ChannelRef, MessageRef, UserRef

AT = datetime(2026, 10, 5, 8, 30, 15, 123456, tzinfo=UTC)
_COLUMNS = ("post_id", "space_id", "referential_id", "referential_version", "code", "score", "source", "removed",
            "created_at")
TAGS = Tag.__table__.insert().values({c: bindparam(c, type_=Tag.__table__.c[c].type) for c in _COLUMNS})
POST_ID = Post.__table__.insert().values(
    {c: bindparam(c, type_=Post.__table__.c[c].type) for c in (
        "space_id", "platform", "platform_channel_id", "platform_post_id", "thread_root_id", "author_id", "text",
        "title", "is_direct", "kind", "created_at")}).returning(Post.__table__.c.id, Post.__table__.c.created_at)


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statement of each trip to SQLite's thread, and "ROLLBACK" for each rollback trip."""
    seen: list[str] = []
    run = sqlite_driver._run

    def recording(conn: Any, before: tuple[Any, ...], operation: str, parameters: Any, many: bool) -> Any:
        seen.append(operation)
        return run(conn, before, operation, parameters, many)

    monkeypatch.setattr(sqlite_driver, "_run", recording)
    rollback = sqlite_driver.AsyncAdapt_aiosqlite_connection.rollback

    def recording_rollback(self: Any) -> None:
        seen.append("ROLLBACK")
        rollback(self)

    monkeypatch.setattr(sqlite_driver.AsyncAdapt_aiosqlite_connection, "rollback", recording_rollback)
    return seen


async def _with_post(db: Database) -> tuple[int, int]:
    async with db.transaction() as s:
        s.add(Space(id="demo", referential_id="c2i2e", language="fr", settings={}))
        member = Member(platform="console", platform_user_id="alice", display_name="Alice", created_at=AT)
        s.add(member)
        await s.flush()
        post = Post(space_id="demo", platform="console", platform_channel_id="sos", platform_post_id="m1",
                    thread_root_id="m1", author_id=member.id, text="Mon TNI ne répond plus", title="", is_direct=False,
                    kind="post", created_at=AT)
        s.add(post)
        await s.flush()
        return member.id, post.id


def _tag(post_id: int, code: str, score: float = 0.61803398875) -> dict[str, Any]:
    return dict(post_id=post_id, space_id="demo", referential_id="c2i2e", referential_version="2011", code=code,
                score=score, source="model", removed=False, created_at=AT)


async def test_the_rows_are_the_ones_sqlalchemy_writes(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.create_schema()
        _member, post_id = await _with_post(db)
        async with db.transaction() as s:
            await execute_direct(s, TAGS, [_tag(post_id, "B2-3"), _tag(post_id, "A1-2", 0.5)])
            await s.execute(Tag.__table__.insert(), [_tag(post_id, "B3-1"), _tag(post_id, "A1-1", 0.5)])
        async with db.transaction() as s:
            stored = (await s.execute(text(
                "SELECT code, score, removed, created_at, referential_version FROM tags ORDER BY id"))).all()
        assert [row[0] for row in stored] == ["B2-3", "A1-2", "B3-1", "A1-1"]
        direct, plain = stored[:2], stored[2:]
        assert [row[1:] for row in direct] == [row[1:] for row in plain]  # same text, numbers and booleans
        async with db.transaction() as s:
            tags = (await s.execute(select(Tag).order_by(Tag.id))).scalars().all()
        assert tags[0].created_at == AT and tags[0].removed is False and tags[0].score == pytest.approx(0.61803398875)
    finally:
        await db.dispose()


async def test_returned_columns_go_through_their_types(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.create_schema()
        member_id, _post = await _with_post(db)
        async with db.transaction() as s:
            rows = await execute_direct(s, POST_ID, dict(
                space_id="demo", platform="console", platform_channel_id="sos", platform_post_id="m2",
                thread_root_id="m2", author_id=member_id, text="Et le stylet ?", title="", is_direct=False,
                kind="post", created_at=AT))
        assert len(rows) == 1 and isinstance(rows[0][0], int)
        assert rows[0][1] == AT and rows[0][1].tzinfo is UTC  # a datetime, as the ORM reads it, not SQLite's text
    finally:
        await db.dispose()


async def test_a_missing_value_is_refused_not_stored_as_null(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        await db.create_schema()
        _member, post_id = await _with_post(db)
        values = _tag(post_id, "B2-3")
        del values["score"]
        with pytest.raises(KeyError):
            async with db.transaction() as s:
                await execute_direct(s, TAGS, [values])
        async with db.transaction() as s:
            assert (await s.execute(text("SELECT count(*) FROM tags"))).scalar() == 0
    finally:
        await db.dispose()


async def test_a_duplicate_is_sqlalchemys_integrity_error_and_nothing_is_kept(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.create_schema()
        _member, post_id = await _with_post(db)
        with pytest.raises(IntegrityError):
            async with db.transaction() as s:
                await execute_direct(s, TAGS, [_tag(post_id, "B2-3")])
                await execute_direct(s, TAGS, [_tag(post_id, "B2-3")])  # (post_id, code) is unique
        async with db.transaction() as s:
            assert (await s.execute(text("SELECT count(*) FROM tags"))).scalar() == 0
    finally:
        await db.dispose()


async def test_pending_orm_rows_are_flushed_first(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.create_schema()
        _member, post_id = await _with_post(db)
        async with db.transaction() as s:
            s.add(Space(id="autre", referential_id="crcn", language="fr", settings={}))  # not flushed yet
            await execute_direct(s, TAGS, [{**_tag(post_id, "2.3"), "space_id": "autre"}])  # its foreign key
        async with db.transaction() as s:
            assert (await s.execute(text("SELECT space_id FROM tags"))).scalar() == "autre"
    finally:
        await db.dispose()


async def test_a_savepoint_undoes_a_direct_statement(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.create_schema()
        _member, post_id = await _with_post(db)
        async with db.transaction() as s:
            await execute_direct(s, TAGS, [_tag(post_id, "A1-1")])
            with pytest.raises(RuntimeError):
                async with s.begin_nested():
                    await execute_direct(s, TAGS, [_tag(post_id, "B2-3")])
                    raise RuntimeError("a failing handler")
        async with db.transaction() as s:
            assert (await s.execute(text("SELECT code FROM tags"))).scalars().all() == ["A1-1"]
    finally:
        await db.dispose()


async def test_listeners_see_direct_statements_that_sqlalchemy_does_not_execute(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(database_url)
    try:
        await db.create_schema()
        _member, post_id = await _with_post(db)
        sql = SqlCapture(keep=True)
        with sql.on(db.engine):
            async with db.transaction() as s:
                await s.connection()  # the session's own statements before: BEGIN (SQLite)
                executed: list[object] = []
                stock = Connection._execute_context
                monkeypatch.setattr(Connection, "_execute_context",
                                    lambda self, *a, **k: executed.append(a) or stock(self, *a, **k))
                await execute_direct(s, TAGS, [_tag(post_id, "A1-1"), _tag(post_id, "A1-2")])
                await execute_direct(s, POST_ID, {"space_id": "demo", "platform": "console",
                                                  "platform_channel_id": "sos", "platform_post_id": "m9",
                                                  "thread_root_id": "m9", "author_id": _member, "text": "x",
                                                  "title": "", "is_direct": False, "kind": "post",
                                                  "created_at": AT})
                assert executed == []  # neither went through SQLAlchemy's execution (SQLite or asyncpg)
                monkeypatch.undo()
        sent = [(st, params) for st, params in sql.statements if not st.startswith("BEGIN")]
        assert len(sent) == 2
        statement, parameters = sent[0]
        assert statement.startswith("INSERT INTO tags") and len(parameters) == 2  # one executemany, two rows
        assert sent[1][0].startswith("INSERT INTO posts")
    finally:
        await db.dispose()


async def test_a_post_takes_no_trip_of_its_own_for_begin_nor_for_the_pools_reset(sqlite_url: str,
                                                                                  trips: list[str]) -> None:
    app, _adapter, _clock = await make_app(sqlite_url)
    try:
        assert await app.submit(question("warm", msg="q0")) is True
        trips.clear()
        assert await app.submit(question("e1", text="Le TNI a perdu son stylet, que faire ?", msg="q1")) is True
        assert "ROLLBACK" not in trips  # a committed transaction: SQLite has nothing to roll back
        assert not [op for op in trips if op.startswith(("BEGIN", "SAVEPOINT"))]  # they ride with the next statement
        async with app.db.transaction() as s:
            post = (await s.execute(select(Post).where(Post.platform_post_id == "q1"))).scalar_one()
            codes = (await s.execute(select(Tag.code).where(Tag.post_id == post.id))).scalars().all()
        assert post.kind == "question" and post.text.startswith("Le TNI")
        assert codes  # tagged, through the direct executemany
    finally:
        await app.close()


async def test_a_failed_transaction_still_rolls_back(sqlite_url: str, trips: list[str]) -> None:
    db = Database(sqlite_url)
    try:
        await db.create_schema()
        _member, post_id = await _with_post(db)
        trips.clear()
        with pytest.raises(RuntimeError):
            async with db.transaction() as s:
                await execute_direct(s, TAGS, [_tag(post_id, "A1-1")])
                raise RuntimeError("the event's handler failed")
        assert "ROLLBACK" in trips
        async with db.transaction() as s:
            assert (await s.execute(text("SELECT count(*) FROM tags"))).scalar() == 0
    finally:
        await db.dispose()

DIRECT = member_query("demo", direct=True)  # the member's columns, as the core builds it on SQLite


async def _member_with_role(db: Database) -> int:
    member_id, _post = await _with_post(db)
    async with db.transaction() as s:
        s.add(Role(space_id="demo", member_id=member_id, role="trainer"))
    return member_id


async def test_the_member_read_attaches_a_member_that_writes_only_what_changed(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.create_schema()
        member_id = await _member_with_role(db)
        sql = SqlCapture(keep=True)
        with sql.on(db.engine):
            async with db.transaction() as s:
                acting = await member_with_roles(s, UserRef("console", "alice", "Alice"), AT, "demo", DIRECT)
                assert acting is not None and acting.member in s and acting.member.id == member_id
                assert acting.roles == {"trainer"} and acting.member.created_at == AT
                assert acting.member.consent_public is False  # a boolean, as the ORM reads it
        assert not [st for st, _ in sql.statements if st.startswith("UPDATE")]  # nothing changed, nothing written
        async with db.transaction() as s:
            acting = await member_with_roles(s, UserRef("console", "alice", "Alice Martin"), AT, "demo", DIRECT)
            assert acting is not None
        async with db.transaction() as s:
            assert (await s.get(Member, member_id)).display_name == "Alice Martin"  # the change was flushed
    finally:
        await db.dispose()


async def test_the_member_read_gives_the_member_the_session_already_holds(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.create_schema()
        member_id = await _member_with_role(db)
        async with db.transaction() as s:
            held = await s.get(Member, member_id)
            assert held is not None
            s.expire(held, ["display_name", "language"])  # as a rolled-back savepoint leaves it
            acting = await member_with_roles(s, UserRef("console", "alice", ""), AT, "demo", DIRECT)
            assert acting is not None and acting.member is held
            assert held.display_name == "Alice" and held.language is None  # filled from the row, no lazy load
    finally:
        await db.dispose()


async def test_a_row_along_comes_as_the_sessions_object_or_none(database_url: str) -> None:
    """A reply's thread question read with the member as columns (SQLite's statement, both databases)."""
    from bot.members import thread_along_params
    from bot.sos.questions import QUESTION_ALONG

    app, _adapter, _clock = await make_app(database_url)
    try:
        assert await app.submit(question("e1", msg="q1")) is True
        query = member_query("demo", rows=(QUESTION_ALONG,), direct=True)
        async with app.db.transaction() as s:
            found = await member_with_roles(s, UserRef("console", "alice", "alice"), AT, "demo", query,
                                            row_params=thread_along_params("console", "sos", "q1"))
            nothing = await member_with_roles(s, UserRef("console", "alice", "alice"), AT, "demo", query,
                                              row_params=thread_along_params("console", "sos", "q404"))
            assert found is not None and nothing is not None
            asked, armed = found.read_along[QUESTION_ALONG.label]
            stored = (await s.execute(select(Question).where(Question.thread_root_id == "q1"))).scalar_one()
            assert asked is stored and asked in s  # the session's own object
            assert isinstance(armed, bool)  # typed as the ORM reads it, not SQLite's 0/1
            assert asked.deadline_at is not None and asked.deadline_at.tzinfo is UTC
            assert nothing.read_along[QUESTION_ALONG.label] == (None, False)  # no question in that thread
    finally:
        await app.close()


async def test_a_statement_the_direct_path_cannot_take_runs_the_stock_way(database_url: str) -> None:
    """An IN list SQLAlchemy expands per execution: same rows, through `session.execute`."""
    db = Database(database_url)
    try:
        await db.create_schema()
        _member, post_id = await _with_post(db)
        codes = select(Tag.code).where(Tag.code.in_(bindparam("codes", expanding=True))).order_by(Tag.code)
        async with db.transaction() as s:
            await execute_direct(s, TAGS, [_tag(post_id, "A1-1"), _tag(post_id, "B2-3"), _tag(post_id, "B3-1")])
            assert await execute_direct(s, codes, {"codes": ["B3-1", "A1-1"]}) == [("A1-1",), ("B3-1",)]
            assert await execute_direct(s, codes, {"codes": ["B2-3"]}) == [("B2-3",)]
    finally:
        await db.dispose()


async def test_a_cached_space_is_the_sessions_object_without_a_read(database_url: str) -> None:
    db = Database(database_url)
    rows = ConfigRows()
    try:
        await db.create_schema()
        await _with_post(db)
        async with db.transaction() as s:
            assert (await rows.space(s, "demo")) is not None  # the first read fills the cache
        sql = SqlCapture(keep=True)
        with sql.on(db.engine):
            async with db.transaction() as s:
                space = await rows.space(s, "demo")
                assert space is not None and space in s and space.referential_id == "c2i2e"
                assert space.settings == {} and await s.get(Space, "demo") is space  # no lazy load, one identity
            async with db.transaction() as s:
                held = await s.get(Space, "demo")
                assert await rows.space(s, "demo") is held  # the session's own object when it holds one
        assert not [st for st, _ in sql.statements if st.startswith("UPDATE")]  # nothing changed, nothing written
        assert len([st for st, _ in sql.statements if "FROM spaces" in st]) == 1  # only the explicit get
    finally:
        await db.dispose()


async def test_begin_is_queued_for_the_next_trip_and_listeners_still_see_it(sqlite_url: str,
                                                                            trips: list[str]) -> None:
    db = Database(sqlite_url)
    try:
        await db.create_schema()
        await _with_post(db)
        sql = SqlCapture(keep=True)
        trips.clear()
        with sql.on(db.engine):
            async with db.transaction() as s:
                assert (await s.execute(text("SELECT count(*) FROM posts"))).scalar() == 1
            async with db.reading() as s:
                assert (await s.execute(text("SELECT count(*) FROM members"))).scalar() == 1
        seen = [st for st, _ in sql.statements]
        assert seen.index("BEGIN IMMEDIATE") < seen.index("SELECT count(*) FROM posts")
        assert seen.index("BEGIN") < seen.index("SELECT count(*) FROM members")  # a reader takes no write lock
        assert not [op for op in trips if op.startswith("BEGIN")]  # each rode with the statement after it
    finally:
        await db.dispose()


GENERAL = ChannelRef("console", "general")
TAG_TEXT = "J'ai construit une sitographie pour ma classe en respectant le droit à l'image #B2-3"


async def _tags_of(app: Any, platform_post_id: str) -> list[str]:
    async with app.db.transaction() as s:
        post = (await s.execute(select(Post).where(Post.platform_post_id == platform_post_id))).scalar_one()
        return sorted((await s.execute(select(Tag.code).where(Tag.post_id == post.id))).scalars())


async def test_a_posts_tags_ride_with_the_commit(sqlite_url: str, trips: list[str]) -> None:
    app, _adapter, _clock = await make_app(sqlite_url)
    try:
        assert await app.submit(question("warm", msg="q0")) is True
        trips.clear()
        assert await app.submit(reply("e1", "bob", TAG_TEXT, root="q0", msg="r1")) is True
        assert not [op for op in trips if op.startswith("INSERT INTO tags")]  # no trip of its own
        assert "B2-3" in await _tags_of(app, "r1")  # and committed with the post
    finally:
        await app.close()


async def _failing_tags(app: Any) -> None:
    async with app.db.transaction() as s:
        await s.execute(text("CREATE TRIGGER no_tags BEFORE INSERT ON tags BEGIN SELECT RAISE(ABORT, 'no'); END"))


async def test_tags_failing_at_the_commit_keep_the_post_and_record_the_tagging_failure(
        sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    app, adapter, _clock = await make_app(sqlite_url)
    try:
        assert await app.submit(question("warm", msg="q0")) is True
        await app.run_once()
        await _failing_tags(app)
        caplog.set_level(logging.WARNING, logger="bot")
        event = reply("e1", "bob", TAG_TEXT, root="q0", msg="r1")
        assert await app.submit(event) is True
        await app.run_once()
        assert await _tags_of(app, "r1") == []  # the post is kept, untagged
        async with app.db.transaction() as s:
            [failure] = (await s.execute(select(EventFailure))).scalars().all()
            answered = (await s.execute(select(Question.first_response_at))).scalar_one()
            claimed = await s.get(ProcessedEvent, ("console", "e1"))
        assert (failure.event_id, failure.handler, failure.error) == (
            "e1", "bot.tagging.service.tagging_on_post", "IntegrityError")
        assert answered is not None and claimed is not None  # the SOS observer's work after tagging is kept
        assert "errors/post_failed" in adapter.templates()
        assert any("failed at the commit" in r.getMessage() or "LaterFailed" in r.getMessage()
                   for r in caplog.records)
        assert await app.submit(event) is False  # a redelivery is the same event, already handled
        # A general post: nothing runs after tagging, so its tags fail in the COMMIT's own trip.
        await app.core.register_channel("demo", GENERAL, "general", "general")
        caplog.clear()
        assert await app.submit(PostCreated("e2", user("carol"), GENERAL, MessageRef(GENERAL, "g1"), TAG_TEXT))
        assert await _tags_of(app, "g1") == []
        async with app.db.transaction() as s:
            handlers = (await s.execute(select(EventFailure.handler).where(EventFailure.event_id == "e2"))).all()
            assert await s.get(ProcessedEvent, ("console", "e2")) is not None
        assert handlers == [("bot.tagging.service.tagging_on_post",)]
        assert any("failed at the commit" in r.getMessage() for r in caplog.records)
    finally:
        await app.close()


async def test_a_queued_write_failing_in_a_later_statements_trip_is_named_after_its_handler(
        sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        await db.create_schema()
        _member, post_id = await _with_post(db)
        async with db.transaction() as s:
            await s.execute(text("CREATE TRIGGER no_tags BEFORE INSERT ON tags BEGIN SELECT RAISE(ABORT, 'no'); END"))
        with pytest.raises(sqlite_driver.LaterFailed) as raised:
            async with db.transaction() as s:
                assert await execute_later(s, TAGS, [_tag(post_id, "A1-1")], "bot.tagging.service.tag_post")
                await s.execute(text("SELECT 1"))  # the queued INSERT runs first in this trip, and fails
        assert raised.value.owner == "bot.tagging.service.tag_post"
        assert isinstance(raised.value.__cause__, sqlite3.IntegrityError)
        async with db.transaction() as s:
            assert (await s.execute(text("SELECT count(*) FROM tags"))).scalar() == 0  # nothing was kept
    finally:
        await db.dispose()


async def test_a_queued_write_is_seen_by_the_next_read_and_undone_by_a_rollback(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        await db.create_schema()
        _member, post_id = await _with_post(db)
        with pytest.raises(RuntimeError):
            async with db.transaction() as s:
                assert await execute_later(s, TAGS, [_tag(post_id, "A1-1"), _tag(post_id, "B2-3")], "x")
                assert (await s.execute(text("SELECT count(*) FROM tags"))).scalar() == 2
                raise RuntimeError("the event failed")
        async with db.transaction() as s:
            assert (await s.execute(text("SELECT count(*) FROM tags"))).scalar() == 0
    finally:
        await db.dispose()
