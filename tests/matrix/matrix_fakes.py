"""Recording fakes for the Matrix unit tests: a nio-shaped client that records what would be sent."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from nio import (
    ErrorResponse,
    Event,
    JoinResponse,
    MatrixRoom,
    RoomCreateResponse,
    RoomGetEventError,
    RoomGetEventResponse,
    RoomGetStateEventError,
    RoomLeaveResponse,
    RoomSendResponse,
    UploadResponse,
)

BOT = "@ticebot:hs"


@dataclass
class Sent:
    room_id: str
    type: str
    content: dict[str, Any]
    tx_id: str | None


@dataclass
class FakeClient:
    user_id: str = BOT
    device_id: str = "BOTDEVICE"
    olm: Any = None  # no encryption: the olm machine of nio[e2e] is exercised against the real Synapse
    rooms: dict[str, MatrixRoom] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # for room_get_event
    fetched: list[str] = field(default_factory=list)
    send_error: ErrorResponse | Exception | None = None
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def room(self, room_id: str, *members: str) -> MatrixRoom:
        room = MatrixRoom(room_id, self.user_id)
        room.add_member(self.user_id, "ticebot", None)
        for member in members:
            room.add_member(member, member[1:].split(":")[0].capitalize(), None)
        self.rooms[room_id] = room
        return room

    async def room_send(
        self, room_id: str, message_type: str, content: dict[str, Any], tx_id: str | None = None
    ) -> Any:
        if self.send_error is not None:
            if isinstance(self.send_error, Exception):
                raise self.send_error
            return self.send_error
        self.sent.append(Sent(room_id, message_type, content, tx_id))
        return RoomSendResponse(f"$sent{next(self._ids)}", room_id)

    async def room_create(self, **kwargs: Any) -> Any:
        self.created.append(kwargs)
        return RoomCreateResponse(f"!dm{len(self.created)}:hs")

    async def upload(self, data_provider: Any, **kwargs: Any) -> Any:
        self.uploads.append({"size": len(data_provider.getvalue()), **kwargs})
        return UploadResponse("mxc://hs/media1"), None

    async def join(self, room_id: str) -> Any:
        self.joined.append(room_id)
        return JoinResponse(room_id)

    async def room_leave(self, room_id: str) -> Any:
        self.left.append(room_id)
        return RoomLeaveResponse()

    async def room_get_state_event(self, room_id: str, event_type: str, state_key: str = "") -> Any:
        return RoomGetStateEventError("not found", "M_NOT_FOUND")

    async def room_get_event(self, room_id: str, event_id: str) -> Any:
        self.fetched.append(event_id)
        if event_id not in self.events:
            return RoomGetEventError("not found", "M_NOT_FOUND")
        response = RoomGetEventResponse()
        response.event = Event.parse_event(self.events[event_id])
        return response

    async def close(self) -> None:
        return None


def message(
    event_id: str, sender: str, body: str, relates: dict[str, Any] | None = None, **content: Any
) -> dict[str, Any]:
    """A raw m.room.message source as it comes in a sync timeline."""
    data: dict[str, Any] = {"msgtype": "m.text", "body": body, **content}
    if relates is not None:
        data["m.relates_to"] = relates
    return {
        "type": "m.room.message",
        "event_id": event_id,
        "sender": sender,
        "origin_server_ts": 1_757_235_600_000,
        "content": data,
    }
