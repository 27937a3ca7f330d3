"""The Discord client and the adapter the core talks to.

`TicebotDiscord` listens to the gateway and hands core events to a sink (the app's `submit`);
`DiscordAdapter` is what the app registers: `platform = "discord"` and `deliver(action)`.
Everything Discord-specific that needs I/O (fetching a channel not in the cache) happens here; the
mapping itself is in `translate.py`, the outgoing side in `deliver.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import discord
from discord.ext import commands

from adapters.discord import commands as slash
from adapters.discord import translate
from adapters.discord.catchup import CatchUp, CatchupLimits, Watermarks
from adapters.discord.deliver import Deliverer
from adapters.discord.endpoints import configure_endpoints
from adapters.discord.locations import MessageLocations
from adapters.discord.malformed import guard_parsers
from adapters.discord.roles import RoleLedger
from adapters.discord.sos_buttons import SosButton
from adapters.discord.spaces import SpaceDirectory
from adapters.discord.state import KeyValue, MemoryKeyValue
from adapters.discord.views import DeclarationButton
from bot.actions import CoreAction
from bot.config import ConfigError, DiscordConfig
from bot.events import CoreEvent
from bot.ports import EventSink, NotAttempted, RetryLater

log = logging.getLogger(__name__)

ReferentialLookup = Callable[[str], Any]
CLOSE_FLUSH_WAIT = 2.0  # seconds the watermarks may take to be saved when the client closes
NOT_READY_RETRY = 1.0  # seconds before a delivery asked while the gateway is not ready is asked again
# Seconds one delivery may take inside discord.py, which sleeps on rate-limit buckets (up to its
# max_ratelimit_timeout, 30 s, beyond which it raises RateLimited) and retries 5xx answers (~16 s).
DELIVER_WAIT = 20.0
SETTLE_ON_STOP = 10.0  # seconds a stopping adapter waits for the replies its events were sending


def intents() -> discord.Intents:
    """Guilds, guild messages (+ their content), reactions, members and DMs: nothing else is read."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = True  # privileged: enable it in the developer portal
    wanted.guild_reactions = True
    wanted.dm_reactions = True
    wanted.members = True  # privileged: role changes and the DM fallback need the member list
    return wanted


