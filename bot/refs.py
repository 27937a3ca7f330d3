"""Platform-neutral references. Only adapters build them from platform ids; the core passes them around.

A platform is "console", "matrix" or "discord". Ids are strings whatever the platform, so the schema
never learns a platform's id type.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UserRef:
    """A person on one platform (Matrix user id, Discord user snowflake, console name)."""

    platform: str
    id: str
    display: str = ""

    @property
    def name(self) -> str:
        return self.display or self.id


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A room / channel / forum where posts are made; a DM channel is a channel too."""

    platform: str
    id: str


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """A thread inside a channel: id of the root post (Matrix) or of the thread channel (Discord)."""

    channel: ChannelRef
    id: str


@dataclass(frozen=True, slots=True)
class MessageRef:
    """One post on a platform, used to react to it or to link to it."""

    channel: ChannelRef
    id: str
