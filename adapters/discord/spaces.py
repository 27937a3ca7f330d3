"""Which Discord guild is which ticebot space, read once from the settings.

The core never sees a guild id; this table is the only place that knows that guild 123 is the space
"gfp-lettres", that role "Formateurs" means `trainer`, and which channel is the space's `general`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import discord

from bot.config import ConfigError, Settings, SpaceConfig

# Keys of `discord = {...}` that name channels; "formateurs" is accepted as the French alias of
# "trainers" because design.md's example uses it.
_CHANNEL_KEYS = ("sos", "general", "trainers", "announcements")
_ALIASES = {"formateurs": "trainers"}
CORE_ROLES = ("member", "tutor", "trainer", "coordinator", "resource")


def _snowflake(value: object, where: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(f"{where} : identifiant Discord attendu (un nombre), pas « {value} »") from None
    if number <= 0:
        raise ConfigError(f"{where} : identifiant Discord attendu (un nombre positif)")
    return number


@dataclass(frozen=True, slots=True)
class DiscordSpace:
    """One space as seen from Discord: its guild, its well-known channels, its role mapping."""

    space_id: str
    guild_id: int
    channels: Mapping[str, int] = field(default_factory=dict)  # "sos" | "general" | "trainers" → id
    roles: Mapping[str, str] = field(default_factory=dict)  # Discord role id or name → core role
    language: str = "fr"  # of what the adapter writes itself in the space's channels

    @property
    def sos(self) -> int | None:
        return self.channels.get("sos")

    @property
    def general(self) -> int | None:
        return self.channels.get("general")

    @property
    def trainers(self) -> int | None:
        return self.channels.get("trainers")

    def core_roles(self, roles: Iterable[discord.Role]) -> frozenset[str]:
        """Core roles granted by a member's Discord roles; a role matches by id first, then by name."""
        granted: set[str] = set()
        for role in roles:
            core = self.roles.get(str(role.id)) or self.roles.get(role.name)
            if core:
                granted.add(core)
        return frozenset(granted)

    def discord_roles(self, core_role: str, guild: discord.Guild) -> list[discord.Role]:
        """The guild's roles that carry `core_role` (the reverse mapping, for MentionRoles)."""
        found: list[discord.Role] = []
        for role in guild.roles:
            if self.roles.get(str(role.id)) == core_role or self.roles.get(role.name) == core_role:
                found.append(role)
        return found


def space_from_config(space: SpaceConfig, index: int) -> DiscordSpace | None:
    raw = dict(space.discord)
    if not raw:
        return None
    where = f"spaces[{index}].discord"
    if "guild" not in raw:
        raise ConfigError(f"{where} : clé « guild » manquante (l'identifiant du serveur Discord)")
    guild_id = _snowflake(raw.pop("guild"), f"{where}.guild")
    roles_raw = raw.pop("roles", {})
    if not isinstance(roles_raw, dict):
        raise ConfigError(f'{where}.roles : table attendue, par ex. roles = {{ "Formateurs" = "trainer" }}')
    roles: dict[str, str] = {}
    for key, core in roles_raw.items():
        if core not in CORE_ROLES:
            raise ConfigError(f"{where}.roles.{key} : rôle inconnu « {core} » ({', '.join(CORE_ROLES)})")
        roles[str(key).strip()] = core
    channels: dict[str, int] = {}
    for key, value in raw.items():
        kind = _ALIASES.get(key, key)
        if kind not in _CHANNEL_KEYS:
            raise ConfigError(
                f"{where}.{key} : clé inconnue (clés possibles : guild, roles, {', '.join(_CHANNEL_KEYS)})"
            )
        if isinstance(value, dict):
            raise ConfigError(f"{where}.{key} : identifiant de salon attendu")
        channels[kind] = _snowflake(value, f"{where}.{key}")
    return DiscordSpace(space_id=space.id, guild_id=guild_id, channels=channels, roles=roles, language=space.language)


class SpaceDirectory:
    """Lookup of Discord spaces by guild and by space id."""

    def __init__(self, spaces: Iterable[DiscordSpace]) -> None:
        self._by_guild: dict[int, DiscordSpace] = {}
        self._by_id: dict[str, DiscordSpace] = {}
        for space in spaces:
            if space.guild_id in self._by_guild:
                other = self._by_guild[space.guild_id].space_id
                # One guild = one space: two spaces on a guild could not tell whose member posted.
                raise ConfigError(
                    f"le serveur Discord {space.guild_id} est déclaré par « {other} » et « {space.space_id} »"
                )
            self._by_guild[space.guild_id] = space
            self._by_id[space.space_id] = space

    @classmethod
    def from_settings(cls, settings: Settings) -> SpaceDirectory:
        found = (space_from_config(space, i) for i, space in enumerate(settings.spaces))
        return cls(space for space in found if space is not None)

    def __iter__(self) -> Iterator[DiscordSpace]:
        return iter(self._by_guild.values())

    def __len__(self) -> int:
        return len(self._by_guild)

    @property
    def guild_ids(self) -> list[int]:
        return list(self._by_guild)

    def by_guild(self, guild_id: int | None) -> DiscordSpace | None:
        return self._by_guild.get(guild_id) if guild_id is not None else None

    def by_id(self, space_id: str) -> DiscordSpace | None:
        return self._by_id.get(space_id)

    def by_channel(self, channel_id: int) -> DiscordSpace | None:
        """The space whose configured channel this is (for channels not yet in the client's cache)."""
        for space in self._by_guild.values():
            if channel_id in space.channels.values():
                return space
        return None
