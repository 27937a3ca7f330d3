"""A real core (SQLite, fake clock) wired to our real discord.py client on the fake Discord API.

Shared by the tests that check what people see and what the database holds after Discord events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord_payloads as p
from discord_fakes import FakeDiscordAPI, Harness
from double_clock import FollowingClock
from sqlalchemy import select

from adapters.discord.spaces import SpaceDirectory
from bot import app as app_module
from bot.clock import FakeClock
from bot.config import Settings
from bot.db import models

START = datetime(2026, 9, 7, 7, 0, tzinfo=UTC)  # a Monday, 09:00 in Paris
GENERAL_PAYLOAD = p.text_channel(p.GENERAL, "general")


def settings(**space: Any) -> Settings:
    return Settings.model_validate(
        {
            "spaces": [
                {
                    "id": "gfp-lettres",
                    "referential": "c2i2e",
                    "sos": {"delay": "4d", "policy": "calendar"},
                    "roles": {"coordinator": [str(p.CLAIRE)]},
                    "discord": {
                        "guild": str(p.GUILD_ID),
                        "sos": str(p.SOS_FORUM),
                        "general": str(p.GENERAL),
                        "trainers": str(p.TRAINERS),
                        "roles": {str(p.TRAINER_ROLE): "trainer", "Tuteurs": "tutor"},
                    },
                    **space,
                }
            ],
        }
    )


@dataclass
class World:
    app: Any
    clock: FakeClock
    discord: Harness

    def snowflake(self) -> int:
        """An id whose timestamp is the fake clock's now, from the double's own sequence: Discord never gives
        two things one id. (A second counter here once gave the bot's acknowledgement the id of the question
        post it answered, sent in the same fake millisecond: a ✅ on it then read as one on the question.)"""
        return self.discord.api.ids.next()

    async def tick(self, delta: timedelta = timedelta(0)) -> None:
        self.clock.advance(delta)
        await self.app.run_once()

    async def outbox(self) -> list[Any]:
        async with self.app.db.transaction() as session:
            return list((await session.execute(select(models.Outbox).order_by(models.Outbox.id))).scalars())

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        async with self.app.db.transaction() as session:
            return list((await session.execute(select(model).where(*where).order_by(model.id))).scalars())

    async def sent(self, template: str) -> list[dict[str, Any]]:
        """Discord messages (as the fake API stored them) of outbox rows rendered from `template`."""
        rows = [r for r in await self.outbox() if r.template == template]
        assert all(r.status == "sent" for r in rows), [(r.template, r.status, r.last_error) for r in rows]
        return [self.discord.api.messages[int(r.platform_message_id)] for r in rows]

    async def forum_post(self, author: int, name: str, title: str, text: str) -> int:
        post_id = self.snowflake()
        thread = p.thread(post_id, p.SOS_FORUM, title, owner_id=author)
        await self.discord.gateway("THREAD_CREATE", {**thread, "newly_created": True})
        await self.discord.gateway("MESSAGE_CREATE", p.message(post_id, post_id, author, name, text))
        return post_id

    async def interaction(self, payload: dict[str, Any]) -> None:
        """Dispatch an interaction whose id (hence time) is the fake clock's now."""
        payload["id"] = str(self.snowflake())
        await self.discord.gateway("INTERACTION_CREATE", payload)

    def dm_channel_of(self, user_id: int) -> dict[str, Any]:
        found = self.discord.api.dm_of(user_id)
        assert found is not None, f"no DM was opened with {user_id}"
        return found

    def dm_texts(self, user_id: int) -> list[str]:
        """What a person read in their DM with the bot, oldest first."""
        channel = self.discord.api.dm_of(user_id)
        if channel is None:
            return []
        return [m["content"] for m in self.discord.api.messages_in(int(channel["id"]))]


async def open_world(tmp_path: Path, config: Settings | None = None, **harness: Any) -> World:
    clock = FakeClock(START)
    config = config or settings()
    app = await app_module.TicebotApp.create(config, clock=clock, database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db")
    harness.setdefault("api", FakeDiscordAPI(clock=FollowingClock(clock.now)))
    started = await Harness.start(
        spaces=SpaceDirectory.from_settings(config),
        sink=app.submit,
        referentials=app.referential_for,
        kv=app,
        now=clock.now,
        **harness,
    )
    app.register_adapter(started.adapter)
    world = World(app, clock, started)
    await world.tick()  # deliver whatever the connection produced
    return world

