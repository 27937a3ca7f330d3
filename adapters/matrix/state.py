"""Adapter state kept in the app's key-value table, so a restart resumes exactly where it stopped.

Keys are namespaced `matrix:` and built only here, so the layout of the stored state is in one place.
"""

from __future__ import annotations

from typing import Protocol


class KeyValue(Protocol):
    """The app's kv store (TicebotApp.kv_get / kv_set); tests use a dict-backed fake."""

    async def kv_get(self, key: str) -> str | None: ...

    async def kv_set(self, key: str, value: str) -> None: ...

    async def kv_get_many(self, keys: list[str]) -> dict[str, str]:
        """The stored values of those of `keys` that are set, in one read."""
        ...

    async def kv_set_many(self, items: dict[str, str]) -> None:
        """All of `items` in one transaction (a sync's room markers and its token together)."""
        ...


SINCE = "matrix:since"  # sync token after the last fully processed sync
DEVICE_ID = "matrix:device_id"  # kept so password logins reuse one device (and Synapse txn dedup)
TXN_PREFIX = "matrix:txn-prefix"  # random per database: transaction ids never collide with an old database
UNDECRYPTED = "matrix:undecrypted"  # encrypted events still waiting for their room key (JSON list)


def last_event(room_id: str) -> str:
    """Last timeline event handed to the core in a room: where paging back stops."""
    return f"matrix:last:{room_id}"


def dm_room(user_id: str) -> str:
    """The direct room the bot uses to write to a user."""
    return f"matrix:dm:user:{user_id}"


def dm_user(room_id: str) -> str:
    """Reverse of dm_room: a room known to be a direct conversation with that user."""
    return f"matrix:dm:room:{room_id}"


class MemoryKeyValue:
    """Dict-backed KeyValue for unit tests and for running the adapter without a database."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def kv_get(self, key: str) -> str | None:
        return self.data.get(key)

    async def kv_set(self, key: str, value: str) -> None:
        self.data[key] = value

    async def kv_get_many(self, keys: list[str]) -> dict[str, str]:
        return {key: self.data[key] for key in keys if key in self.data}

    async def kv_set_many(self, items: dict[str, str]) -> None:
        self.data.update(items)
