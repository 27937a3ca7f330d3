"""The core: turns one platform-neutral event into state changes and outbox rows, in one transaction.

Adapters call `handle`; the scheduler calls `sweep`. Both are idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.clock import Clock
from bot.commands.parser import ParsedCommand, UnknownCommand
from bot.config import SpaceConfig
from bot.config_rows import ChannelRow, ConfigRows
from bot.context import Context, NotACommand, UserError
from bot.db.attach import attached, columns_of
from bot.db.database import Database
from bot.db.direct import execute_direct
from bot.db.insert_ignore import insert_ignore
from bot.db.models import EventFailure, Member, Outbox, Post, ProcessedEvent, Role, Space
from bot.db.sqlite_driver import LaterFailed
from bot.event_failures import CORE, GuardNeeded, handler_name, part_of, record, run_guarded, stack_only, unguarded
from bot.events import (
    CommandInvoked,
    CoreEvent,
    MemberRolesChanged,
    PostCreated,
    PostDeleted,
    PostEdited,
    ReactionAdded,
)
from bot.hooks import KindSql, RowAlong, applies, kinds_of, reads_of, thread_reads_of
from bot.members import (
    claim_params,
    ensure_role,
    get_or_create_member,
    member_query,
    member_with_roles,
    roles_by_space,
    thread_along_params,
)
from bot.outbound import Outbound
from bot.own_sends import OwnSends
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef
from bot.registry import Registry
from bot.spaces import sync_spaces, upsert_channel
from bot.sweep import next_due, sweep
from bot.timezones import DEFAULT_TIMEZONE, write_in, writing_in

log = logging.getLogger(__name__)

_PROCESSED = ProcessedEvent.__table__
_POSTS = Post.__table__
_POST_ENTITY = columns_of(Post)
_POST_KEY = ("platform", "platform_channel_id", "platform_post_id")  # the posts' unique constraint
_CLAIM = _PROCESSED.insert()  # built once: statements on the hot path are reused, not rebuilt per event
_POST_COLUMNS = ("space_id", "platform", "platform_channel_id", "platform_post_id", "thread_root_id", "author_id",
                 "text", "title", "is_direct", "kind", "created_at", "edited_at", "deleted_at")


@lru_cache(maxsize=4)
def _store_statement(dialect: str) -> Any:
    """A new post's INSERT … ON CONFLICT DO NOTHING RETURNING, with every value a bound parameter."""
    return (insert_ignore(_POSTS, _POST_KEY, dialect)
            .values({c: bindparam(c, type_=_POSTS.c[c].type) for c in _POST_COLUMNS})
            .returning(_POSTS.c.id, _POSTS.c.kind))


# Built once (a reaction or an edit finds its post by these bound values): not rebuilt and hashed per event.
_FIND_POST = select(Post).where(Post.platform == bindparam("find_platform"),
                                Post.platform_channel_id == bindparam("find_channel"),
                                Post.platform_post_id == bindparam("find_post"))

# A reaction's post, read with the member when its channel is in memory (one round trip less per reaction).
_REACTED = aliased(Post, name="reacted_post")
_REACTED_ALONG = RowAlong("core_reacted_post", _REACTED, (_REACTED.platform == bindparam("reacted_platform"))
                          & (_REACTED.platform_channel_id == bindparam("reacted_channel"))
                          & (_REACTED.platform_post_id == bindparam("reacted_post")))

# Rows riding with the member read: the name of that kind of event in the query's cache key, the rows,
# and the values naming them for this event.
Along = tuple[str, tuple[RowAlong, ...], dict[str, str]]

