"""Rows the configuration owns, kept in memory by each Core: channels (where a platform channel maps to)
and spaces (their settings as synced at start-up).

Why it is safe with several instances: these rows change only when an instance syncs its
configuration (`ticebot run` at start-up, `register_channel`), and every instance runs from the same
file, so a row read once stays right until that instance itself syncs again (which clears the cache).
A channel that is not mapped is never remembered: another instance may map it meanwhile (a Discord
guild's unlisted channel, mapped on its first post). People's rows — members, roles, permissions —
are never cached here: they change while the bot runs (a demoted formateur) and are read in every
event's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from bot.db.attach import attached, columns_of
from bot.db.models import Channel, Space

_SPACE = columns_of(Space)


@dataclass(frozen=True, slots=True)
class ChannelRow:
    id: int
    space_id: str
    kind: str


class ConfigRows:
    def __init__(self) -> None:
        self._channels: dict[tuple[str, str], ChannelRow] = {}
        self._spaces: dict[str, tuple[Any, ...]] = {}  # a space's column values, in _SPACE's order

        self._all: tuple[Space, ...] | None = None  # every space, by id (the FAQ's sharing rules read them)
        # What the core builds from these rows (a space's member query with its read-alongs): reset with them.
        self.derived: dict[Any, Any] = {}

    def clear(self) -> None:
        self._channels.clear()
        self._spaces.clear()
        self._all = None
        self.derived.clear()

    @staticmethod
    def _copy(row: Space) -> Space:
        # A detached copy: the session's own instance may be changed or expired by a handler.
        cached = Space(id=row.id, referential_id=row.referential_id, language=row.language, settings=row.settings)
        make_transient_to_detached(cached)
        return cached

    async def all_spaces(self, session: AsyncSession) -> tuple[Space, ...]:
        """Every space, ordered by id, from memory after the first read. Detached copies, for reading
        their configuration (not attached to `session`)."""
        if self._all is None:
            rows = (await session.execute(select(Space).order_by(Space.id))).scalars().all()
            self._all = tuple(self._copy(row) for row in rows)
        return self._all

    def in_memory(self, platform: str, channel_id: str) -> bool:
        """The channel and its space are both held: `channel` and `space` will send no SQL for them."""
        hit = self._channels.get((platform, channel_id))
        return hit is not None and hit.space_id in self._spaces

    async def channel(self, session: AsyncSession, platform: str, channel_id: str) -> ChannelRow | None:
        key = (platform, channel_id)
        hit = self._channels.get(key)
        if hit is not None:
            return hit
        row = (await session.execute(
            select(Channel.id, Channel.space_id, Channel.kind)
            .where(Channel.platform == platform, Channel.platform_channel_id == channel_id)
        )).one_or_none()
        if row is None:
            return None
        found = self._channels[key] = ChannelRow(row.id, row.space_id, row.kind)
        return found

    async def space(self, session: AsyncSession, space_id: str) -> Space | None:
        """The space row attached to `session`: from memory after the first read (no SQL)."""
        cached = self._spaces.get(space_id)
        if cached is None:
            row = await session.get(Space, space_id)
            if row is None:
                return None
            self._spaces[space_id] = tuple(getattr(row, key) for key in _SPACE.keys)
            return row
        # Attached as a loaded row would be, without a SELECT (session.merge cost 0.2 ms per event).
        return attached(session, _SPACE, cached)
