"""Scenario harness on a real Synapse: people as raw nio clients, the bot as TicebotApp + MatrixAdapter.

People watch their rooms by syncing; `wait_for` polls until a matching event arrives or the timeout
expires — the only waiting the scenarios do.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from matrix_homeserver import Homeserver
from nio import AsyncClient, AsyncClientConfig, JoinResponse, RoomCreateResponse, RoomSendResponse, SyncResponse

from adapters.matrix import MatrixAdapter
from adapters.matrix.deliver import TEMPLATE_KEY
from adapters.matrix.sync import sync_filter
from bot.app import TicebotApp
from bot.clock import SystemClock
from bot.config import DatabaseConfig, MatrixConfig, Settings, SpaceConfig

Source = dict[str, Any]


def template(source: Source) -> str:
    return str(source.get("content", {}).get(TEMPLATE_KEY, ""))


def thread_of(source: Source) -> str | None:
    rel = source.get("content", {}).get("m.relates_to") or {}
    return rel.get("event_id") if rel.get("rel_type") == "m.thread" else None


@dataclass
class Person:
    """A human on the homeserver, seen through a bare nio client."""

    client: AsyncClient
    name: str
    since: str = ""
    seen: list[tuple[str, Source]] = field(default_factory=list)  # (room_id, event source)
    decrypted: set[str] = field(default_factory=set)  # ids of events that came encrypted and were decrypted
    to_device: list[Any] = field(default_factory=list)  # to-device events received (key requests…)

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    async def pump(self, timeout_ms: int = 300) -> None:
        response = await self.client.sync(timeout=timeout_ms, since=self.since or None, sync_filter=sync_filter(100))
        assert isinstance(response, SyncResponse), response
        first = not self.since
        self.since = response.next_batch
        self.to_device.extend(response.to_device_events)
        await self.keys()
        for room_id in response.rooms.invite:
            await self.client.join(room_id)  # the bot's DMs arrive as invites
        if first:
            return  # history before the test is none of our business
        for room_id, info in response.rooms.join.items():
            for event in info.timeline.events:
                self.seen.append((room_id, event.source))
                if getattr(event, "decrypted", False):
                    self.decrypted.add(str(event.event_id))

    async def wait_for(self, predicate: Callable[[str, Source], bool], within: float = 30.0) -> tuple[str, Source]:
        deadline = time.monotonic() + within
        while True:
            for room_id, source in self.seen:
                if predicate(room_id, source):
                    return room_id, source
            if time.monotonic() > deadline:
                got = [(r, s.get("type"), template(s) or s.get("content", {}).get("body")) for r, s in self.seen]
                raise AssertionError(f"{self.name}: nothing matched within {within}s; saw {got}")
            await self.pump()

    async def wait_template(self, name: str, room_id: str | None = None, within: float = 30.0) -> Source:
        def match(room: str, source: Source) -> bool:
            return template(source) == name and (room_id is None or room == room_id)

        return (await self.wait_for(match, within))[1]

    async def wait_joined(self, room_id: str, user_id: str) -> None:
        await self.wait_for(
            lambda r, s: (
                r == room_id
                and s.get("type") == "m.room.member"
                and s.get("state_key") == user_id
                and s.get("content", {}).get("membership") == "join"
            )
        )

    async def keys(self) -> None:
        """What Element does between syncs: publish keys, learn devices, claim one-time keys, send."""
        client = self.client
        if client.olm is None:
            return
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        await client.send_to_device_messages()

    async def trust_everyone(self, room_id: str) -> None:
        """Trust on first use every device in the room, the bot's included (what people do in practice)."""
        client = self.client
        if client.olm is None:
            return
        await self.pump(0)  # who joined lately (the bot): they need the room key too
        room = client.rooms.get(room_id)
        if room is None or not room.encrypted:
            return
        if not room.members_synced:
            await client.joined_members(room_id)
        client.olm.update_tracked_users(room)
        if client.should_query_keys:
            await client.keys_query()
        for user_id in room.users:
            for device in client.device_store.active_user_devices(user_id):
                if not device.verified and not device.blacklisted:  # a blacklist is a person's choice
                    client.verify_device(device)

    def bot_messages(self, room_id: str | None = None) -> list[tuple[str, Source]]:
        return [(r, s) for r, s in self.seen if template(s) and (room_id is None or r == room_id)]

    async def say(self, room_id: str, body: str, thread: str | None = None, **extra: Any) -> str:
        content: dict[str, Any] = {"msgtype": "m.text", "body": body, **extra}
        if thread:
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": thread,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": thread},
            }
        await self.trust_everyone(room_id)
        response = await self.client.room_send(room_id, "m.room.message", content)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        response = await self.client.room_send(room_id, "m.reaction", content)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)


