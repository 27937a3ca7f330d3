"""The one way a slash command reaches the core: the same CommandInvoked as the text typed, after
an immediate private acknowledgement (`ack.py`)."""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord.ack import acknowledge_and_submit
from adapters.discord.translate import command_invoked

# Templates of the immediate private answer (prompts/<lang>/discord/<name>.md.j2).
DEFAULT_ACK = "ack"
ACKS = {"sos": "ack_sos", "declare": "ack_declare", "portfolio": "ack_portfolio"}


async def submit(interaction: discord.Interaction[Any], args: str = "") -> None:
    """`args` are written exactly as a person would type them after the command's name."""
    assert interaction.command is not None  # set by the tree before it calls us
    name = interaction.command.name
    event = command_invoked(interaction, name, args)
    await acknowledge_and_submit(interaction, event, ACKS.get(name, DEFAULT_ACK))


async def no_args(interaction: discord.Interaction[Any]) -> None:
    await submit(interaction)
