"""Answer an interaction at once, then hand the event to the core, whatever happened to the answer.

Discord invalidates an interaction not answered within 3 seconds of its dispatch, and the core's work
(a transaction, the outbox) has no such bound: so a short private acknowledgement goes first, bounded
in time, and the core's real answer arrives later as an outbox action.

The acknowledgement may fail in every way (a 500, no answer in time, "already acknowledged",
"unknown interaction" once expired): the command reaches the core all the same, and the person is told
afterwards that it was taken into account — through a follow-up message while the interaction's token
lives (15 minutes), else by DM — so that nobody sends it twice because Discord showed an error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from adapters.discord.wording import language, say
from bot.events import CommandInvoked, CoreEvent

if TYPE_CHECKING:
    from adapters.discord.bot import TicebotDiscord

log = logging.getLogger(__name__)

ACK_TIMEOUT = 2.5  # seconds: Discord's deadline is 3 s from dispatch, and the event took time to reach us
LATER_TIMEOUT = 10.0  # seconds for a follow-up or a DM (discord.py retries a 500 for ~25 s on its own)
TOKEN_LIFETIME = 15 * 60.0 - 30.0  # seconds a follow-up is worth trying (15 min, with a margin)
ALREADY_ACKNOWLEDGED = 40060
_TRANSIENT = (TimeoutError, aiohttp.ClientError, OSError)


def ticebot_client(interaction: discord.Interaction[Any]) -> TicebotDiscord:
    return interaction.client  # type: ignore[return-value]  # always our client: it registered the callback


@dataclass
class Acknowledgement:
    """How the immediate answer went, and when the interaction reached us (for the token's lifetime)."""

    done: bool
    received: float


async def acknowledge(interaction: discord.Interaction[Any], text: str) -> Acknowledgement:
    received = time.monotonic()
    try:
        await asyncio.wait_for(interaction.response.send_message(text, ephemeral=True), timeout=ACK_TIMEOUT)
        return Acknowledgement(True, received)
    except discord.InteractionResponded:
        return Acknowledgement(True, received)
    except discord.HTTPException as exc:
        if exc.code == ALREADY_ACKNOWLEDGED:
            return Acknowledgement(True, received)
        log.info("discord: interaction %s not acknowledged (HTTP %s, code %s)", interaction.id, exc.status, exc.code)
    except _TRANSIENT as exc:
        log.info("discord: interaction %s not acknowledged (%s)", interaction.id, type(exc).__name__)
    return Acknowledgement(False, received)


async def tell_later(interaction: discord.Interaction[Any], ack: Acknowledgement, text: str) -> None:
    """A private word after the fact: a follow-up while the token lives, else (or if it fails) a DM."""
    if time.monotonic() - ack.received < TOKEN_LIFETIME:
        try:
            await asyncio.wait_for(interaction.followup.send(text, ephemeral=True), timeout=LATER_TIMEOUT)
            return
        except (discord.HTTPException, *_TRANSIENT) as exc:
            # 10015 Unknown Webhook when the interaction was never acknowledged, 50027 once expired.
            log.info("discord: no follow-up for interaction %s (%s)", interaction.id, type(exc).__name__)
    try:
        await asyncio.wait_for(interaction.user.send(text), timeout=LATER_TIMEOUT)
    except (discord.HTTPException, *_TRANSIENT) as exc:
        log.warning("discord: could not tell user %s about interaction %s (%s)",
                    interaction.user.id, interaction.id, type(exc).__name__)


async def acknowledge_and_submit(interaction: discord.Interaction[Any], event: CoreEvent, ack: str) -> None:
    """`ack` names the acknowledgement's template (`prompts/<lang>/discord/<ack>.md.j2`)."""
    lang = language(interaction)
    acknowledged = await acknowledge(interaction, say(lang, ack))
    await submit_then_report(interaction, event, acknowledged, lang)


async def submit_then_report(
    interaction: discord.Interaction[Any], event: CoreEvent, ack: Acknowledgement, lang: str
) -> None:
    client = ticebot_client(interaction)
    space = client.spaces.by_guild(interaction.guild_id)
    if space is not None and isinstance(event, CommandInvoked):
        event = replace(event, space_hint=space.space_id)
    try:
        await client.submit(event)
    except Exception:
        # Logged with the event's kind only: the arguments are the user's own words.
        log.exception("discord: the core failed on %s from interaction %s", type(event).__name__, interaction.id)
        await tell_later(interaction, ack, say(lang, "failed"))
        return
    if not ack.done:
        if isinstance(event, CommandInvoked):
            command = event.name
        else:
            command = interaction.command.name if interaction.command is not None else ""
        await tell_later(interaction, ack, say(lang, "ack_late", command=command))
