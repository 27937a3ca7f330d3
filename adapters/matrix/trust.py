"""Which members' devices get the bot's room keys: the trust policy, applied before each encrypted send.

- "tofu" (default): a member's device is trusted the first time the bot sees it. nio pins its ed25519 key
  from then on (a device id that comes back with another key is refused by nio and gets nothing), and a
  new device of the same person is trusted the same way when it appears.
- "verified": only the devices listed in `[matrix] verified_devices` (user, device id, ed25519 session key
  as Element shows it) get keys; every other device is blacklisted and cannot read what the bot writes.

Only members of the room being written to are considered: the bot writes only to configured rooms and to
direct rooms with members, so "members of configured rooms" is exactly who is trusted.
"""

from __future__ import annotations

import logging

from nio import AsyncClient
from nio.crypto import OlmDevice

from bot.config import MatrixConfig

log = logging.getLogger(__name__)


def _normalise(key: str) -> str:
    return "".join(key.split())


def listed(config: MatrixConfig, device: OlmDevice) -> bool:
    return any(
        entry.user == device.user_id and entry.device == device.id and _normalise(entry.ed25519) == device.ed25519
        for entry in config.verified_devices
    )


def decide(config: MatrixConfig, client: AsyncClient, device: OlmDevice) -> None:
    """Mark one device verified or blacklisted according to the policy (stored in the olm store)."""
    if config.trust == "verified":
        if listed(config, device):
            if device.blacklisted:
                client.unblacklist_device(device)
            if client.verify_device(device):
                log.info("matrix: device %s of %s verified (listed in verified_devices)", device.id, device.user_id)
        elif not device.blacklisted:
            if device.verified:
                client.unverify_device(device)
            client.blacklist_device(device)
            log.info("matrix: device %s of %s gets no keys (not in verified_devices)", device.id, device.user_id)
        return
    if not device.verified and not device.blacklisted:
        client.verify_device(device)
        log.info("matrix: device %s of %s trusted on first use", device.id, device.user_id)


async def prepare_room(client: AsyncClient, config: MatrixConfig, room_id: str) -> None:
    """Before an encrypted send: the room's members and their devices are known, and each device judged.

    nio's room_send shares the room key with every verified device and refuses to send while a member
    has a device that is neither verified nor blacklisted; this leaves no such device.
    """
    room = client.rooms.get(room_id)
    if client.olm is None or room is None or not room.encrypted:
        return
    if not room.members_synced:
        await client.joined_members(room_id)
    client.olm.update_tracked_users(room)
    if client.should_query_keys:
        await client.keys_query()
    for user_id in list(room.users):
        for device in client.device_store.active_user_devices(user_id):
            if user_id == client.user_id and device.id == client.device_id:
                continue
            decide(config, client, device)
