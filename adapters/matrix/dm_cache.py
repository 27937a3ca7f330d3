"""The adapter's direct-room state (`matrix:dm:…` keys) kept in memory, written through to the kv store.

Each message in a direct room read that state before the event was handed over (is this room a DM, with
whom, is it where they last wrote) and each private answer read it again before its send: two database
reads on the reply's path, on the event loop, for values only this adapter writes. Only the instance
holding the Matrix device runs the adapter (PostgreSQL: `DeviceLock`), and it starts with an empty cache
when it takes over. The one other writer is `ticebot privacy erase`, a separate process: an entry is read
again once it is `ttl` old, so what it deleted is forgotten here within that time too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from adapters.matrix.state import KeyValue

PREFIX = "matrix:dm:"
TTL = timedelta(seconds=60)


class DmStateCache:
    """A KeyValue: `matrix:dm:` keys from memory while fresh (absent ones too), every other key untouched."""

    def __init__(self, kv: KeyValue, now: Callable[[], datetime], ttl: timedelta = TTL) -> None:
        self.kv = kv
        self.now = now
        self.ttl = ttl
        self._held: dict[str, tuple[str | None, datetime]] = {}
        self._writes = 0  # a read that a write overtook must not put back the value it read

    def _fresh(self, key: str) -> bool:
        held = self._held.get(key)
        return held is not None and self.now() - held[1] < self.ttl

    def _keep(self, values: dict[str, str | None], writes_before: int) -> None:
        if writes_before == self._writes:
            at = self.now()
            self._held.update({key: (value, at) for key, value in values.items()})

    async def kv_get(self, key: str) -> str | None:
        if not key.startswith(PREFIX):
            return await self.kv.kv_get(key)
        if self._fresh(key):
            return self._held[key][0]
        writes = self._writes
        value = await self.kv.kv_get(key)
        self._keep({key: value}, writes)
        # Overtaken by a write: of this key, it is held and fresh; of another, what was read stands.
        return self._held[key][0] if self._fresh(key) else value

    async def kv_get_many(self, keys: list[str]) -> dict[str, str]:
        wanted = [key for key in keys if not key.startswith(PREFIX) or not self._fresh(key)]
        found: dict[str, str] = {}
        if wanted:
            writes = self._writes
            found = await self.kv.kv_get_many(wanted)
            if writes != self._writes:  # a write landed meanwhile: read again rather than guess
                return await self.kv.kv_get_many(keys)
            self._keep({key: found.get(key) for key in wanted if key.startswith(PREFIX)}, writes)
        for key in keys:
            if key not in wanted:
                value = self._held[key][0]
                if value is not None:
                    found[key] = value
        return found

    async def kv_set(self, key: str, value: str) -> None:
        await self.kv_set_many({key: value})

    async def kv_set_many(self, items: dict[str, str]) -> None:
        self._writes += 1
        mine = [key for key in items if key.startswith(PREFIX)]
        for key in mine:  # a write that fails leaves nothing held: the next read asks the store
            self._held.pop(key, None)
        await self.kv.kv_set_many(items)
        self._writes += 1
        at = self.now()
        self._held.update({key: (items[key], at) for key in mine})