async def person(homeserver: Homeserver, name: str, display: str, store: Path | None = None) -> Person:
    """A person; with `store`, a real olm device (nio[e2e]) that encrypts, decrypts and trusts on first use."""
    account = await asyncio.to_thread(homeserver.register, homeserver.unique(name))
    if store is None:
        client = AsyncClient(homeserver.base_url, account["user_id"])
    else:
        await asyncio.to_thread(store.mkdir, parents=True, exist_ok=True)
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
        client = AsyncClient(homeserver.base_url, account["user_id"], store_path=str(store), config=config)
    client.restore_login(account["user_id"], account["device_id"], account["access_token"])
    await client.set_displayname(display)
    someone = Person(client, display)
    await someone.keys()
    await someone.pump(0)
    return someone


@dataclass
class World:
    """One space: SOS, general and formateurs rooms created by the coordinator, people, the bot account."""

    homeserver: Homeserver
    tmp_path: Path
    bot_user: str
    bot_password_env: str
    alice: Person  # member, asks
    bob: Person  # member, answers peers
    fabienne: Person  # formateur (config role)
    claire: Person  # coordinator (config role), room creator
    sos: str = ""
    general: str = ""
    staff: str = ""
    bot_token: str = ""  # from registration, for the access-token login path
    encrypted: bool = False  # people have olm devices

    @property
    def people(self) -> list[Person]:
        return [self.alice, self.bob, self.fabienne, self.claire]

    def settings(
        self,
        delay: str = "8s",
        power_level_trainer: int | None = None,
        database_url: str | None = None,
        **matrix_options: Any,
    ) -> Settings:
        return Settings(
            database=DatabaseConfig(url=database_url or f"sqlite+aiosqlite:///{self.tmp_path / 'ticebot.db'}"),
            matrix=MatrixConfig(
                homeserver=self.homeserver.base_url,
                user_id=self.bot_user,
                password_env=self.bot_password_env,
                power_level_trainer=power_level_trainer,
                store_dir=str(self.tmp_path / "bot-olm-store"),
                # People of a plain world have no olm device: the bot's DMs must stay readable to them.
                **{"encrypt_direct_rooms": self.encrypted, **matrix_options},
            ),
            spaces=[
                SpaceConfig(
                    id="gfp-test",
                    name="GFP Test",
                    sos={"delay": delay},  # type: ignore[arg-type]
                    roles={"trainer": [self.fabienne.user_id], "coordinator": [self.claire.user_id]},
                    matrix={"sos": self.sos, "general": self.general, "formateurs": self.staff},
                )
            ],
        )

    async def close(self) -> None:
        for someone in self.people:
            await someone.client.close()


async def make_world(
    homeserver: Homeserver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, encrypted: bool = False
) -> World:
    """`encrypted`: people with olm devices (on a Tchap-like server the rooms are then encrypted too)."""
    bot = await asyncio.to_thread(homeserver.register, homeserver.unique("ticebot"), "bot-secret-pw")
    env = f"TICEBOT_TEST_MATRIX_PASSWORD_{homeserver.run_id}"
    monkeypatch.setenv(env, bot["password"])

    def store(name: str) -> Path | None:
        return tmp_path / "people" / name if encrypted else None

    alice, bob, fabienne, claire = await asyncio.gather(
        person(homeserver, "alice", "Alice", store("alice")),
        person(homeserver, "bob", "Bruno", store("bob")),
        person(homeserver, "fabienne", "Fabienne", store("fabienne")),
        person(homeserver, "claire", "Claire", store("claire")),
    )
    world = World(
        homeserver, tmp_path, bot["user_id"], env, alice, bob, fabienne, claire, bot_token=bot["access_token"],
        encrypted=encrypted,
    )
    members = [alice, bob, fabienne]

    async def room(name: str, invited: list[Person]) -> str:
        created = await claire.client.room_create(name=name, invite=[bot["user_id"]] + [p.user_id for p in invited])
        assert isinstance(created, RoomCreateResponse), created
        joins = await asyncio.gather(*(someone.client.join(created.room_id) for someone in invited))
        assert all(isinstance(joined, JoinResponse) for joined in joins), joins
        return str(created.room_id)

    world.sos, world.general, world.staff = await asyncio.gather(
        room("SOS TICE", members), room("Général", members), room("Formateurs", [fabienne])
    )
    if encrypted:  # each device learns the rooms (and that they are encrypted) before anyone writes
        await asyncio.gather(*(someone.pump(0) for someone in world.people))
    return world


@dataclass
class Bot:
    app: TicebotApp
    adapter: MatrixAdapter
    tasks: list[asyncio.Task[None]]

    async def stop(self) -> None:
        """Stop like a process being shut down: no goodbye, state only in the database."""
        self.app.stop()
        await self.adapter.close()
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.app.close()


async def start_bot(settings: Settings, **adapter_options: Any) -> Bot:
    app = await TicebotApp.create(settings, clock=SystemClock())
    adapter = MatrixAdapter(settings, kv=app, sink=app.submit, long_poll_ms=2_000, **adapter_options)
    app.register_adapter(adapter)
    await adapter.start()
    tasks = [asyncio.create_task(adapter.run_forever()), asyncio.create_task(app.run_forever())]
    return Bot(app, adapter, tasks)
