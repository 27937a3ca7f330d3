"""The bot's Matrix device and its olm store: one device for the life of a deployment, never a silent new one.

The olm store (nio's SQLite file `<user>_<device>.db` in the store directory) holds the device's identity
keys, olm sessions, the room keys received and the members' devices the bot trusts. Losing it means never
decrypting again what was sent to that device, so the rules are:

- the device id is kept in the database (`matrix:device_id`) and the store in the data directory; both
  must agree at start-up, otherwise ticebot refuses to start with one line saying what to restore;
- a new device is created only on the very first start (no device id stored, no store file), and the log
  says where its keys are;
- an access token whose device already has encryption keys that are not in our store is refused: those
  keys belong to another client (Element, another bot) and would be clobbered.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from nio import AsyncClient, KeysQueryResponse

from adapters.matrix import state
from adapters.matrix.state import KeyValue
from bot.config import ConfigError, MatrixConfig

log = logging.getLogger(__name__)


class DeviceError(ConfigError):
    """The stored device and the olm store do not match: `ticebot run` exits 2 with this line."""


def encryption_available() -> bool:
    """True when matrix-nio's e2e extra (vodozemac) is importable."""
    from nio.crypto import ENCRYPTION_ENABLED

    return bool(ENCRYPTION_ENABLED)


def require_encryption(config: MatrixConfig) -> None:
    if config.encryption and not encryption_available():
        raise ConfigError(
            "[matrix] chiffrement activé mais matrix-nio est installé sans son extra e2e : "
            "pip install 'matrix-nio[e2e]' (ou encryption = false pour les seuls salons non chiffrés)"
        )


def store_dir(config: MatrixConfig) -> Path:
    """Where the olm store lives: `store_dir`, else $TICEBOT_DATA_DIR/matrix, else ./matrix-store."""
    if config.store_dir:
        path = Path(config.store_dir)
    elif os.environ.get("TICEBOT_DATA_DIR"):
        path = Path(os.environ["TICEBOT_DATA_DIR"]) / "matrix"
    else:
        path = Path.cwd() / "matrix-store"
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)  # private keys: owner only
    return path


def store_file(directory: Path, user_id: str, device_id: str) -> Path:
    return directory / f"{user_id}_{device_id}.db"


def stored_devices(directory: Path, user_id: str) -> list[str]:
    """Device ids that have an olm store in `directory` for `user_id`."""
    prefix = f"{user_id}_"
    return sorted(p.name[len(prefix) : -3] for p in directory.glob("*.db") if p.name.startswith(prefix))


async def device_for_login(config: MatrixConfig, kv: KeyValue, directory: Path) -> str | None:
    """The device id to log in with (None: let the homeserver create the first one).

    Raises DeviceError when the database and the store disagree, rather than starting a device that
    cannot read anything sent before.
    """
    remembered = config.device_id or await kv.kv_get(state.DEVICE_ID) or None
    on_disk = stored_devices(directory, config.user_id)
    if not config.encryption:
        return remembered
    if remembered:
        if remembered in on_disk:
            return remembered
        raise DeviceError(
            f"[matrix] l'appareil {remembered} de {config.user_id} n'a pas ses clés de chiffrement dans "
            f"{directory} : restaurez ce dossier (sauvegarde du volume de données) ; sinon, pour repartir "
            f"avec un nouvel appareil qui ne lira plus les anciens messages chiffrés, supprimez la ligne "
            f"matrix:device_id de la table kv et device_id du fichier de configuration"
        )
    if len(on_disk) == 1:
        log.info("matrix: device %s found in the olm store %s", on_disk[0], directory)
        return on_disk[0]
    if len(on_disk) > 1:
        raise DeviceError(
            f"[matrix] plusieurs appareils de {config.user_id} dans {directory} ({', '.join(on_disk)}) : "
            f"indiquez lequel utiliser avec device_id dans [matrix]"
        )
    return None


async def check_token_device(client: AsyncClient, directory: Path, fresh_store: bool) -> None:
    """With a fresh store, refuse a device that already published encryption keys made elsewhere."""
    if not fresh_store or client.olm is None:
        return
    client.olm.users_for_key_query.add(client.user_id)
    response = await client.keys_query()
    if not isinstance(response, KeysQueryResponse):
        raise DeviceError(f"[matrix] impossible de lire les clés publiées de {client.user_id} : {response}")
    ours = client.olm.account.identity_keys["ed25519"]
    published = response.device_keys.get(client.user_id, {}).get(client.device_id or "", {})
    key = (published.get("keys") or {}).get(f"ed25519:{client.device_id}")
    if key and key != ours:
        store_file(directory, client.user_id, client.device_id or "").unlink(missing_ok=True)
        raise DeviceError(
            f"[matrix] l'appareil {client.device_id} a déjà des clés de chiffrement créées par un autre "
            f"client : donnez à ticebot sa propre connexion (password_env) ou un jeton d'un appareil neuf"
        )
