"""Answer an interaction at once, then hand the event to the core.

Discord drops an interaction not answered within 3 seconds, and the core's work (a transaction, the
outbox) has no such bound: so the short private acknowledgement goes first and the core's real answer
arrives later as an outbox action.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord

from bot.events import CommandInvoked, CoreEvent

if TYPE_CHECKING:
    from adapters.discord.bot import TicebotDiscord

log = logging.getLogger(__name__)

FAILED = "Désolé, je n'ai pas pu traiter cette demande. Réessayez dans un instant."


def ticebot_client(interaction: discord.Interaction[Any]) -> TicebotDiscord:
    return interaction.client  # type: ignore[return-value]  # always our client: it registered the callback


async def acknowledge(interaction: discord.Interaction[Any], text: str) -> None:
    try:
        await interaction.response.send_message(text, ephemeral=True)
    except (discord.NotFound, discord.InteractionResponded):
        # Expired (answered too late) or already answered: the event still goes to the core.
        log.info("discord: interaction %s could not be acknowledged", interaction.id)


async def acknowledge_and_submit(interaction: discord.Interaction[Any], event: CoreEvent, text: str) -> None:
    await acknowledge(interaction, text)
    client = ticebot_client(interaction)
    space = client.spaces.by_guild(interaction.guild_id)
    if space is not None and isinstance(event, CommandInvoked):
        event = replace(event, space_hint=space.space_id)
    try:
        await client.submit(event)
    except Exception:
        # Logged with the event's kind only: the arguments are the user's own words.
        log.exception("discord: the core failed on %s from interaction %s", type(event).__name__, interaction.id)
        try:
            await interaction.followup.send(FAILED, ephemeral=True)
        except discord.HTTPException:
            pass
