"""The bot's device and trust decisions without a homeserver: a real nio olm machine on a memory store."""

from __future__ import annotations

from pathlib import Path

import pytest
from nio import AsyncClient, AsyncClientConfig
from nio.crypto import OlmDevice
from nio.store import SqliteMemoryStore

from adapters.matrix import device, state, trust
from adapters.matrix.client import make_client
from adapters.matrix.state import MemoryKeyValue
from bot.config import ConfigError, MatrixConfig, VerifiedDevice

BOT = "@ticebot:hs"


def config(tmp_path: Path, **options: object) -> MatrixConfig:
    return MatrixConfig(homeserver="http://hs", user_id=BOT, password_env="PW", store_dir=str(tmp_path),
                        **options)  # type: ignore[arg-type]


async def test_first_start_makes_a_device_later_starts_reuse_it(tmp_path: Path) -> None:
    kv = MemoryKeyValue()
    assert await device.device_for_login(config(tmp_path), kv, tmp_path) is None  # the homeserver creates it
    device.store_file(tmp_path, BOT, "DEV1").write_bytes(b"")  # nio wrote its store at login
    await kv.kv_set(state.DEVICE_ID, "DEV1")
    assert await device.device_for_login(config(tmp_path), kv, tmp_path) == "DEV1"
    # Database restored from an older dump without the device id: the store says which device it is.
    assert await device.device_for_login(config(tmp_path), MemoryKeyValue(), tmp_path) == "DEV1"


async def test_a_device_whose_keys_are_gone_is_refused_in_one_line(tmp_path: Path) -> None:
    kv = MemoryKeyValue()
    await kv.kv_set(state.DEVICE_ID, "DEV1")
    with pytest.raises(device.DeviceError) as refused:
        await device.device_for_login(config(tmp_path), kv, tmp_path)
    message = str(refused.value)
    assert "DEV1" in message and str(tmp_path) in message and "restaurez" in message and "\n" not in message


async def test_two_stores_and_no_device_named_is_refused(tmp_path: Path) -> None:
    for name in ("DEV1", "DEV2"):
        device.store_file(tmp_path, BOT, name).write_bytes(b"")
    with pytest.raises(device.DeviceError, match="DEV1, DEV2"):
        await device.device_for_login(config(tmp_path), MemoryKeyValue(), tmp_path)


def test_missing_e2e_extra_is_a_clear_start_up_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("nio.crypto.ENCRYPTION_ENABLED", False)
    with pytest.raises(ConfigError, match=r"pip install 'matrix-nio\[e2e\]'"):
        make_client(config(tmp_path))
    make_client(config(tmp_path, encryption=False))  # explicitly without encryption: starts


def olm_client() -> AsyncClient:
    client = AsyncClient("http://hs", BOT, config=AsyncClientConfig(encryption_enabled=True, store=SqliteMemoryStore))
    client.restore_login(BOT, "BOTDEV", "token")
    assert client.olm is not None
    return client


def member_device(client: AsyncClient, user: str, device_id: str, ed25519: str) -> OlmDevice:
    """A device as a key query brings it: in the device list and in the olm store."""
    found = OlmDevice(user, device_id, {"ed25519": ed25519, "curve25519": f"curve-{user}-{device_id}"})
    client.device_store.add(found)
    client.olm.store.save_device_keys({user: {device_id: found}})  # type: ignore[union-attr]
    return found


def test_tofu_trusts_each_device_on_first_sight(tmp_path: Path) -> None:
    client = olm_client()
    phone = member_device(client, "@alice:hs", "PHONE", "edkeyphone")
    trust.decide(config(tmp_path), client, phone)
    assert phone.verified
    blocked = member_device(client, "@alice:hs", "OLD", "edkeyold")
    client.blacklist_device(blocked)
    trust.decide(config(tmp_path), client, blocked)
    assert blocked.blacklisted and not blocked.verified  # an explicit blacklist is kept


def test_verified_mode_shares_only_with_listed_devices(tmp_path: Path) -> None:
    client = olm_client()
    listed = VerifiedDevice(user="@fabienne:hs", device="LAPTOP", ed25519="abcd efgh")
    strict = config(tmp_path, trust="verified", verified_devices=[listed])
    laptop = member_device(client, "@fabienne:hs", "LAPTOP", "abcdefgh")
    impostor = member_device(client, "@fabienne:hs", "OTHER", "abcdefgh")
    changed = member_device(client, "@alice:hs", "LAPTOP", "abcdefgh")
    for found in (laptop, impostor, changed):
        trust.decide(strict, client, found)
    assert laptop.verified and not laptop.blacklisted
    assert impostor.blacklisted and changed.blacklisted
    # A device trusted on first use earlier loses the keys once the policy becomes "verified".
    alice = member_device(client, "@alice:hs", "PHONE", "zzzz")
    trust.decide(config(tmp_path), client, alice)
    assert alice.verified
    trust.decide(strict, client, alice)
    assert alice.blacklisted and not alice.verified
