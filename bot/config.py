"""Configuration: one TOML file plus environment variables. Secrets are named by env var, never stored.

Errors are raised as ConfigError with the file and the key, so `ticebot run` can exit 2 with one clear line.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.durations import parse_duration
from bot.sos.policy import EscalationPolicy, read_legacy_ladder
from bot.timezones import DEFAULT_TIMEZONE, check_timezone

ROLE_NAMES = ("member", "tutor", "trainer", "coordinator", "resource")


class ConfigError(Exception):
    """A configuration problem a person can fix; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SosPolicy(EscalationPolicy):
    """The SOS promise of a space: the delay, how it is counted, and the escalation policy (flat keys)."""

    delay: str = "4d"
    policy: Literal["calendar", "working"] = "calendar"
    next_reply_delay: str = "2d"
    solved_check_after: str = "2d"
    school_holidays: list[tuple[date, date]] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _legacy_ladder(cls, data: Any) -> Any:
        return read_legacy_ladder(data)

    @field_validator("delay", "next_reply_delay", "solved_check_after")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def delay_td(self) -> timedelta:
        return parse_duration(self.delay)


class ReviewPolicy(_Strict):
    delay: str = "7d"  # a pending declaration older than this is reminded
    validators: list[str] = Field(default_factory=lambda: ["tutor", "trainer", "coordinator"])
    notify: Literal["immediate", "digest"] = "immediate"

    @field_validator("delay")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


class DigestPolicy(_Strict):
    cron: str = "0 8 * * mon"  # minute hour day month weekday, in the space's timezone
    enabled: bool = True


class SpaceConfig(_Strict):
    id: str
    name: str = ""  # shown to people (welcome); the id when empty
    referential: str = "c2i2e"
    language: Literal["fr", "en"] = "fr"
    timezone: str = DEFAULT_TIMEZONE  # when absent from the file: [bot] timezone (see Settings)
    privacy_notice: str = ""
    retention_days: int = 730
    # A private space's questions never leave it (no FAQ sharing whatever faq_share says).
    private: bool = False
    # Spaces that may be shown this space's resolved questions and FAQ entries (bot/faq/visibility.py).
    faq_share: list[str] = Field(default_factory=list)
    sos: SosPolicy = Field(default_factory=SosPolicy)
    review: ReviewPolicy = Field(default_factory=ReviewPolicy)
    digest: DigestPolicy = Field(default_factory=DigestPolicy)
    # role -> platform user ids (Matrix "@u:hs", Discord snowflakes, console names)
    roles: dict[str, list[str]] = Field(default_factory=dict)
    # referent groups: group name -> {"trainers": [...], "members": [...]}
    groups: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    # channel kind -> platform channel id; kinds: sos, general, announcements, trainers (alias formateurs)
    matrix: dict[str, str] = Field(default_factory=dict)
    discord: dict[str, str | int | dict[str, str]] = Field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return self.name or self.id

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for role in value:
            if role not in ROLE_NAMES:
                raise ValueError(f"rôle inconnu « {role} » (rôles possibles : {', '.join(ROLE_NAMES)})")
        return value


class DatabaseConfig(_Strict):
    url: str = "sqlite+aiosqlite:///ticebot.db"


class BotConfig(_Strict):
    language: Literal["fr", "en"] = "fr"
    timezone: str = DEFAULT_TIMEZONE  # the default of every space
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # The database drivers' loggers write SQL parameters and result rows (message texts): off unless asked.
    log_database: bool = False

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)


class LimitsConfig(_Strict):
    """How much of people's words a message of the bot may quote (everything is stored in full)."""

    quote_chars: int = Field(default=300, ge=40, le=4000)  # a question, comment or answer quoted
    trace_chars: int = Field(default=1000, ge=40, le=4000)  # a declaration's trace shown to a validator
    echo_chars: int = Field(default=40, ge=10, le=400)  # a mistyped command or code repeated back
    quote_lines: int = Field(default=8, ge=1, le=100)


class VerifiedDevice(_Strict):
    """A member's device checked by hand (Element: Settings → Sessions → session key)."""

    user: str
    device: str
    ed25519: str  # the session key as Element shows it (spaces allowed)


