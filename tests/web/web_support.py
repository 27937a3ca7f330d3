"""Helpers for the dashboard tests: a replayed two-space database, a web client, logging in by link."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from adapters.console.replay import Replay
from bot.clock import FakeClock
from bot.db.database import Database
from bot.db.models import Member
from bot.web import auth
from bot.web.app import WebState, make_app

SCENARIO = Path(__file__).parent / "scenarios" / "two_spaces.tice"
SECRET = b"test-secret-" + b"x" * 32
MATHS_SECRET = "SECRET-MATHS"  # a maths question's text: must never reach anyone without a maths role
# who -> role in the scenario (the outsider, oscar, only wrote to the bot: no role anywhere)
PEOPLE = {"outsider": "oscar", "member": "alice", "tutor": "thomas", "trainer": "fabienne",
          "coordinator": "claire", "other_coordinator": "maxime"}


async def replay_into(url: str, text: str | None = None) -> datetime:
    """Play the scenario into the database at `url`; return the scenario's final time."""
    replay = Replay(database_url=url, json_lines=True)
    try:
        await replay.run_script(text if text is not None else SCENARIO.read_text(encoding="utf-8"))
        return replay.clock.now()
    finally:
        await replay.close()


def build_database(path: Path) -> tuple[str, datetime]:
    url = f"sqlite+aiosqlite:///{path}"
    return url, asyncio.run(replay_into(url))


@dataclass
class Site:
    client: TestClient
    db: Database
    clock: FakeClock
    state: WebState

    async def link_for(self, name: str, platform: str = "console") -> str:
        async with self.db.transaction() as session:
            member = (await session.execute(select(Member).where(
                Member.platform == platform, Member.platform_user_id == name))).scalar_one()
            return await auth.issue_link(session, member.id, self.clock.now(), str(self.client.make_url("")))

    async def login(self, name: str, platform: str = "console") -> None:
        link = await self.link_for(name, platform)
        response = await self.client.post("/connexion", data={"token": token_of(link)}, allow_redirects=False)
        assert response.status == 303, await response.text()

    async def logout(self) -> None:
        await self.client.post("/deconnexion")
        self.client.session.cookie_jar.clear()


def token_of(link: str) -> str:
    return link.rsplit(auth.LOGIN_PATH, 1)[1]


@asynccontextmanager
async def site(url: str, now: datetime, **state_options: object) -> AsyncIterator[Site]:
    db = Database(url)
    await db.create_schema()
    clock = FakeClock(now)
    state = WebState(db=db, clock=clock, secret=SECRET, **state_options)  # type: ignore[arg-type]
    client = TestClient(TestServer(make_app(state)))
    await client.start_server()
    try:
        yield Site(client, db, clock, state)
    finally:
        await client.close()
        await db.dispose()
