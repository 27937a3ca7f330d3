"""nio's olm store after a sync: a room that turned encrypted is remembered across a restart, and a sync
without one costs no store query (it used to cost one per sync, on the event loop)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nio import AsyncClient, AsyncClientConfig, SyncResponse

from adapters.matrix.store_writes import skip_empty_room_saves

BOT = "@ticebot:hs"
ROOM = "!room:hs"


def client(tmp_path: Path) -> AsyncClient:
    made = AsyncClient("http://hs", BOT, store_path=str(tmp_path),
                       config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False))
    made.restore_login(BOT, "BOTDEV", "token")  # opens the store, as the adapter's login does
    skip_empty_room_saves(made)
    return made


def sync(batch: str, timeline: list[dict[str, Any]]) -> SyncResponse:
    room = {"timeline": {"events": timeline, "limited": False, "prev_batch": "p"}, "state": {"events": []},
            "ephemeral": {"events": []}, "account_data": {"events": []}, "summary": {},
            "unread_notifications": {}}
    response = SyncResponse.from_dict({"next_batch": batch, "rooms": {"join": {ROOM: room}, "invite": {}, "leave": {}},
                                       "to_device": {"events": []}, "presence": {"events": []},
                                       "device_lists": {"changed": [], "left": []},
                                       "device_one_time_keys_count": {"signed_curve25519": 50}})
    assert isinstance(response, SyncResponse), response
    return response


def message(n: int) -> dict[str, Any]:
    return {"type": "m.room.message", "event_id": f"$m{n}", "sender": "@alice:hs", "origin_server_ts": n,
            "content": {"msgtype": "m.text", "body": "!portfolio"}}


ENCRYPTION = {"type": "m.room.encryption", "event_id": "$enc", "sender": "@alice:hs", "origin_server_ts": 5,
              "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


async def test_a_room_that_turns_encrypted_is_still_encrypted_after_a_restart(tmp_path: Path) -> None:
    first = client(tmp_path)
    await first.receive_response(sync("s1", [message(1)]))
    await first.receive_response(sync("s2", [ENCRYPTION]))
    await first.close()
    again = client(tmp_path)
    assert ROOM in again.encrypted_rooms
    await again.close()


async def test_a_sync_without_a_new_encrypted_room_queries_no_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = client(tmp_path)
    queries: list[str] = []
    database = bot.store.database  # type: ignore[union-attr]
    execute = database.execute_sql
    monkeypatch.setattr(database, "execute_sql", lambda sql, *a, **k: (queries.append(sql), execute(sql, *a, **k))[1])
    await bot.receive_response(sync("s1", [message(1)]))
    await bot.receive_response(sync("s2", [message(2)]))
    assert queries == []
    await bot.close()