class MatrixConfig(_Strict):
    homeserver: str
    user_id: str
    password_env: str | None = None
    access_token_env: str | None = None
    device_id: str | None = None
    power_level_trainer: int | None = None  # e.g. 50: members at or above are formateurs
    # End-to-end encryption (matrix-nio[e2e]). The olm store lives in store_dir, default
    # $TICEBOT_DATA_DIR/matrix (else ./matrix-store): keep it and back it up, it is the bot's identity.
    encryption: bool = True
    store_dir: str | None = None
    # Direct rooms the bot opens are encrypted from their creation, as Element creates them. false: left
    # to the homeserver's default (Tchap encrypts them anyway) for clients without encryption.
    encrypt_direct_rooms: bool = True
    # Whose devices get the room keys: "tofu" trusts each member's device the first time it is seen
    # (its key is pinned from then on); "verified" only the devices listed in verified_devices.
    trust: Literal["tofu", "verified"] = "tofu"
    verified_devices: list[VerifiedDevice] = Field(default_factory=list)
    # How long an undecryptable message waits for its key before its author is told, once.
    key_wait: str = "5m"
    # Several instances on one PostgreSQL: how often a standby instance tries to take the Matrix device.
    standby_poll: str = "5s"

    @field_validator("key_wait", "standby_poll")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    def secret(self) -> tuple[str, str]:
        """Return ("password"|"token", value) from the environment; never logged."""
        for kind, env in (("token", self.access_token_env), ("password", self.password_env)):
            if env:
                value = os.environ.get(env)
                if not value:
                    raise ConfigError(f"[matrix] la variable d'environnement {env} est vide ou absente")
                return kind, value
        raise ConfigError("[matrix] indiquez password_env ou access_token_env")


class DiscordConfig(_Strict):
    token_env: str = "TICEBOT_DISCORD_TOKEN"
    # A Discord-compatible server instead of Discord: its API base ("http://host:3001/api/v9") and,
    # if its API does not answer GET /gateway, its gateway ("ws://host:3002").
    api_base: str | None = None
    gateway_url: str | None = None
    # Catch-up after downtime: how far back the channels, threads and DMs are read (a duration), and
    # at most how many messages per channel, thread or DM.
    catchup: str = "3d"
    catchup_max_messages: int = Field(default=1000, ge=1, le=100_000)

    @field_validator("catchup")
    @classmethod
    def _catchup(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def catchup_window(self) -> timedelta:
        return parse_duration(self.catchup)

    def token(self) -> str:
        value = os.environ.get(self.token_env)
        if not value:
            raise ConfigError(f"[discord] la variable d'environnement {self.token_env} est vide ou absente")
        return value


class BadgesConfig(_Strict):
    """Who issues the Open Badges: shown in every badge; the key is kept in the data directory."""

    issuer_name: str = "ticebot"
    issuer_url: str = ""  # the training's page, where its did:key (`ticebot badge issuer`) is published
    key_file: str = ""  # default: $TICEBOT_DATA_DIR/badge-issuer-ed25519.pem


class WebConfig(_Strict):
    """The coordinators' dashboard (`ticebot web`, or inside `ticebot run` when this section exists)."""

    bind: str = "127.0.0.1:8080"  # host:port the server listens on
    public_url: str = "http://127.0.0.1:8080"  # how people reach it (links sent by /tableau start with it)
    secret_env: str | None = None  # env var holding the cookie-signing secret; else a 0600 file in the data dir
    session_hours: float = Field(default=8.0, gt=0, le=24 * 30)

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("public_url doit commencer par http:// ou https://")
        return value.rstrip("/")

    @field_validator("bind")
    @classmethod
    def _bind(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError("bind s'écrit hôte:port, par exemple 127.0.0.1:8080")
        return value


class Settings(_Strict):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    bot: BotConfig = Field(default_factory=BotConfig)
    badges: BadgesConfig = Field(default_factory=BadgesConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    matrix: MatrixConfig | None = None
    discord: DiscordConfig | None = None
    web: WebConfig | None = None
    spaces: list[SpaceConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _space_timezones(self) -> Settings:
        for space in self.spaces:
            if "timezone" not in space.model_fields_set:
                space.timezone = self.bot.timezone
        return self

    def space(self, space_id: str) -> SpaceConfig:
        for space in self.spaces:
            if space.id == space_id:
                return space
        raise KeyError(space_id)


def load_settings(path: Path) -> Settings:
    """Read a TOML file; TICEBOT_DATABASE_URL overrides the database url (containers)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: fichier introuvable") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML invalide : {exc}") from exc
    env_url = os.environ.get("TICEBOT_DATABASE_URL")
    if env_url:
        data.setdefault("database", {})["url"] = env_url
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path}: clé « {key} » : {first['msg']}") from exc
