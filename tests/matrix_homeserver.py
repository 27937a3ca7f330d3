"""A throw-away Synapse homeserver for the Matrix tests: config in a tmp dir, SQLite, one client listener.

Named `matrix_homeserver` (not `synapse`) because pytest puts this directory on sys.path and a local
`synapse.py` would shadow the real package.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

SERVER_NAME = "localhost"

# Every limiter very high: matrix-nio retries M_LIMIT_EXCEEDED forever, so a default limit shows up as a
# hung test instead of a failure.
_HIGH = {"per_second": 10000, "burst_count": 100000}
RATE_LIMITS: dict[str, object] = {
    "rc_message": _HIGH,
    "rc_registration": _HIGH,
    "rc_registration_token_validity": _HIGH,
    "rc_login": {"address": _HIGH, "account": _HIGH, "failed_attempts": _HIGH},
    "rc_admin_redaction": _HIGH,
    "rc_joins": {"local": _HIGH, "remote": _HIGH},
    "rc_joins_per_room": _HIGH,
    "rc_key_requests": _HIGH,
    "rc_3pid_validation": _HIGH,
    "rc_invites": {"per_room": _HIGH, "per_user": _HIGH, "per_issuer": _HIGH},
    "rc_third_party_invite": _HIGH,
    "rc_media_create": _HIGH,
    "rc_presence": {"per_user": _HIGH},
    "rc_delayed_event_mgmt": _HIGH,
    "rc_room_creation": _HIGH,
    "rc_reports": _HIGH,
    "rc_user_directory": _HIGH,
    "rc_profile": _HIGH,
    "rc_federation": {"window_size": 1000, "sleep_limit": 10000, "reject_limit": 100000, "concurrent": 100},
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(directory: Path, port: int, shared_secret: str, *, tchap: bool = False) -> Path:
    """Write homeserver.yaml (JSON is valid YAML, so no YAML writer is needed) and a signing key.

    `tchap`: configured like Tchap, the French state's deployment: every private room (and every DM) is
    encrypted from its creation, whatever the client asks.
    """
    from signedjson.key import generate_signing_key, write_signing_keys

    key_path = directory / "signing.key"
    with key_path.open("w") as handle:
        write_signing_keys(handle, [generate_signing_key("a_test")])
    config: dict[str, object] = {
        "server_name": SERVER_NAME,
        "pid_file": str(directory / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(directory / "homeserver.db")}},
        "media_store_path": str(directory / "media"),
        "signing_key_path": str(key_path),
        "enable_registration": True,
        "enable_registration_without_verification": True,
        "registration_shared_secret": shared_secret,
        "macaroon_secret_key": uuid.uuid4().hex,
        "form_secret": uuid.uuid4().hex,
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "enable_metrics": False,
        "max_upload_size": "10M",
        "bcrypt_rounds": 4,  # registration and password login in milliseconds, not ~0.2 s each
        **RATE_LIMITS,
    }
    if tchap:
        config["encryption_enabled_by_default_for_room_type"] = "invite"
    path = directory / "homeserver.yaml"
    path.write_text(json.dumps(config, indent=2))
    return path


@dataclass
class Homeserver:
    """A running Synapse; `register` creates users through the shared-secret admin API."""

    base_url: str
    shared_secret: str
    directory: Path
    process: subprocess.Popen[bytes]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def log_path(self) -> Path:
        return self.directory / "homeserver.log"

    def unique(self, localpart: str) -> str:
        """A localpart nobody used in this run, still readable in logs ("alice_3f9a1c_0")."""
        return f"{localpart}_{self.run_id}_{next(self._counter)}"

    def register(self, localpart: str, password: str = "secret-pw", admin: bool = False) -> dict[str, str]:
        """Register `localpart` exactly; returns {"user_id", "access_token", "device_id", "password"}."""
        nonce = _request("GET", f"{self.base_url}/_synapse/admin/v1/register")["nonce"]
        # The MAC Synapse expects: HMAC-SHA1 over nonce, user, password, admin flag joined by NUL.
        message = b"\x00".join(
            part.encode() for part in (str(nonce), localpart, password, "admin" if admin else "notadmin")
        )
        mac = hmac.new(self.shared_secret.encode(), message, digestmod=hashlib.sha1)
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        answer = _request("POST", f"{self.base_url}/_synapse/admin/v1/register", body)
        return {
            "user_id": answer["user_id"],
            "access_token": answer["access_token"],
            "device_id": answer.get("device_id", ""),
            "password": password,
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def _request(method: str, url: str, body: dict[str, object] | None = None) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())  # type: ignore[no-any-return]
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{method} {url} -> {exc.code}: {exc.read().decode(errors='replace')}") from exc


def start_homeserver(directory: Path, startup_timeout: float = 60.0, *, tchap: bool = False) -> Homeserver:
    """Start Synapse in `directory` and wait until the client API answers (`tchap`: see write_config)."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    secret = uuid.uuid4().hex
    config_path = write_config(directory, port, secret, tchap=tchap)
    log = (directory / "homeserver.log").open("wb")
    env = dict(os.environ)
    process = subprocess.Popen(
        [sys.executable, "-m", "synapse.app.homeserver", "-c", str(config_path)],
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    log.close()  # the child keeps its own descriptor
    server = Homeserver(f"http://127.0.0.1:{port}", secret, directory, process)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Synapse exited with {process.returncode}:\n{server.log_tail()}")
        try:
            _request("GET", f"{server.base_url}/_matrix/client/versions")
            return server
        except (OSError, RuntimeError):
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"Synapse did not answer within {startup_timeout}s:\n{server.log_tail()}")
