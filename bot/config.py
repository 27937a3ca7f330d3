"""Configuration: one TOML file plus environment variables. Secrets are named by env var, never stored.

Errors are raised as ConfigError with the file and the key, so `ticebot run` can exit 2 with one clear line.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.durations import parse_duration
from bot.timezones import DEFAULT_TIMEZONE, check_timezone

ROLE_NAMES = ("member", "tutor", "trainer", "coordinator", "resource")


class ConfigError(Exception):
    """A configuration problem a person can fix; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LadderStep(_Strict):
    """One rung of the escalation ladder: at a fraction of the delay, or at an absolute offset."""

    kind: Literal["nudge", "referent", "trainers", "breach"]
    at: float | None = None  # fraction of the delay, 0..1
    after: str | None = None  # absolute offset from the question ("2d")

    def offset(self, delay: timedelta) -> timedelta:
        if self.after:
            return parse_duration(self.after)
        return delay * (self.at if self.at is not None else 1.0)


DEFAULT_LADDER = [
    LadderStep(kind="nudge", at=0.25),
    LadderStep(kind="referent", at=0.5),
    LadderStep(kind="trainers", at=0.75),
    LadderStep(kind="breach", at=1.0),
]


class SosPolicy(_Strict):
    delay: str = "4d"
    policy: Literal["calendar", "working"] = "calendar"
    next_reply_delay: str = "2d"
    solved_check_after: str = "2d"
    school_holidays: list[tuple[date, date]] = Field(default_factory=list)
    ladder: list[LadderStep] = Field(default_factory=lambda: list(DEFAULT_LADDER))

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
    referential: str = "c2i2e"
    language: Literal["fr", "en"] = "fr"
    timezone: str = DEFAULT_TIMEZONE  # when absent from the file: [bot] timezone (see Settings)
    privacy_notice: str = ""
    retention_days: int = 730
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


class MatrixConfig(_Strict):
    homeserver: str
    user_id: str
    password_env: str | None = None
    access_token_env: str | None = None
    device_id: str | None = None
    power_level_trainer: int | None = None  # e.g. 50: members at or above are formateurs

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

    def token(self) -> str:
        value = os.environ.get(self.token_env)
        if not value:
            raise ConfigError(f"[discord] la variable d'environnement {self.token_env} est vide ou absente")
        return value


class Settings(_Strict):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    bot: BotConfig = Field(default_factory=BotConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    matrix: MatrixConfig | None = None
    discord: DiscordConfig | None = None
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
