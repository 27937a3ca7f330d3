"""The sync loop stores its token after each sync that brought something to handle; a sync that only
brings the bot's own messages back (one after each message it sends) writes nothing, and a restart
from the previous token skips those messages again."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from matrix_fakes import BOT
from nio import SyncResponse

from adapters.matrix import state
from adapters.matrix.state import MemoryKeyValue
from adapters.matrix.sync import SyncLoop

ROOM = "!dm:hs"


def text(event_id: str, sender: str) -> dict[str, Any]:
    return {"type": "m.room.message", "event_id": event_id, "sender": sender, "origin_server_ts": 1,
            "content": {"msgtype": "m.text", "body": "…"}}


def sync(token: str, *events: dict[str, Any], to_device: tuple[dict[str, Any], ...] = ()) -> SyncResponse:
    room = {"timeline": {"events": list(events), "limited": False, "prev_batch": "p"}, "state": {"events": []},
            "ephemeral": {"events": []}, "account_data": {"events": []}}
    return SyncResponse.from_dict({"next_batch": token, "rooms": {"join": {ROOM: room}, "invite": {}, "leave": {}},
                                   "to_device": {"events": list(to_device)}})


class Client:
    user_id = BOT

    def __init__(self, *responses: SyncResponse) -> None:
        self.responses = list(responses)

    async def sync(self, **_kwargs: Any) -> SyncResponse:
        return self.responses.pop(0)


class Handler:
    def __init__(self) -> None:
        self.handed: list[str] = []

    async def on_state(self, response: SyncResponse) -> None: ...

    async def on_invites(self, invites: Any) -> None: ...

    async def on_room_events(self, room_id: str, events: list[dict[str, Any]]) -> None:
        self.handed += [e["event_id"] for e in events if e["sender"] != BOT]

    async def after_sync(self, response: SyncResponse) -> None: ...


async def test_a_sync_of_only_echoes_writes_nothing_and_a_restart_loses_nothing() -> None:
    kv = MemoryKeyValue()
    kv.data[state.SINCE] = "s0"
    handler = Handler()
    loop = SyncLoop(Client(sync("s1", text("$q", "@alice:hs")), sync("s2", text("$r", BOT)),
                           sync("s3", text("$q2", "@alice:hs"))), kv, handler)  # type: ignore[arg-type]
    await loop.start()
    await loop.sync_once()
    assert kv.data[state.SINCE] == "s1" and kv.data[state.last_event(ROOM)] == "$q"
    await loop.sync_once()  # the bot's answer coming back
    assert kv.data[state.SINCE] == "s1" and loop.since == "s2"
    # The process dies here: the next start syncs from s1, sees its own answer again and skips it.
    restarted = SyncLoop(Client(sync("s2", text("$r", BOT)), sync("s3", text("$q2", "@alice:hs"))), kv,
                         handler)  # type: ignore[arg-type]
    await restarted.start()
    assert restarted.since == "s1"
    await restarted.sync_once()
    await restarted.sync_once()
    assert handler.handed == ["$q", "$q2"]
    assert kv.data[state.SINCE] == "s3" and kv.data[state.last_event(ROOM)] == "$q2"


async def test_a_sync_with_to_device_messages_is_stored_even_with_only_echoes() -> None:
    kv = MemoryKeyValue()
    kv.data[state.SINCE] = "s0"
    key = {"type": "m.room_key_request", "sender": "@alice:hs", "content": {"action": "request_cancellation",
                                                                           "request_id": "1",
                                                                           "requesting_device_id": "D"}}
    loop = SyncLoop(Client(sync("s1", text("$r", BOT), to_device=(key,))), kv, Handler())  # type: ignore[arg-type]
    await loop.start()
    await loop.sync_once()
    assert kv.data[state.SINCE] == "s1"


class Blocking(Client):
    """Serves its responses, then long-polls forever (until cancelled)."""

    async def sync(self, **_kwargs: Any) -> SyncResponse:
        if self.responses:
            return self.responses.pop(0)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class FlakyKeyValue(MemoryKeyValue):
    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def kv_set_many(self, items: dict[str, str]) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError("database unreachable")
        await super().kv_set_many(items)


async def run_until_handled(loop: SyncLoop, handler: Handler, count: int) -> None:
    task = asyncio.create_task(loop.run_forever())
    for _ in range(1_000):
        if len(handler.handed) >= count:
            break
        await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_the_running_loop_stores_the_last_token_when_it_stops() -> None:
    kv, handler = MemoryKeyValue(), Handler()
    kv.data[state.SINCE] = "s0"
    loop = SyncLoop(Blocking(sync("s1", text("$q", "@alice:hs")), sync("s2", text("$q2", "@alice:hs"))),
                    kv, handler)  # type: ignore[arg-type]
    await loop.start()
    await run_until_handled(loop, handler, 2)
    assert handler.handed == ["$q", "$q2"]
    assert kv.data[state.SINCE] == "s2" and kv.data[state.last_event(ROOM)] == "$q2"


async def test_a_token_write_that_fails_loses_no_event() -> None:
    kv, handler = FlakyKeyValue(failures=1), Handler()
    kv.data[state.SINCE] = "s0"
    loop = SyncLoop(Blocking(sync("s1", text("$q", "@alice:hs")), sync("s2", text("$q2", "@alice:hs"))),
                    kv, handler)  # type: ignore[arg-type]
    await loop.start()
    await run_until_handled(loop, handler, 2)
    assert handler.handed == ["$q", "$q2"]  # s1's write failed: s2 was still handled, and its write stored
    assert kv.data[state.SINCE] == "s2"
