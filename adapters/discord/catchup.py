"""Catch-up after downtime: what was written while the bot was away is replayed once, in order.

Discord keeps no sync token for a bot: a gateway session that could not be resumed (a restart, a long
outage, INVALID_SESSION) has missed every event since. So at each READY (not after a RESUMED: Discord
replays the missed events itself) the adapter reads back, per space:

- each configured channel (SOS, general, trainers, announcements);
- the active threads of the guild whose parent is one of those channels;
- the public threads of those channels archived within the window (most recently archived first,
  stopping at the first one archived before the window);
- the DM channels with activity the bot has seen within the window (kept in the kv store; a DM
  opened for the first time while the bot was away is not known and not read).

In each place it reads the messages newer than `max(floor, now - window)`, newest first, at most
`max_messages`. Messages after the place's stored watermark (the last message handed to the core
there) become PostCreated events; every ✅-like reaction on the messages read becomes a ReactionAdded
— a message in history says only how many reacted, so the reactors are asked for. Posts are handed
over in id order (a snowflake is a time: a question before its answers), then reactions; each carries
its original time (`PostCreated.at`). Event ids are those of the live events (the message id;
`reaction:<message>:<user>:<emoji>` — one person adds one emoji once to a message, so the id is
stable without a timestamp): the core's idempotency drops whatever was already handled, live or in an
earlier catch-up.

The floor is the newest message id of the guild when the bot first connected: a new deployment does
not replay the server's past. discord.py paces the requests by Discord's rate-limit headers; a limit
longer than it waits makes the catch-up sleep and go on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import discord

from adapters.discord import state, translate
from adapters.discord.spaces import DiscordSpace
from adapters.discord.state import KeyValue
from bot.events import CoreEvent

log = logging.getLogger(__name__)

Submit = Callable[[CoreEvent], Awaitable[None]]
DEFAULT_WINDOW = timedelta(days=3)
DEFAULT_MAX_MESSAGES = 1000
MAX_KNOWN_DMS = 500
RATE_LIMIT_RETRIES = 3
FLUSH_EVERY = 5.0  # seconds between writes of the live watermarks (a crash re-reads that much: harmless)
# The reactions the core acts on (bot.sos.questions.ACCEPT_EMOJIS, a test keeps both equal): only they are
# worth asking Discord who added them. Not imported: the adapter does not load the core's handlers.
REPLAYED_EMOJIS = frozenset({"✅", "✔️", "✔", "☑️", "white_check_mark", ":white_check_mark:", "heavy_check_mark"})


@dataclass(frozen=True, slots=True)
class CatchupLimits:
    window: timedelta = DEFAULT_WINDOW  # how far back a catch-up reads
    max_messages: int = DEFAULT_MAX_MESSAGES  # per channel, thread or DM


class Watermarks:
    """The last message handed to the core, per channel (thread, DM): kept in memory, written to the kv
    store at most every FLUSH_EVERY seconds and at close. DMs are also listed (with their last message)
    so that a catch-up knows which DM channels to read back."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv
        self._known: dict[int, int] = {}
        self._dirty: set[int] = set()
        self._dm_updates: dict[str, int] = {}
        self._flushed = time.monotonic()

    async def get(self, channel_id: int) -> int:
        if channel_id not in self._known:
            raw = await self.kv.kv_get(state.last_message(channel_id))
            self._known[channel_id] = int(raw) if raw and raw.isdigit() else 0
        return self._known[channel_id]

    def advance(self, channel_id: int, message_id: int, *, direct: bool = False) -> None:
        if message_id > self._known.get(channel_id, 0):
            self._known[channel_id] = message_id
            self._dirty.add(channel_id)
        if direct:
            self._dm_updates[str(channel_id)] = max(message_id, self._dm_updates.get(str(channel_id), 0))

    async def known_dms(self) -> dict[str, int]:
        """DM channel id → last message id seen there, the most recent MAX_KNOWN_DMS."""
        raw = await self.kv.kv_get(state.direct_channels())
        try:
            loaded = json.loads(raw) if raw else {}
        except ValueError:
            loaded = {}
        known = {str(k): int(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
        for channel_id, last in self._dm_updates.items():
            known[channel_id] = max(last, known.get(channel_id, 0))
        return dict(sorted(known.items(), key=lambda item: item[1], reverse=True)[:MAX_KNOWN_DMS])

    async def flush(self, *, force: bool = True) -> None:
        if not force and time.monotonic() - self._flushed < FLUSH_EVERY:
            return
        self._flushed = time.monotonic()
        for channel_id in sorted(self._dirty):
            await self.kv.kv_set(state.last_message(channel_id), str(self._known[channel_id]))
        self._dirty.clear()
        if self._dm_updates:
            known = await self.known_dms()
            self._dm_updates.clear()
            await self.kv.kv_set(state.direct_channels(), json.dumps(known, sort_keys=True))


async def guild_floor(kv: KeyValue, guild: discord.Guild) -> tuple[int, bool]:
    """(floor, first): the floor stored at the bot's first connection to the guild, set now if absent."""
    raw = await kv.kv_get(state.floor(guild.id))
    if raw is not None and raw.isdigit():
        return int(raw), False
    ids = [getattr(c, "last_message_id", None) or 0 for c in (*guild.channels, *guild.threads)]
    newest = max([0, *ids])
    await kv.kv_set(state.floor(guild.id), str(newest))
    return newest, True


def _reacted(message: discord.Message) -> list[discord.Reaction]:
    return [r for r in message.reactions if str(r.emoji) in REPLAYED_EMOJIS]


class CatchUp:
    """One catch-up pass (see the module docstring); `run` hands the missed events to `submit`."""

    def __init__(
        self,
        client: Any,
        limits: CatchupLimits,
        marks: Watermarks,
        submit: Submit,
    ) -> None:
        self.client = client
        self.limits = limits
        self.marks = marks
        self.submit = submit
        self.posts = 0
        self.reactions = 0

    async def run(self) -> None:
        started = time.monotonic()
        horizon = discord.utils.time_snowflake(self.client.now() - self.limits.window)
        posts: list[tuple[discord.Message, DiscordSpace | None]] = []
        reactions: list[tuple[discord.Message, str, discord.abc.User, DiscordSpace | None]] = []
        for space in self.client.spaces:
            guild = self.client.get_guild(space.guild_id)
            if guild is None:
                continue
            floor, first = await guild_floor(self.marks.kv, guild)
            if first:
                log.info("discord: first connection to guild %s: nothing before it is replayed", guild.id)
                continue
            since = max(floor, horizon)
            async for place in self._places(guild, space, horizon):
                await self._read(place, since, space, posts, reactions)
        dms = await self.marks.known_dms()
        for channel_id, last in list(dms.items()):
            if last < horizon:
                continue
            place = await self._fetch(int(channel_id))
            if place is not None:
                await self._read(place, horizon, None, posts, reactions)
        for message, space in sorted(posts, key=lambda item: item[0].id):
            await self._post(message, space)
        for message, emoji, user, space in reactions:
            await self._reaction(message, emoji, user, space)
        await self.marks.flush()
        log.info(
            "discord: caught up %d post(s) and %d reaction(s) in %.1fs",
            self.posts,
            self.reactions,
            time.monotonic() - started,
        )

    # ------------------------------------------------------------ where to read

    async def _fetch(self, channel_id: int) -> Any:
        found = self.client.get_channel(channel_id)
        if found is not None:
            return found
        try:
            return await self._paced(lambda: self.client.fetch_channel(channel_id))
        except discord.HTTPException as exc:
            log.info("discord: channel %s not read back (HTTP %s)", channel_id, exc.status)
            return None

    async def _places(self, guild: discord.Guild, space: DiscordSpace, horizon: int) -> AsyncIterator[Any]:
        parents: list[Any] = []
        for channel_id in dict.fromkeys(space.channels.values()):
            channel = await self._fetch(channel_id)
            if channel is None:
                continue
            parents.append(channel)
            if not isinstance(channel, discord.ForumChannel):
                yield channel  # a forum holds no messages of its own, only posts (threads)
        parent_ids = {c.id for c in parents}
        seen: set[int] = set()
        try:
            active = await self._paced(guild.active_threads)
        except discord.HTTPException as exc:
            log.warning("discord: active threads of guild %s not read (HTTP %s)", guild.id, exc.status)
            active = []
        for thread in active:
            if thread.parent_id in parent_ids and thread.id not in seen:
                seen.add(thread.id)
                yield thread
        oldest = discord.utils.snowflake_time(horizon)
        for parent in parents:
            if not isinstance(parent, discord.ForumChannel | discord.TextChannel):
                continue
            try:
                async for thread in parent.archived_threads(limit=None):
                    if thread.archive_timestamp < oldest:
                        break  # most recently archived first: the rest were archived before the window
                    if thread.id not in seen:
                        seen.add(thread.id)
                        yield thread
            except discord.HTTPException as exc:
                log.warning("discord: archived threads of %s not read (HTTP %s)", parent.id, exc.status)

    async def _paced(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """`call()`, sleeping through rate limits longer than discord.py waits on its own."""
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                return await call()
            except discord.RateLimited as exc:
                if attempt == RATE_LIMIT_RETRIES:
                    raise
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------ reading

    async def _history(self, place: Any, since: int) -> list[discord.Message]:
        async def read() -> list[discord.Message]:
            after = discord.Object(id=since)
            return [m async for m in place.history(limit=self.limits.max_messages, after=after, oldest_first=False)]

        return await self._paced(read)

    async def _read(
        self,
        place: Any,
        since: int,
        space: DiscordSpace | None,
        posts: list[tuple[discord.Message, DiscordSpace | None]],
        reactions: list[tuple[discord.Message, str, discord.abc.User, DiscordSpace | None]],
    ) -> None:
        try:
            messages = await self._history(place, since)
        except discord.HTTPException as exc:
            log.warning("discord: channel %s not read back (HTTP %s, code %s)", place.id, exc.status, exc.code)
            return
        if len(messages) >= self.limits.max_messages:
            log.warning("discord: more than %d messages to read back in channel %s: the oldest are not replayed",
                        self.limits.max_messages, place.id)
        mark = await self.marks.get(place.id)
        me = self.client.user.id if self.client.user is not None else None
        for message in messages:
            if message.id > mark and message.author.id != me:
                posts.append((message, space))
            for reaction in _reacted(message):
                try:
                    async for user in reaction.users():
                        if user.id != me:
                            reactions.append((message, str(reaction.emoji), user, space))
                except discord.HTTPException as exc:
                    log.info("discord: reactors of message %s not read (HTTP %s)", message.id, exc.status)

    # ------------------------------------------------------------ handing over

    async def _post(self, message: discord.Message, space: DiscordSpace | None) -> None:
        if isinstance(message.channel, discord.Thread):
            self.client.locations.remember(message.id, message.channel.id)
        event = translate.post_created(message)
        if event is not None:
            if space is not None:
                event = translate.with_space(event, space.space_id)
            await self.submit(event)
            self.posts += 1
        self.marks.advance(message.channel.id, message.id, direct=space is None)

    async def _reaction(
        self, message: discord.Message, emoji: str, user: discord.abc.User, space: DiscordSpace | None
    ) -> None:
        await self.submit(translate.reaction_seen(message, emoji, user))
        self.reactions += 1
