"""Three drivers for one scenario: console (Replay), Discord (fake gateway + fake REST), Matrix (real Synapse).

Each returns a `Run`: the bot's outcomes as `(template, where)` (see xplat_scenario) in the order people
would see them on that platform. What each driver does with a step:

| step            | console (Replay)      | Discord (FakeClock)                    | Matrix (real clock)    |
|-----------------|-----------------------|----------------------------------------|------------------------|
| X in sos: T     | PostCreated           | THREAD_CREATE + MESSAGE_CREATE (forum) | message in SOS room    |
| X in general: T | PostCreated           | MESSAGE_CREATE in #general             | message in Général     |
| X reply: T      | PostCreated in thread | MESSAGE_CREATE in the thread channel   | m.thread reply to root |
| X react E       | ReactionAdded         | MESSAGE_REACTION_ADD                   | m.reaction annotation  |
| +D              | fake clock, due steps | fake clock, stopping at each due time  | sleep D scaled (2 s/d) |

Commands typed as text ("/declare …") are sent with "!" on Discord and Matrix: their clients claim "/"
for their own commands, and the core's parser takes "!declare" exactly like "/declare". (Discord's slash
commands and buttons are another input path, with answers that are private by design when there is no
post — tests/discord covers them.)

Where the bot's messages landed is read from the platform, not from the core's actions: Discord from the
fake API's stored messages (thread channel, DM channel, text channel), Matrix from the events people's
own clients synced (room, m.thread relation). A core action an adapter drops or misroutes shows up as a
different sequence.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

# The platform test kits live next door (tests/discord, tests/matrix); pytest puts a test's own folder on
# sys.path, not theirs. Their module names are unique, so adding both folders shadows nothing.
_TESTS = Path(__file__).resolve().parent.parent
for _kit in ("discord", "matrix"):
    if str(_TESTS / _kit) not in sys.path:
        sys.path.insert(0, str(_TESTS / _kit))

import discord  # noqa: E402
import discord_payloads as p  # noqa: E402
from discord_fakes import Harness  # noqa: E402
from sqlalchemy import select  # noqa: E402
from xplat_scenario import Outcome, Scenario, keep  # noqa: E402

from adapters.console.replay import DEFAULT_KINDS, DEFAULT_START, Replay  # noqa: E402
from adapters.discord.spaces import SpaceDirectory  # noqa: E402
from bot.app import TicebotApp  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.config import DatabaseConfig, MatrixConfig, Settings, SosPolicy, SpaceConfig  # noqa: E402
from bot.db.models import Outbox  # noqa: E402
from bot.durations import parse_duration  # noqa: E402

# Matrix runs on a real clock: the scenario's 4 days take 8 s, a day 2 s (rungs at 2/4/6/8 s).
SECONDS_PER_DAY = 2.0


@dataclass
class Run:
    platform: str
    outcomes: list[Outcome]
    seconds: float = 0.0
    fired_at: list[timedelta] = field(default_factory=list)  # console only: scenario time of each outcome
    next_due: timedelta | None = None  # console only: first step still scheduled at the end


def command_as_text(text: str) -> str:
    """"/declare …" → "!declare …" (see the module docstring)."""
    return "!" + text[1:] if text.startswith("/") else text


def sos_policy(scenario: Scenario, scale: float = 1.0) -> SosPolicy:
    """The space's SOS policy; with `scale`, every duration multiplied (Matrix: days → seconds)."""

    def scaled(key: str, default: str) -> str:
        value = scenario.options.get(key, default)
        if scale == 1.0:
            return value
        return f"{parse_duration(value).total_seconds() * scale:g}s"

    return SosPolicy(
        delay=scaled("delay", "4d"),
        policy=scenario.options.get("policy", "calendar"),  # type: ignore[arg-type]
        next_reply_delay=scaled("next_reply", "2d"),
        solved_check_after=scaled("solved_check", "2d"),
    )


