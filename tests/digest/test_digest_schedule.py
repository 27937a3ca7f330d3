"""Digest scheduling: fires Monday 08:00 Paris, one catch-up after downtime, never twice, re-armed from config."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from adapters.console.adapter import ConsoleAdapter
from adapters.console.replay import Replay
from bot.app import TicebotApp
from bot.clock import FakeClock
from bot.config import DigestPolicy, Settings, SpaceConfig
from bot.db.models import DigestSent, ScheduledStep
from bot.digest.periods import next_fire, week_ending

PARIS = ZoneInfo("Europe/Paris")
PEOPLE = """space demo referential=c2i2e delay=4d
member alice
trainer fabienne
coordinator claire
"""


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TICEBOT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


async def run(url: str, script: str, first_id: int = 1) -> Replay:
    replay = Replay(database_url=url)
    replay._ids = itertools.count(first_id)  # a later run on the same database continues the event ids
    await replay.run_script(PEOPLE + script)
    return replay


async def steps(replay: Replay, kind: str = "digest.community") -> list[ScheduledStep]:
    assert replay.app is not None
    async with replay.app.core.db.transaction() as session:
        rows = await session.execute(select(ScheduledStep).where(ScheduledStep.kind == kind)
                                     .order_by(ScheduledStep.id))
        return list(rows.scalars())


async def sent_rows(app: TicebotApp) -> list[DigestSent]:
    async with app.core.db.transaction() as session:
        return list((await session.execute(select(DigestSent).order_by(DigestSent.id))).scalars())


def community(replay: Replay) -> list:
    return [d for d in replay.delivered if d.template == "digest/community"]


def test_periods() -> None:
    assert next_fire("0 8 * * mon", paris("2026-09-21T07:59")) == paris("2026-09-21T08:00")
    # strictly after: at the fire time itself, the next one is a week later
    assert next_fire("0 8 * * mon", paris("2026-09-21T08:00")) == paris("2026-09-28T08:00")
    # DST change (25 October 2026): a week of wall-clock time, not 168 hours
    start, end = week_ending(paris("2026-10-26T08:00"))
    assert start == paris("2026-10-19T08:00") and (end - start).total_seconds() == 7 * 86400 + 3600


async def test_fires_monday_0800_paris_then_weekly(sqlite_url: str) -> None:
    replay = await run(sqlite_url, """
at 2026-09-14T09:00
alice dm: /aide
at 2026-09-21T07:59
expect no digest/community
+2m
expect digest/community
""")
    try:
        [digest] = community(replay)
        assert digest.at == paris("2026-09-21T08:00") and digest.channel == "annonces"
        assert "14/09" in digest.text
        # The trainer digest goes out at the same time; the next community step is armed.
        assert [d.to for d in replay.delivered if d.template == "digest/trainer"] == ["fabienne"]
        pending = [s for s in await steps(replay) if s.state == "pending"]
        assert [s.due_at for s in pending] == [paris("2026-09-28T08:00")]
        await replay.run_script("+7d\nexpect digest/community\n+6d\nexpect no digest/community")
        assert [d.at for d in community(replay)] == [paris("2026-09-21T08:00"), paris("2026-09-28T08:00")]
    finally:
        await replay.close()


async def test_downtime_catch_up_once_for_the_due_period_and_restart_does_not_resend(sqlite_url: str) -> None:
    first = await run(sqlite_url, "at 2026-09-14T09:00\nalice dm: /aide\n")
    await first.close()
    # The bot is down for two weeks (the 21st and the 28th pass); it starts again on the 28th at 10:00.
    second = await run(sqlite_url, "at 2026-09-28T10:00\nalice dm: /aide\n+14d\n", first_id=100)
    try:
        sent = community(second)
        assert sent[0].at == paris("2026-09-28T10:00")
        assert "14/09" in sent[0].text and "prévu le 21 septembre à 08:00" in sent[0].text
        # exactly one catch-up, then the regular Mondays after the restart (5 and 12 October)
        assert [d.at for d in sent] == [paris("2026-09-28T10:00"), paris("2026-10-05T08:00"),
                                        paris("2026-10-12T08:00")]
        assert second.app is not None
        periods = [r.period_start for r in await sent_rows(second.app) if r.kind == "community"]
        assert periods == [paris("2026-09-14T08:00"), paris("2026-09-28T08:00"), paris("2026-10-05T08:00")]
    finally:
        await second.close()
    # A restart right after a digest sends nothing again.
    third = await run(sqlite_url, "at 2026-10-12T08:30\nalice dm: /aide\n+1h\n", first_id=200)
    try:
        assert community(third) == []
        assert len([s for s in await steps(third) if s.state == "pending"]) == 1
    finally:
        await third.close()


async def test_two_pending_steps_for_one_period_send_once(sqlite_url: str) -> None:
    """Two instances (or a restart race) each armed the same Monday: the digest still goes out once."""
    replay = await run(sqlite_url, "at 2026-09-14T09:00\nalice dm: /digest on\n")
    try:
        assert replay.app is not None
        async with replay.app.core.db.transaction() as session:
            session.add(ScheduledStep(space_id="demo", kind="digest.community", due_at=paris("2026-09-21T08:00"),
                                      note="0 8 * * mon"))
        await replay.run_script("at 2026-09-21T09:00")
        assert len(community(replay)) == 1
        assert [d.to for d in replay.delivered if d.template == "digest/personal"] == ["alice"]
        kinds = sorted((r.kind, r.member_id) for r in await sent_rows(replay.app))
        assert [k for k, _ in kinds] == ["community", "personal", "trainer"]
        assert len([s for s in await steps(replay) if s.state == "pending"]) == 1
    finally:
        await replay.close()


async def _start(url: str, clock: FakeClock, **digest: object) -> TicebotApp:
    config = SpaceConfig(id="demo", roles={"trainer": ["console:fabienne"]},
                         digest=DigestPolicy(**digest))  # type: ignore[arg-type]
    app = await TicebotApp.create(Settings(spaces=[config]), clock=clock, database_url=url)
    app.register_adapter(ConsoleAdapter(clock))
    return app


async def test_startup_arms_once_and_rearms_when_the_cron_changes(database_url: str) -> None:
    clock = FakeClock(paris("2026-09-14T09:00"))
    for _ in range(2):  # two starts with the same cron: still one pending step
        app = await _start(database_url, clock)
        await app.close()
    app = await _start(database_url, clock, cron="30 17 * * fri")
    async with app.core.db.transaction() as session:
        rows = list((await session.execute(select(ScheduledStep).where(ScheduledStep.kind == "digest.community")
                                           .order_by(ScheduledStep.id))).scalars())
    await app.close()
    assert [(r.state, r.due_at) for r in rows] == [("cancelled", paris("2026-09-21T08:00")),
                                                   ("pending", paris("2026-09-18T17:30"))]
    app = await _start(database_url, clock, enabled=False)
    async with app.core.db.transaction() as session:
        pending = (await session.execute(select(ScheduledStep).where(
            ScheduledStep.kind == "digest.community", ScheduledStep.state == "pending"))).scalars().all()
    await app.close()
    assert pending == []
