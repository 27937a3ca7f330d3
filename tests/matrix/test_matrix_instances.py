"""Two ticebot instances on one PostgreSQL and one Tchap-like Synapse: one holds the device, then hands over."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from matrix_homeserver import Homeserver
from matrix_world import World, make_world, template, thread_of
from sqlalchemy import func, select

from adapters.matrix import start_matrix
from bot.app import TicebotApp
from bot.config import Settings
from bot.db.models import Outbox

pytestmark = pytest.mark.matrix


@dataclass
class Instance:
    app: TicebotApp
    tasks: list[asyncio.Task[None]]

    @property
    def syncing(self) -> bool:
        return "matrix" in self.app.adapters

    async def stop(self) -> None:
        """Like the process ending: its lock connection closes with it."""
        self.app.stop()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.app.close()


async def launch(settings: Settings) -> Instance:
    app = await TicebotApp.create(settings)
    assert settings.matrix is not None
    tasks = [asyncio.create_task(app.run_forever()), asyncio.create_task(start_matrix(settings.matrix, app))]
    return Instance(app, tasks)


async def until(check: object, within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.fixture
async def world(
    tchap_homeserver: Homeserver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    created = await make_world(tchap_homeserver, tmp_path, monkeypatch, encrypted=True)
    yield created
    await created.close()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_one_instance_syncs_the_other_takes_over_when_it_stops(world: World, database_url: str) -> None:
    settings = world.settings(delay="1h", database_url=database_url, standby_poll="0.3s")
    first = await launch(settings)
    second: Instance | None = None
    try:
        await until(lambda: first.syncing)
        second = await launch(settings)
        await world.claire.wait_joined(world.sos, world.bot_user)
        await asyncio.sleep(1.0)  # several standby polls: the second must still be waiting
        assert first.syncing and not second.syncing

        q1 = await world.alice.say(world.sos, "Comment partager un document avec mes élèves sans ENT ?")
        await world.alice.wait_for(lambda r, s: template(s) == "sos/received" and thread_of(s) == q1)
        await asyncio.sleep(1.0)
        await world.alice.pump()
        acks = [s for _r, s in world.alice.seen if template(s) == "sos/received" and thread_of(s) == q1]
        assert len(acks) == 1  # one device, one sync: handled once
        device = first.app.adapters["matrix"].client.device_id  # type: ignore[attr-defined]

        await first.stop()
        await until(lambda: second is not None and second.syncing)
        assert second.app.adapters["matrix"].client.device_id == device  # type: ignore[attr-defined]
        q2 = await world.bob.say(world.sos, "Quel outil pour un QCM rapide en classe ?")
        _room, ack = await world.bob.wait_for(lambda r, s: template(s) == "sos/received" and thread_of(s) == q2)
        assert ack["event_id"] in world.bob.decrypted  # the new holder encrypts with the same olm store
        async with second.app.db.transaction() as session:
            rows = await session.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.template == "sos/received")
            )
        assert rows == 2
    finally:
        with contextlib.suppress(Exception):
            await first.stop()
        if second is not None:
            await second.stop()
