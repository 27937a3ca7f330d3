"""The core: turns one platform-neutral event into state changes and outbox rows, in one transaction.

Adapters call `handle`; the scheduler calls `sweep`. Both are idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.commands.parser import ParsedCommand, UnknownCommand
from bot.config import SpaceConfig
from bot.context import Context, UserError
from bot.db.database import Database
from bot.db.models import Channel, Member, Post, ProcessedEvent, Role, Space
from bot.events import (
    CommandInvoked,
    CoreEvent,
    MemberRolesChanged,
    PostCreated,
    PostDeleted,
    PostEdited,
    ReactionAdded,
)
from bot.members import ensure_role, get_or_create_member, roles_of, spaces_of
from bot.outbound import Outbound
from bot.refs import ChannelRef, ThreadRef, UserRef
from bot.registry import Registry
from bot.spaces import sync_spaces, upsert_channel
from bot.sweep import next_due, sweep
from bot.timezones import DEFAULT_TIMEZONE, write_in, writing_in

log = logging.getLogger(__name__)

def _event_platform(event: CoreEvent) -> str:
    if isinstance(event, PostCreated):
        return event.author.platform
    if isinstance(event, PostEdited | PostDeleted):
        return event.message.channel.platform
    if isinstance(event, ReactionAdded | CommandInvoked | MemberRolesChanged):
        return event.user.platform
    raise TypeError(type(event))


@lru_cache(maxsize=256)
def _parse_space_config(key: str, settings_json: str) -> SpaceConfig:
    return SpaceConfig.model_validate_json(settings_json)


class Core:
    def __init__(
        self, db: Database, clock: Clock, default_language: str = "fr", registry: Registry | None = None,
        default_timezone: str = DEFAULT_TIMEZONE,
    ) -> None:
        if registry is None:
            from bot.wiring import build_registry

            registry = build_registry()
        self.db = db
        self.clock = clock
        self.default_language = default_language
        self.default_timezone = default_timezone
        self.registry = registry
        self.parser = registry.parser()
        self._referentials: dict[str, Any] | None = None
        self._taggers: dict[str, Any] = {}

    # ---- configuration -------------------------------------------------------------------------

    def space_config(self, space: Space) -> SpaceConfig:
        import json

        return _parse_space_config(space.id, json.dumps(space.settings, sort_keys=True))

    @property
    def referentials(self) -> dict[str, Any]:
        if self._referentials is None:
            from bot.referential.loader import load_all

            self._referentials = load_all()
        return self._referentials

    def referential_for(self, space: Space | SpaceConfig) -> Any:
        ref_id = space.referential_id if isinstance(space, Space) else space.referential
        return self.referentials[ref_id]

    async def sync_spaces(self, spaces: list[SpaceConfig]) -> None:
        await sync_spaces(self.db, self.clock.now(), spaces)

    async def register_channel(self, space_id: str, channel: ChannelRef, kind: str, name: str = "") -> None:
        async with self.db.transaction() as session:
            await upsert_channel(session, space_id, channel.platform, channel.id, kind, name)

    async def set_language(self, user: UserRef, language: str) -> None:
        async with self.db.transaction() as session:
            member = await get_or_create_member(session, user, self.clock.now())
            member.language = language

    async def set_role(self, space_id: str, user: UserRef, role: str, group: str = "") -> None:
        async with self.db.transaction() as session:
            member = await get_or_create_member(session, user, self.clock.now())
            await ensure_role(session, space_id, member.id, role, group)

    # ---- events --------------------------------------------------------------------------------

    async def handle(self, event: CoreEvent) -> bool:
        """Handle one event; False when it was already handled (a replay changes nothing)."""
        try:
            return bool(await self.db.run_with_retry(lambda session: self._handle(session, event)))
        except IntegrityError:
            # Two instances raced on the same event id: the other one handled it.
            return False
        except Exception:
            log.exception("event %s failed; recording it without side effects", event.event_id)
            await self._record_failure(event)
            return True

    async def _claim(self, session: AsyncSession, platform: str, event_id: str, now: datetime) -> bool:
        if await session.get(ProcessedEvent, (platform, event_id)) is not None:
            return False
        session.add(ProcessedEvent(platform=platform, event_id=event_id, processed_at=now))
        await session.flush()
        return True

    async def _handle(self, session: AsyncSession, event: CoreEvent) -> bool:
        with writing_in(self.default_timezone):  # _context switches to the event's space when it knows it
            return await self._handle_in_zone(session, event)

    async def _handle_in_zone(self, session: AsyncSession, event: CoreEvent) -> bool:
        now = self.clock.now()
        if not await self._claim(session, _event_platform(event), event.event_id, now):
            return False
        if isinstance(event, PostCreated):
            await self._on_post(session, event, event.at or now)
        elif isinstance(event, ReactionAdded):
            await self._on_reaction(session, event, now)
        elif isinstance(event, CommandInvoked):
            await self._on_command(session, event, now)
        elif isinstance(event, PostEdited):
            post = await self._find_post(session, event.message.channel, event.message.id)
            if post is not None:
                post.text, post.edited_at = event.text, now
        elif isinstance(event, PostDeleted):
            post = await self._find_post(session, event.message.channel, event.message.id)
            if post is not None:  # the question record stays; the words go, as the author wished
                post.text, post.deleted_at = None, now
        elif isinstance(event, MemberRolesChanged):
            await self._on_roles(session, event, now)
        return True

    async def _record_failure(self, event: CoreEvent) -> None:
        """After an unexpected error: keep the event as seen and apologise to the person, once."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            if not await self._claim(session, _event_platform(event), event.event_id, now):
                return
            user = getattr(event, "author", None) or getattr(event, "user", None)
            if isinstance(user, UserRef) and isinstance(event, PostCreated | CommandInvoked):
                Outbound(session, now, self.default_language).direct_user(user, "errors/internal")

    async def _channel(self, session: AsyncSession, channel: ChannelRef) -> Channel | None:
        return (
            await session.execute(
                select(Channel).where(
                    Channel.platform == channel.platform, Channel.platform_channel_id == channel.id
                )
            )
        ).scalar_one_or_none()

    async def _find_post(self, session: AsyncSession, channel: ChannelRef, post_id: str) -> Post | None:
        return (
            await session.execute(
                select(Post).where(
                    Post.platform == channel.platform,
                    Post.platform_channel_id == channel.id,
                    Post.platform_post_id == post_id,
                )
            )
        ).scalar_one_or_none()

    async def _context(
        self,
        session: AsyncSession,
        now: datetime,
        user: UserRef,
        channel: ChannelRef,
        is_direct: bool,
        thread: ThreadRef | None,
        space_hint: str | None = None,
    ) -> Context | None:
        channel_row = None if is_direct else await self._channel(session, channel)
        if not is_direct and channel_row is None and space_hint and await session.get(Space, space_hint):
            await upsert_channel(session, space_hint, channel.platform, channel.id, "general", "")
            await session.flush()
            channel_row = await self._channel(session, channel)
        if not is_direct and channel_row is None:
            log.info("ignored event in unmapped channel %s:%s", channel.platform, channel.id)
            return None
        member = await get_or_create_member(session, user, now)
        space: Space | None = None
        if channel_row is not None:
            space = await session.get(Space, channel_row.space_id)
        else:
            space_ids = await spaces_of(session, member.id)
            if space_hint in space_ids:
                space_ids = [space_hint]
            space = await session.get(Space, space_ids[0]) if space_ids else None
        roles: set[str] = set()
        if space is not None:
            write_in(self.space_config(space).timezone)
            roles = await roles_of(session, space.id, member.id)
            if not roles:
                await ensure_role(session, space.id, member.id, "member")
                roles = {"member"}
        return Context(core=self, session=session, now=now, member=member, user=user, channel=channel,
                       space=space, roles=roles, thread=thread, is_direct=is_direct,
                       channel_kind=channel_row.kind if channel_row else "direct")

    async def _on_post(self, session: AsyncSession, event: PostCreated, now: datetime) -> None:
        if event.author_is_bot:
            return
        thread = event.thread
        if thread is None and not event.is_direct:
            thread = ThreadRef(event.channel, event.message.id)
        ctx = await self._context(session, now, event.author, event.channel, event.is_direct, thread,
                                  space_hint=event.space_hint)
        if ctx is None:
            return
        parsed = self.parser.parse(event.text, is_direct=event.is_direct)
        post = Post(
            space_id=ctx.space.id if ctx.space else None,
            platform=event.channel.platform,
            platform_channel_id=event.channel.id,
            platform_post_id=event.message.id,
            thread_root_id=thread.id if thread else event.message.id,
            author_id=ctx.member.id,
            text=event.text,
            title=event.title,
            is_direct=event.is_direct,
            kind="command" if parsed is not None else "post",
            created_at=now,
        )
        session.add(post)
        await session.flush()
        ctx.post = post
        if isinstance(parsed, ParsedCommand):
            await self._run_command(ctx, parsed)
        elif isinstance(parsed, UnknownCommand):
            ctx.say("errors/unknown_command", written=parsed.written,
                    suggestions=[self.registry.commands[s].usage for s in parsed.suggestions])
        else:
            for observer in self.registry.post_observers:
                await observer(ctx, event)

    async def _run_command(self, ctx: Context, parsed: ParsedCommand) -> None:
        from bot.privacy.consent import welcome_once  # first contact: what is recorded and why, once

        await welcome_once(ctx)
        spec = self.registry.commands[parsed.name]
        try:
            async with ctx.session.begin_nested():
                await spec.handler(ctx, parsed)
        except UserError as refusal:
            ctx.say(refusal.template, **refusal.values)

    async def _on_command(self, session: AsyncSession, event: CommandInvoked, now: datetime) -> None:
        ctx = await self._context(session, now, event.user, event.channel, event.is_direct, event.thread,
                                  space_hint=event.space_hint)
        if ctx is None:
            return
        name = self.parser.names.get(event.name.casefold().lstrip("/!"), event.name)
        if name not in self.registry.commands:
            ctx.say("errors/unknown_command", written=event.name, suggestions=[])
            return
        from bot.commands.parser import split_args

        await self._run_command(ctx, ParsedCommand(name, event.args, split_args(event.args), True))

    async def _on_reaction(self, session: AsyncSession, event: ReactionAdded, now: datetime) -> None:
        post = await self._find_post(session, event.message.channel, event.message.id)
        if post is None:
            return
        channel = event.message.channel
        thread = ThreadRef(channel, post.thread_root_id)
        ctx = await self._context(session, now, event.user, channel, post.is_direct, thread,
                                  space_hint=post.space_id)
        if ctx is None:
            return
        ctx.post = post
        for observer in self.registry.reaction_observers:
            await observer(ctx, event)

    async def _on_roles(self, session: AsyncSession, event: MemberRolesChanged, now: datetime) -> None:
        if await session.get(Space, event.space_id) is None:
            log.info("roles for unknown space %s ignored", event.space_id)
            return
        member = await get_or_create_member(session, event.user, now)
        await session.execute(
            delete(Role).where(Role.space_id == event.space_id, Role.member_id == member.id,
                               Role.source == "platform")
        )
        await session.flush()
        for role in sorted(event.roles | {"member"}):
            if await session.get(Role, (event.space_id, member.id, role)) is None:
                session.add(Role(space_id=event.space_id, member_id=member.id, role=role, source="platform"))

    # ---- time ----------------------------------------------------------------------------------

    async def sweep(self, now: datetime | None = None, limit: int = 10_000, batch: int = 50) -> int:
        return await sweep(self, now or self.clock.now(), limit, batch)

    async def next_due(self, platforms: Collection[str] | None = None) -> datetime | None:
        """Earliest due step or retry; `platforms` limits the outbox rows counted (None: all, () : none)."""
        return await next_due(self.db, platforms)

    async def member_by_user(self, session: AsyncSession, user: UserRef) -> Member | None:
        return (
            await session.execute(
                select(Member).where(Member.platform == user.platform, Member.platform_user_id == user.id)
            )
        ).scalar_one_or_none()
