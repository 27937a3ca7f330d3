"""Which Matrix rooms belong to which space, from the `[[spaces]] matrix = {...}` config tables."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings

# Config kinds as written by people; "formateurs" is the French alias of "trainers".
_KIND_ALIASES = {"formateurs": "trainers"}


@dataclass(frozen=True, slots=True)
class RoomInfo:
    space_id: str
    kind: str  # sos | general | announcements | trainers | any other configured name


@dataclass
class RoomMap:
    """Configured rooms and the people the config names (who may open a DM with the bot)."""

    rooms: dict[str, RoomInfo] = field(default_factory=dict)
    config_users: set[str] = field(default_factory=set)

    @classmethod
    def from_settings(cls, settings: Settings) -> RoomMap:
        result = cls()
        for space in settings.spaces:
            for kind, room_id in space.matrix.items():
                result.rooms[room_id] = RoomInfo(space.id, _KIND_ALIASES.get(kind, kind))
            for users in space.roles.values():
                result.config_users.update(u for u in users if u.startswith("@"))
            for group in space.groups.values():
                for users in group.values():
                    result.config_users.update(u for u in users if u.startswith("@"))
        return result

    def aliases(self) -> list[str]:
        """Rooms configured by alias (`#sos:example.org`) rather than id: resolved once logged in."""
        return [key for key in self.rooms if key.startswith("#")]

    def add_resolved(self, alias: str, room_id: str) -> RoomInfo:
        info = self.rooms[alias]
        self.rooms[room_id] = info
        return info

    def get(self, room_id: str) -> RoomInfo | None:
        return self.rooms.get(room_id)

    def rooms_of_space(self, space_id: str) -> list[str]:
        return [room_id for room_id, info in self.rooms.items() if info.space_id == space_id]
