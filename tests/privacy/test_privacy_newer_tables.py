"""The SOS policy's tables, the dashboard's and the runtime's (handler failures, failed deliveries):
a person with rows in each gets them all in /mes-donnees; after /oublier no row names them or holds
their words; retention purges them on the texts' period. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.console.replay import Replay
from bot.db.models import Escalation, EventFailure, Member, Outbox, Post, Question, WebLogin, WebSession
from bot.db.sos_models import Absence, Assignment, Handover, OncallWeek
from bot.privacy.erase import erase_member
from bot.privacy.export import collect
from bot.privacy.retention import purge

PHRASE = "Zorglub-Quantique"
SCRIPT = f"""space demo referential=c2i2e delay=4d
tutor alice
member bruno
coordinator claire
at 2026-09-07T09:00
bruno in sos: Comment brancher le vidéoprojecteur de la salle 12 ?
alice in sos: Mon tableau {PHRASE} clignote, que faire ?
alice dm: /absent 30/09
"""


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICEBOT_DATA_DIR", str(tmp_path / "exports"))


async def _alice_everywhere(replay: Replay) -> int:
    """Rows naming alice in every newer table (the absence came from her /absent)."""
    assert replay.app is not None
    now = replay.clock.now()
    async with replay.app.db.transaction() as session:
        alice = (await session.execute(select(Member).where(Member.platform_user_id == "alice"))).scalar_one()
        q1 = (await session.execute(select(Question).order_by(Question.id))).scalars().first()
        assert q1 is not None
        own_post = (await session.execute(select(Post).where(Post.author_id == alice.id))).scalars().first()
        assert own_post is not None
        session.add_all([
            Assignment(question_id=q1.id, member_id=alice.id, target="resource", state="passed", offered_at=now,
                       ended_at=now, reason=f"Pas dispo, le {PHRASE} encore"),
            OncallWeek(space_id="demo", week_start=date(2026, 9, 14), member_id=alice.id, set_by_id=alice.id,
                       set_at=now),
            Handover(space_id="demo", week_start=date(2026, 9, 7), member_id=alice.id, open_questions=2, sent_at=now),
            Escalation(question_id=q1.id, kind="sos.resource", due_at=now, fired_at=now, member_id=alice.id),
            WebLogin(token_hash="a" * 64, member_id=alice.id, created_at=now, expires_at=now + timedelta(minutes=15)),
            WebSession(id_hash="b" * 64, member_id=alice.id, created_at=now, expires_at=now + timedelta(hours=8)),
            EventFailure(platform="console", event_id="e-alice", handler="bot.tagging.service.tagging_on_post",
                         post_id=own_post.id, error="RuntimeError", at=now),
            Outbox(platform="console", conversation="console:dm:alice", kind="send_direct", template="sos/passed",
                   payload={"user": {"platform": "console", "id": "alice", "name": "alice"},
                            "text": f"Noté : vous passez ({PHRASE}).", "mentions": []},
                   status="failed", created_at=now, next_attempt_at=now, failed_at=now, last_error="DMs closed"),
        ])
        return alice.id


async def _count(replay: Replay, model: type, *where: object) -> int:
    assert replay.app is not None
    async with replay.app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_export_has_every_newer_table_and_erasure_leaves_nothing(database_url: str) -> None:
    replay = Replay(database_url=database_url)
    try:
        await replay.run_script(SCRIPT)
        alice_id = await _alice_everywhere(replay)
        assert replay.app is not None
        async with replay.app.db.transaction() as session:
            alice = await session.get(Member, alice_id)
            assert alice is not None
            data = await collect(session, alice)
        for key in ("sos_assignments", "sos_messages", "absences", "oncall_weeks", "handovers", "dashboard_links",
                    "dashboard_sessions", "processing_failures"):
            assert len(data[key]) == 1, key
        assert data["sos_assignments"][0]["reason"] == f"Pas dispo, le {PHRASE} encore"
        assert data["oncall_weeks"][0] == {"space": "demo", "week": "2026-09-14", "set_at": data["oncall_weeks"][0]
                                           ["set_at"], "set_by": "self"}
        assert "a" * 64 not in str(data) and "b" * 64 not in str(data)  # secrets stay out
        failed = [m for m in data["messages_received"] if m["status"] == "failed"]
        assert failed and PHRASE in failed[0]["text"] and failed[0]["why_not_delivered"] == "DMs closed"

        async with replay.app.db.transaction() as session:
            alice = await session.get(Member, alice_id)
            assert alice is not None
            await erase_member(session, alice, replay.clock.now())
        from test_privacy_erase import _hits

        assert await _hits(replay, "alice", PHRASE) == []
        for model in (Absence, OncallWeek, WebLogin, WebSession):
            assert await _count(replay, model, model.member_id == alice_id) == 0, model
        assert await _count(replay, EventFailure) == 0
        assert await _count(replay, Outbox, Outbox.status == "failed") == 0
        # Figures stay, about a pseudonymous row: the assignment (without its reason), handover, escalation.
        assert await _count(replay, Assignment, Assignment.member_id == alice_id, Assignment.reason.is_(None)) == 1
        assert await _count(replay, Handover, Handover.member_id == alice_id) == 1
        assert await _count(replay, Escalation, Escalation.member_id == alice_id) == 1
    finally:
        await replay.close()


async def test_retention_purges_the_newer_tables_after_the_period(database_url: str) -> None:
    replay = Replay(database_url=database_url)
    try:
        await replay.run_script(SCRIPT)
        alice_id = await _alice_everywhere(replay)
        assert replay.app is not None
        later = replay.clock.now() + timedelta(days=61)
        async with replay.app.db.transaction() as session:
            await purge(session, "demo", 90, later, include_spaceless=True)  # within the period: only expired links
        assert await _count(replay, Assignment, Assignment.reason.is_not(None)) == 1
        assert await _count(replay, Absence) == 1 and await _count(replay, OncallWeek) == 1
        assert await _count(replay, EventFailure) == 1
        assert await _count(replay, WebLogin) == 0 and await _count(replay, WebSession) == 0
        async with replay.app.db.transaction() as session:
            await purge(session, "demo", 30, later, include_spaceless=True)
        assert await _count(replay, Assignment, Assignment.reason.is_not(None)) == 0
        assert await _count(replay, Absence) == 0 and await _count(replay, OncallWeek) == 0
        assert await _count(replay, EventFailure) == 0
        assert await _count(replay, Handover, Handover.member_id == alice_id) == 1  # no text: kept like questions
    finally:
        await replay.close()
