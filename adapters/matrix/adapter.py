"""MatrixAdapter: glues login, the sync loop, translation and delivery; decides nothing for the core.

`ticebot run` uses `adapters.matrix.start_matrix(config, app)`; by hand (as tests/matrix does):

    adapter = MatrixAdapter(settings, kv=app, sink=app.submit)
    app.register_adapter(adapter)
    await adapter.start()                          # login + catch-up of what happened while down
    task = asyncio.create_task(adapter.run_forever())
    ...
    await adapter.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from nio import (
    AsyncClient,
    InviteInfo,
    JoinResponse,
    RoomGetEventResponse,
    RoomGetStateEventResponse,
    SyncResponse,
)

from adapters.matrix import keys, state
from adapters.matrix.client import login, make_client
from adapters.matrix.deliver import MatrixDeliverer
from adapters.matrix.dm_cache import DmStateCache
from adapters.matrix.rooms import RoomMap
from adapters.matrix.state import KeyValue
from adapters.matrix.sync import SyncLoop
from adapters.matrix.translate import (
    PLATFORM,
    Source,
    changed_power_users,
    reply_target,
    thread_root,
    translate,
)
from adapters.matrix.undecryptable import Undecryptable, Waiting, is_undecrypted
from bot.actions import CoreAction, ReplyInThread, SendMessage
from bot.config import MatrixConfig, Settings
from bot.durations import parse_duration
from bot.events import CoreEvent, MemberRolesChanged
from bot.ports import EventSink
from bot.refs import ChannelRef, ThreadRef, UserRef
from bot.spaces import CHANNEL_KINDS
from bot.templates import render as render_template

log = logging.getLogger(__name__)

_THREAD_CACHE_SIZE = 10_000


class MatrixAdapter:
    platform = PLATFORM

    def __init__(
        self,
        settings: Settings,
        kv: KeyValue,
        sink: EventSink,
        *,
        register_channel: Callable[[str, ChannelRef, str], Awaitable[None]] | None = None,
        client: AsyncClient | None = None,
        timeline_limit: int = 100,
        long_poll_ms: int = 30_000,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if settings.matrix is None:
            raise ValueError("[matrix] section missing from the configuration")
        self.settings = settings
        self.config: MatrixConfig = settings.matrix
        self.rooms = RoomMap.from_settings(settings)
        self.kv: KeyValue = DmStateCache(kv, now)  # direct-room state read once, not before every reply
        self.sink = sink
        self.register_channel = register_channel
        self.client = client or make_client(self.config)
        self.deliverer = MatrixDeliverer(self.client, self.kv, self.config)
        self.sync = SyncLoop(self.client, self.kv, self, timeline_limit=timeline_limit, long_poll_ms=long_poll_ms)
        self.undecryptable = Undecryptable(self.client, self.kv, parse_duration(self.config.key_wait), now)
        # event id -> thread root (or None): replies outside threads need the replied-to event's root.
        self._roots: OrderedDict[str, str | None] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._txn_prefix: str | None = None

    @property
    def user_id(self) -> str:
        return self.config.user_id

    # lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, then catch up: the first sync hands over every event posted while the bot was down."""
        await login(self.client, self.config, self.kv)
        keys.accept_forwards_from_session_owners(self.client, self.config)
        await self._resolve_aliases()
        await self.sync.start()
        await self.sync.sync_once(timeout_ms=0)

    async def _resolve_aliases(self) -> None:
        """A room named by alias in the config is known to the core by its id from now on."""
        for alias in self.rooms.aliases():
            response = await self.client.room_resolve_alias(alias)
            room_id = getattr(response, "room_id", None)
            if not room_id:
                log.warning("matrix: room alias %s could not be resolved", alias)
                continue
            info = self.rooms.add_resolved(alias, room_id)
            if self.register_channel is not None:
                kind = info.kind if info.kind in CHANNEL_KINDS.values() else "general"
                await self.register_channel(info.space_id, ChannelRef(PLATFORM, room_id), kind)

    async def run_forever(self) -> None:
        self._task = asyncio.current_task()  # type: ignore[assignment]
        await self.sync.run_forever()

    async def close(self) -> None:
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()

    # outgoing ------------------------------------------------------------------------------------

    async def deliver(self, action: CoreAction) -> str | None:
        return await self.deliverer.deliver(action)

    async def deliver_keyed(self, action: CoreAction, key: str) -> str | None:
        """Called by the dispatcher with the outbox id: used as the Matrix transaction id.

        Synapse remembers transaction ids per device for about a day; the per-database prefix keeps a
        fresh database (outbox ids from 1 again) from having its messages dropped as "already sent".
        """
        if self._txn_prefix is None:
            prefix = await self.kv.kv_get(state.TXN_PREFIX)
            if not prefix:
                prefix = uuid.uuid4().hex[:8]
                await self.kv.kv_set(state.TXN_PREFIX, prefix)
            self._txn_prefix = prefix
        return await self.deliverer.deliver(action, f"{self._txn_prefix}-{key}")

    # SyncHandler ---------------------------------------------------------------------------------

    async def on_state(self, response: SyncResponse) -> None:
        for room_id, info in response.rooms.join.items():
            room = self.rooms.get(room_id)
            if room is None or self.config.power_level_trainer is None:
                continue
            # The current power levels (state, or timeline if they changed lately): who is a formateur now.
            sources = [e.source for e in [*info.state, *info.timeline.events]]
            levels = [s for s in sources if s.get("type") == "m.room.power_levels"]
            if not levels:
                continue
            current = levels[-1]
            users = current.get("content", {}).get("users", {}) or {}
            for user_id in users:
                await self._roles_changed(room.space_id, user_id, current, room_id)

    async def on_invites(self, invites: dict[str, InviteInfo]) -> None:
        for room_id, info in invites.items():
            inviter, is_direct = _invite_details(info, self.user_id)
            if inviter is None or not self._may_invite(inviter):
                log.info("matrix: invite to %s from %s refused (not in a configured space)", room_id, inviter)
                await self.client.room_leave(room_id)
                continue
            joined = await self.client.join(room_id)
            if not isinstance(joined, JoinResponse):
                log.warning("matrix: could not join %s: %s", room_id, joined)
                continue
            if is_direct and self.rooms.get(room_id) is None:
                await self.kv.kv_set(state.dm_user(room_id), inviter)
                # The bot writes privately only where it can be read back: without encryption, only in a
                # plain DM room (it then opens its own).
                if self.client.olm is not None or not await self._encrypted_state(room_id):
                    await self.kv.kv_set(state.dm_room(inviter), room_id)
            log.info("matrix: joined %s on invitation of %s", room_id, inviter)

    async def on_room_events(self, room_id: str, events: list[Source]) -> None:
        if all(self._own(source) for source in events):
            # The bot's own messages coming back in its sync: nothing to hand over, no state to read.
            for source in events:
                self._remember_root(source)
            return
        room = self.rooms.get(room_id)
        is_direct = False
        known: dict[str, str] = {}
        if room is None:
            # The room's and its writers' direct-room state in one read, before the events are handed over.
            senders = {s.get("sender") for s in events if s.get("type") == "m.room.message"}
            keys = [state.dm_user(room_id), *(state.dm_room(u) for u in senders if isinstance(u, str))]
            known = await self.kv.kv_get_many(keys)
            is_direct = await self._is_direct(room_id, known)
            if not is_direct:
                return  # a room the configuration does not mention: not ours to read
        for source in events:
            self._remember_root(source)
            kind = source.get("type")
            if is_undecrypted(source):
                if source.get("sender") != self.user_id:
                    await self.undecryptable.add(room_id, source)
                continue
            if kind == "m.room.power_levels" and room is not None:
                for user_id in changed_power_users(source):
                    await self._roles_changed(room.space_id, user_id, source, room_id)
                continue
            sender = source.get("sender")
            if sender == self.user_id or not isinstance(sender, str):
                continue
            if is_direct and kind == "m.room.message":
                await self._answer_here(room_id, sender, known)
            target = reply_target(source)
            event = translate(
                source,
                room_id,
                is_direct=is_direct,
                display=self._display(room_id, sender),
                reply_root=await self._root_of(room_id, target) if target else None,
            )
            if event is not None:
                await self._submit(event)

    async def after_sync(self, response: SyncResponse) -> None:
        await keys.after_sync(self.client, self.config, response)
        late: dict[str, list[dict[str, Any]]] = {}
        # Room keys come as to-device messages: nothing new to decrypt with in a sync without any.
        ready = await self.undecryptable.retry() if response.to_device_events else []
        for room_id, source in ready:
            late.setdefault(room_id, []).append(source)
        for room_id, sources in late.items():
            await self.on_room_events(room_id, sources)
        for entry in await self.undecryptable.overdue():
            await self._tell_undecryptable(entry)

    async def _tell_undecryptable(self, entry: Waiting) -> None:
        """One polite message to the author, where they wrote (in the thread if it was in one)."""
        info = self.rooms.get(entry.room_id)
        lang = self.settings.space(info.space_id).language if info else self.settings.bot.language
        who = UserRef(PLATFORM, entry.sender, self._display(entry.room_id, entry.sender))
        text = render_template(lang, "matrix/undecryptable", platform=PLATFORM, who=who)
        channel = ChannelRef(PLATFORM, entry.room_id)
        action: CoreAction = (
            ReplyInThread(ThreadRef(channel, entry.thread), text.text, text.template, text.mentions)
            if entry.thread
            else SendMessage(channel, text.text, text.template, text.mentions)
        )
        try:
            await self.deliverer.deliver(action, f"ticebot-undecryptable-{entry.event_id}")
        except Exception as exc:  # the notice is a courtesy: its failure must not stop the sync
            log.warning("matrix: could not tell %s about an unreadable message in %s: %s",
                        entry.sender, entry.room_id, type(exc).__name__)

    # helpers -------------------------------------------------------------------------------------

    async def _submit(self, event: CoreEvent) -> None:
        try:
            await self.sink(event)
        except Exception:  # a core bug on one event must not stop the sync of every other event
            log.exception("core failed on matrix event %s", event.event_id)

    async def _roles_changed(self, space_id: str, user_id: str, source: Source, room_id: str) -> None:
        threshold = self.config.power_level_trainer
        if threshold is None or user_id == self.user_id:
            return
        levels = {room_id: (source.get("content", {}).get("users", {}) or {}).get(user_id, 0)}
        for other in self.rooms.rooms_of_space(space_id):
            if other != room_id and other in self.client.rooms:
                levels[other] = self.client.rooms[other].power_levels.users.get(user_id, 0)
        # A formateur in any room of the space is a formateur of the space. Only explicit levels count:
        # a room whose users_default reaches the threshold must not make everybody a formateur.
        is_trainer = any(int(level) >= threshold for level in levels.values())
        await self._submit(
            MemberRolesChanged(
                event_id=f"{source.get('event_id')}:{user_id}",
                user=UserRef(PLATFORM, user_id, self._display(room_id, user_id)),
                space_id=space_id,
                roles=frozenset({"trainer"} if is_trainer else ()),
            )
        )

    def _may_invite(self, user_id: str) -> bool:
        if user_id in self.rooms.config_users:
            return True
        for room_id in self.rooms.rooms:
            room = self.client.rooms.get(room_id)
            if room is not None and user_id in room.users and user_id not in room.invited_users:
                return True
        return False

    def _own(self, source: Source) -> bool:
        """An event of the bot's own that asks nothing of it (its power-level changes still count)."""
        return source.get("sender") == self.user_id and source.get("type") != "m.room.power_levels"

    async def _is_direct(self, room_id: str, known: dict[str, str]) -> bool:
        """`known`: the kv values read for this batch of events, kept up to date with what is written."""
        if known.get(state.dm_user(room_id)):
            return True
        room = self.client.rooms.get(room_id)
        if room is None or len(room.users) != 2:
            return False
        # A two-person room nobody configured is a private conversation: remember it as such.
        other = next(u for u in room.users if u != self.user_id)
        await self.kv.kv_set(state.dm_user(room_id), other)
        known[state.dm_user(room_id)] = other
        return True

    async def _answer_here(self, room_id: str, user_id: str, known: dict[str, str]) -> None:
        """Private answers go to the direct room the person last wrote in (they may have several: one
        the bot opened, one they opened), so the answer appears where they are looking."""
        if known.get(state.dm_user(room_id)) != user_id:
            return
        if known.get(state.dm_room(user_id)) != room_id:
            await self.kv.kv_set(state.dm_room(user_id), room_id)
            known[state.dm_room(user_id)] = room_id

    async def _encrypted_state(self, room_id: str) -> bool:
        encryption = await self.client.room_get_state_event(room_id, "m.room.encryption")
        return isinstance(encryption, RoomGetStateEventResponse)

    def _display(self, room_id: str, user_id: str) -> str:
        room = self.client.rooms.get(room_id)
        user = room.users.get(user_id) if room is not None else None
        return (user.display_name or "") if user is not None else ""

    def _remember_root(self, source: Source) -> None:
        event_id = source.get("event_id")
        if isinstance(event_id, str) and source.get("type") == "m.room.message":
            self._roots[event_id] = thread_root(source)
            while len(self._roots) > _THREAD_CACHE_SIZE:
                self._roots.popitem(last=False)

    async def _root_of(self, room_id: str, event_id: str) -> str:
        """Thread root of a replied-to event: its own m.thread root if it has one, else itself."""
        if event_id not in self._roots:
            response = await self.client.room_get_event(room_id, event_id)
            if isinstance(response, RoomGetEventResponse):
                self._remember_root(response.event.source)
        return self._roots.get(event_id) or event_id


def _invite_details(info: InviteInfo, bot_user: str) -> tuple[str | None, bool]:
    """(inviter, is_direct) from the stripped state of an invite."""
    for event in info.invite_state:
        source: dict[str, Any] = getattr(event, "source", {})
        if source.get("type") == "m.room.member" and source.get("state_key") == bot_user:
            # nio strips `content` from the source of invite events and keeps it as an attribute.
            content = getattr(event, "content", None) or source.get("content", {})
            return source.get("sender"), bool(content.get("is_direct"))
    return None, False
