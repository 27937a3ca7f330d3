"""The adapter's direct-room state held in memory (adapters/matrix/dm_cache.py): a reply reads no database
for it, what the adapter writes is stored and read back after a restart, and what another process deleted
(`ticebot privacy erase`) is forgotten once the entry is a minute old."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from adapters.matrix import state
from adapters.matrix.dm_cache import DmStateCache
from adapters.matrix.state import MemoryKeyValue

DM, ALICE = "!dm:hs", "@alice:hs"


class CountingKeyValue(MemoryKeyValue):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def kv_get(self, key: str) -> str | None:
        self.reads += 1
        return await super().kv_get(key)

    async def kv_get_many(self, keys: list[str]) -> dict[str, str]:
        self.reads += 1
        return await super().kv_get_many(keys)


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


async def test_state_read_once_then_from_memory_absent_keys_included() -> None:
    store, clock = CountingKeyValue(), Clock()
    store.data[state.dm_user(DM)] = ALICE
    cache = DmStateCache(store, clock)
    keys = [state.dm_user(DM), state.dm_room(ALICE)]
    assert await cache.kv_get_many(keys) == {state.dm_user(DM): ALICE}
    assert await cache.kv_get_many(keys) == {state.dm_user(DM): ALICE}
    assert await cache.kv_get(state.dm_room(ALICE)) is None
    assert store.reads == 1


async def test_writes_reach_the_store_and_are_read_back_from_memory() -> None:
    store, clock = CountingKeyValue(), Clock()
    cache = DmStateCache(store, clock)
    await cache.kv_set(state.dm_room(ALICE), DM)
    await cache.kv_set_many({state.dm_user(DM): ALICE, state.SINCE: "s1"})
    assert store.data == {state.dm_room(ALICE): DM, state.dm_user(DM): ALICE, state.SINCE: "s1"}
    assert await cache.kv_get(state.dm_room(ALICE)) == DM
    assert await cache.kv_get_many([state.dm_user(DM)]) == {state.dm_user(DM): ALICE}
    assert store.reads == 0
    assert await DmStateCache(store, clock).kv_get(state.dm_room(ALICE)) == DM  # a restart reads the store


async def test_other_keys_always_go_to_the_store() -> None:
    store, clock = CountingKeyValue(), Clock()
    cache = DmStateCache(store, clock)
    await cache.kv_set(state.SINCE, "s1")
    store.data[state.SINCE] = "s2"  # another writer
    assert await cache.kv_get(state.SINCE) == "s2"
    assert await cache.kv_get_many([state.SINCE]) == {state.SINCE: "s2"}


async def test_what_an_erasure_deleted_is_forgotten_within_a_minute() -> None:
    store, clock = CountingKeyValue(), Clock()
    cache = DmStateCache(store, clock)
    await cache.kv_set(state.dm_room(ALICE), DM)
    del store.data[state.dm_room(ALICE)]  # `ticebot privacy erase`, another process
    clock.at += timedelta(seconds=59)
    assert await cache.kv_get(state.dm_room(ALICE)) == DM
    clock.at += timedelta(seconds=1)
    assert await cache.kv_get(state.dm_room(ALICE)) is None


async def test_a_read_overtaken_by_a_write_keeps_the_written_value() -> None:
    store, clock = MemoryKeyValue(), Clock()
    store.data[state.dm_room(ALICE)] = "!old:hs"
    started, release = asyncio.Event(), asyncio.Event()
    read = store.kv_get_many

    async def slow_read(keys: list[str]) -> dict[str, str]:
        found = await read(keys)  # the old value, read before the write below
        started.set()
        await release.wait()
        return found

    store.kv_get_many = slow_read  # type: ignore[method-assign]
    cache = DmStateCache(store, clock)
    reading = asyncio.create_task(cache.kv_get_many([state.dm_room(ALICE)]))
    await started.wait()
    await cache.kv_set(state.dm_room(ALICE), DM)
    release.set()
    store.kv_get_many = read  # type: ignore[method-assign]
    await reading
    assert await cache.kv_get(state.dm_room(ALICE)) == DM


async def test_an_expired_entry_read_while_another_key_is_written_gives_the_stored_value() -> None:
    store, clock = MemoryKeyValue(), Clock()
    cache = DmStateCache(store, clock)
    await cache.kv_set(state.dm_room(ALICE), "!old:hs")
    store.data[state.dm_room(ALICE)] = DM  # changed behind the cache (an erasure, then a new DM)
    clock.at += timedelta(seconds=61)
    started, release = asyncio.Event(), asyncio.Event()
    read = store.kv_get

    async def slow_read(key: str) -> str | None:
        found = await read(key)
        started.set()
        await release.wait()
        return found

    store.kv_get = slow_read  # type: ignore[method-assign]
    reading = asyncio.create_task(cache.kv_get(state.dm_room(ALICE)))
    await started.wait()
    await cache.kv_set(state.dm_user(DM), ALICE)  # another key, written meanwhile
    release.set()
    assert await reading == DM
