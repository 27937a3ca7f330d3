"""The hot path's hand-built statements (issue 17): what they store, on both databases, and that
SQLAlchemy can cache them (a statement without a cache key is compiled again on every event)."""

from __future__ import annotations

from core_support import make_app, question, reply
from sqlalchemy import select

from bot.core import _POST_KEY, _POSTS, _store_statement
from bot.db.insert_ignore import insert_ignore
from bot.db.models import Post


async def _kinds(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as s:
        return dict((await s.execute(select(Post.platform_post_id, Post.kind))).all())


async def test_posts_are_claimed_once_and_replies_in_question_threads_are_answers(database_url: str) -> None:
    app, _adapter, _clock = await make_app(database_url)
    try:
        assert await app.submit(question("e1", msg="q1")) is True
        assert await app.submit(reply("e2", "bob", "Essaie le partage de lien.", root="q1", msg="r1")) is True
        # a thread under a post that is no question: its reply stays a plain post
        assert await app.submit(reply("e3", "bob", "Merci pour l'info", root="nothing", msg="r2")) is True
        # the same message under another event id: not stored twice
        assert await app.submit(reply("e4", "bob", "Essaie le partage de lien.", root="q1", msg="r1")) is True
        assert await _kinds(app) == {"q1": "question", "r1": "answer", "r2": "post"}
        # one INSERT built for the replies' kind, whatever their thread: reused, not rebuilt per post
        assert len(app.core._kind_statements) == 1
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
