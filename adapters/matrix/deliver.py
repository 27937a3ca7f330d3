"""Core action → Matrix calls. Maps homeserver errors onto RetryLater / DeliveryFailed for the outbox."""

from __future__ import annotations

import asyncio
import io
import logging
import mimetypes
from pathlib import Path
from typing import Any, Protocol

from aiohttp import ClientError
from nio import (
    ErrorResponse,
    LocalProtocolError,
    MatrixRoom,
    OlmTrustError,
    ProfileGetDisplayNameResponse,
    RoomCreateResponse,
    RoomPreset,
    RoomSendResponse,
    SendRetryError,
    UploadResponse,
)

from adapters.matrix import render, state, trust
from adapters.matrix.state import KeyValue
from bot.actions import CoreAction, MarkThread, MentionRoles, React, ReplyInThread, SendDirect, SendMessage
from bot.config import MatrixConfig
from bot.ports import DeliveryFailed, RetryLater
from bot.refs import UserRef

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
# OlmTrustError, SendRetryError: a member's device appeared between the trust check and the send, or the
# room's members could not be fetched: the next attempt sees them.
_TRANSIENT_EXCEPTIONS = (ClientError, TimeoutError, OSError, LocalProtocolError, OlmTrustError, SendRetryError)
TEMPLATE_KEY = "org.ticebot.template"
MEGOLM = {"algorithm": "m.megolm.v1.aes-sha2"}


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
    def __init__(self, client: SendingClient, kv: KeyValue, config: MatrixConfig | None = None) -> None:
        self.client = client
        self.kv = kv
        self.config = config
        self._names: dict[str, str] = {}  # user id -> display name from the profile, when no room has it

    async def deliver(self, action: CoreAction, key: str | None = None) -> str | None:
        """Perform one action; `key` (the outbox id) becomes the Matrix transaction id, so a resend
        after a crash is dropped by the homeserver instead of being shown twice."""
        try:
            return await self._deliver(action, key)
        except _TRANSIENT_EXCEPTIONS as exc:
            raise RetryLater(f"matrix: {type(exc).__name__}: {exc}") from exc

    async def _content(
        self, room_id: str, text: str, mentions: tuple[UserRef, ...], template: str, *, direct: bool = False,
        append_missing: bool = False,
    ) -> dict[str, Any]:
        """Message content with people named by display name. m.notice (the Matrix bot convention) unless
        the message must reach someone: Element's default push rule `.m.rule.suppress_notices` silences
        m.notice, even in DMs and even when it mentions you, so DMs and messages naming people are m.text."""
        text, mentions = await self._named(room_id, text, mentions)
        content = render.render(text, mentions, append_missing=append_missing)
        if not direct and not mentions:
            content["msgtype"] = "m.notice"
        return _tagged(content, template)

    async def _named(self, room_id: str, text: str, mentions: tuple[UserRef, ...]) -> tuple[str, tuple[UserRef, ...]]:
        """People the core knows only by id (e.g. named in the configuration) get their display name."""
        named: list[UserRef] = []
        for user in mentions:
            if user.display and user.display != user.id:
                named.append(user)
                continue
            display = await self.display_name(room_id, user.id)
            if display:
                # The core writes "@" + the id ("@@alice:hs"); a template may also print the bare id.
                text = text.replace("@" + user.id, "@" + display).replace(user.id, "@" + display)
                user = UserRef(user.platform, user.id, display)
            named.append(user)
        return text, tuple(named)

    async def display_name(self, room_id: str, user_id: str) -> str:
        """From the room's membership, else any room the bot shares with them, else their profile."""
        rooms = [self.client.rooms.get(room_id), *self.client.rooms.values()]
        for room in rooms:
            member = room.users.get(user_id) if room is not None else None
            if member is not None and member.display_name:
                return str(member.display_name)
        if user_id not in self._names:
            get_displayname = getattr(self.client, "get_displayname", None)
            response = await get_displayname(user_id) if get_displayname else None
            name = response.displayname if isinstance(response, ProfileGetDisplayNameResponse) else None
            self._names[user_id] = name or ""
        return self._names[user_id]

    async def _deliver(self, action: CoreAction, key: str | None) -> str | None:
        if isinstance(action, SendMessage):
            room_id = action.channel.id
            content = await self._content(room_id, action.text, action.mentions, action.template)
            event_id = await self._send(room_id, content, key)
            if action.image_path:
                await self._send_file(room_id, action.image_path, _sub(key, "image"), None)
            return event_id
        if isinstance(action, ReplyInThread):
            room_id = action.thread.channel.id
            content = await self._content(room_id, action.text, action.mentions, action.template)
            content["m.relates_to"] = render.thread_relation(action.thread.id)
            return await self._send(room_id, content, key)
        if isinstance(action, MentionRoles):
            room_id = action.channel.id
            content = await self._content(room_id, action.text, action.mentions, action.template, append_missing=True)
            return await self._send(room_id, content, key)
        if isinstance(action, SendDirect):
            room_id = await self.direct_room(action.user.id)
            try:
                content = await self._content(room_id, action.text, action.mentions, action.template, direct=True)
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
        if self.config is not None and self._encrypted(room_id):
            await trust.prepare_room(self.client, self.config, room_id)  # type: ignore[arg-type]
        response = await self.client.room_send(room_id, event_type, content, tx_id=key)
        ok: RoomSendResponse = check(response, f"send to {room_id}")
        return str(ok.event_id)

    def _encrypted(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return bool(room is not None and room.encrypted and getattr(self.client, "olm", None) is not None)

    async def _send_file(self, room_id: str, path: str, key: str | None, thread_root: str | None) -> str:
        file = Path(path)
        try:
            data = await asyncio.to_thread(file.read_bytes)
        except FileNotFoundError as exc:
            raise DeliveryFailed(f"matrix: attachment {path} not found") from exc
        mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        encrypted = self._encrypted(room_id)
        uploaded, file_keys = await self.client.upload(
            io.BytesIO(data), content_type=mime, filename=file.name, filesize=len(data), encrypt=encrypted
        )
        ok: UploadResponse = check(uploaded, f"upload {file.name}")
        content: dict[str, Any] = {
            "msgtype": "m.image" if mime.startswith("image/") else "m.file",
            "body": file.name,
            "filename": file.name,
            "info": {"mimetype": mime, "size": len(data)},
        }
        if encrypted and file_keys:
            # Encrypted rooms get an encrypted file: the keys travel inside the (encrypted) event only.
            content["file"] = {"url": ok.content_uri, **file_keys}
        else:
            content["url"] = ok.content_uri
        if thread_root:
            content["m.relates_to"] = render.thread_relation(thread_root)
        return await self._send(room_id, content, key)

    async def direct_room(self, user_id: str) -> str:
        """The DM room with `user_id`: the stored one while the person is still in it, else a new one."""
        room_id = await self.kv.kv_get(state.dm_room(user_id))
        if room_id and self._still_direct(room_id, user_id):
            return room_id
        encrypt = getattr(self.client, "olm", None) is not None and (
            self.config is None or self.config.encrypt_direct_rooms
        )
        options: dict[str, Any] = {"is_direct": True, "invite": [user_id], "preset": RoomPreset.private_chat}
        if encrypt:  # as Element creates a DM: encrypted from its first event
            options["initial_state"] = [{"type": "m.room.encryption", "state_key": "", "content": MEGOLM}]
        response = await self.client.room_create(**options)
        created: RoomCreateResponse = check(response, f"open a direct room with {user_id}")
        room_id = str(created.room_id)
        if encrypt:
            self._known_before_sync(room_id, user_id)
        await self.kv.kv_set(state.dm_room(user_id), room_id)
        await self.kv.kv_set(state.dm_user(room_id), user_id)
        log.info("opened direct room %s with %s", room_id, user_id)
        return room_id

    def _known_before_sync(self, room_id: str, user_id: str) -> None:
        """Tell nio about the room we just created: encrypted, with the invitee in it. Otherwise the first
        message waits for a sync to bring the room's state (nio refuses to send to an unknown room), or a
        sync that raced the creation shows the room without its invite and the invitee gets no key."""
        room = self.client.rooms.get(room_id)
        if room is None:
            room = MatrixRoom(room_id, self.client.user_id, encrypted=True)  # type: ignore[attr-defined]
            room.add_member(self.client.user_id, None, None)  # type: ignore[attr-defined]
            self.client.rooms[room_id] = room
        room.encrypted = True
        if user_id not in room.users:
            room.add_member(user_id, None, None, invited=True)
        self.client.encrypted_rooms.add(room_id)  # type: ignore[attr-defined]

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
