"""The `discord = {...}` table of a space: guild, channels, role mapping."""

from __future__ import annotations

import pytest

from adapters.discord.spaces import SpaceDirectory
from bot.config import ConfigError, Settings


def settings(*spaces: dict) -> Settings:
    return Settings.model_validate({"spaces": list(spaces)})


def test_reads_guild_channels_and_roles() -> None:
    directory = SpaceDirectory.from_settings(
        settings(
            {
                "id": "gfp",
                "discord": {
                    "guild": "123",
                    "sos": "456",
                    "general": 789,
                    "formateurs": "1011",
                    "roles": {"2001": "trainer", "Tuteurs": "tutor"},
                },
            },
            {"id": "matrix-only", "matrix": {"sos": "!a:hs"}},
        )
    )
    (space,) = list(directory)
    assert directory.by_guild(123) is space and directory.by_id("gfp") is space
    assert (space.sos, space.general, space.trainers) == (456, 789, 1011)
    assert space.roles == {"2001": "trainer", "Tuteurs": "tutor"}
    assert directory.by_channel(789) is space and directory.by_guild(999) is None


@pytest.mark.parametrize(
    ("discord", "message"),
    [
        ({"sos": "456"}, "guild"),
        ({"guild": "abc"}, r"spaces\[0\]\.discord\.guild"),
        ({"guild": "1", "roles": {"Profs": "chef"}}, "rôle inconnu"),
        ({"guild": "1", "salon": "2"}, "clé inconnue"),
    ],
)
def test_errors_name_the_key(discord: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SpaceDirectory.from_settings(settings({"id": "gfp", "discord": discord}))


def test_one_guild_is_one_space() -> None:
    with pytest.raises(ConfigError, match="123"):
        SpaceDirectory.from_settings(
            settings({"id": "a", "discord": {"guild": "123"}}, {"id": "b", "discord": {"guild": 123}})
        )
