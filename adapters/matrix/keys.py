"""Key housekeeping between syncs: upload and replenish our keys, learn members' devices, answer key requests.

nio's own sync_forever does the first three; ticebot runs its own sync loop (resumable from the database),
so it calls `after_sync` itself. nio answers key requests only from the bot's own other devices; a
member's device asking for a room key the *bot* created (its to-device message was lost, or the device was
added later) is answered here, under the trust policy, and only while the person is in the room.
"""

from __future__ import annotations

import logging

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
