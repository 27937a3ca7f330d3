"""The TOML a `ticebot run` subprocess gets against the Discord-compatible test server (one space)."""

from __future__ import annotations

from pathlib import Path

import discord_payloads as p
from discord_server import DiscordServer
from ticebot_process import toml_string


def discord_run_config(server: DiscordServer, db: Path, *, delay: str, token_env: str | None = None,
                       tutor_role: str | None = None) -> str:
    """`token_env` names the variable in the file (else the adapter's default name is used);
    `tutor_role` maps one more Discord role, to tutors."""
    token_line = f"token_env = {toml_string(token_env)}\n" if token_env else ""
    tutors = f"{toml_string(tutor_role)} = \"tutor\"\n" if tutor_role else ""
    return f"""
[database]
url = {toml_string(f"sqlite+aiosqlite:///{db}")}

[discord]
{token_line}api_base = {toml_string(server.api_base)}

[[spaces]]
id = "gfp-discord"
referential = "c2i2e"
sos = {{ delay = "{delay}" }}
roles = {{ coordinator = ["{p.CLAIRE}"] }}

[spaces.discord]
guild = "{p.GUILD_ID}"
sos = "{p.SOS_FORUM}"
general = "{p.GENERAL}"
trainers = "{p.TRAINERS}"

[spaces.discord.roles]
"{p.TRAINER_ROLE}" = "trainer"
{tutors}"""
