"""Core action → Matrix calls. Maps homeserver errors onto RetryLater / DeliveryFailed for the outbox."""

from __future__ import annotations

import asyncio
import io
import logging
import mimetypes
from pathlib import Path
from typing import Any, Protocol

from aiohttp import ClientError
from nio import ErrorResponse, LocalProtocolError, RoomCreateResponse, RoomPreset, RoomSendResponse, UploadResponse

from adapters.matrix import render, state
from adapters.matrix.state import KeyValue
from bot.actions import CoreAction, MarkThread, MentionRoles, React, ReplyInThread, SendDirect, SendMessage
from bot.ports import DeliveryFailed, RetryLater

log = logging.getLogger(__name__)

# Errors that will not go away by retrying the same request: the outbox records them and moves on.
_PERMANENT = {
    "M_FORBIDDEN",
    "M_NOT_FOUND",
    "M_BAD_JSON",
    "M_NOT_JSON",
    "M_INVALID_PARAM",
    "M_TOO_LARGE",
    "M_UNKNOWN_ROOM",  # non-standard, seen on some homeservers
}
# LocalProtocolError: nio refuses to send while logged out (between a restart's close and login).
_TRANSIENT_EXCEPTIONS = (ClientError, TimeoutError, OSError, LocalProtocolError)
TEMPLATE_KEY = "org.ticebot.template"


class SendingClient(Protocol):
    """The part of nio.AsyncClient delivery uses; the unit tests pass a recording fake."""

    rooms: dict[str, Any]

    async def room_send(
        self, room_id: str, message_type: str, content: dict[str, Any], tx_id: str | None = None
    ) -> Any: ...

    async def room_create(self, **kwargs: Any) -> Any: ...

    async def upload(self, data_provider: Any, **kwargs: Any) -> Any: ...


def check(response: Any, what: str) -> Any:
    """Return a successful nio response, or raise the outbox's exception for an error response."""
    if not isinstance(response, ErrorResponse):
        return response
    code = response.status_code
    message = f"{what}: {code or ''} {response.message}".strip()
    if code in ("M_LIMIT_EXCEEDED", 429, "429"):
        retry_ms = response.retry_after_ms
        raise RetryLater(message, retry_ms / 1000 if retry_ms is not None else None)
    if code in _PERMANENT:
        raise DeliveryFailed(message)
    raise RetryLater(message)  # 5xx, unknown errors, bad gateway: the server may recover


class MatrixDeliverer:
    def __init__(self, client: SendingClient, kv: KeyValue) -> None:
        self.client = client
        self.kv = kv

    async def deliver(self, action: CoreAction, key: str | None = None) -> str | None:
        """Perform one action; `key` (the outbox id) becomes the Matrix transaction id, so a resend
        after a crash is dropped by the homeserver instead of being shown twice."""
        try:
            return await self._deliver(action, key)
        except _TRANSIENT_EXCEPTIONS as exc:
            raise RetryLater(f"matrix: {type(exc).__name__}: {exc}") from exc

    async def _deliver(self, action: CoreAction, key: str | None) -> str | None:
        if isinstance(action, SendMessage):
            content = _tagged(render.render(action.text, action.mentions), action.template)
            event_id = await self._send(action.channel.id, content, key)
            if action.image_path:
                await self._send_file(action.channel.id, action.image_path, _sub(key, "image"), None)
            return event_id
        if isinstance(action, ReplyInThread):
            content = _tagged(render.render(action.text, action.mentions), action.template)
            content["m.relates_to"] = render.thread_relation(action.thread.id)
            return await self._send(action.thread.channel.id, content, key)
        if isinstance(action, MentionRoles):
            content = render.render(action.text, action.mentions, append_missing=True)
            content = _tagged(content, action.template)
            return await self._send(action.channel.id, content, key)
        if isinstance(action, SendDirect):
            room_id = await self.direct_room(action.user.id)
            try:
                content = _tagged(render.render(action.text, action.mentions), action.template)
                event_id = await self._send(room_id, content, key)
            except DeliveryFailed:
                # The person left the DM room or it was removed: forget it so the retry opens a new one.
                await self.kv.kv_set(state.dm_room(action.user.id), "")
                raise RetryLater(f"matrix: direct room {room_id} unusable, opening a new one") from None
            if action.attachment_path:
                await self._send_file(room_id, action.attachment_path, _sub(key, "file"), None)
            return event_id
        if isinstance(action, React):
            content = render.reaction(action.message.id, action.emoji)
            return await self._send(action.message.channel.id, content, key, "m.reaction")
        if isinstance(action, MarkThread):
            return None  # Matrix has no thread labels
        raise DeliveryFailed(f"matrix: unsupported action {type(action).__name__}")

    async def _send(
        self, room_id: str, content: dict[str, Any], key: str | None, event_type: str = "m.room.message"
    ) -> str:
        response = await self.client.room_send(room_id, event_type, content, tx_id=key)
        ok: RoomSendResponse = check(response, f"send to {room_id}")
        return str(ok.event_id)

    async def _send_file(self, room_id: str, path: str, key: str | None, thread_root: str | None) -> str:
        file = Path(path)
        try:
            data = await asyncio.to_thread(file.read_bytes)
        except FileNotFoundError as exc:
            raise DeliveryFailed(f"matrix: attachment {path} not found") from exc
        mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        uploaded, _keys = await self.client.upload(
            io.BytesIO(data), content_type=mime, filename=file.name, filesize=len(data)
        )
        ok: UploadResponse = check(uploaded, f"upload {file.name}")
        content: dict[str, Any] = {
            "msgtype": "m.image" if mime.startswith("image/") else "m.file",
            "body": file.name,
            "filename": file.name,
            "url": ok.content_uri,
            "info": {"mimetype": mime, "size": len(data)},
        }
        if thread_root:
            content["m.relates_to"] = render.thread_relation(thread_root)
        return await self._send(room_id, content, key)

    async def direct_room(self, user_id: str) -> str:
        """The DM room with `user_id`: the stored one while the person is still in it, else a new one."""
        room_id = await self.kv.kv_get(state.dm_room(user_id))
        if room_id and self._still_direct(room_id, user_id):
            return room_id
        response = await self.client.room_create(is_direct=True, invite=[user_id], preset=RoomPreset.private_chat)
        created: RoomCreateResponse = check(response, f"open a direct room with {user_id}")
        await self.kv.kv_set(state.dm_room(user_id), created.room_id)
        await self.kv.kv_set(state.dm_user(created.room_id), user_id)
        log.info("opened direct room %s with %s", created.room_id, user_id)
        return str(created.room_id)

    def _still_direct(self, room_id: str, user_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        if room is None:
            return True  # created a moment ago and not synced yet; a failed send resets it
        return user_id in room.users or user_id in room.invited_users


def _tagged(content: dict[str, Any], template: str) -> dict[str, Any]:
    """Name the prompt that produced the message in a namespaced content key (allowed by the spec and
    ignored by clients): support can tell which template wrote a message, tests match on names."""
    if template:
        content[TEMPLATE_KEY] = template
    return content


def _sub(key: str | None, suffix: str) -> str | None:
    return f"{key}-{suffix}" if key else None
