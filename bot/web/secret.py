"""The key that signs session cookies: from the env var named in `[web] secret_env`, else a file.

The file (`$TICEBOT_DATA_DIR/web-secret`, mode 0600) is created once, so sessions survive a restart;
several instances must share it (same data dir) or, better, the same env var.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from bot.config import ConfigError

SECRET_FILE = "web-secret"
MIN_LENGTH = 32


def data_dir() -> Path:
    base = os.environ.get("TICEBOT_DATA_DIR")
    return Path(base) if base else Path.cwd()


def load_secret(secret_env: str | None = None, directory: Path | None = None) -> bytes:
    if secret_env:
        value = os.environ.get(secret_env, "")
        if len(value) < MIN_LENGTH:
            raise ConfigError(f"[web] la variable d'environnement {secret_env} doit contenir au moins "
                              f"{MIN_LENGTH} caractères (par exemple : python -c 'import secrets; "
                              "print(secrets.token_urlsafe(48))')")
        return value.encode()
    path = (directory or data_dir()) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_bytes().strip()
