"""Building and logging in the nio client. Secrets come from the environment and are never logged."""

from __future__ import annotations

import logging

from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from adapters.matrix import state
from adapters.matrix.state import KeyValue
from bot.config import ConfigError, MatrixConfig

log = logging.getLogger(__name__)


class MatrixLoginError(ConfigError):
    """Login refused or token invalid: a configuration problem (`ticebot run` exits 2 with this line).
    The message never contains the secret."""


def make_client(config: MatrixConfig) -> AsyncClient:
    client_config = AsyncClientConfig(
        # nio would otherwise retry 429s and connection errors forever inside a call; we want them back as
        # errors so the outbox can reschedule (RetryLater) and the sync loop can back off visibly.
        max_limit_exceeded=0,
        max_timeouts=0,
        request_timeout=60,
        # E2EE is not supported: no olm store, encrypted rooms get a notice instead (see adapter).
        encryption_enabled=False,
        store_sync_tokens=False,  # the sync token lives in the app database, not in a nio store
    )
    return AsyncClient(config.homeserver.rstrip("/"), config.user_id, config=client_config)


async def login(client: AsyncClient, config: MatrixConfig, kv: KeyValue) -> None:
    """Log in with the access token or the password named in the config; keep one device id.

    Reusing the device id across restarts keeps one device in the account's session list and keeps the
    homeserver's transaction-id de-duplication (per device) working for outbox resends.
    """
    kind, secret = config.secret()
    device_id = config.device_id or await kv.kv_get(state.DEVICE_ID) or ""
    if kind == "token":
        client.restore_login(config.user_id, device_id, secret)
        who = await client.whoami()
        if not isinstance(who, WhoamiResponse):
            raise MatrixLoginError(f"[matrix] jeton d'accès refusé pour {config.user_id} : {who.message}")
        if who.user_id != config.user_id:
            raise MatrixLoginError(f"[matrix] le jeton appartient à {who.user_id}, pas à {config.user_id}")
        if who.device_id:
            client.device_id = who.device_id
    else:
        client.device_id = device_id or None
        response = await client.login(password=secret, device_name="ticebot")
        if not isinstance(response, LoginResponse):
            raise MatrixLoginError(f"[matrix] connexion refusée pour {config.user_id} : {response.message}")
    if client.device_id:
        await kv.kv_set(state.DEVICE_ID, client.device_id)
    log.info("matrix: logged in as %s (device %s)", client.user_id, client.device_id)
