"""Adapter state kept in the app's key-value table, so a restart resumes exactly where it stopped.

Keys are namespaced `discord:` and built only here, so the layout of the stored state is in one place.
"""

from __future__ import annotations

from typing import Protocol


class KeyValue(Protocol):
    """The app's kv store (TicebotApp.kv_get / kv_set); tests use a dict-backed fake."""

    async def kv_get(self, key: str) -> str | None: ...

    async def kv_set(self, key: str, value: str) -> None: ...


def last_message(channel_id: int) -> str:
    """Id of the last message handed to the core in a channel, thread or DM: where catch-up resumes."""
    return f"discord:last:{channel_id}"


def floor(guild_id: int) -> str:
    """The newest message id of the guild when the bot first connected to it: catch-up never replays
    what was written before the bot was there."""
    return f"discord:floor:{guild_id}"


def role_holders(guild_id: int) -> str:
    """JSON {user id: [core roles]} of the members last told to the core with a mapped role, so that
    someone who lost every mapped role (or left) while the bot was away is told too."""
    return f"discord:roles:{guild_id}"


def direct_channels() -> str:
    """JSON {DM channel id: last message id} of the DMs with recent activity, for their catch-up."""
    return "discord:dms"


class MemoryKeyValue:
    """Dict-backed KeyValue for unit tests and for running the adapter without a database."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def kv_get(self, key: str) -> str | None:
        return self.data.get(key)

    async def kv_set(self, key: str, value: str) -> None:
        self.data[key] = value