class TicebotDiscord(commands.Bot):
    """A discord.py bot that only translates: every decision is the core's."""

    def __init__(
        self,
        *,
        spaces: SpaceDirectory,
        sink: EventSink,
        referentials: ReferentialLookup | None = None,
        sync_commands: bool = True,
        kv: KeyValue | None = None,
        catchup: CatchupLimits | None = None,
        now: Callable[[], datetime] | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("max_ratelimit_timeout", 30.0)  # longer waits go back to the outbox (RetryLater)
        super().__init__(
            command_prefix=commands.when_mentioned,  # no prefix commands: text commands are the core's
            help_command=None,
            intents=intents(),
            # Nobody is pinged unless a message says so explicitly (deliver.py passes the users).
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=False, replied_user=False),
            **options,
        )
        self.spaces = spaces
        self.sink = sink
        self._referentials = referentials
        self._sync_commands = sync_commands
        self.locations = MessageLocations()
        guard_parsers(self._connection.parsers)  # a malformed payload is skipped, never fatal
        # discord.py runs each handler as its own task; events still reach the core one at a time, in
        # the order they arrived (asyncio.Lock is fair), so a quick reply never overtakes its question.
        self._in_order = asyncio.Lock()
        self.kv: KeyValue = kv or MemoryKeyValue()
        self.catchup_limits = catchup or CatchupLimits()
        self.now = now or discord.utils.utcnow  # the app's clock: how far back a catch-up reads
        self.marks = Watermarks(self.kv)
        self.roles = RoleLedger(self.kv)
        # Live events wait while a catch-up replays what was missed before them (open when no
        # connection was lost: tests drive the parsers directly).
        self._live = asyncio.Event()
        self._live.set()
        self._catchup: asyncio.Task[None] | None = None
        self.catchups = 0  # finished catch-up passes (for tests and logs)

    # ------------------------------------------------------------ lifecycle

    async def setup_hook(self) -> None:
        # Buttons under declaration messages keep working across restarts: their custom ids carry
        # the declaration id, parsed by the DynamicItem.
        self.add_dynamic_items(DeclarationButton, SosButton)
        slash.register(self.tree, self.spaces.guild_ids)
        if self._sync_commands:
            await self.sync_commands()

    async def sync_commands(self) -> None:
        for guild_id in self.spaces.guild_ids:
            try:
                synced = await self.tree.sync(guild=discord.Object(id=guild_id))
                log.info("discord: %d slash commands synced in guild %s", len(synced), guild_id)
            except discord.Forbidden:
                log.error(
                    "discord: cannot sync commands in guild %s: invite the bot with the applications.commands scope",
                    guild_id,
                )
        await self.tree.sync()  # the DM-only copies

    # ------------------------------------------------------------ bridge to the core

    async def submit(self, event: CoreEvent) -> None:
        """A live event: after any catch-up in progress, then in arrival order."""
        await self._live.wait()
        await self.submit_now(event)

    async def submit_now(self, event: CoreEvent) -> None:
        async with self._in_order:
            await self.sink(event)

    async def _hand_over(self, event: CoreEvent | None, *, now: bool = False) -> None:
        if event is None:
            return
        try:
            await (self.submit_now(event) if now else self.submit(event))
        except Exception:
            # The kind and id only: the event's text is someone's message.
            log.exception("discord: the core failed on %s %s", type(event).__name__, event.event_id)

    # ------------------------------------------------------------ catch-up after downtime

    async def on_connect(self) -> None:
        # A new or resumed session: until READY's catch-up (or RESUMED) is done, live events wait.
        self._live.clear()

    async def on_resumed(self) -> None:
        self._live.set()  # Discord replayed the missed events itself

    async def on_ready(self) -> None:
        previous = self._catchup
        self._catchup = asyncio.create_task(self._catch_up(), name="discord-catchup")
        if previous is not None and not previous.done():
            previous.cancel()  # a newer session: its catch-up covers what the old one was reading

    async def _catch_up(self) -> None:
        try:
            await CatchUp(self, self.catchup_limits, self.marks, self._hand_over_now).run()
            self.catchups += 1
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("discord: catch-up failed; live events go on")
        finally:
            if self._catchup is asyncio.current_task():  # not when a newer session's catch-up replaced it
                self._live.set()

    async def _hand_over_now(self, event: CoreEvent | None) -> None:
        await self._hand_over(event, now=True)

    async def close(self) -> None:
        if self._catchup is not None and not self._catchup.done():
            self._catchup.cancel()
            await asyncio.gather(self._catchup, return_exceptions=True)
        try:
            # Bounded: stopping must stay quick, and a watermark not saved only makes the next catch-up
            # read (and the core drop) a little more.
            await asyncio.wait_for(self.marks.flush(), timeout=CLOSE_FLUSH_WAIT)
        except Exception:
            log.warning("discord: watermarks not saved at close; the next catch-up reads a little more")
        await super().close()

    def referential_for(self, space_id: str) -> Any:
        if self._referentials is None:
            return None
        try:
            return self._referentials(space_id)
        except KeyError:
            return None

    def _ours(self, guild_id: int | None) -> bool:
        """Events from guilds that are no space of ours are ignored; DMs always concern us."""
        return guild_id is None or self.spaces.by_guild(guild_id) is not None

    async def _resolve(self, channel: object, channel_id: int) -> object:
        """A usable channel object: the cached one, or fetched when the cache only had an id."""
        if channel is not None and not isinstance(channel, discord.PartialMessageable | discord.Object):
            return channel
        found = self.get_channel(channel_id)
        if found is not None:
            return found
        try:
            return await self.fetch_channel(channel_id)
        except discord.HTTPException:
            return channel

    # ------------------------------------------------------------ gateway events

    async def on_message(self, message: discord.Message) -> None:
        if self.user is not None and message.author.id == self.user.id:
            return  # the core knows what it sent
        if not self._ours(message.guild.id if message.guild else None):
            return
        if message.guild is not None and isinstance(message.channel, discord.PartialMessageable):
            # A forum post's first message can arrive before its thread is cached.
            message.channel = await self._resolve(message.channel, message.channel.id)  # type: ignore[assignment]
        if isinstance(message.channel, discord.Thread):
            self.locations.remember(message.id, message.channel.id)
        event = translate.post_created(message)
        space = self.spaces.by_guild(message.guild.id) if message.guild else None
        if event is not None and space is not None:
            event = replace(event, space_hint=space.space_id)
        await self._hand_over(event)
        self.marks.advance(message.channel.id, message.id, direct=message.guild is None)
        await self.marks.flush(force=False)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if (self.user is not None and payload.user_id == self.user.id) or not self._ours(payload.guild_id):
            return
        channel: object = None
        if payload.guild_id is not None:
            # In a thread, the message is named by the thread's parent: the channel must be known.
            channel = await self._resolve(None, payload.channel_id)
        user = payload.member or self.get_user(payload.user_id)
        await self._hand_over(translate.reaction_added(payload, channel, user))

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        message = payload.message
        if self.user is not None and message.author.id == self.user.id:
            return
        if not self._ours(payload.guild_id) or message.edited_at is None:
            return  # no edit timestamp: Discord only added a link preview
        if payload.guild_id is not None:
            message.channel = await self._resolve(message.channel, message.channel.id)  # type: ignore[assignment]
        await self._hand_over(translate.post_edited(message, message.edited_at))

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if not self._ours(payload.guild_id):
            return
        channel: object = None
        if payload.guild_id is not None:
            channel = await self._resolve(None, payload.channel_id)
        await self._hand_over(translate.post_deleted(channel, payload.channel_id, payload.message_id))

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        space = self.spaces.by_guild(after.guild.id)
        if space is not None:
            await self.roles.changed(after, space, self._hand_over)

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        space = self.spaces.by_guild(payload.guild_id)
        if space is not None:
            await self.roles.left(payload.guild_id, payload.user.id, space, self._hand_over)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self._reconcile_roles(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._reconcile_roles(guild)

    async def _reconcile_roles(self, guild: discord.Guild) -> None:
        """At (re)connection: changes made while the bot was away, both ways, before any replayed post."""
        space = self.spaces.by_guild(guild.id)
        if space is not None:
            await self.roles.reconcile(guild, space, self._hand_over_now)


class DiscordAdapter:
    """What the core registers: delivers outbox actions of platform "discord"."""

    platform = "discord"

    def __init__(self, client: TicebotDiscord) -> None:
        self.client = client
        self.deliverer = Deliverer(client, client.spaces, client.locations)

    @classmethod
    def for_app(cls, app: Any, **options: Any) -> DiscordAdapter:
        """Build the client on `app` (a TicebotApp) and register the adapter with it."""
        config = app.settings.discord
        limits = CatchupLimits(config.catchup_window, config.catchup_max_messages) if config else None
        client = TicebotDiscord(
            spaces=SpaceDirectory.from_settings(app.settings),
            sink=app.submit,
            referentials=app.referential_for,
            kv=app,
            catchup=limits,
            now=app.clock.now,
            **options,
        )
        adapter = cls(client)
        app.register_adapter(adapter)
        return adapter

    async def deliver(self, action: CoreAction) -> str | None:
        return await self.deliver_keyed(action, None)

    async def deliver_keyed(self, action: CoreAction, key: str | None) -> str | None:
        """`key` is the outbox row's idempotency key, sent as the message nonce (see deliver.nonce)."""
        if not self.client.is_ready():
            # Before the gateway is up the caches are empty (no guild, no roles, no members): delivering
            # now would take a member for a stranger. Waiting here would hold the whole delivery loop,
            # and a counted retry would let a long start-up (or an adapter restart) fail queued
            # messages: so the row is asked again shortly, without counting an attempt.
            raise NotAttempted("discord: gateway not ready yet", retry_after=NOT_READY_RETRY)
        try:
            # Bounded so that one slow delivery does not hold the other platforms' for long; what was
            # cut short is retried (a message's nonce makes Discord drop a second copy).
            return await asyncio.wait_for(self.deliverer.deliver(action, key), timeout=DELIVER_WAIT)
        except TimeoutError as exc:
            raise RetryLater("discord: delivery took too long", retry_after=2.0) from exc

    async def run(self, token: str) -> None:
        """Connect and serve until closed. The token is passed through, never logged."""
        # discord.http logs request bodies (message texts) at DEBUG: keep it at INFO or above.
        http_log = logging.getLogger("discord.http")
        if http_log.getEffectiveLevel() < logging.INFO:
            http_log.setLevel(logging.INFO)
        async with self.client:
            await self.client.start(token)

    async def close(self) -> None:
        await self.client.close()


async def start_discord(config: DiscordConfig, app: Any) -> None:
    """`ticebot run`: connect the Discord adapter to `app` and serve until cancelled.

    Problems a person must fix in the configuration or the developer portal become ConfigError.
    """
    token = config.token()  # ConfigError when the variable is empty: said before any connection
    await configure_endpoints(config)
    adapter = DiscordAdapter.for_app(app)
    try:
        await adapter.run(token)
    except discord.LoginFailure as exc:
        raise ConfigError(f"[discord] jeton refusé par Discord (variable {config.token_env})") from exc
    except discord.PrivilegedIntentsRequired as exc:
        raise ConfigError(
            "[discord] activez les intents « Server Members » et « Message Content » de l'application "
            "dans le portail développeur Discord (Bot → Privileged Gateway Intents)"
        ) from exc
    finally:
        # Replies events were sending through this client, and the loop's call in flight to it, end with
        # it (sent, or back in the queue once the closed client refuses them): none outlives the adapter.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(_calls_ended(app)), SETTLE_ON_STOP)


async def _calls_ended(app: Any) -> None:
    await app.settle()
    await app.dispatcher.calls_done("discord")