CONFLICT_RETRIES = 3  # an event whose transaction met a concurrent insert is run again (nothing was committed)


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
        self.config_rows = ConfigRows()  # channels and spaces; never people, roles or permissions
        self._post_reads = reads_of(registry.post_observers)  # read with the member on every post
        self._thread_reads = thread_reads_of(registry.post_observers)  # and on every reply, its thread's rows
        self._post_kinds = kinds_of(registry.post_observers)  # a new post's kind, given by its INSERT
        self._kind_statements: dict[int, tuple[Any, Any]] = {}  # by id(kind expression): (it, its INSERT)
        self._space_configs: dict[str, tuple[Any, SpaceConfig]] = {}  # by space id: (its settings, parsed)

    # ---- configuration -------------------------------------------------------------------------

    def space_config(self, space: Space) -> SpaceConfig:
        """The space's parsed settings. Kept by the settings object itself: the cached Space rows share
        it, so most calls neither serialise nor parse (settings are replaced whole, never edited in place)."""
        import json

        kept = self._space_configs.get(space.id)
        if kept is not None and kept[0] is space.settings:
            return kept[1]
        config = _parse_space_config(space.id, json.dumps(space.settings, sort_keys=True))
        self._space_configs[space.id] = (space.settings, config)
        return config

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
        self.config_rows.clear()

    async def register_channel(self, space_id: str, channel: ChannelRef, kind: str, name: str = "") -> None:
        async with self.db.transaction() as session:
            await upsert_channel(session, space_id, channel.platform, channel.id, kind, name)
        self.config_rows.clear()

    async def set_language(self, user: UserRef, language: str) -> None:
        async with self.db.transaction() as session:
            member = await get_or_create_member(session, user, self.clock.now())
            member.language = language

    async def set_role(self, space_id: str, user: UserRef, role: str, group: str = "") -> None:
        async with self.db.transaction() as session:
            member = await get_or_create_member(session, user, self.clock.now())
            await ensure_role(session, space_id, member.id, role, group)

    # ---- events --------------------------------------------------------------------------------

    async def handle(self, event: CoreEvent, own: OwnSends | None = None) -> bool:
        """Handle one event; False when it changed nothing (already handled: a replay changes nothing).

        Every outcome leaves a log line or a row: handled, already handled (DEBUG), a failing handler
        (ERROR + event_failures row, the post kept), or an event that could not be stored at all.
        `own` (bot/own_sends.py): the transaction also claims the event's rows that head their
        conversation; `own.rows` lists them once it committed.
        """
        for attempt in range(1, CONFLICT_RETRIES + 1):
            try:
                handled = bool(await self._handle_once(event, own))
                if own is not None:
                    own.committed()
                return handled
            except IntegrityError:
                if await self._seen(event):
                    log.debug("event %s:%s already handled; ignored", _event_platform(event), event.event_id)
                    return False
                if attempt < CONFLICT_RETRIES:
                    # Another event created the same row at the same time (a new member writing twice,
                    # two instances): nothing was committed, and the retry finds that row.
                    log.info("event %s:%s met a concurrent insert; retry %d", _event_platform(event),
                             event.event_id, attempt)
                    continue
                log.error("event %s:%s refused by a database constraint; nothing recorded",
                          _event_platform(event), event.event_id)
                await self._record_unstored(event, IntegrityError("", None, Exception()))
                return True
            except Exception as exc:
                log.error("event %s:%s could not be stored (%s); nothing recorded, a redelivery is handled afresh"
                          "\n%s", _event_platform(event), event.event_id, type(exc).__name__, stack_only(exc))
                await self._record_unstored(event, exc)
                return True
        return True

    async def _handle_once(self, event: CoreEvent, own: OwnSends | None) -> Any:
        """Without savepoints first; with one per handler when a handler failed (bot/event_failures.py)."""
        try:
            return await self.db.run_with_retry(lambda session: self._handle(session, event, own, guarded=False))
        except GuardNeeded as need:
            # A refusal is no trouble (DEBUG); a failure is, even if the second pass gets through.
            level = logging.DEBUG if isinstance(need.__cause__, UserError | NotACommand) else logging.WARNING
            log.log(level, "event %s:%s: %s raised %s; nothing kept, handled again with a savepoint per handler",
                    _event_platform(event), event.event_id, need.handler, type(need.__cause__).__name__)
        except LaterFailed as late:  # a write that rode with the COMMIT failed there: nothing was committed
            log.warning("event %s:%s: %s's write failed at the commit (%s); nothing kept, handled again with a "
                        "savepoint per handler", _event_platform(event), event.event_id, late.owner,
                        type(late.__cause__).__name__)
        return await self.db.run_with_retry(lambda session: self._handle(session, event, own, guarded=True))

    async def _seen(self, event: CoreEvent) -> bool:
        async with self.db.transaction() as session:
            return await session.get(ProcessedEvent, (_event_platform(event), event.event_id)) is not None

    async def _claim(self, session: AsyncSession, platform: str, event_id: str, now: datetime) -> None:
        """Mark the event processed, first thing in its transaction: one INSERT, no SELECT before it.

        A duplicate id violates the primary key; `handle` then finds the row and reports "already
        handled" (nothing of this transaction was kept)."""
        # Core-level INSERT on the table: no ORM object (nothing reads it back in the event), no flush.
        await session.execute(_CLAIM, {"platform": platform, "event_id": event_id, "processed_at": now})

    async def _handle(self, session: AsyncSession, event: CoreEvent, own: OwnSends | None = None,
                      guarded: bool = True) -> bool:
        if not guarded:
            unguarded(session)
        if own is not None:
            own.begin()
        with writing_in(self.default_timezone):  # _context switches to the event's space when it knows it
            handled = await self._handle_in_zone(session, event)
        if own is not None:
            await own.claim(session, self.clock.now())
        return handled

    def _claim_rides(self, event: CoreEvent) -> bool:
        """Whether the event's claim can ride with the member read (a CTE on PostgreSQL, the same trip on
        SQLite: bot/db/claim_ride.py): that read is then the event's first statement, nothing before it
        sending SQL (channel and space held in memory)."""
        if isinstance(event, PostCreated):
            return not event.author_is_bot and not event.is_direct and self.config_rows.in_memory(
                event.channel.platform, event.channel.id)
        if isinstance(event, CommandInvoked):
            return not event.is_direct and self.config_rows.in_memory(event.channel.platform, event.channel.id)
        if isinstance(event, ReactionAdded):  # _on_reaction reads its post with the member then
            return self.config_rows.in_memory(event.message.channel.platform, event.message.channel.id)
        return False

    async def _handle_in_zone(self, session: AsyncSession, event: CoreEvent) -> bool:
        now = self.clock.now()
        platform = _event_platform(event)
        claim = claim_params(platform, event.event_id, now) if self._claim_rides(event) else None
        if claim is None:
            await self._claim(session, platform, event.event_id, now)
        if isinstance(event, PostCreated):
            await self._on_post(session, event, event.at or now, claim)
        elif isinstance(event, ReactionAdded):
            await self._on_reaction(session, event, now, claim)
        elif isinstance(event, CommandInvoked):
            await self._on_command(session, event, now, claim)
        elif isinstance(event, PostEdited | PostDeleted):
            await self._on_change(session, event, now)
        elif isinstance(event, MemberRolesChanged):
            await self._on_roles(session, event, now)
        return True

    async def _on_change(self, session: AsyncSession, event: PostEdited | PostDeleted, now: datetime) -> None:
        post = await self._find_post(session, event.message.channel, event.message.id)
        if post is None:
            log.debug("event %s:%s changes message %s, which was never stored; ignored",
                      event.message.channel.platform, event.event_id, event.message.id)
        elif isinstance(event, PostEdited):
            post.text, post.edited_at = event.text, now
        else:  # the question record stays; the words go, as the author wished
            post.text, post.deleted_at = None, now

    async def _record_unstored(self, event: CoreEvent, exc: BaseException) -> None:
        """Nothing of the event was stored: say so to the person, once per event id, and keep a row.

        The event is not marked processed, so a redelivery by the platform is handled afresh."""
        now = self.clock.now()
        platform = _event_platform(event)
        try:
            async with self.db.transaction() as session:
                before = await session.scalar(select(func.count()).select_from(EventFailure).where(
                    EventFailure.platform == platform, EventFailure.event_id == event.event_id,
                    EventFailure.handler == CORE))
                await record(session, platform, event.event_id, CORE, exc, now)
                user = getattr(event, "author", None) or getattr(event, "user", None)
                if not before and isinstance(user, UserRef) and isinstance(event, PostCreated | CommandInvoked):
                    Outbound(session, now, self.default_language).direct_user(user, "errors/not_recorded")
        except Exception as second:
            log.error("event %s:%s dropped: not even its failure could be recorded (%s)", platform,
                      event.event_id, type(second).__name__)

    async def _channel(self, session: AsyncSession, channel: ChannelRef) -> ChannelRow | None:
        return await self.config_rows.channel(session, channel.platform, channel.id)

    async def _find_post(self, session: AsyncSession, channel: ChannelRef, post_id: str) -> Post | None:
        return (await session.execute(_FIND_POST, {"find_platform": channel.platform, "find_channel": channel.id,
                                                   "find_post": post_id})).scalar_one_or_none()

    async def _context(
        self,
        session: AsyncSession,
        now: datetime,
        user: UserRef,
        channel: ChannelRef,
        is_direct: bool,
        thread: ThreadRef | None,
        space_hint: str | None = None,
        for_post: bool = False,
        claim: dict[str, Any] | None = None,
        along: Along | None = None,
        known_only: bool = False,
    ) -> Context | None:
        """`claim`: the event's claim, to send with the member read (`_claim_rides` said it can: the
        channel and its space are in memory, so the member read is the first statement). `along`: rows to
        read with the member (in `ctx.read_along` by label) when the channel is mapped. `known_only`: None
        for a member not stored yet, nothing written (the caller goes its own way)."""
        channel_row = None if is_direct else await self._channel(session, channel)
        if claim is not None and channel_row is None:  # cannot be (in_memory said so); never lose the claim
            await self._claim(session, claim["claim_platform"], claim["claim_event_id"], claim["claim_at"])
            claim = None
        if not is_direct and channel_row is None and space_hint and await session.get(Space, space_hint):
            await upsert_channel(session, space_hint, channel.platform, channel.id, "general", "")
            await session.flush()
            channel_row = await self._channel(session, channel)
        if not is_direct and channel_row is None:
            log.info("ignored event in unmapped channel %s:%s", channel.platform, channel.id)
            return None
        space: Space | None = None
        roles: set[str] = set()
        awaits_info: bool | None = None  # unknown: read only with the member in a mapped channel
        read_along: dict[str, Any] = {}
        if channel_row is not None:
            space = await self.config_rows.space(session, channel_row.space_id)
            # Member and roles in one round trip; roles are read in every event's transaction, never cached.
            key = ("member query", channel_row.space_id, for_post and space is not None, claim is not None,
                   along[0] if along else "")
            query = self.config_rows.derived.get(key)
            if query is None:  # built once per space (its read-alongs depend on its referential), then reused
                reads: dict[str, Any] = {}
                if key[2]:
                    for read in self._post_reads:
                        reads.update(read(space))
                query = self.config_rows.derived[key] = member_query(
                    channel_row.space_id, reads, key[3] and self.db.is_postgres, along[1] if along else (),
                    direct=True)
            acting = await member_with_roles(session, user, now, channel_row.space_id, query, claim,
                                             along[2] if along else None, create=not known_only)
            if acting is None:
                return None
            member, roles, awaits_info, read_along = acting.member, acting.roles, acting.awaits_info, acting.read_along
        else:
            member = await get_or_create_member(session, user, now)
            held = await roles_by_space(session, member.id)
            space_ids = [space_hint] if space_hint in held else sorted(held)
            space = await self.config_rows.space(session, space_ids[0]) if space_ids else None
            if space is not None:
                roles = set(held.get(space.id, ()))
        if space is not None:
            write_in(self.space_config(space).timezone)
            if not roles:  # no role at all in this space: no row to look up before adding this one
                session.add(Role(space_id=space.id, member_id=member.id, role="member"))
                roles = {"member"}
        return Context(core=self, session=session, now=now, member=member, user=user, channel=channel,
                       space=space, roles=roles, thread=thread, is_direct=is_direct,
                       channel_kind=channel_row.kind if channel_row else "direct", awaits_info=awaits_info,
                       read_along=read_along)

    async def _on_post(self, session: AsyncSession, event: PostCreated, now: datetime,
                       claim: dict[str, Any] | None = None) -> None:
        if event.author_is_bot:  # never with a claim pending (_claim_rides)
            log.debug("event %s:%s is a bot's post; ignored", event.channel.platform, event.event_id)
            return
        thread = event.thread
        if thread is None and not event.is_direct:
            thread = ThreadRef(event.channel, event.message.id)
        ctx = await self._context(session, now, event.author, event.channel, event.is_direct, thread,
                                  space_hint=event.space_hint, for_post=True, claim=claim,
                                  along=self._reply_along(event))
        if ctx is None:
            return
        parsed = self.parser.parse(event.text, is_direct=event.is_direct)
        chosen = None if parsed is not None else self._kind_at_insert(ctx, event)
        stored = await self._store_post(session, ctx, event, thread, parsed is not None, now,
                                        chosen[1] if chosen else None)
        if stored is None:
            log.warning("event %s:%s: message %s is already stored (delivered under another event id); ignored",
                        event.channel.platform, event.event_id, event.message.id)
            return
        ctx.post = post = stored
        ctx.post_is_new = True
        if isinstance(parsed, ParsedCommand) and await self._run_command(ctx, parsed, event.event_id):
            return
        if isinstance(parsed, UnknownCommand):
            ctx.say("errors/unknown_command", written=parsed.written,
                    suggestions=[self.registry.commands[s].usage for s in parsed.suggestions])
            return
        if post.kind == "command":  # a command inside a message that its handler did not take as one
            post.kind = "post"
        await self._run_observers(ctx, event, chosen)

    def _reply_along(self, event: PostCreated) -> Along | None:
        """A reply's thread rows the post observers asked for (`reads_thread_along`)."""
        if event.thread is None or not self._thread_reads:
            return None
        thread = event.thread
        return "reply", self._thread_reads, thread_along_params(thread.channel.platform, thread.channel.id, thread.id)

    async def _store_post(self, session: AsyncSession, ctx: Context, event: PostCreated, thread: ThreadRef | None,
                          is_command: bool, now: datetime, kind: KindSql | None = None) -> Post | None:
        """The post is stored first and outside every handler's savepoint: what people write is kept.

        One statement claims the message: INSERT … ON CONFLICT DO NOTHING RETURNING id (None: the
        message is already stored, delivered under another event id). The ORM object handlers get is
        built from the same values and attached without a read; every column is set, so nothing of it
        is ever loaded lazily."""
        values = dict(
            space_id=ctx.space.id if ctx.space else None,
            platform=event.channel.platform,
            platform_channel_id=event.channel.id,
            platform_post_id=event.message.id,
            thread_root_id=thread.id if thread else event.message.id,
            author_id=ctx.member.id,
            text=event.text,
            title=event.title[:255],  # a column of 255: forum titles are shorter on every platform
            is_direct=event.is_direct,
            kind="command" if is_command else "post",
            created_at=now,
            edited_at=None,
            deleted_at=None,
        )
        dialect = "sqlite" if self.db.is_sqlite else "postgresql"
        if kind is None:
            rows = await execute_direct(session, _store_statement(dialect), values)
        else:  # the observer's kind expression is part of the statement, built once per expression
            rows = await execute_direct(session, self._kind_statement(dialect, kind.expression),
                                        {**values, **kind.params})
        if not rows:
            return None
        post_id, post_kind = rows[0]
        values.update(id=post_id, kind=post_kind)
        post: Post = attached(session, _POST_ENTITY, tuple(values[key] for key in _POST_ENTITY.keys))
        return post

    def _kind_statement(self, dialect: str, expression: Any) -> Any:
        """The post INSERT with `expression` as its kind; kept with the expression, whose id is the key
        (expressions are built once, so the dict stays as small as the observers' kinds)."""
        kept = self._kind_statements.get(id(expression))
        if kept is None or kept[0] is not expression:
            columns = {c: bindparam(c, type_=_POSTS.c[c].type) for c in _POST_COLUMNS if c != "kind"}
            statement = (insert_ignore(_POSTS, _POST_KEY, dialect).values({**columns, "kind": expression})
                         .returning(_POSTS.c.id, _POSTS.c.kind))
            kept = self._kind_statements[id(expression)] = (expression, statement)
        return kept[1]

    def _kind_at_insert(self, ctx: Context, event: PostCreated) -> tuple[Any, KindSql] | None:
        """The first observer's kind for the new post (a SQL expression) with that observer, None when
        none has one. Built in memory; a failing one is logged and skipped (the observer still sets the
        kind when it runs)."""
        for observer, kind_of in self._post_kinds:
            try:
                kind = kind_of(ctx, event)
            except Exception:
                log.exception("event %s:%s: %s failed; the post is stored as a plain post", event.channel.platform,
                              event.event_id, handler_name(kind_of))
                continue
            if kind is not None:
                return observer, kind
        return None

    async def _run_observers(self, ctx: Context, event: PostCreated,
                             chosen: tuple[Any, KindSql] | None = None) -> None:
        """`chosen`: the observer whose kind the post was inserted with; if it fails, the post takes
        the kind's `undo` (its savepoint took back the row that kind stated)."""
        failed: list[EventFailure] = []
        for observer in self.registry.post_observers:
            if not applies(observer, ctx, event):
                continue
            failure = await run_guarded(ctx, event.channel.platform, event.event_id, handler_name(observer),
                                        lambda observer=observer: observer(ctx, event))
            if failure is not None:
                failed.append(failure)
                if chosen is not None and chosen[0] is observer and chosen[1].undo is not None and ctx.post:
                    ctx.post.kind = chosen[1].undo
        if failed:
            ctx.say("errors/post_failed", parts=sorted({part_of(f.handler) for f in failed}),
                    failures=[f.id for f in failed])

    async def _run_command(self, ctx: Context, parsed: ParsedCommand, event_id: str) -> bool:
        """Run it; False when the handler did not take a command found inside a message as one."""
        from bot.privacy.consent import welcome_once  # first contact: what is recorded and why, once

        await welcome_once(ctx)
        spec = self.registry.commands[parsed.name]
        try:
            failure = await run_guarded(ctx, ctx.user.platform, event_id, f"/{spec.name}",
                                        lambda: spec.handler(ctx, parsed))
        except UserError as refusal:
            ctx.say(refusal.template, **refusal.values)
        except NotACommand:
            return False
        else:
            if failure is not None:
                ctx.say("errors/command_failed", command=spec.name, failure=failure.id)
        return True

    async def context_for_post(self, session: AsyncSession, post: Post, now: datetime) -> Context | None:
        """The context a stored post was handled in (for replaying a failed step on it)."""
        author = await session.get(Member, post.author_id)
        if author is None:
            return None
        channel = ChannelRef(post.platform, post.platform_channel_id)
        is_root = post.thread_root_id == post.platform_post_id
        thread = None if post.is_direct else ThreadRef(channel, post.thread_root_id)
        ctx = await self._context(session, now, UserRef(author.platform, author.platform_user_id, author.display_name),
                                  channel, post.is_direct, thread, space_hint=post.space_id)
        if ctx is not None:
            ctx.post = post
            ctx.thread = thread if not is_root or not post.is_direct else None
        return ctx

    async def _on_command(self, session: AsyncSession, event: CommandInvoked, now: datetime,
                          claim: dict[str, Any] | None = None) -> None:
        ctx = await self._context(session, now, event.user, event.channel, event.is_direct, event.thread,
                                  space_hint=event.space_hint, claim=claim)
        if ctx is None:
            return
        name = self.parser.names.get(event.name.casefold().lstrip("/!"), event.name)
        if name not in self.registry.commands:
            ctx.say("errors/unknown_command", written=event.name, suggestions=[])
            return
        from bot.commands.parser import split_args

        await self._run_command(ctx, ParsedCommand(name, event.args, split_args(event.args), True), event.event_id)

    async def _on_reaction(self, session: AsyncSession, event: ReactionAdded, now: datetime,
                           claim: dict[str, Any] | None = None) -> None:
        channel = event.message.channel
        ctx: Context | None = None
        if self.config_rows.in_memory(channel.platform, channel.id):
            # The reacted post rides with the member read (and the claim, on PostgreSQL: _claim_rides);
            # the thread is the post's, set once it is known. A new member: the usual path below.
            ctx = await self._context(session, now, event.user, channel, False, None, claim=claim, known_only=True,
                                      along=("reaction", (_REACTED_ALONG,), {
                                          "reacted_platform": channel.platform, "reacted_channel": channel.id,
                                          "reacted_post": event.message.id}))
            claim = None  # sent, whatever the member read found
            found = ctx.read_along.get(_REACTED_ALONG.label) if ctx is not None else None
            post = found[0] if found is not None else await self._find_post(session, channel, event.message.id)
            if post is not None and post.is_direct:  # a direct post in a mapped channel: its own context
                ctx = None
        else:
            post = await self._find_post(session, channel, event.message.id)
        bot_message = None if post is not None else await self._bot_message(session, event.message)
        if post is None and bot_message is None:
            log.debug("event %s:%s reacts to message %s, which was never stored; ignored",
                      event.user.platform, event.event_id, event.message.id)
            return
        if post is not None:
            thread = ThreadRef(channel, post.thread_root_id)
            if ctx is None:
                ctx = await self._context(session, now, event.user, channel, post.is_direct, thread,
                                          space_hint=post.space_id, claim=claim)
        else:
            # One of the bot's replies in a thread (e.g. the acknowledgement carrying FAQ suggestions).
            assert bot_message is not None
            thread = ThreadRef(channel, bot_message.payload["thread"]["id"])
            if ctx is None:
                ctx = await self._context(session, now, event.user, channel, False, thread, claim=claim)
        if ctx is None:
            return
        ctx.thread = thread
        ctx.post = post
        ctx.bot_template = bot_message.template if bot_message is not None else ""
        failed = []
        for observer in self.registry.reaction_observers:
            if not applies(observer, ctx, event):
                continue
            failure = await run_guarded(ctx, event.user.platform, event.event_id, handler_name(observer),
                                        lambda observer=observer: observer(ctx, event))
            if failure is not None:
                failed.append(failure.id)
        if failed:
            ctx.private("errors/reaction_failed", emoji=event.emoji, failures=failed)

    async def _bot_message(self, session: AsyncSession, message: MessageRef) -> Outbox | None:
        """The bot's own delivered reply in a thread with this platform id, if there is one."""
        row = (
            await session.execute(
                select(Outbox).where(Outbox.platform == message.channel.platform,
                                     Outbox.platform_message_id == message.id,
                                     Outbox.kind == "reply_in_thread").limit(1)
            )
        ).scalar_one_or_none()
        if row is None or not isinstance((row.payload or {}).get("thread"), dict):
            return None
        if row.payload["thread"].get("channel", {}).get("id") != message.channel.id:
            return None
        return row

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

    async def sweep(self, now: datetime | None = None, limit: int = 10_000, batch: int = 200) -> int:
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
