"""Key housekeeping between syncs: upload and replenish our keys, learn members' devices, answer key requests.

nio's own sync_forever does the first three; ticebot runs its own sync loop (resumable from the database),
so it calls `after_sync` itself. nio answers key requests only from the bot's own other devices; a
member's device asking for a room key the *bot* created (its to-device message was lost, or the device was
added later) is answered here, under the trust policy, and only while the person is in the room.
"""

from __future__ import annotations

import logging
from typing import Any

from nio import AsyncClient, RoomKeyRequest, SyncResponse

from adapters.matrix import trust
from bot.config import MatrixConfig

log = logging.getLogger(__name__)


async def after_sync(client: AsyncClient, config: MatrixConfig, response: SyncResponse) -> None:
    if client.olm is None:
        return
    for event in response.to_device_events:
        if isinstance(event, RoomKeyRequest) and event.sender != client.user_id:
            await answer_key_request(client, config, event)
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
    await client.send_to_device_messages()


async def answer_key_request(client: AsyncClient, config: MatrixConfig, event: RoomKeyRequest) -> bool:
    """Forward one of the bot's own room keys to a member's trusted device; True if queued."""
    olm = client.olm
    assert olm is not None
    room = client.rooms.get(event.room_id)
    who = f"{event.sender}/{event.requesting_device_id}"
    if room is None or event.sender not in room.users:
        log.info("matrix: key request from %s for %s refused: not a member", who, event.room_id)
        return False
    if event.sender_key != olm.account.identity_keys["curve25519"]:
        return False  # someone else's session: theirs to share
    session = olm.inbound_group_store.get(event.room_id, event.sender_key, event.session_id)
    if session is None:
        return False
    device = client.device_store[event.sender].get(event.requesting_device_id)
    if device is None:
        olm.users_for_key_query.add(event.sender)  # known after the next key query; the client asks again
        return False
    trust.decide(config, client, device)
    if not device.verified:
        log.info("matrix: key request from %s refused by the trust policy", who)
        return False
    if olm.session_store.get(device.curve25519) is None:
        await client.keys_claim({event.sender: [device.id]})
    olm_session = olm.session_store.get(device.curve25519)
    if olm_session is None:
        log.info("matrix: key request from %s: no olm session could be made", who)
        return False
    # nio's own forwarding helper (used for the bot's own devices) encrypts the key for that device.
    olm.outgoing_to_device_messages.append(olm._encrypt_forwarding_key(event.room_id, session, olm_session, device))
    log.info("matrix: room key for %s forwarded to %s", event.room_id, who)
    return True


def accept_forwards_from_session_owners(client: AsyncClient, config: MatrixConfig) -> None:
    """Let the bot use a member's answer to its key request.

    nio accepts `m.forwarded_room_key` only from the bot's own devices. When the bot asks a member's device
    for a missing key, the device that *created* the session answers with a forward of its own session
    (the forwarder's key is the session's sender key): that proves as much as the `m.room_key` it should
    have sent in the first place. Accepted only for a session the bot asked for, in the room it asked
    about, from a device the trust policy trusts.
    """
    olm = client.olm
    if olm is None or getattr(olm, "_ticebot_forwards", False):
        return
    handle, accept = olm._handle_forwarded_room_key_event, olm._should_accept_forward
    owner: dict[str, str] = {}

    def handle_forward(sender: str, sender_key: str, payload: dict[str, Any]) -> Any:
        owner["key"] = str((payload.get("content") or {}).get("sender_key", ""))
        try:
            return handle(sender, sender_key, payload)
        finally:
            owner.clear()

    def should_accept(sender: str, sender_key: str, event: Any) -> bool:
        if accept(sender, sender_key, event):
            return True
        request = olm.outgoing_key_requests.get(event.session_id)
        if owner.get("key") != sender_key or request is None or request.room_id != event.room_id:
            return False
        device = olm.device_store.device_from_sender_key(event.sender, sender_key)
        if device is None:
            return False
        trust.decide(config, client, device)
        if device.verified:
            log.info("matrix: missing room key for %s received from its owner %s", event.room_id, event.sender)
        return bool(device.verified)

    olm._handle_forwarded_room_key_event = handle_forward  # type: ignore[method-assign]
    olm._should_accept_forward = should_accept  # type: ignore[method-assign]
    olm._ticebot_forwards = True  # type: ignore[attr-defined]
