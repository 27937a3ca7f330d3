"""Smoke test of the Synapse fixture with a bare matrix-nio client: no ticebot code involved."""

from __future__ import annotations

import pytest
from matrix_homeserver import Homeserver
from nio import AsyncClient, JoinResponse, RoomCreateResponse, RoomMessageText, RoomSendResponse, SyncResponse

pytestmark = pytest.mark.matrix


async def _client(homeserver: Homeserver, name: str) -> AsyncClient:
    account = homeserver.register(homeserver.unique(name))
    client = AsyncClient(homeserver.base_url, account["user_id"])
    client.restore_login(account["user_id"], account["device_id"], account["access_token"])
    return client


async def test_two_users_exchange_a_threaded_message(homeserver: Homeserver) -> None:
    alice = await _client(homeserver, "alice")
    bob = await _client(homeserver, "bob")
    try:
        created = await alice.room_create(name="sos", invite=[bob.user_id])
        assert isinstance(created, RoomCreateResponse), created
        assert isinstance(await bob.join(created.room_id), JoinResponse)

        # A first sync without `since` replays history: take its next_batch as the starting point.
        first = await bob.sync(timeout=0)
        assert isinstance(first, SyncResponse)

        root = await alice.room_send(created.room_id, "m.room.message", {"msgtype": "m.text", "body": "Q ?"})
        assert isinstance(root, RoomSendResponse)
        reply = await alice.room_send(
            created.room_id,
            "m.room.message",
            {
                "msgtype": "m.text",
                "body": "R",
                "m.relates_to": {"rel_type": "m.thread", "event_id": root.event_id},
            },
        )
        assert isinstance(reply, RoomSendResponse)

        second = await bob.sync(timeout=3000, since=first.next_batch)
        assert isinstance(second, SyncResponse)
        events = [e for e in second.rooms.join[created.room_id].timeline.events if isinstance(e, RoomMessageText)]
        assert [e.body for e in events] == ["Q ?", "R"]
        # nio has no thread type: the relation is only in the raw source.
        assert events[1].source["content"]["m.relates_to"]["event_id"] == root.event_id
    finally:
        await alice.close()
        await bob.close()