def config_roles(scenario: Scenario, user_id: dict[str, str], roles: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, role in scenario.people.items():
        if role in roles:
            found.setdefault(role, []).append(user_id[name])
    return found


# ================================================================== console


async def run_console(scenario: Scenario) -> Run:
    started = time.monotonic()
    replay = Replay()
    try:
        for step in scenario.steps:
            await replay.run_step(step)
        threads = {(t.channel.id, t.id): n for n, t in enumerate(replay.threads, start=1)}
        kinds = {name: kind for space in replay.spaces.values() for name, kind in space.channels.items()}
        outcomes, fired = [], []
        for item in replay.delivered:
            if not keep(item.template):
                continue
            if item.to:
                where = f"dm:{item.to}"
            elif item.thread:
                where = f"thread:{threads[(item.channel, item.thread)]}"
            else:
                where = f"channel:{kinds.get(item.channel, DEFAULT_KINDS.get(item.channel, item.channel))}"
            outcomes.append((item.template, where))
            fired.append(item.at - DEFAULT_START)
        assert replay.app is not None
        due = await replay.app.core.next_due()
        return Run("console", outcomes, time.monotonic() - started, fired,
                   None if due is None else due - DEFAULT_START)
    finally:
        await replay.close()


# ================================================================== Discord

DISCORD_START = DEFAULT_START.astimezone(UTC)  # 09:00 in Paris, as the console starts
_DISCORD_ROLE = {"trainer": p.TRAINER_ROLE, "tutor": p.TUTOR_ROLE}  # the others are config roles
_DISCORD_KIND = {p.SOS_FORUM: "sos", p.GENERAL: "general", p.TRAINERS: "trainers"}


class DiscordDriver:
    """A real discord.py client on the fake REST API (tests/discord), the real core on SQLite, a FakeClock."""

    def __init__(self, scenario: Scenario, tmp_path: Path) -> None:
        self.scenario = scenario
        self.tmp_path = tmp_path
        self.clock = FakeClock(DISCORD_START)
        self.ids = {name: 500000000000000100 + n for n, name in enumerate(scenario.people, start=1)}
        self.names = {v: k for k, v in self.ids.items()}
        self._seq = itertools.count(1)
        self.threads: list[int] = []  # thread channel ids, in the order the scenario opened them
        self.current: int | None = None
        self.last_post: tuple[int, int] | None = None  # (message id, channel id)
        self.dispatched: set[int] = set()  # bot-made threads already announced through the gateway

    def settings(self) -> Settings:
        roles = config_roles(self.scenario, {n: f"discord:{i}" for n, i in self.ids.items()},
                             ("coordinator", "resource"))
        discord_map: dict[str, Any] = {
            "guild": str(p.GUILD_ID), "sos": str(p.SOS_FORUM), "general": str(p.GENERAL),
            "trainers": str(p.TRAINERS),
            "roles": {str(p.TRAINER_ROLE): "trainer", str(p.TUTOR_ROLE): "tutor"},
        }
        space = SpaceConfig(id=self.scenario.space, referential=self.scenario.options.get("referential", "c2i2e"),
                            sos=sos_policy(self.scenario), roles=roles, discord=discord_map)
        return Settings(spaces=[space])

    def roles(self, name: str) -> list[int]:
        role = _DISCORD_ROLE.get(self.scenario.people[name])
        return [role] if role else []

    def snowflake(self) -> int:
        return discord.utils.time_snowflake(self.clock.now()) + next(self._seq)

    async def run(self) -> Run:
        started = time.monotonic()
        config = self.settings()
        self.app = await TicebotApp.create(config, clock=self.clock,
                                           database_url=f"sqlite+aiosqlite:///{self.tmp_path / 'discord.db'}")
        members = [p.member(p.BOT_ID, "ticebot")] + [
            p.member(uid, name.capitalize(), self.roles(name)) for name, uid in self.ids.items()
        ]
        self.discord = await Harness.start(spaces=SpaceDirectory.from_settings(config), sink=self.app.submit,
                                           referentials=self.app.referential_for, guild=p.guild(members=members))
        self.app.register_adapter(self.discord.adapter)
        try:
            await self.settle()
            for step in self.scenario.actions:
                await self.step(step)
            return Run("discord", await self.outcomes(), time.monotonic() - started)
        finally:
            await self.discord.close()
            await self.app.close()

    async def settle(self) -> None:
        await self.app.run_once()
        # Discord tells the bot about threads it created (THREAD_CREATE), as it would a person's.
        for cid, channel in list(self.discord.api.channels.items()):
            if channel["type"] == 11 and cid not in self.dispatched:
                self.dispatched.add(cid)
                if int(channel.get("owner_id", 0)) == p.BOT_ID:
                    await self.discord.gateway("THREAD_CREATE", {**channel, "newly_created": True})

    async def message(self, message_id: int, channel_id: int, name: str, text: str) -> None:
        payload = p.message(message_id, channel_id, self.ids[name], name.capitalize(), command_as_text(text),
                            roles=self.roles(name))
        await self.discord.gateway("MESSAGE_CREATE", payload)
        self.last_post = (message_id, channel_id)

    async def step(self, step: Any) -> None:
        if step.kind == "advance":
            await self.advance(step.delta)
            return
        name = step.who
        if step.kind == "post" and step.target == "sos":
            post_id = self.snowflake()
            title = step.text[:80]
            thread = p.thread(post_id, p.SOS_FORUM, title, owner_id=self.ids[name])
            self.dispatched.add(post_id)
            await self.discord.gateway("THREAD_CREATE", {**thread, "newly_created": True})
            await self.message(post_id, post_id, name, step.text)
            self.threads.append(post_id)
            self.current = post_id
        elif step.kind == "post":
            message_id = self.snowflake()
            await self.message(message_id, p.GENERAL, name, step.text)
            self.threads.append(message_id)  # a thread made from this message has its id
            self.current = message_id
        elif step.kind == "reply":
            assert self.current is not None
            if self.current not in self.discord.api.channels:
                # Nobody opened the thread of this #general message yet: the person does, as on Discord.
                thread = p.thread(self.current, p.GENERAL, step.text[:80], owner_id=self.ids[name])
                self.dispatched.add(self.current)
                await self.discord.gateway("THREAD_CREATE", {**thread, "newly_created": True})
            await self.message(self.snowflake(), self.current, name, step.text)
        elif step.kind == "react":
            assert self.last_post is not None
            message_id, channel_id = self.last_post
            payload = p.reaction_add(message_id, channel_id, self.ids[name], name.capitalize(), step.text)
            payload["member"]["roles"] = [str(r) for r in self.roles(name)]
            await self.discord.gateway("MESSAGE_REACTION_ADD", payload)
        await self.settle()

    async def advance(self, delta: timedelta) -> None:
        """Like the console: stop at every due time on the way, so each action has its own time."""
        target = self.clock.now() + delta
        while (due := await self.app.core.next_due()) is not None and due <= target:
            if due > self.clock.now():
                self.clock.set(due)
            fired, sent = await self.app.run_once()
            await self.settle()
            if fired == 0 and sent == 0:
                break
        self.clock.set(target)
        await self.settle()

    async def outcomes(self) -> list[Outcome]:
        async with self.app.db.transaction() as session:
            rows = list((await session.execute(select(Outbox).order_by(Outbox.id))).scalars())
        placed: list[tuple[int, Outcome]] = []
        for row in rows:
            if not keep(row.template):
                continue
            if row.status != "sent" or not row.platform_message_id:
                placed.append((1 << 62, (row.template, f"undelivered:{row.status}")))
                continue
            message = self.discord.api.messages[int(row.platform_message_id)]
            placed.append((int(message["id"]), (row.template, self.where(int(message["channel_id"])))))
        return [outcome for _id, outcome in sorted(placed, key=lambda item: item[0])]  # as Discord shows them

    def where(self, channel_id: int) -> str:
        channel = self.discord.api.channels[channel_id]
        if channel["type"] == 1:
            return f"dm:{self.names.get(int(channel['recipients'][0]['id']), channel['recipients'][0]['id'])}"
        if channel["type"] == 11:
            return f"thread:{self.threads.index(channel_id) + 1}" if channel_id in self.threads else "thread:?"
        return f"channel:{_DISCORD_KIND.get(channel_id, channel_id)}"


async def run_discord(scenario: Scenario, tmp_path: Path) -> Run:
    return await DiscordDriver(scenario, tmp_path).run()


# ================================================================== Matrix


class MatrixDriver:
    """Real nio clients on a real Synapse; the bot as TicebotApp + MatrixAdapter on a real clock.

    The clock is scaled: every duration of the scenario (the SOS policy's and the `+D` steps) is multiplied
    by SECONDS_PER_DAY / 1 day. `+D` sleeps until the scenario time it reaches, measured from the first
    action, so sleeps do not add up drift.
    """

    def __init__(self, scenario: Scenario, homeserver: Any, tmp_path: Path) -> None:
        self.scenario = scenario
        self.homeserver = homeserver
        self.tmp_path = tmp_path
        self.scale = SECONDS_PER_DAY / 86400
        self.threads: list[str] = []  # root event ids
        self.thread_room: dict[str, str] = {}
        self.current: str | None = None
        self.last_post: tuple[str, str] | None = None  # (room, event id)

    async def run(self) -> Run:
        from matrix_world import person, start_bot

        started = time.monotonic()
        hs = self.homeserver
        bot_account = await asyncio.to_thread(hs.register, hs.unique("ticebot"), "bot-secret-pw")
        env = f"TICEBOT_XPLAT_MATRIX_PASSWORD_{hs.run_id}"
        os.environ[env] = bot_account["password"]
        names = list(self.scenario.people)
        people = await asyncio.gather(*(person(hs, name, name.capitalize()) for name in names))
        self.people = dict(zip(names, people, strict=True))
        bot_user = bot_account["user_id"]
        self.rooms = await self.make_rooms(bot_user)
        settings = self.settings(bot_user, env)
        bot = await start_bot(settings)
        try:
            for room in self.rooms.values():
                await self.creator.wait_joined(room, bot_user)
            self.t0 = time.monotonic()
            self.offset = timedelta(0)
            for step in self.scenario.actions:
                await self.step(step)
            rows = await self.drain(bot.app)
        finally:
            await bot.stop()
            os.environ.pop(env, None)
        try:
            outcomes = await self.collect(rows)
        finally:
            for someone in self.people.values():
                await someone.client.close()
        return Run("matrix", outcomes, time.monotonic() - started)

    @property
    def creator(self) -> Any:
        staff = self.scenario.people_with("coordinator") or list(self.scenario.people)
        return self.people[staff[0]]

    async def make_rooms(self, bot_user: str) -> dict[str, str]:
        from nio import JoinResponse, RoomCreateResponse

        creator = self.creator
        everyone = [s for s in self.people.values() if s is not creator]
        staff = [self.people[n] for n in self.scenario.people_with("trainer", "tutor", "coordinator", "resource")
                 if self.people[n] is not creator]

        async def room(name: str, invited: list[Any]) -> str:
            created = await creator.client.room_create(name=name, invite=[bot_user] + [s.user_id for s in invited])
            assert isinstance(created, RoomCreateResponse), created
            joins = await asyncio.gather(*(s.client.join(created.room_id) for s in invited))
            assert all(isinstance(j, JoinResponse) for j in joins), joins
            return str(created.room_id)

        sos, general, trainers = await asyncio.gather(
            room("SOS TICE", everyone), room("Général", everyone), room("Formateurs", staff)
        )
        return {"sos": sos, "general": general, "trainers": trainers}

    def settings(self, bot_user: str, password_env: str) -> Settings:
        user_ids = {name: someone.user_id for name, someone in self.people.items()}
        space = SpaceConfig(
            id=self.scenario.space,
            referential=self.scenario.options.get("referential", "c2i2e"),
            sos=sos_policy(self.scenario, scale=self.scale),
            roles=config_roles(self.scenario, user_ids, ("tutor", "trainer", "coordinator", "resource")),
            matrix={"sos": self.rooms["sos"], "general": self.rooms["general"], "formateurs": self.rooms["trainers"]},
        )
        return Settings(
            database=DatabaseConfig(url=f"sqlite+aiosqlite:///{self.tmp_path / 'matrix.db'}"),
            # The scenario's people are plain clients (no olm device): DMs the bot opens stay unencrypted.
            matrix=MatrixConfig(homeserver=self.homeserver.base_url, user_id=bot_user, password_env=password_env,
                                encrypt_direct_rooms=False),
            spaces=[space],
        )

    async def step(self, step: Any) -> None:
        if step.kind == "advance":
            self.offset += step.delta
            wait = self.t0 + self.offset.total_seconds() * self.scale - time.monotonic()
            await asyncio.sleep(max(0.0, wait))
            return
        someone = self.people[step.who]
        if step.kind == "post":
            room = self.rooms[step.target]
            root = await someone.say(room, command_as_text(step.text))
            self.threads.append(root)
            self.thread_room[root] = room
            self.current = root
            self.last_post = (room, root)
        elif step.kind == "reply":
            assert self.current is not None
            room = self.thread_room[self.current]
            event_id = await someone.say(room, command_as_text(step.text), thread=self.current)
            self.last_post = (room, event_id)
        elif step.kind == "react":
            assert self.last_post is not None
            await someone.react(*self.last_post, step.text)

    async def drain(self, app: TicebotApp, within: float = 15.0) -> list[Outbox]:
        """At the scenario's end: wait until the bot has delivered everything queued (the scenario leaves
        nothing due right after its end: see xplat_scenario.MARGIN), then return the outbox."""
        deadline = time.monotonic() + within
        while True:
            async with app.db.transaction() as session:
                rows = list((await session.execute(select(Outbox).order_by(Outbox.id))).scalars())
            if all(r.status in ("sent", "failed") for r in rows) or time.monotonic() > deadline:
                return rows
            await asyncio.sleep(0.05)

    async def collect(self, rows: list[Outbox], within: float = 15.0) -> list[Outcome]:
        """Where each delivered message landed, as people's own clients received it."""
        wanted = {r.platform_message_id: r for r in rows if keep(r.template) and r.status == "sent"}
        order = {r.platform_message_id: n for n, r in enumerate(rows)}
        seen: dict[str, tuple[str, str, dict[str, Any]]] = {}  # event id -> (person, room, source)
        deadline = time.monotonic() + within
        while True:
            for name, someone in self.people.items():
                for room, source in someone.seen:
                    seen.setdefault(str(source.get("event_id")), (name, room, source))
            if set(wanted) <= set(seen) or time.monotonic() > deadline:
                break
            await asyncio.gather(*(someone.pump(100) for someone in self.people.values()))
        placed: list[tuple[float, int, Outcome]] = []
        for event_id, row in wanted.items():
            if event_id not in seen:
                placed.append((float("inf"), order[event_id], (row.template, "unseen")))
                continue
            name, room, source = seen[event_id]
            template = str(source.get("content", {}).get("org.ticebot.template", ""))
            placed.append((source["origin_server_ts"], order[event_id], (template, self.where(name, room, source))))
        undelivered = [(float("inf"), order.get(r.platform_message_id, 0), (r.template, f"undelivered:{r.status}"))
                       for r in rows if keep(r.template) and r.status != "sent"]
        return [outcome for *_key, outcome in sorted(placed + undelivered, key=lambda item: item[:2])]

    def where(self, name: str, room: str, source: dict[str, Any]) -> str:
        from matrix_world import thread_of

        root = thread_of(source)
        if root is not None:
            return f"thread:{self.threads.index(root) + 1}" if root in self.threads else "thread:?"
        kinds = {room_id: kind for kind, room_id in self.rooms.items()}
        return f"channel:{kinds[room]}" if room in kinds else f"dm:{name}"


async def run_matrix(scenario: Scenario, homeserver: Any, tmp_path: Path) -> Run:
    return await MatrixDriver(scenario, homeserver, tmp_path).run()
