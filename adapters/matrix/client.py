"""Building and logging in the nio client. Secrets come from the environment and are never logged."""

from __future__ import annotations

import logging
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from adapters.matrix import device, state
from adapters.matrix.state import KeyValue
from adapters.matrix.store_writes import skip_empty_room_saves
from bot.config import ConfigError, MatrixConfig

log = logging.getLogger(__name__)


class MatrixLoginError(ConfigError):
    """Login refused or token invalid: a configuration problem (`ticebot run` exits 2 with this line).
    The message never contains the secret."""


def make_client(config: MatrixConfig) -> AsyncClient:
    device.require_encryption(config)
    client_config = AsyncClientConfig(
        # nio would otherwise retry 429s and connection errors forever inside a call; we want them back as
        # errors so the outbox can reschedule (RetryLater) and the sync loop can back off visibly.
        max_limit_exceeded=0,
        max_timeouts=0,
        request_timeout=60,
        encryption_enabled=config.encryption,
        store_sync_tokens=False,  # the sync token lives in the app database, not in the olm store
    )
    store = str(device.store_dir(config)) if config.encryption else ""
    return AsyncClient(config.homeserver.rstrip("/"), config.user_id, config=client_config, store_path=store)


async def login(client: AsyncClient, config: MatrixConfig, kv: KeyValue) -> None:
    """Log in with the access token or the password named in the config; keep one device id.

    Reusing the device id across restarts keeps the olm identity (see adapters/matrix/device.py), one
    device in the account's session list, and the homeserver's transaction-id de-duplication (per device)
    for outbox resends.
    """
    kind, secret = config.secret()
    directory = Path(client.store_path) if config.encryption else Path()
    device_id = await device.device_for_login(config, kv, directory) or ""
    if kind == "token":
        client.user_id, client.access_token = config.user_id, secret
        who = await client.whoami()
        if not isinstance(who, WhoamiResponse):
            raise MatrixLoginError(f"[matrix] jeton d'accès refusé pour {config.user_id} : {who.message}")
        if who.user_id != config.user_id:
            raise MatrixLoginError(f"[matrix] le jeton appartient à {who.user_id}, pas à {config.user_id}")
        token_device = who.device_id or device_id
        if device_id and token_device != device_id:
            raise device.DeviceError(
                f"[matrix] le jeton d'accès est celui de l'appareil {token_device}, or ticebot utilise "
                f"l'appareil {device_id} dont il garde les clés : donnez un jeton de l'appareil {device_id}"
            )
        fresh = config.encryption and not device.store_file(directory, config.user_id, token_device).exists()
        client.restore_login(config.user_id, token_device, secret)  # opens (or creates) the olm store
        await device.check_token_device(client, directory, fresh)
    else:
        fresh = not device_id
        client.device_id = device_id or None
        response = await client.login(password=secret, device_name="ticebot")
        if not isinstance(response, LoginResponse):
            raise MatrixLoginError(f"[matrix] connexion refusée pour {config.user_id} : {response.message}")
        if fresh and config.encryption:
            log.warning(
                "matrix: new device %s created; its encryption keys are in %s: keep and back up this folder",
                client.device_id, directory,
            )
    skip_empty_room_saves(client)
    if client.device_id:
        await kv.kv_set(state.DEVICE_ID, client.device_id)
    if client.olm is not None and client.should_upload_keys:
        await client.keys_upload()  # identity keys and one-time keys, before anyone needs them
    log.info("matrix: logged in as %s (device %s, encryption %s)", client.user_id, client.device_id,
             "on" if client.olm is not None else "off")
