"""Threads resolved before the FAQ recorded the accepted answer: the index finds each one's answer (the
last reply by someone else than the asker, before the resolution), read by channel and chunk of threads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db.database import Database
from bot.db.models import Member, Post, Question, Space
from bot.faq import documents
from bot.faq.documents import load_documents

T0 = datetime(2025, 9, 8, 9, 0, tzinfo=UTC)


def _post(pid: int, channel: str, thread: str, author: int, text: str, at: datetime, **kw: object) -> Post:
    return Post(id=pid, space_id="gfp", platform="console", platform_channel_id=channel, platform_post_id=f"p{pid}",
                thread_root_id=thread, author_id=author, text=text, created_at=at, **kw)


async def _seed(db: Database) -> None:
    async with db.transaction() as s:
        s.add(Space(id="gfp", referential_id="c2i2e", language="fr", settings={"id": "gfp"}))
        s.add_all([Member(id=i, platform="console", platform_user_id=n, display_name=n, created_at=T0)
                   for i, n in ((1, "alice"), (2, "bruno"), (3, "fabienne"))])
        await s.flush()
        for n, channel in enumerate(("sos", "sos-2nd", "sos")):
            root = 100 * (n + 1)
            thread = f"p{root}"
            s.add(_post(root, channel, thread, 1, f"Question {n} : le TNI ne répond plus", T0, kind="question"))
            s.add(_post(root + 1, channel, thread, 2, f"Réponse de Bruno {n}", T0 + timedelta(hours=1), kind="answer"))
            s.add(_post(root + 2, channel, thread, 1, "Merci, mais…", T0 + timedelta(hours=2), kind="answer"))
            s.add(_post(root + 3, channel, thread, 3, f"Réponse de Fabienne {n}", T0 + timedelta(hours=3),
                        kind="answer"))
            s.add(_post(root + 4, channel, thread, 3, "effacée", T0 + timedelta(hours=4), kind="answer",
                        deleted_at=T0 + timedelta(hours=5)))
            s.add(_post(root + 5, channel, thread, 2, "Après coup", T0 + timedelta(days=2), kind="answer"))
            await s.flush()
            s.add(Question(id=n + 1, space_id="gfp", post_id=root, asker_id=1, platform="console",
                           platform_channel_id=channel, thread_root_id=thread, status="resolved", created_at=T0,
                           clock_started_at=T0, deadline_at=T0 + timedelta(days=4),
                           resolved_at=T0 + timedelta(days=1)))


@pytest.mark.parametrize("chunk", [1, 500])
async def test_each_legacy_thread_gets_its_own_last_answer_before_resolution(
        database_url: str, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "LEGACY_CHUNK", chunk)
    db = Database(database_url)
    try:
        await db.create_schema()
        await _seed(db)
        async with db.transaction() as s:
            docs = await load_documents(s, ["gfp"])
        assert [(d.question_id, d.summary, d.answerer_id) for d in docs] == [
            (1, "Réponse de Fabienne 0", 3), (2, "Réponse de Fabienne 1", 3), (3, "Réponse de Fabienne 2", 3)]
        assert all(d.channel_id == c for d, c in zip(docs, ("sos", "sos-2nd", "sos"), strict=True))
    finally:
        await db.dispose()
