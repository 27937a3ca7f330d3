"""Retention: past `retention_days`, message text is purged daily; certification records and figures stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from adapters.console.replay import Replay
from bot.db.models import Declaration, Post, Question, Review, ScheduledStep
from bot.declarations.bilan import bilan_rows
from bot.privacy.retention import STEP, next_run
from bot.sos.sla import sla_report

HEADER = """space demo referential=c2i2e
member alice
member bruno
trainer fabienne
coordinator claire
"""
EARLY = """at 2026-09-07T09:00
alice in sos [Projection]: Comment projeter mon écran sans fil, vieux-texte-1 ?
+1d
fabienne reply: Avec l'adaptateur, vieux-texte-2.
alice dm: /declare B2-3 Ma séquence vieux-texte-3
fabienne dm: /precisions #1 Quel niveau, vieux-texte-4 ?
alice dm: En quatrième, vieux-texte-5.
fabienne dm: /valider #1 Très bien
"""
LATE = """+25d
bruno in sos: Une question récente, texte-frais ?
+6d
"""


async def _snapshot(replay: Replay) -> dict:
    assert replay.app is not None
    async with replay.app.db.transaction() as session:
        ref = replay.app.core.referentials["c2i2e"]
        return {
            "sla": (await sla_report(session, replay.clock.now() + timedelta(days=400), "demo")).as_dict(),
            "bilan": await bilan_rows(session, "demo", ref),
            "declarations": [(d.code, d.state, d.trace_text, d.created_at, d.updated_at)
                             for d in (await session.execute(select(Declaration))).scalars()],
            "reviews": [(r.declaration_id, r.from_state, r.to_state, r.comment, r.at)
                        for r in (await session.execute(select(Review).order_by(Review.id))).scalars()],
            "questions": [(q.id, q.created_at, q.first_response_at, q.answered_at, q.status)
                          for q in (await session.execute(select(Question).order_by(Question.id))).scalars()],
        }


async def test_daily_purge_removes_old_text_and_keeps_certification_records(tmp_path, monkeypatch,
                                                                            database_url: str) -> None:
    monkeypatch.setenv("TICEBOT_DATA_DIR", str(tmp_path / "exports"))
    replay = Replay(database_url=database_url)
    try:
        await replay.run_script(HEADER)
        replay.spaces["demo"].config.retention_days = 30
        await replay.run_script(EARLY)
        before = await _snapshot(replay)
        await replay.run_script(LATE)
        assert replay.app is not None
        async with replay.app.db.transaction() as session:
            posts = list((await session.execute(select(Post).order_by(Post.id))).scalars())
            old = [p for p in posts if p.created_at < replay.clock.now() - timedelta(days=30)]
            recent = [p for p in posts if p not in old]
            assert old and all(p.text is None and p.title == "" for p in old)
            assert [p.text for p in recent] == ["Une question récente, texte-frais ?"]
            questions = list((await session.execute(select(Question).order_by(Question.id))).scalars())
            assert questions[0].title == "" and len(questions) == 2
            steps = list((await session.execute(select(ScheduledStep).where(ScheduledStep.kind == STEP))).scalars())
            pending = [s for s in steps if s.state == "pending"]
            assert len(pending) == 1 and len([s for s in steps if s.state == "done"]) >= 30  # daily, re-armed
            assert pending[0].due_at == next_run(replay.clock.now())
        after = await _snapshot(replay)
        # Declarations (code, state, dates, trace), reviews, the bilan and the SLA figures are untouched.
        assert after["declarations"] == before["declarations"] and after["reviews"] == before["reviews"]
        assert after["bilan"] == before["bilan"]
        assert after["questions"][0] == before["questions"][0]
        assert after["sla"]["median_first_response_hours"] == before["sla"]["median_first_response_hours"]
    finally:
        await replay.close()


def test_next_run_is_the_next_half_past_three_in_paris() -> None:
    from datetime import UTC, datetime

    assert next_run(datetime(2026, 9, 7, 7, 0, tzinfo=UTC)) == datetime(2026, 9, 8, 1, 30, tzinfo=UTC)
    assert next_run(datetime(2026, 9, 7, 1, 0, tzinfo=UTC)) == datetime(2026, 9, 7, 1, 30, tzinfo=UTC)
